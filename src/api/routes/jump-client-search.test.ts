import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize, type ClientSummary, type JumpClient } from '../../registry/index.ts';
import { AppError } from '../../shared/errors.ts';
import { makeClient } from '../../../test/helpers/fixtures.ts';
import {
  compileClientMatcher,
  parseSearchFields,
  SEARCH_FIELDS,
  searchesGroups,
  selectClients,
  type ClientQuery,
  type GroupNameOf,
} from './jump-client-search.ts';

const rows: ClientSummary[] = ([
  makeClient({ id: 1, name: 'Web-01', hostname: 'web01.corp.test', tag: 'web', comments: 'Front door', console_user: 'alice', private_ip: '10.1.0.1', public_ip: '198.51.100.1', connection_type: 'active', status: 'online', jump_group_type: 'shared', jump_group_id: 1, last_access_timestamp: Date.parse('2024-03-15T08:30:00Z') }),
  makeClient({ id: 2, name: 'db-01', hostname: 'DB01.corp.test', tag: 'db', comments: 'primary database', console_user: 'bob', private_ip: '10.1.0.2', public_ip: '198.51.100.2', connection_type: 'passive', status: 'offline', jump_group_type: 'shared', jump_group_id: 2 }),
  makeClient({ id: 3, name: 'laptop', hostname: 'lap.home.test', tag: '', comments: '', console_user: 'carol', private_ip: '192.168.1.5', public_ip: '203.0.113.7', connection_type: 'active', status: 'disabled', jump_group_type: 'personal', jump_group_id: 1, statistics: { ...stats(), private_ips: ['192.168.1.5', '172.16.0.9'] } }),
  makeClient({ id: 4, name: 'db-01', hostname: 'db02.corp.test', tag: 'db', comments: 'replica', console_user: 'bob', private_ip: '10.1.0.3', public_ip: '198.51.100.3', connection_type: 'passive', status: 'lost', jump_group_type: 'shared', jump_group_id: 2 }),
] as JumpClient[]).map(summarize);

function stats(): NonNullable<JumpClient['statistics']> {
  return {
    hostname: 'lap', fqdn: 'lap', operating_system: 'Linux', os_version: '6', arch: 'x64', kernel: '6.1', console_user: 'carol',
    private_ips: [] as string[], uptime_seconds: 1, cpu_load: [0, 0, 0], memory_total_bytes: 1, memory_free_bytes: 1,
    disk_total_bytes: 1, disk_free_bytes: 1, agent_version: '0.1.0', install_mode: 'user', reported_at: 0,
  };
}

const groupNameOf: GroupNameOf = (type, id) => (type === 'shared' ? ({ 1: 'Servers', 2: 'Databases' } as Record<number, string>)[id] ?? '' : id === 1 ? 'user:admin' : '');

const ids = (q: ClientQuery, visible: (r: ClientSummary) => boolean = () => true) =>
  selectClients(rows, visible, compileClientMatcher(q, searchesGroups(q) ? groupNameOf : undefined)).map((r) => r.id);

describe('jump client filters', () => {
  it('matches name and hostname as case-insensitive substrings', () => {
    assert.deepEqual(ids({ name: 'WEB' }), [1]);
    assert.deepEqual(ids({ name: 'db-0' }), [2, 4]);
    assert.deepEqual(ids({ hostname: 'db0' }), [2, 4]);
    assert.deepEqual(ids({ hostname: '.CORP.' }), [1, 2, 4]);
  });

  it('matches the other filters exactly', () => {
    assert.deepEqual(ids({ tag: 'db' }), [2, 4]);
    assert.deepEqual(ids({ tag: 'DB' }), []);
    assert.deepEqual(ids({ tag: '' }), [3]);
    assert.deepEqual(ids({ jump_group_id: 2 }), [2, 4]);
    assert.deepEqual(ids({ jump_group_type: 'personal' }), [3]);
    assert.deepEqual(ids({ jump_group_type: 'shared', jump_group_id: 1 }), [1]);
    assert.deepEqual(ids({ console_user: 'bob' }), [2, 4]);
    assert.deepEqual(ids({ console_user: 'bo' }), []);
    assert.deepEqual(ids({ public_ip: '203.0.113.7' }), [3]);
    assert.deepEqual(ids({ private_ip: '10.1.0.2' }), [2]);
    assert.deepEqual(ids({ private_ip: '172.16.0.9' }), [3], 'any reported private IP matches');
    assert.deepEqual(ids({ connection_type: 'passive' }), [2, 4]);
    assert.deepEqual(ids({ status: 'lost' }), [4]);
    assert.deepEqual(ids({ status: 'updating' }), []);
  });

  it('combines filters with AND and applies visibility', () => {
    assert.deepEqual(ids({ tag: 'db', status: 'offline' }), [2]);
    assert.deepEqual(ids({}, (r) => r.id !== 2), [1, 4, 3]);
  });

  it('sorts by name, then id', () => {
    assert.deepEqual(ids({}), [1, 2, 4, 3], 'code-unit order: uppercase first, duplicates by id');
  });
});

