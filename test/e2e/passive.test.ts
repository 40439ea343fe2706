/**
 * SPEC A6 end to end: a passive Jump Client installed from the real `.bin`, listening on loopback.
 * It checks in and lets go of its link; a Jump wakes it through its port and gets a real shell; its
 * port refuses wakes for other clients and malformed lines; the console switches it to active and
 * back; one whose address cannot be bound checks in without a port; a local disable is reported at
 * once; and once it cannot be reached a Jump fails with the catalog's connect_timeout.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startE2eAppliance, stopAll, type E2eAppliance } from '../helpers/e2e-appliance.ts';
import { CLIENTS, createInstaller, createInstalls, downloadBin, installClient, installParent, pidOf, run, TEST_USER, waitForClient } from '../helpers/e2e-clients.ts';
import { eventually } from '../helpers/hub-client.ts';
import { openTerminal } from '../helpers/terminal.ts';

const installs = createInstalls();
let a: E2eAppliance;
let clientId: number;
let dir: string;

const client = async (): Promise<any> => (await a.admin.get(`${CLIENTS}/${clientId}`)).body;
const linked = async (): Promise<number> => {
  const text = (await a.admin.raw('GET', '/metrics')).body.toString();
  return Number(/^jumpgate_agents_connected (\d+)$/m.exec(text)?.[1]);
};

/** Takes the client's challenge on its wake port, sends `line`, and returns the answer. */
function wakeLine(port: number, line: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let got = '';
    socket.on('data', (d) => {
      if (!got.includes('\n') && (got + d.toString()).includes('\n')) socket.write(line + '\n');
      got += d.toString();
    });
    socket.on('end', () => {
      const [challenge, answer] = got.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(challenge.type, 'challenge');
      resolve(answer);
    });
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
  });
}

before(async () => {
  a = await startE2eAppliance();
  // Check-ins every 10 s (the shortest period), a Jump's deadline of 4 s.
  const settings = await a.admin.patch('/api/config/v1/settings', { statistics_interval_seconds: 10, spawn_timeout_seconds: 4 });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const parent = installs.track(installParent());
  const installer = await createInstaller(a, { name: 'e2e-passive-box', connection_type: 'passive' });
  ({ dir } = await installClient(await downloadBin(a, installer.installer_id, parent), parent, 'passive', ['--passive-listen', '127.0.0.1:0']));
  installs.pid(pidOf(dir));
  const row = await waitForClient(a, (r) => r.name === 'e2e-passive-box' && r.status === 'online');
  clientId = row.id;
});
after(async () => {
  await installs.cleanup();
  await stopAll();
});

