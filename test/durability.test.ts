/**
 * The registry under a real appliance process (S7): acknowledged writes survive kill -9, concurrent
 * changes are serialised without lost updates, and `jumpgate backup` taken under writes restores.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openRegistry, type AuditEvent, type Registry, type Settings } from '../src/registry/index.ts';
import { killAll, login, runJumpgate, serve, tempDir } from './helpers/cli.ts';

const PASSWORD = 'admin-password-1';
const ENV = { JUMPGATE_ADMIN_PASSWORD: PASSWORD };
const FIELDS = ['max_installed_jump_clients', 'max_active_jump_clients', 'statistics_interval_seconds', 'login_session_minutes'] as const;
type Field = (typeof FIELDS)[number];

after(killAll);

function patch(url: string, token: string, body: Partial<Settings>): Promise<Response> {
  return fetch(`${url}/api/config/v1/settings`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** One sequential writer per field, values 1000, 1001, ...; records what was acknowledged. */
function startWriters(url: string, token: string) {
  const acked = new Map<Field, number[]>(FIELDS.map((f) => [f, []]));
  const sent = new Map<Field, number>();
  let stopped = false;
  let killed = false;
  const loops = FIELDS.map(async (field) => {
    for (let value = 1000; value < 30_000 && !stopped; value++) {
      sent.set(field, value);
      let res: Response;
      try {
        res = await patch(url, token, { [field]: value });
        await res.arrayBuffer();
      } catch (err) {
        if (killed) return; // the appliance died under this request
        throw err;
      }
      if (res.status >= 200 && res.status < 300) acked.get(field)!.push(value);
      else throw new Error(`PATCH ${field}=${value}: ${res.status}`);
    }
  });
  return {
    acked,
    sent,
    total: () => FIELDS.reduce((n, f) => n + acked.get(f)!.length, 0),
    /** Stops the writers after their current request and waits for them. */
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
    /** Kills the appliance under the writers; each keeps writing until a request fails. */
    async kill(signalChild: () => void) {
      killed = true;
      signalChild();
      await Promise.all(loops);
    },
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function withRegistry<T>(dataDir: string, fn: (registry: Registry) => T): Promise<T> {
  const registry = await openRegistry(dataDir);
  try {
    return fn(registry);
  } finally {
    await registry.close();
  }
}

function settingsEvents(registry: Registry): AuditEvent[] {
  return registry.audit.query({ item_type: 'settings' }).sort((a, b) => a.id - b.id);
}

describe('registry durability', () => {
  test('every acknowledged write survives kill -9', async () => {
    const data = tempDir('jumpgate-durability-');
    const first = await serve(data, ['--insecure-http'], ENV);
    const writers = startWriters(first.url, await login(first.url, PASSWORD));
    await until(() => writers.total() >= 400, 20_000);
    await writers.kill(() => first.proc.child.kill('SIGKILL'));
    assert.equal((await first.proc.exit()).signal, 'SIGKILL');

    const second = await serve(data, ['--insecure-http'], ENV);
    const res = await fetch(`${second.url}/api/config/v1/settings`, { headers: { authorization: `Bearer ${await login(second.url, PASSWORD)}` } });
    const settings = (await res.json()) as Settings;
    for (const field of FIELDS) {
      const acked = writers.acked.get(field)!;
      assert.ok(settings[field] >= acked.at(-1)!, `${field}: stored ${settings[field]}, last acknowledged ${acked.at(-1)}`);
      assert.ok(settings[field] <= writers.sent.get(field)!, `${field}: stored ${settings[field]} was never sent`);
    }
    second.proc.child.kill('SIGTERM');
    assert.equal((await second.proc.exit()).code, 0);

    const audited = await withRegistry(data, (registry) => settingsEvents(registry).map((e) => e.after as Settings));
    for (const field of FIELDS) {
      const seen = new Set(audited.map((s) => s[field]));
      const missing = writers.acked.get(field)!.filter((value) => !seen.has(value));
      assert.deepEqual(missing, [], `${field}: acknowledged values missing from the audit log`);
    }
  });

  test('concurrent changes all land, one after the other', async () => {
    const data = tempDir('jumpgate-durability-');
    const { proc, url } = await serve(data, ['--insecure-http'], ENV);
    const token = await login(url, PASSWORD);
    const distinct: Partial<Settings> = {
      max_installed_jump_clients: 1234,
      max_active_jump_clients: 567,
      max_concurrent_spawns: 7,
      spawn_timeout_seconds: 45,
      lost_after_days: 11,
      delete_after_days: 222,
      statistics_interval_seconds: 333,
      audit_retention_days: 44,
      login_session_minutes: 55,
    };
    const requests = [
      ...Object.entries(distinct).map(([k, v]) => patch(url, token, { [k]: v })),
      ...Array.from({ length: 40 }, (_, i) => patch(url, token, { max_concurrent_spawns: 100 + i })),
    ];
    const statuses = await Promise.all(requests.map(async (r) => (await r).status));
    assert.deepEqual(statuses, statuses.map(() => 200));
    const settings = (await (await fetch(`${url}/api/config/v1/settings`, { headers: { authorization: `Bearer ${token}` } })).json()) as Settings;
    for (const [k, v] of Object.entries(distinct)) {
      if (k !== 'max_concurrent_spawns') assert.equal(settings[k as keyof Settings], v, k);
    }
    proc.child.kill('SIGTERM');
    assert.equal((await proc.exit()).code, 0);

    const events = await withRegistry(data, settingsEvents);
    assert.equal(events.length, requests.length, 'one audit event per acknowledged change');
    for (let i = 1; i < events.length; i++) {
      assert.deepEqual(events[i]!.before, events[i - 1]!.after, `change ${i} starts from the one before it`);
    }
    assert.deepEqual(events.at(-1)!.after, settings);
  });

  test('jumpgate backup under writes makes a copy that opens as a registry', async () => {
    const data = tempDir('jumpgate-durability-');
    const { proc, url } = await serve(data, ['--insecure-http'], ENV);
    const writers = startWriters(url, await login(url, PASSWORD));
    await until(() => writers.total() >= 100, 20_000);
    const before = new Map(FIELDS.map((f) => [f, [...writers.acked.get(f)!]]));
    const file = join(tempDir('jumpgate-backup-'), 'nested', 'jumpgate.mdb');
    const backup = await runJumpgate(['backup', file, '--data', data]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /backup written to/);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the copy is readable by its owner only');
    const during = writers.total();
    await until(() => writers.total() >= during + 50, 20_000);
    // A second backup replaces the first.
    const beforeSecond = writers.total();
    const again = await runJumpgate(['backup', file, '--data', data]);
    assert.equal(again.code, 0, again.stderr);
    await writers.stop();
    proc.child.kill('SIGTERM');
    assert.equal((await proc.exit()).code, 0);

    // Restore: the copy becomes <data>/registry/data.mdb of a fresh data directory.
    const restored = tempDir('jumpgate-restore-');
    mkdirSync(join(restored, 'registry'));
    copyFileSync(file, join(restored, 'registry', 'data.mdb'));
    await withRegistry(restored, (registry) => {
      assert.equal(registry.users.count(), 1);
      const audited = settingsEvents(registry).map((e) => e.after as Settings);
      for (const field of FIELDS) {
        const seen = new Set(audited.map((s) => s[field]));
        assert.deepEqual(before.get(field)!.filter((v) => !seen.has(v)), [], `${field}: acknowledged before the backup`);
        assert.ok(registry.settings.get()[field] >= before.get(field)!.at(-1)!, field);
      }
      assert.ok(audited.length >= beforeSecond, 'the second copy holds the writes acknowledged before it');
    });
  });
});
