/** Presence of passive clients on a real registry in a temp dir: their links and their check-ins. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRegistry, type JumpClient, type Registry } from '../registry/index.ts';
import type { Logger } from '../shared/log.ts';
import type { Statistics } from '../shared/protocol.ts';
import { createPresence, markOverdue, MISSED_CHECK_INS } from './presence.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const NOW = Date.parse('2026-06-01T12:00:00Z');
const INTERVAL_MS = 300_000;
const STATS: Statistics = {
  hostname: 'db-01', fqdn: 'db-01.corp.test', operating_system: 'Debian GNU/Linux', os_version: '12', arch: 'x64',
  kernel: '6.1.0', console_user: '', private_ips: [], uptime_seconds: 1, cpu_load: [], memory_total_bytes: 1,
  memory_free_bytes: 1, disk_total_bytes: 1, disk_free_bytes: 1, agent_version: '0.1.0', install_mode: 'user',
};

const row = (id: number, fields: Partial<JumpClient>): JumpClient => ({
  id, name: `c${id}`, hostname: `c${id}`, fqdn: '', jump_group_id: 1, jump_group_type: 'shared', tag: '', comments: '',
  connection_type: 'passive', install_mode: 'user', status: 'online', operating_system: '', console_user: '',
  private_ip: '', public_ip: '', agent_version: '0.1.0', last_connect_timestamp: NOW, last_disconnect_timestamp: null,
  last_disconnect_reason: null, last_access_timestamp: null, is_lost: false, needs_update: false, unavailable_reason: null,
  max_offline_minutes: null, statistics: null, secret_hash: 'x', installer_id: '0'.repeat(32),
  install_fingerprint: String(id).padStart(64, '0'), created_at: 0, updated_at: 0, ...fields,
});

describe('passive presence', () => {
  let dir: string;
  let registry: Registry;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jumpgate-presence-unit-'));
    registry = await openRegistry(dir);
  });
  after(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a passive link closing leaves the status; an active one goes offline', async () => {
    await registry.write(() => {
      registry.clients.put(row(1, {}));
      registry.clients.put(row(2, { connection_type: 'active' }));
    });
    const presence = createPresence({ registry, log: quiet, currentAgent: () => undefined, now: () => NOW + 1000 });
    await presence.disconnected(1, 'closed by the agent', true);
    await presence.disconnected(2, 'connection lost', false);
    assert.equal(registry.clients.get(1)?.status, 'online');
    assert.equal(registry.clients.get(1)?.last_disconnect_reason, 'closed by the agent');
    assert.equal(registry.clients.get(2)?.status, 'offline');
  });

  it(`marks offline the passive clients past their check-in, and unlinked active ones when asked`, async () => {
    const late = NOW - MISSED_CHECK_INS * INTERVAL_MS - 61_000;
    await registry.write(() => {
      registry.clients.put(row(10, { last_connect_timestamp: late }));
      registry.clients.put(row(11, { last_connect_timestamp: late, status: 'disabled' }));
      registry.clients.put(row(12, { last_connect_timestamp: late })); // linked now
      registry.clients.put(row(13, { last_connect_timestamp: NOW - INTERVAL_MS })); // on time
      registry.clients.put(row(14, { last_connect_timestamp: late, connection_type: 'active' }));
      registry.clients.put(row(15, { last_connect_timestamp: late, status: 'uninstalled' }));
      // Checked in when the period was an hour: due by its own deadline, not today's period.
      registry.clients.put(row(16, { last_connect_timestamp: late, check_in_due_at: NOW + 600_000 }));
      registry.clients.put(row(17, { last_connect_timestamp: NOW - 1000, check_in_due_at: NOW - 1 }));
    });
    assert.equal(registry.settings.get().statistics_interval_seconds * 1000, INTERVAL_MS);
    const linked = (id: number) => id === 12;
    assert.equal(await markOverdue(registry, linked, NOW, false), 3);
    const status = (id: number) => registry.clients.get(id)?.status;
    const ids = [10, 11, 12, 13, 14, 15, 16, 17];
    assert.deepEqual(ids.map(status), ['offline', 'offline', 'online', 'online', 'online', 'uninstalled', 'online', 'offline']);
    assert.equal(registry.clients.get(10)?.unavailable_reason, `missed ${MISSED_CHECK_INS} check-ins`);
    assert.equal(await markOverdue(registry, linked, NOW, true), 1, 'the active client without a link');
    assert.equal(registry.clients.get(14)?.status, 'offline');
    assert.equal(registry.clients.get(14)?.unavailable_reason, 'not connected');
    assert.equal(await markOverdue(registry, () => false, NOW, true), 1, 'only the one linked before is left to mark');
  });

  it('marks a whole crashed fleet in writes of bounded size, every row', async () => {
    await registry.write(() => {
      for (let id = 1000; id < 3500; id++) registry.clients.put(row(id, { connection_type: 'active' }));
    });
    assert.equal(await markOverdue(registry, () => false, NOW, true), 2500);
    for (const id of [1000, 2000, 3499]) assert.equal(registry.clients.get(id)?.status, 'offline');
  });

  it('records a passive check-in\'s port and deadline, and clears them when the client links as active', async () => {
    await registry.write(() => registry.clients.put(row(20, { status: 'offline' })));
    const presence = createPresence({ registry, log: quiet, currentAgent: () => undefined, now: () => NOW });
    const hello = { agent_version: '0.1.0', disabled: false, statistics: STATS };
    const welcome = await presence.connected(20, { ...hello, connection_type: 'passive', listen: { port: 5832 } }, '198.51.100.7');
    assert.equal(welcome?.connection_type, 'passive');
    assert.deepEqual(registry.clients.get(20)?.passive_listen, { port: 5832 });
    assert.equal(registry.clients.get(20)?.check_in_due_at, NOW + MISSED_CHECK_INS * INTERVAL_MS + 60_000);
    assert.equal(registry.clients.get(20)?.status, 'online');
    await presence.connected(20, { ...hello, connection_type: 'active' }, '198.51.100.7');
    assert.equal(registry.clients.get(20)?.passive_listen, null);
    assert.equal(registry.clients.get(20)?.check_in_due_at, null);
  });
});