describe('a passive Jump Client', () => {
  it('checks in with its port and lets go of its link, staying online', async () => {
    const row = await client();
    assert.equal(row.connection_type, 'passive');
    assert.equal(row.passive_listen.address, '127.0.0.1');
    assert.ok(row.passive_listen.port > 0);
    await eventually(async () => (await linked()) === 0, 20_000, 'the check-in link closed');
    assert.equal((await client()).status, 'online');
  });

  it('is woken by a Jump and gives a real shell as its account', async () => {
    assert.equal(await linked(), 0);
    const jump = await a.admin.post('/api/command/v1/jump', { jump_client_id: clientId });
    assert.equal(jump.status, 201, JSON.stringify(jump.body));
    const term = await openTerminal(a.url, jump.body.session_id, a.admin.token!, a.wsTls);
    const out = await term.run('whoami; echo woke-$((6*7))\n', /woke-42/);
    assert.match(out, new RegExp(TEST_USER));
    await term.close();
    assert.equal(await linked(), 1, 'the woken link stays a while after the session');
  });

  it('refuses a wake without the proof of its credential, or a malformed one', async () => {
    const { port } = (await client()).passive_listen;
    const unproven = await wakeLine(port, JSON.stringify({ type: 'wake', client_id: clientId, proof: '0'.repeat(64) }));
    assert.deepEqual(unproven, { type: 'wake_refused', reason: 'not a wake for this Jump Client' });
    const malformed = await wakeLine(port, '{"type":"wake","client_id":"x"}');
    assert.equal(malformed.type, 'wake_refused');
    assert.match(malformed.reason, /^malformed: client_id/);
    assert.equal((await wakeLine(port, 'not json')).type, 'wake_refused');
  });

  it('holds a link once switched to active, and lets go again once switched back', async () => {
    const toActive = await a.admin.patch(`${CLIENTS}/${clientId}`, { connection_type: 'active' });
    assert.equal(toActive.status, 200, JSON.stringify(toActive.body));
    // Told at once when linked, else at its next check-in (10 s); it then stays linked.
    await eventually(async () => (await linked()) === 1, 30_000, 'linked as an active client');
    await new Promise((r) => setTimeout(r, 6_000));
    assert.equal(await linked(), 1, 'an active client keeps its link past a check-in hold');
    const toPassive = await a.admin.patch(`${CLIENTS}/${clientId}`, { connection_type: 'passive' });
    assert.equal(toPassive.status, 200);
    await eventually(async () => (await linked()) === 0, 20_000, 'the link let go');
    await eventually(async () => (await client()).passive_listen !== null, 20_000, 'checked in again as passive');
    assert.equal((await client()).status, 'online');
  });

  it('checks in without a port when its address cannot be bound, and cannot be woken', async () => {
    const parent = installs.track(installParent());
    const installer = await createInstaller(a, { name: 'e2e-passive-unbound', connection_type: 'passive' });
    // 192.0.2.1 (documentation range) is on no interface here: binding fails, nothing is sent.
    const unbound = await installClient(await downloadBin(a, installer.installer_id, parent), parent, 'unbound', ['--passive-listen', '192.0.2.1:5832']);
    installs.pid(pidOf(unbound.dir));
    const row = await waitForClient(a, (r) => r.name === 'e2e-passive-unbound' && r.status === 'online');
    assert.equal(row.passive_listen, null);
    await eventually(async () => {
      const now = (await a.admin.get(`${CLIENTS}/${row.id}`)).body;
      return now.last_disconnect_timestamp !== null && now.last_disconnect_timestamp >= now.last_connect_timestamp;
    }, 20_000, 'its check-in link closed');
    const asked = Date.now();
    const jump = await a.admin.post('/api/command/v1/jump', { jump_client_id: row.id });
    assert.equal(jump.status, 504, JSON.stringify(jump.body));
    assert.equal(jump.body.error.code, 'connect_timeout');
    assert.ok(Date.now() - asked < 3_000, 'nowhere to knock: refused without holding a spawn slot until the 4 s deadline');
    assert.ok(pidOf(unbound.dir), 'the agent keeps running');
  });

  it('checks in at once when disabled or enabled at the machine, not at its next period', async () => {
    // A period of an hour, taken up at the client's next check-in (10 s at most).
    const before = (await client()).last_connect_timestamp;
    assert.equal((await a.admin.patch('/api/config/v1/settings', { statistics_interval_seconds: 3600 })).status, 200);
    await eventually(async () => (await client()).last_connect_timestamp !== before, 30_000, 'a check-in that took the new period');
    await eventually(async () => {
      const row = await client();
      return row.last_disconnect_timestamp !== null && row.last_disconnect_timestamp >= row.last_connect_timestamp;
    }, 20_000, 'its link closed');
    const agent = join(dir, 'bin', 'jumpgate-agent');
    const off = await run('runuser', ['-u', TEST_USER, '--', agent, 'disable', '--dir', dir]);
    assert.equal(off.status, 0, off.stderr);
    await eventually(async () => (await client()).status === 'disabled', 20_000, 'shown disabled long before the hour');
    const on = await run('runuser', ['-u', TEST_USER, '--', agent, 'enable', '--dir', dir]);
    assert.equal(on.status, 0, on.stderr);
    await eventually(async () => (await client()).status === 'online', 20_000, 'shown online again');
  });

  it('fails a Jump with connect_timeout once it cannot be reached', async () => {
    const pid = pidOf(dir);
    assert.ok(pid);
    process.kill(pid, 'SIGTERM');
    await eventually(() => pidOf(dir) === undefined, 15_000, 'the agent stopped');
    const started = Date.now();
    const jump = await a.admin.post('/api/command/v1/jump', { jump_client_id: clientId });
    assert.equal(jump.status, 504, JSON.stringify(jump.body));
    assert.deepEqual(jump.body, { error: { code: 'connect_timeout', message: 'Timed out while trying to connect to the Jump Client.' } });
    assert.ok(Date.now() - started >= 3_500, 'it tried until the deadline');
  });
});