describe('jump client free search', () => {
  it('searches every field by default, case-insensitively', () => {
    assert.deepEqual(ids({ search: 'FRONT' }), [1], 'comments');
    assert.deepEqual(ids({ search: 'carol' }), [3], 'console user');
    assert.deepEqual(ids({ search: 'databases' }), [2, 4], 'group name');
    assert.deepEqual(ids({ search: 'user:admin' }), [3], 'personal group');
    assert.deepEqual(ids({ search: 'passive' }), [2, 4], 'jump method');
    assert.deepEqual(ids({ search: '2024-03-15' }), [1], 'last access date');
    assert.deepEqual(ids({ search: 'laptop' }), [3], 'name');
    assert.deepEqual(ids({ search: '172.16' }), [3], 'private ip from statistics');
    assert.deepEqual(ids({ search: '198.51.100.3' }), [4], 'public ip');
    assert.deepEqual(ids({ search: 'disabled' }), [3], 'status');
    assert.deepEqual(ids({ search: 'nothing-like-this' }), []);
  });

  it('searches only the chosen fields', () => {
    assert.deepEqual(ids({ search: 'db', search_fields: ['tag'] }), [2, 4]);
    assert.deepEqual(ids({ search: 'primary', search_fields: ['name', 'tag'] }), []);
    assert.deepEqual(ids({ search: 'primary', search_fields: ['comments'] }), [2]);
    assert.deepEqual(ids({ search: 'servers', search_fields: ['group'] }), [1]);
    assert.deepEqual(ids({ search: 'servers', search_fields: ['name'] }), []);
    assert.deepEqual(ids({ search: 'active', search_fields: ['jump_method'] }), [1, 3]);
    assert.deepEqual(ids({ search: '08:30', search_fields: ['last_access'] }), [1]);
  });

  it('treats the phrase literally, not as a pattern', () => {
    assert.deepEqual(ids({ search: '10.1.0.' }), [1, 2, 4]);
    assert.deepEqual(ids({ search: '.*' }), []);
    assert.deepEqual(ids({ search: '(' }), []);
  });

  it('asks for group names only when the group field is searched', () => {
    assert.equal(searchesGroups({}), false);
    assert.equal(searchesGroups({ search: 'x' }), true);
    assert.equal(searchesGroups({ search: 'x', search_fields: ['name'] }), false);
  });
});

describe('parseSearchFields', () => {
  it('accepts the known names, trimmed and deduplicated', () => {
    assert.deepEqual(parseSearchFields('name, tag,name'), ['name', 'tag']);
    assert.deepEqual(parseSearchFields(SEARCH_FIELDS.join(',')), [...SEARCH_FIELDS]);
  });

  it('refuses an unknown or empty name with a 400 naming search_fields', () => {
    for (const bad of ['hostname', 'name,,tag', '', 'NAME']) {
      assert.throws(
        () => parseSearchFields(bad),
        (err: unknown) => err instanceof AppError && err.status === 400 && err.details?.field === 'search_fields',
        bad,
      );
    }
  });
});
