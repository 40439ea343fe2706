/** `GET /jump-client` and `GET /jump-client/{id}`: filters, search, pagination and visibility. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JumpClient } from '../src/registry/index.ts';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { putClient } from './helpers/fixtures.ts';
import { buildWorld, type World } from './helpers/world.ts';

const LIST = '/api/config/v1/jump-client';

describe('listing and showing Jump Clients', () => {
  let t: TestAppliance;
  let w: World;
  let c: Record<'web' | 'db1' | 'db2' | 'lab' | 'laptop', JumpClient>;
  const ids = (body: { id: number }[]) => body.map((r) => r.id);

  before(async () => {
    t = await startTestAppliance();
    w = await buildWorld(t);
    const r = t.appliance.registry;
    c = {
      web: await putClient(r, { name: 'web-01', hostname: 'WEB01.corp.test', tag: 'web', comments: 'front door', console_user: 'alice', private_ip: '10.1.0.1', public_ip: '198.51.100.1', jump_group_id: w.g1.id, status: 'online', last_access_timestamp: Date.parse('2024-03-15T08:30:00Z') }),
      db1: await putClient(r, { name: 'DB-01', hostname: 'db01.corp.test', tag: 'db', comments: 'primary', console_user: 'bob', private_ip: '10.2.0.1', public_ip: '198.51.100.2', jump_group_id: w.g2.id, connection_type: 'passive', status: 'offline' }),
      db2: await putClient(r, { name: 'db-02', hostname: 'db02.corp.test', tag: 'db', comments: 'replica', console_user: 'bob', private_ip: '10.2.0.2', public_ip: '198.51.100.2', jump_group_id: w.g2.id, status: 'lost', is_lost: true }),
      lab: await putClient(r, { name: 'bench', hostname: 'bench.lab.test', tag: '', console_user: '', private_ip: '10.3.0.1', public_ip: '203.0.113.5', jump_group_id: w.g3.id, status: 'updating' }),
      laptop: await putClient(r, { name: 'laptop', hostname: 'lap.home.test', console_user: 'carol', private_ip: '192.168.1.5', public_ip: '203.0.113.9', jump_group_type: 'personal', jump_group_id: w.users.owner.id, connection_type: 'passive', status: 'disabled' }),
    };
  });
  after(() => t.stop());

  const list = async (query = '', who: keyof World['as'] = 'admin') => {
    const res = await w.as[who].get(`${LIST}${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return ids(res.body);
  };

  it('lists every item for an admin, sorted by name then id, without secrets', async () => {
    const res = await w.as.admin.get(LIST);
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res.body), [c.db1.id, c.lab.id, c.db2.id, c.laptop.id, c.web.id]);
    for (const row of res.body) {
      assert.equal(row.secret_hash, undefined);
      assert.equal(row.install_fingerprint, undefined);
    }
    const web = res.body.find((r: { id: number }) => r.id === c.web.id);
    assert.equal(web.last_access_timestamp, '2024-03-15T08:30:00.000Z');
    assert.equal(web.jump_group_type, 'shared');
  });

  it('applies each filter', async () => {
    assert.deepEqual(await list('?name=DB-0'), [c.db1.id, c.db2.id], 'name: case-insensitive substring');
    assert.deepEqual(await list('?hostname=web01'), [c.web.id], 'hostname: case-insensitive substring');
    assert.deepEqual(await list('?tag=db'), [c.db1.id, c.db2.id]);
    assert.deepEqual(await list('?tag=DB'), [], 'tag: exact');
    assert.deepEqual(await list('?tag='), [c.lab.id, c.laptop.id], 'an empty tag finds untagged items');
    assert.deepEqual(await list(`?jump_group_id=${w.g2.id}&jump_group_type=shared`), [c.db1.id, c.db2.id]);
    assert.deepEqual(await list('?jump_group_type=personal'), [c.laptop.id]);
    assert.deepEqual(await list('?console_user=bob'), [c.db1.id, c.db2.id]);
    assert.deepEqual(await list('?console_user=bo'), [], 'console_user: exact');
    assert.deepEqual(await list('?public_ip=198.51.100.2'), [c.db1.id, c.db2.id]);
    assert.deepEqual(await list('?private_ip=10.3.0.1'), [c.lab.id]);
    assert.deepEqual(await list('?connection_type=passive'), [c.db1.id, c.laptop.id]);
    assert.deepEqual(await list('?status=updating'), [c.lab.id]);
    assert.deepEqual(await list('?status=lost'), [c.db2.id]);
    assert.deepEqual(await list('?status=uninstalled'), []);
    assert.deepEqual(await list('?tag=db&connection_type=active'), [c.db2.id], 'filters combine');
  });

  it('searches every field by default', async () => {
    assert.deepEqual(await list('?search=FRONT'), [c.web.id], 'comments');
    assert.deepEqual(await list('?search=carol'), [c.laptop.id], 'console user');
    assert.deepEqual(await list('?search=databases'), [c.db1.id, c.db2.id], 'group name');
    assert.deepEqual(await list('?search=user%3Aowner'), [c.laptop.id], 'personal group');
    assert.deepEqual(await list('?search=2024-03-15'), [c.web.id], 'last access');
    assert.deepEqual(await list('?search=bench'), [c.lab.id], 'name');
    assert.deepEqual(await list('?search=192.168'), [c.laptop.id], 'private ip');
    assert.deepEqual(await list('?search=203.0.113.5'), [c.lab.id], 'public ip');
    assert.deepEqual(await list('?search=disabled'), [c.laptop.id], 'status');
    assert.deepEqual(await list('?search=passive'), [c.db1.id, c.laptop.id], 'jump method');
    assert.deepEqual(await list('?search=web'), [c.web.id], 'tag and name');
  });

  it('searches only the fields in search_fields', async () => {
    assert.deepEqual(await list('?search=db&search_fields=tag'), [c.db1.id, c.db2.id]);
    assert.deepEqual(await list('?search=servers&search_fields=group'), [c.web.id]);
    assert.deepEqual(await list('?search=servers&search_fields=name,comments'), []);
    assert.deepEqual(await list('?search=replica&search_fields=name,%20comments'), [c.db2.id]);
    assert.deepEqual(await list('?search=active&search_fields=jump_method'), [c.lab.id, c.db2.id, c.web.id]);
    assert.deepEqual(await list('?search=08:30&search_fields=last_access'), [c.web.id]);
  });

  it('refuses bad query values with a 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['per_page=0', 'per_page'],
      ['per_page=1001', 'per_page'],
      ['current_page=first', 'current_page'],
      ['jump_group_id=abc', 'jump_group_id'],
      ['jump_group_id=0', 'jump_group_id'],
      ['jump_group_type=team', 'jump_group_type'],
      ['connection_type=sometimes', 'connection_type'],
      ['status=gone', 'status'],
      ['name=', 'name'],
      ['hostname=', 'hostname'],
      [`tag=${'t'.repeat(65)}`, 'tag'],
      ['search=', 'search'],
      [`search=${'s'.repeat(257)}`, 'search'],
      ['search=x&search_fields=hostname', 'search_fields'],
      ['search=x&search_fields=name,,tag', 'search_fields'],
      ['colour=blue', 'colour'],
      ['name=a&name=b', 'name'],
    ];
    for (const [query, field] of cases) {
      const res = await w.as.admin.get(`${LIST}?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'invalid_request', query);
      assert.equal(res.body.error.field, field, query);
      assert.match(res.body.error.message, new RegExp(`^${field}: `), query);
    }
  });

  it('pages with the X-Pagination headers', async () => {
    const all = await list();
    const res = await w.as.admin.get(`${LIST}?per_page=2&current_page=2`);
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res.body), all.slice(2, 4));
    assert.equal(res.headers.get('x-pagination-total'), '5');
    assert.equal(res.headers.get('x-pagination-per-page'), '2');
    assert.equal(res.headers.get('x-pagination-current-page'), '2');
    assert.equal(res.headers.get('x-pagination-last-page'), '3');
    const past = await w.as.admin.get(`${LIST}?per_page=2&current_page=9`);
    assert.deepEqual(past.body, []);
    assert.equal(past.headers.get('x-pagination-total'), '5');
    const filtered = await w.as.techout.get(`${LIST}?per_page=1`);
    assert.equal(filtered.headers.get('x-pagination-total'), '2', 'the total counts only visible items');
  });

  it('shows each caller only the items of their groups', async () => {
    assert.deepEqual(await list('', 'techadm'), [c.web.id]);
    assert.deepEqual(await list('', 'techstart'), [c.web.id]);
    assert.deepEqual(await list('', 'techaud'), [c.web.id]);
    assert.deepEqual(await list('', 'techout'), [c.db1.id, c.db2.id]);
    assert.deepEqual(await list('', 'mover'), [c.db1.id, c.lab.id, c.db2.id, c.web.id]);
    assert.deepEqual(await list('', 'owner'), [c.laptop.id]);
    assert.deepEqual(await list('?search=laptop', 'techadm'), [], 'search never reaches past visibility');
  });

  it('shows one item to those who may view it, and 404 to everyone else', async () => {
    const table: [keyof World['as'], keyof typeof c, number][] = [
      ['admin', 'laptop', 200],
      ['techadm', 'web', 200],
      ['techstart', 'web', 200],
      ['techaud', 'web', 200],
      ['techout', 'web', 404],
      ['owner', 'web', 404],
      ['owner', 'laptop', 200],
      ['techadm', 'laptop', 404],
    ];
    for (const [who, item, status] of table) {
      const res = await w.as[who].get(`${LIST}/${c[item].id}`);
      assert.equal(res.status, status, `${who} GET ${item}`);
      if (status === 200) {
        assert.equal(res.body.id, c[item].id);
        assert.equal(res.body.secret_hash, undefined);
      } else {
        assert.equal(res.body.error.code, 'jump_client_not_found');
      }
    }
    const missing = await w.as.admin.get(`${LIST}/99999`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'jump_client_not_found');
    const hidden = await w.as.techout.get(`${LIST}/${c.web.id}`);
    assert.deepEqual(hidden.body, missing.body, 'a hidden item answers exactly like a missing one');
    assert.equal((await w.as.admin.get(`${LIST}/abc`)).status, 404);
  });

  it('refuses anonymous callers', async () => {
    assert.equal((await t.anonymous().get(LIST)).status, 401);
    assert.equal((await t.anonymous().get(`${LIST}/${c.web.id}`)).status, 401);
  });
});
