import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openRegistry } from '../registry/index.ts';
import { silentLogger } from '../shared/log.ts';
import { makeClient } from '../../test/helpers/fixtures.ts';
import { decideClient, planMaintenance, startMaintenance } from './index.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2025-01-01T00:00:00Z');
const settings = { lost_after_days: 30, delete_after_days: 180 };

const offline = (id: number, days: number, extra = {}) =>
  makeClient({ id, status: 'offline', last_disconnect_timestamp: NOW - days * DAY, ...extra });

describe('planMaintenance', () => {
  it('flags offline clients lost past lost_after_days and deletes past delete_after_days', () => {
    const rows = [
      offline(1, 29),
      offline(2, 31),
      offline(3, 181),
      offline(4, 100, { status: 'lost', is_lost: true }),
      offline(5, 181, { status: 'lost', is_lost: true }),
      offline(6, 400, { status: 'online' }),
      offline(7, 400, { status: 'uninstalled' }),
      offline(8, 400, { status: 'disabled' }),
    ];
    assert.deepEqual(planMaintenance(rows, settings, NOW), { lose: [2], delete: [3, 5] });
  });

  it('is exact at the thresholds: "longer than" means strictly more', () => {
    assert.equal(decideClient(offline(1, 30), settings, NOW), undefined);
    assert.equal(decideClient(offline(1, 30), settings, NOW + 1), 'lose');
    assert.equal(decideClient(offline(1, 180), settings, NOW), 'lose');
    assert.equal(decideClient(offline(1, 180), settings, NOW + 1), 'delete');
  });

  it("uses the client's own max_offline_minutes instead of delete_after_days", () => {
    assert.equal(decideClient(offline(1, 0, { last_disconnect_timestamp: NOW - 61 * 60_000, max_offline_minutes: 60 }), settings, NOW), 'delete');
    assert.equal(decideClient(offline(1, 0, { last_disconnect_timestamp: NOW - 59 * 60_000, max_offline_minutes: 60 }), settings, NOW), undefined);
    assert.equal(decideClient(offline(1, 200, { max_offline_minutes: 365 * 1440 }), settings, NOW), 'lose', 'a longer override keeps it');
  });

  it('measures from the last connect, then creation, when no disconnect was recorded', () => {
    const noDisconnect = makeClient({ id: 1, status: 'offline', last_disconnect_timestamp: null, last_connect_timestamp: NOW - 31 * DAY });
    assert.equal(decideClient(noDisconnect, settings, NOW), 'lose');
    const neverConnected = makeClient({ id: 1, status: 'offline', last_disconnect_timestamp: null, last_connect_timestamp: null, created_at: NOW - 200 * DAY });
    assert.equal(decideClient(neverConnected, settings, NOW), 'delete');
  });
});

describe('startMaintenance', () => {
  it('prunes, flags and deletes in the registry, audits as system, and reports', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'jumpgate-maint-'));
    const registry = await openRegistry(dir);
    t.after(async () => {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await registry.write(() => {
      registry.settings.put({ ...registry.settings.get(), audit_retention_days: 90, lost_after_days: 30, delete_after_days: 180 });
      for (const row of [offline(1, 1), offline(2, 31), offline(3, 181)]) registry.clients.put(row);
      const actor = { kind: 'system' as const, id: null, name: 'system' };
      registry.audit.record({ event_type: 'changed', item_type: 'settings', item_id: 'old', actor, before: null, after: null, timestamp: NOW - 91 * DAY });
      registry.audit.record({ event_type: 'changed', item_type: 'settings', item_id: 'recent', actor, before: null, after: null, timestamp: NOW - 89 * DAY });
      const token = { principal: { kind: 'user' as const, id: 1 }, csrf: 'c', created_at: 0 };
      registry.tokens.put({ ...token, hash: 'expired', expires_at: NOW - 1 });
      registry.tokens.put({ ...token, hash: 'valid', expires_at: NOW + DAY });
      const session = (id: string, ended: number | null) =>
        registry.sessions.put({
          id, jump_client_id: 1, jump_client_name: 'c', user_id: 1, username: 'admin', started_at: NOW - 200 * DAY,
          ended_at: ended, outcome: ended === null ? 'active' : 'ended', end_reason: null, bytes_to_client: 0, bytes_from_client: 0,
        });
      session('a'.repeat(32), NOW - 91 * DAY); // ended past the retention
      session('b'.repeat(32), NOW - 89 * DAY);
      session('c'.repeat(32), null); // still running, however old
    });
    const removed: number[][] = [];
    const pruned: string[][] = [];
    const m = startMaintenance({
      registry, log: silentLogger, now: () => NOW, intervalMs: 3_600_000,
      onClientsRemoved: (ids) => removed.push(ids), onSessionsPruned: (ids) => pruned.push(ids),
    });
    t.after(() => m.stop());

    const report = await m.runOnce();
    assert.deepEqual(report, { auditPruned: 1, sessionsPruned: ['a'.repeat(32)], tokensPruned: 1, markedLost: [2], deleted: [3] });
    assert.deepEqual(removed, [[3]]);
    assert.deepEqual(pruned, [['a'.repeat(32)]]);
    assert.deepEqual(registry.sessions.list().map((r) => r.id).sort(), ['b'.repeat(32), 'c'.repeat(32)]);
    assert.equal(registry.clients.get(1)?.status, 'offline');
    assert.equal(registry.clients.get(2)?.status, 'lost');
    assert.equal(registry.clients.get(2)?.is_lost, true);
    assert.equal(registry.clients.get(3), undefined);
    assert.equal(registry.tokens.get('expired'), undefined);
    assert.ok(registry.tokens.get('valid'));

    const events = registry.audit.query({ item_type: 'jump_client' });
    assert.deepEqual(events.map((e) => [e.event_type, e.item_id, e.actor.kind]).sort(), [['deleted', '3', 'system'], ['lost', '2', 'system']]);
    const lost = events.find((e) => e.event_type === 'lost')!;
    assert.equal((lost.before as { status: string }).status, 'offline');
    assert.equal((lost.after as { status: string }).status, 'lost');
    assert.equal((lost.after as Record<string, unknown>).secret_hash, undefined, 'no secrets in the audit log');
    assert.deepEqual(registry.audit.query({ item_type: 'settings' }).map((e) => e.item_id), ['recent']);

    const again = await m.runOnce();
    assert.deepEqual(again, { auditPruned: 0, sessionsPruned: [], tokensPruned: 0, markedLost: [], deleted: [] }, 'a second run changes nothing');
    assert.equal(pruned.length, 1);
  });
});
