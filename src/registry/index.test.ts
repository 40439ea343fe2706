import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openRegistry } from './index.ts';

describe('registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-registry-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('changes nothing when a write throws halfway', async () => {
    const registry = await openRegistry(dir);
    const before = registry.settings.get();
    await assert.rejects(
      registry.write(() => {
        registry.settings.put({ ...before, audit_retention_days: 7 });
        throw new Error('refused after the first put');
      }),
      /refused after the first put/,
    );
    assert.equal(registry.settings.get().audit_retention_days, before.audit_retention_days);
    await registry.close();
    const reopened = await openRegistry(dir);
    assert.equal(reopened.settings.get().audit_retention_days, before.audit_retention_days);
    await reopened.close();
  });

  it('serialises concurrent read-modify-write transactions without losing any', async () => {
    const registry = await openRegistry(dir);
    await Promise.all(
      Array.from({ length: 100 }, () =>
        registry.write(() => {
          const s = registry.settings.get();
          registry.settings.put({ ...s, lost_after_days: s.lost_after_days + 1 });
        }),
      ),
    );
    assert.equal(registry.settings.get().lost_after_days, 30 + 100);
    await registry.close();
  });

  it('refuses a registry written by a newer schema', async () => {
    const other = mkdtempSync(join(tmpdir(), 'jumpgate-registry-'));
    try {
      const { open } = await import('lmdb');
      const db = open({ path: join(other, 'registry') });
      await db.put(['meta', 'schema'], 99);
      await db.close();
      await assert.rejects(openRegistry(other), /schema version 99 is newer/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('client summaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-registry-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const row = (id: number, name: string, fingerprint = 'f'.repeat(64)) =>
    ({
      id, name, hostname: name, fqdn: '', jump_group_id: 1, jump_group_type: 'personal', tag: '', comments: '',
      connection_type: 'active', install_mode: 'service', status: 'offline', operating_system: '', console_user: '',
      private_ip: '', public_ip: '', agent_version: '0.1.0', last_connect_timestamp: null, last_disconnect_timestamp: null,
      last_disconnect_reason: null, last_access_timestamp: null, is_lost: false, needs_update: false, unavailable_reason: null,
      max_offline_minutes: null, statistics: null, secret_hash: 'x', installer_id: '0'.repeat(32),
      install_fingerprint: fingerprint, created_at: 0, updated_at: 0,
    }) as const;

  it('counts a client changed twice in one batch once against the caps, and a failed change not at all', async () => {
    const d = mkdtempSync(join(tmpdir(), 'jumpgate-registry-tally-'));
    const registry = await openRegistry(d);
    try {
      await registry.write(() => registry.clients.put({ ...row(1, 'one'), connection_type: 'passive' }));
      const base = registry.clients.tally();
      // Started together: one LMDB batch. The switch to active and a later put of the same client
      // are one more active client, not two; a write that fails in between counts for nothing.
      const writes = [
        registry.write(() => registry.clients.put({ ...row(1, 'one'), connection_type: 'active' })),
        registry.write(() => registry.clients.tally()),
        registry.write(() => {
          registry.clients.put({ ...row(1, 'one'), status: 'uninstalled' });
          throw new Error('no');
        }),
        registry.write(() => registry.clients.put({ ...row(1, 'one'), connection_type: 'active', tag: 'statistics' })),
        registry.write(() => registry.clients.tally()),
      ];
      const settled = await Promise.allSettled(writes);
      const expected = { installed: base.installed, active: base.active + 1 };
      assert.deepEqual((settled[1] as PromiseFulfilledResult<unknown>).value, expected);
      assert.equal(settled[2].status, 'rejected');
      assert.deepEqual((settled[4] as PromiseFulfilledResult<unknown>).value, expected);
      assert.deepEqual(registry.clients.tally(), expected);
    } finally {
      await registry.close();
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('keeps name order and follows committed writes only', async () => {
    const registry = await openRegistry(dir);
    await registry.write(() => {
      registry.clients.put({ ...row(1, 'zeta') });
      registry.clients.put({ ...row(2, 'alpha', 'a'.repeat(64)) });
    });
    assert.deepEqual(registry.clients.summaries().map((s) => s.name), ['alpha', 'zeta']);
    await assert.rejects(
      registry.write(() => {
        registry.clients.put({ ...row(3, 'beta') });
        throw new Error('abort');
      }),
    );
    assert.deepEqual(registry.clients.summaries().map((s) => s.id), [2, 1], 'an aborted write does not show');
    await registry.write(() => registry.clients.put({ ...row(1, 'aardvark') }));
    assert.deepEqual(registry.clients.summaries().map((s) => s.id), [1, 2]);
    assert.deepEqual(registry.clients.byFingerprint('a'.repeat(64)), [2]);
    assert.deepEqual(registry.clients.tally(), { installed: 2, active: 2 });
    await registry.write(() => registry.clients.put({ ...row(1, 'aardvark'), status: 'uninstalled' }));
    assert.deepEqual(registry.clients.tally(), { installed: 1, active: 1 }, 'uninstalled rows do not count');
    await registry.write(() => registry.clients.put({ ...row(1, 'aardvark') }));
    await registry.write(() => registry.clients.remove(2));
    assert.deepEqual(registry.clients.byFingerprint('a'.repeat(64)), []);
    assert.equal(registry.clients.count(), 1);
    await registry.close();
    const reopened = await openRegistry(dir);
    assert.deepEqual(reopened.clients.summaries().map((s) => s.name), ['aardvark']);
    assert.ok(reopened.clients.revoked(2), 'a removed client leaves a tombstone');
    await reopened.close();
  });
});

describe('session records', () => {
  it('are read from memory: committed writes only, newest first, and the same after reopening', async () => {
    const d = mkdtempSync(join(tmpdir(), 'jumpgate-registry-sessions-'));
    const record = (id: string, started: number) => ({
      id, jump_client_id: 1, jump_client_name: 'c', user_id: 1, username: 'admin', started_at: started,
      ended_at: started + 10, outcome: 'ended' as const, end_reason: null, bytes_to_client: 0, bytes_from_client: 0,
    });
    let registry = await openRegistry(d);
    try {
      await registry.write(() => {
        registry.sessions.put(record('a'.repeat(32), 100));
        registry.sessions.put(record('b'.repeat(32), 300));
      });
      await assert.rejects(
        registry.write(() => {
          registry.sessions.put(record('c'.repeat(32), 200));
          throw new Error('no');
        }),
      );
      assert.deepEqual(registry.sessions.list().map((r) => r.started_at), [300, 100]);
      assert.equal(registry.sessions.get('c'.repeat(32)), undefined);
      // The order is kept through a record's second put, a newer one and an older one.
      await registry.write(() => registry.sessions.put({ ...record('b'.repeat(32), 300), outcome: 'failed' }));
      await registry.write(() => registry.sessions.put(record('d'.repeat(32), 400)));
      assert.deepEqual(registry.sessions.list().map((r) => [r.started_at, r.outcome]), [[400, 'ended'], [300, 'failed'], [100, 'ended']]);
      await registry.write(() => registry.sessions.put(record('e'.repeat(32), 50)));
      assert.deepEqual(registry.sessions.list().map((r) => r.started_at), [400, 300, 100, 50]);
      await registry.write(() => {
        registry.sessions.prune(Number.MAX_SAFE_INTEGER);
        registry.sessions.put(record('a'.repeat(32), 100));
        registry.sessions.put(record('b'.repeat(32), 300));
      });
      assert.deepEqual(await registry.write(() => registry.sessions.prune(200)), ['a'.repeat(32)]);
      assert.deepEqual(registry.sessions.list().map((r) => r.id), ['b'.repeat(32)]);
      await registry.close();
      registry = await openRegistry(d);
      assert.deepEqual(registry.sessions.list().map((r) => r.id), ['b'.repeat(32)]);
      assert.equal(registry.sessions.get('b'.repeat(32))?.started_at, 300);
    } finally {
      await registry.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('the audit log', () => {
  it('filters in memory, newest first, committed events only, and reads the events shown', async () => {
    const d = mkdtempSync(join(tmpdir(), 'jumpgate-registry-audit-'));
    const actor = { kind: 'user' as const, id: 1, name: 'Admin' };
    const event = (item_id: string, timestamp: number, after: unknown = null) =>
      ({ event_type: 'changed' as const, item_type: 'jump_client' as const, item_id, actor, before: null, after, timestamp });
    let registry = await openRegistry(d);
    try {
      await registry.write(() => {
        registry.audit.record(event('1', 300, { jump_group_type: 'shared', jump_group_id: 4 }));
        registry.audit.record(event('2', 100)); // recorded later with an earlier time
      });
      await assert.rejects(
        registry.write(() => {
          registry.audit.record(event('3', 200));
          throw new Error('no');
        }),
      );
      const all = registry.audit.find({});
      assert.deepEqual(all.map((e) => e.item_id), ['1', '2']);
      assert.deepEqual(all[0].groups, [{ jump_group_type: 'shared', jump_group_id: 4 }]);
      assert.equal(all[0].actor, 'admin');
      assert.deepEqual(registry.audit.find({ from: 150, actor: 'ADMIN' }).map((e) => e.item_id), ['1']);
      assert.deepEqual(registry.audit.read(all[1])?.timestamp, 100);
      assert.equal(await registry.write(() => registry.audit.prune(150)), 1);
      assert.deepEqual(registry.audit.query({}).map((e) => e.item_id), ['1']);
      await registry.close();
      registry = await openRegistry(d);
      assert.deepEqual(registry.audit.find({}).map((e) => e.item_id), ['1']);
    } finally {
      await registry.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
