/** The enrolment decision on a real registry in a temp dir, without HTTP. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRegistry, type Installer, type JumpClient, type Registry } from '../registry/index.ts';
import { AppError } from '../shared/errors.ts';
import { sha256Hex } from '../shared/ids.ts';
import type { EnrollRequest, Statistics } from '../shared/protocol.ts';
import { checkDeployCaps, enroll, installerByKey, resolveJumpGroup } from './enroll.ts';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const STATS: Statistics = {
  hostname: 'db-01', fqdn: 'db-01.corp.test', operating_system: 'Debian GNU/Linux', os_version: '12', arch: 'x64',
  kernel: '6.1.0', console_user: '', private_ips: [], uptime_seconds: 1, cpu_load: [], memory_total_bytes: 1,
  memory_free_bytes: 1, disk_total_bytes: 1, disk_free_bytes: 1, agent_version: '0.1.0', install_mode: 'user',
};

function installerRow(overrides: Partial<Installer> = {}): Installer {
  return {
    installer_id: 'c'.repeat(32), key_info: 'key-'.padEnd(43, 'k'), jump_group_id: 1, jump_group_type: 'shared',
    name: '', tag: '', comments: '', install_mode: 'user', connection_type: 'active', valid_duration: 60,
    expiration_timestamp: NOW + 3_600_000, max_offline_minutes: null, allow_override_jump_group: false,
    allow_override_name: false, allow_override_tag: false, allow_override_comments: false,
    allow_override_max_offline_minutes: false, created_by: 'admin', created_at: NOW, ...overrides,
  };
}

const request = (key: string, fp: string, extra: Partial<EnrollRequest> = {}): EnrollRequest => ({
  installer_key: key, install_fingerprint: sha256Hex(fp), overrides: {}, statistics: STATS, ...extra,
});

describe('enrolment decisions', () => {
  let dir: string;
  let registry: Registry;
  const ctx = { publicIp: '198.51.100.7', now: NOW };
  const rejects = async (p: Promise<unknown>, status: number, match: RegExp) => {
    await assert.rejects(p, (err: unknown) => err instanceof AppError && err.status === status && match.test(`${err.code} ${err.message} ${JSON.stringify(err.details)}`));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jumpgate-enroll-unit-'));
    registry = await openRegistry(dir);
    await registry.write(() => {
      registry.groups.put({ id: registry.groups.nextId(), name: 'Data Centre', code_name: 'dc', comments: '', created_at: NOW, updated_at: NOW });
      registry.installers.put(installerRow());
      registry.installers.put(installerRow({ installer_id: 'd'.repeat(32), key_info: 'gone-'.padEnd(43, 'g'), expiration_timestamp: NOW }));
      registry.installers.put(installerRow({ installer_id: 'e'.repeat(32), key_info: 'orphan-'.padEnd(43, 'o'), jump_group_id: 77 }));
    });
  });
  after(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds installers by key only on an exact match', () => {
    assert.equal(installerByKey(registry, 'key-'.padEnd(43, 'k'))?.installer_id, 'c'.repeat(32));
    assert.equal(installerByKey(registry, 'key-'), undefined);
    assert.equal(installerByKey(registry, 'KEY-'.padEnd(43, 'k')), undefined);
  });

  it('resolves group specs', () => {
    assert.deepEqual(resolveJumpGroup(registry, 'DC'), { jump_group_type: 'shared', jump_group_id: 1 });
    assert.deepEqual(resolveJumpGroup(registry, 'data centre'), { jump_group_type: 'shared', jump_group_id: 1 });
    assert.equal(resolveJumpGroup(registry, 'user:nobody'), undefined);
    assert.equal(resolveJumpGroup(registry, 'Data'), undefined);
  });

  it('expires at the expiration instant, with a 410 the agent will not retry', async () => {
    await rejects(enroll(registry, request('gone-'.padEnd(43, 'g'), 'a'), ctx), 410, /The installer has expired\..*expired/);
    const err = await enroll(registry, request('nope'.padEnd(43, 'n'), 'a'), ctx).catch((e: unknown) => e);
    assert.ok(err instanceof AppError && err.status === 410 && err.code === 'installer_not_found');
  });

  it("refuses when the installer's group no longer exists", async () => {
    await rejects(enroll(registry, request('orphan-'.padEnd(43, 'o'), 'a'), ctx), 409, /conflict.*no longer exists/);
    assert.equal(registry.clients.count(), 0);
  });

  it('creates, then reuses by fingerprint with the properties of the installer used', async () => {
    const first = await enroll(registry, request('key-'.padEnd(43, 'k'), 'm1:/opt/x'), ctx);
    assert.equal(first.reused, false);
    const row = registry.clients.get(first.client_id)!;
    assert.deepEqual([row.name, row.public_ip, row.install_mode, row.status], ['db-01', '198.51.100.7', 'user', 'offline']);
    await registry.write(() => registry.clients.put({ ...row, last_access_timestamp: NOW - 5, tag: 'edited' }));
    const again = await enroll(registry, request('key-'.padEnd(43, 'k'), 'm1:/opt/x'), { ...ctx, now: NOW + 1000 });
    assert.equal(again.reused, true);
    const next = registry.clients.get(first.client_id)!;
    assert.deepEqual([next.created_at, next.updated_at, next.last_access_timestamp, next.tag], [NOW, NOW + 1000, NOW - 5, '']);
  });

  it('counts every row but the reused one against the caps', async () => {
    const rows = registry.clients.list();
    const settings = registry.settings.get();
    await registry.write(() => registry.settings.put({ ...settings, max_installed_jump_clients: rows.length, max_active_jump_clients: rows.length }));
    assert.throws(() => checkDeployCaps(registry, 'passive'), (e: unknown) => e instanceof AppError && e.code === 'limit_installed');
    checkDeployCaps(registry, 'active', rows[0].id);
    await registry.write(() => registry.settings.put({ ...settings, max_active_jump_clients: 0 }));
    assert.throws(() => checkDeployCaps(registry, 'active'), (e: unknown) => e instanceof AppError && e.code === 'limit_active');
    checkDeployCaps(registry, 'passive');
    await registry.write(() => registry.settings.put(settings));
  });

  it('holds the cap when many enrolments share one LMDB batch', async () => {
    const settings = registry.settings.get();
    const installed = registry.clients.tally().installed;
    await registry.write(() => registry.settings.put({ ...settings, max_installed_jump_clients: installed + 3 }));
    // Started together, these land in the same write transaction; the caps must count each
    // enrolment before it, committed or not.
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => enroll(registry, request('key-'.padEnd(43, 'k'), `batch-${i}:/opt/x`), ctx)),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(results.length - refused.length, 3);
    for (const r of refused) assert.equal(((r as PromiseRejectedResult).reason as AppError).code, 'limit_installed');
    assert.equal(registry.clients.tally().installed, installed + 3);
    await registry.write(() => registry.settings.put(settings));
  });

  it('a write that fails leaves no trace in the cap counts, for the writes beside it too', async () => {
    const before = registry.clients.tally();
    const row = registry.clients.list()[0] as JumpClient;
    const failing = registry.write(() => {
      registry.clients.put({ ...row, id: registry.clients.nextId(), install_fingerprint: sha256Hex('never') });
      throw new Error('changed my mind');
    });
    const seen = registry.write(() => registry.clients.tally());
    await assert.rejects(failing, /changed my mind/);
    assert.deepEqual(await seen, before, 'the next write of the batch does not count the failed one');
    assert.deepEqual(registry.clients.tally(), before);
  });

  it('never reuses a row on an id hint alone', async () => {
    const victim = registry.clients.list()[0] as JumpClient;
    const other = await enroll(registry, request('key-'.padEnd(43, 'k'), 'm2:/opt/x', { previous_client_id: victim.id }), ctx);
    assert.notEqual(other.client_id, victim.id);
    assert.equal(registry.clients.get(victim.id)!.secret_hash, victim.secret_hash);
  });

  it('checks a command-line group against the creator of an older installer, found by name', async () => {
    await registry.write(() => {
      registry.groups.put({ id: registry.groups.nextId(), name: 'Elsewhere', code_name: 'else', comments: '', created_at: NOW, updated_at: NOW });
      registry.apiAccounts.put({ id: registry.apiAccounts.nextId(), name: 'deployer', client_id: 'deployer-client', secret_hash: 'x', is_admin: true, enabled: true, created_at: NOW });
      registry.installers.put(installerRow({ installer_id: 'f'.repeat(32), key_info: 'api-'.padEnd(43, 'a'), allow_override_jump_group: true, created_by: 'api:deployer' }));
      registry.installers.put(installerRow({ installer_id: '9'.repeat(32), key_info: 'ghost-'.padEnd(43, 'h'), allow_override_jump_group: true, created_by: 'ghost' }));
    });
    const placed = await enroll(registry, request('api-'.padEnd(43, 'a'), 'legacy-api', { overrides: { jump_group: 'Elsewhere' } }), ctx);
    assert.equal(registry.clients.get(placed.client_id)?.jump_group_id, resolveJumpGroup(registry, 'Elsewhere')?.jump_group_id);
    await rejects(enroll(registry, request('ghost-'.padEnd(43, 'h'), 'legacy-ghost', { overrides: { jump_group: 'Elsewhere' } }), ctx), 400, /creator may not deploy/);
    const home = await enroll(registry, request('ghost-'.padEnd(43, 'h'), 'legacy-home', { overrides: { jump_group: 'Data Centre' } }), ctx);
    assert.ok(home.client_id, "the installer's own group needs no check");
  });

  it('gives a reinstall\'s new credential to the copies of its row, so the old one opens nothing', async () => {
    const first = await enroll(registry, request('key-'.padEnd(43, 'k'), 'copied:/opt/x'), ctx);
    const original = registry.clients.get(first.client_id)!;
    const copyId = await registry.write(() => {
      const id = registry.clients.nextId();
      registry.clients.put({ ...original, id, name: 'the copy' });
      return id;
    });
    const again = await enroll(registry, request('key-'.padEnd(43, 'k'), 'copied:/opt/x'), ctx);
    assert.equal(again.client_id, original.id, 'the original is reused, not the copy');
    const hash = sha256Hex(again.secret);
    assert.equal(registry.clients.get(original.id)!.secret_hash, hash);
    assert.equal(registry.clients.get(copyId)!.secret_hash, hash);
  });
});
