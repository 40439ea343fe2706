import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { openRegistry } from '../src/registry/index.ts';
import { CATALOG } from '../src/shared/errors.ts';
import { startTestAppliance, type TestAppliance, type ApiClient } from './helpers/appliance.ts';
import { connectAgent, enrolledClient, eventually } from './helpers/hub-client.ts';
import { startFakeAgent, type FakeAgent, type SessionBehaviour } from './helpers/fake-agent.ts';
import { listenForWakes } from '../src/agent/wake-listener.ts';
import { sha256Hex } from '../src/shared/ids.ts';
import type { Logger } from '../src/shared/log.ts';
import { CFG, createGroup, createTech } from './helpers/config.ts';

const message = (code: keyof typeof CATALOG) => CATALOG[code][1];

describe('jumping (appliance side, scripted agents)', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  const agents: { close(): void }[] = [];
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
  });
  after(async () => {
    for (const a of agents) a.close();
    await t.stop();
  });

  async function client(behaviour: SessionBehaviour = 'echo', fields = {}) {
    const c = await enrolledClient(t.appliance.registry, fields);
    const agent = await startFakeAgent(t.url, c.id, c.secret, behaviour);
    agents.push(agent);
    await eventually(() => t.appliance.registry.clients.get(c.id)?.status !== 'offline', 3000, 'online');
    return { ...c, agent };
  }

  it('answers 201 once the session is ready, relays the terminal, records it', async () => {
    const c = await client();
    const res = await admin.post('/api/command/v1/jump', { jump_client_id: c.id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const sessionId = res.body.session_id;
    assert.match(sessionId, /^[0-9a-f]{32}$/);
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/session/v1/${sessionId}/terminal`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    let output = '';
    ws.on('message', (d, binary) => {
      if (binary) output += d.toString();
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(Buffer.from('hello è ✓\n'));
    await eventually(() => output.includes('hello è ✓'), 3000, 'echo');
    assert.ok(output.startsWith('fake$ '), 'output printed before the terminal attached is kept');
    const info = await admin.get(`/api/session/v1/${sessionId}/system-info`);
    assert.equal(info.status, 200);
    assert.equal(info.body.os.hostname, 'fake');
    const closed = new Promise((r) => ws.once('close', r));
    assert.equal((await admin.del(`/api/session/v1/${sessionId}`)).status, 204);
    await closed;
    const record = await eventually(() => {
      const r = t.appliance.registry.sessions.get(sessionId);
      return r?.outcome === 'ended' && r;
    }, 3000, 'session record');
    assert.equal(record.username, 'admin');
    assert.ok(record.bytes_to_client >= 'hello è ✓\n'.length);
    const events = t.appliance.registry.audit.query({ event_type: 'session_started', item_id: String(c.id) });
    assert.equal(events.length, 1);
    const cast = await admin.get(`/api/reporting/v1/session/${sessionId}/recording`);
    assert.equal(cast.status, 200);
    const lines = String(cast.body).trim().split('\n');
    assert.equal(JSON.parse(lines[0]).version, 2);
    assert.ok(lines.some((l) => l.includes('hello')));
  });

  it('jumps through a copy to the same agent; the copy shows the agent\'s presence and follows its original', async () => {
    const c = await client();
    const group = await createGroup(admin, { name: 'Copies' });
    const made = await admin.post(`${CFG}/jump-client/${c.id}/copy`, { jump_group_id: group.id, jump_group_type: 'shared', name: 'the copy' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const copyId = made.body.id;
    assert.notEqual(copyId, c.id);
    const res = await admin.post('/api/command/v1/jump', { jump_client_id: copyId });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((await admin.del(`/api/session/v1/${res.body.session_id}`)).status, 204);
    const record = await eventually(() => t.appliance.registry.sessions.get(res.body.session_id), 3000, 'session record');
    assert.equal(record.jump_client_id, copyId, 'the report names the item jumped to');
    c.agent.close();
    await eventually(() => t.appliance.registry.clients.get(copyId)?.status === 'offline', 3000, 'the copy offline with its agent');
    const offline = await admin.post('/api/command/v1/jump', { jump_client_id: copyId });
    assert.equal(offline.status, 409);
    assert.equal(offline.body.error.code, 'jump_client_offline');

    // One agent, one connection type: set on the original, followed by the copy, refused on it.
    const own = await admin.patch(`${CFG}/jump-client/${copyId}`, { connection_type: 'passive' });
    assert.equal(own.status, 409);
    assert.equal(own.body.error.code, 'conflict');
    assert.equal((await admin.patch(`${CFG}/jump-client/${c.id}`, { connection_type: 'passive' })).status, 200);
    assert.equal(t.appliance.registry.clients.get(copyId)?.connection_type, 'passive');

    // Back to active turns the copy active too: the active cap counts both.
    const { registry } = t.appliance;
    const cap = registry.settings.get().max_active_jump_clients;
    assert.equal((await admin.patch(`${CFG}/settings`, { max_active_jump_clients: registry.clients.tally().active + 1 })).status, 200);
    const over = await admin.patch(`${CFG}/jump-client/${c.id}`, { connection_type: 'active' });
    assert.equal(over.status, 409);
    assert.equal(over.body.error.code, 'active_limit_reached');
    assert.equal((await admin.patch(`${CFG}/settings`, { max_active_jump_clients: cap })).status, 200);

    // The original removed: its agent is revoked, and the copy says so. It leaves the install's
    // fingerprint, so a reinstall there is a new endpoint rather than a takeover of the copy.
    const fingerprint = registry.clients.get(c.id)!.install_fingerprint;
    assert.equal((await admin.del(`${CFG}/jump-client/${c.id}`)).status, 204);
    assert.equal(registry.clients.get(copyId)?.status, 'uninstalled');
    assert.notEqual(registry.clients.get(copyId)?.install_fingerprint, fingerprint);
    assert.deepEqual(registry.clients.byFingerprint(fingerprint), []);
    const orphan = await admin.post('/api/command/v1/jump', { jump_client_id: copyId });
    assert.equal(orphan.status, 409);
    assert.equal(orphan.body.error.code, 'jump_client_uninstalled');
  });

  it('gives each catalog error of the Jump by really causing it', async () => {
    const missing = await admin.post('/api/command/v1/jump', { jump_client_id: 999_999 });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body.error, { code: 'jump_client_not_found', message: message('jump_client_not_found') });

    const offline = await enrolledClient(t.appliance.registry);
    const r1 = await admin.post('/api/command/v1/jump', { jump_client_id: offline.id });
    assert.equal(r1.status, 409);
    assert.equal(r1.body.error.message, message('jump_client_offline'));

    const gone = await enrolledClient(t.appliance.registry, { status: 'uninstalled' });
    const r2 = await admin.post('/api/command/v1/jump', { jump_client_id: gone.id });
    assert.equal(r2.body.error.message, message('jump_client_uninstalled'));

    const stale = await enrolledClient(t.appliance.registry, { status: 'online' });
    const r3 = await admin.post('/api/command/v1/jump', { jump_client_id: stale.id });
    assert.equal(r3.body.error.code, 'active_not_connected');
    assert.equal(r3.body.error.message, message('active_not_connected'));

    const disabled = await client('echo');
    disabled.agent.control.ws.send(JSON.stringify({ type: 'state', disabled: true }));
    await eventually(() => t.appliance.registry.clients.get(disabled.id)?.status === 'disabled', 3000, 'disabled');
    const r4 = await admin.post('/api/command/v1/jump', { jump_client_id: disabled.id });
    assert.equal(r4.status, 409);
    assert.equal(r4.body.error.message, message('jump_client_disabled'));

    // A client of another version than the one the appliance carries is told to update (E-VERSION).
    const older = await enrolledClient(t.appliance.registry);
    const olderAgent = await startFakeAgent(t.url, older.id, older.secret, 'echo', {}, { agent_version: '0.0.1' });
    agents.push(olderAgent);
    await eventually(() => t.appliance.registry.clients.get(older.id)?.status === 'updating', 3000, 'updating');
    const rVersion = await admin.post('/api/command/v1/jump', { jump_client_id: older.id });
    assert.equal(rVersion.status, 409);
    assert.deepEqual(rVersion.body.error, { code: 'jump_client_updating', message: message('jump_client_updating') });

    const refusing = await client('spawn-error');
    const r5 = await admin.post('/api/command/v1/jump', { jump_client_id: refusing.id });
    assert.equal(r5.status, 500);
    assert.equal(r5.body.error.message, message('session_internal_error'));

    // Not a catalog row of its own: a client already running its most sessions says so (409).
    const full = await client('refuse-busy');
    const rFull = await admin.post('/api/command/v1/jump', { jump_client_id: full.id });
    assert.equal(rFull.status, 409);
    assert.deepEqual(rFull.body.error, { code: 'conflict', message: 'This Jump Client already runs 16 sessions.', reason: 'jump_client_busy' });

    const dropping = await client('drop-control');
    const r6 = await admin.post('/api/command/v1/jump', { jump_client_id: dropping.id });
    assert.equal(r6.status, 409);
    assert.equal(r6.body.error.code, 'active_not_connected');

    await admin.patch('/api/config/v1/settings', { spawn_timeout_seconds: 1 });
    const slow = await client('never-ready');
    const r7 = await admin.post('/api/command/v1/jump', { jump_client_id: slow.id });
    assert.equal(r7.status, 504);
    assert.equal(r7.body.error.message, message('session_spawn_timeout'));
    await admin.patch('/api/config/v1/settings', { spawn_timeout_seconds: 30 });

    // Removed while its Jump spawns: the item "was deleted meanwhile".
    const doomed = await client('never-ready');
    const pending = admin.post('/api/command/v1/jump', { jump_client_id: doomed.id });
    await eventually(() => doomed.agent.opened.length === 1, 3000, 'the agent was asked');
    assert.equal((await admin.del(`${CFG}/jump-client/${doomed.id}`)).status, 204);
    const r8 = await pending;
    assert.equal(r8.status, 404);
    assert.deepEqual(r8.body.error, { code: 'jump_client_not_found', message: message('jump_client_not_found') });

    // Offline after it was told to update, and never back: offline, not updating.
    const away = await enrolledClient(t.appliance.registry, { status: 'offline', needs_update: true });
    const r9 = await admin.post('/api/command/v1/jump', { jump_client_id: away.id });
    assert.equal(r9.status, 409);
    assert.equal(r9.body.error.code, 'jump_client_offline');

    // The technician goes away while the Jump spawns: its slot is released, counted as aborted.
    const left = await client('never-ready');
    const leaving = new AbortController();
    const abandoned = fetch(`${t.url}/api/command/v1/jump`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jump_client_id: left.id }),
      signal: leaving.signal,
    }).catch((err: Error) => err.name);
    await eventually(() => left.agent.opened.length === 1, 3000, 'the agent was asked');
    leaving.abort();
    assert.equal(await abandoned, 'AbortError');
    const outcome = (text: string, name: string) => Number(new RegExp(`^jumpgate_spawns_total\\{outcome="${name}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    await eventually(async () => outcome(await (await fetch(t.url + '/metrics')).text(), 'aborted') >= 1, 3000, 'counted as aborted');

    const metrics = await (await fetch(t.url + '/metrics')).text();
    assert.match(metrics, /^jumpgate_spawns_in_flight 0$/m, 'every failure released its slot');
    assert.ok(outcome(metrics, 'timeout') >= 1, metrics);
    assert.ok(outcome(metrics, 'error') >= 4, metrics); // spawn-error, busy, dropped, deleted
  });

  it('wakes a passive client again when its link lets go with the Jump\'s session_open on the way', async () => {
    const c = await enrolledClient(t.appliance.registry, { connection_type: 'passive' });
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    const woken: Promise<FakeAgent>[] = [];
    const listener = await listenForWakes({
      host: '127.0.0.1',
      port: 0,
      clientId: c.id,
      secretHash: sha256Hex(c.secret),
      log: quiet,
      // Woken, it links again as the real agent does and serves the session.
      onWake: () => void woken.push(startFakeAgent(t.url, c.id, c.secret, 'echo', {}, helloOf(listener.port))),
    });
    const helloOf = (port: number) => ({ connection_type: 'passive', listen: { address: '127.0.0.1', port } });
    try {
      // A check-in whose link closes as the session_open arrives: the agent never sees it.
      const checkIn = await connectAgent(t.url, c.id, c.secret);
      checkIn.hello({}, helloOf(listener.port));
      await checkIn.next('welcome');
      checkIn.ws.on('message', (raw) => {
        if (JSON.parse(raw.toString()).type === 'session_open') checkIn.ws.close(1000);
      });
      await eventually(() => t.appliance.registry.clients.get(c.id)?.passive_listen?.port === listener.port, 3000, 'checked in with its port');
      const res = await admin.post('/api/command/v1/jump', { jump_client_id: c.id });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(woken.length, 1, 'woken once');
      const agent = await woken[0];
      agents.push(agent);
      assert.deepEqual(agent.opened, [res.body.session_id]);
      assert.equal((await admin.del(`/api/session/v1/${res.body.session_id}`)).status, 204);
    } finally {
      await listener.close();
    }
  });

  it('asks again on the newer link when a passive client\'s link is replaced with the session_open on the way', async () => {
    const c = await enrolledClient(t.appliance.registry, { connection_type: 'passive' });
    const hello = { connection_type: 'passive', listen: { address: '127.0.0.1', port: 9 } };
    const first = await connectAgent(t.url, c.id, c.secret);
    first.hello({}, hello);
    await first.next('welcome');
    // The agent links anew (as after a network change) just as the Jump asks on the old link.
    let newer: Promise<FakeAgent> | undefined;
    first.ws.on('message', (raw) => {
      if (JSON.parse(raw.toString()).type === 'session_open') newer ??= startFakeAgent(t.url, c.id, c.secret, 'echo', {}, hello);
    });
    await eventually(() => t.appliance.registry.clients.get(c.id)?.passive_listen?.port === 9, 3000, 'checked in');
    const res = await admin.post('/api/command/v1/jump', { jump_client_id: c.id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const agent = await newer!;
    agents.push(agent);
    assert.deepEqual(agent.opened, [res.body.session_id]);
    assert.equal((await admin.del(`/api/session/v1/${res.body.session_id}`)).status, 204);
  });

  it('refuses jumps beyond the spawn cap at once with server_busy and Retry-After', async () => {
    await admin.patch('/api/config/v1/settings', { max_concurrent_spawns: 3, spawn_timeout_seconds: 2 });
    const slow = await Promise.all(Array.from({ length: 6 }, () => client('never-ready')));
    const answers = await Promise.all(slow.map((c) => admin.post('/api/command/v1/jump', { jump_client_id: c.id })));
    const busy = answers.filter((a) => a.status === 503);
    assert.equal(busy.length, 3);
    for (const b of busy) {
      assert.equal(b.body.error.code, 'server_busy');
      assert.equal(b.body.error.message, message('server_busy'));
      assert.ok(Number(b.headers.get('retry-after')) >= 1);
    }
    assert.equal(answers.filter((a) => a.status === 504).length, 3);
    const metrics = await (await fetch(t.url + '/metrics')).text();
    assert.match(metrics, /^jumpgate_spawns_in_flight_max 3$/m);
    assert.match(metrics, /^jumpgate_spawns_refused_busy_total [3-9]\d*$/m);
    await admin.patch('/api/config/v1/settings', { max_concurrent_spawns: 20, spawn_timeout_seconds: 30 });
  });

  it("ends a user's live sessions when the account is disabled", async () => {
    const created = await admin.post('/api/config/v1/user', { username: 'second-admin', password: 'second-admin-password', is_admin: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const other = await t.login('second-admin', 'second-admin-password');
    const c = await client();
    const jump = await other.post('/api/command/v1/jump', { jump_client_id: c.id });
    assert.equal(jump.status, 201);
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/session/v1/${jump.body.session_id}/terminal`, {
      headers: { authorization: `Bearer ${other.token}` },
    });
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise((r) => ws.once('close', r));
    assert.equal((await admin.patch(`/api/config/v1/user/${created.body.id}`, { enabled: false })).status, 200);
    await closed;
    assert.equal((await admin.get(`/api/session/v1/${jump.body.session_id}/system-info`)).status, 404, 'the session is gone');
  });

  it('ends a live session when its owner loses the right to start it, and only then', async () => {
    const group = await createGroup(admin, { name: 'Withdrawn', code_name: 'withdrawn' });
    const role = await admin.post(`${CFG}/jump-item-role`, { name: 'Starter', perm_start: true });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const { user, client: tech } = await createTech(t, admin, 'withdrawn-tech');
    const membership = `${CFG}/jump-group/${group.id}/user`;
    assert.equal((await admin.post(membership, { user_id: user.id, jump_item_role_id: role.body.id })).status, 201);
    const open = async () => {
      const c = await client('echo', { jump_group_type: 'shared', jump_group_id: group.id });
      const jump = await tech.post('/api/command/v1/jump', { jump_client_id: c.id });
      assert.equal(jump.status, 201, JSON.stringify(jump.body));
      const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/session/v1/${jump.body.session_id}/terminal`, {
        headers: { authorization: `Bearer ${tech.token}` },
      });
      await new Promise((r) => ws.once('open', r));
      const closed = Promise.race([
        new Promise<string>((r) => ws.once('close', (_code, reason) => r(reason.toString()))),
        new Promise<string>((_r, reject) => setTimeout(() => reject(new Error('the terminal stayed open')), 5000).unref()),
      ]);
      closed.catch(() => ws.terminate());
      return { id: jump.body.session_id as string, closed };
    };
    const alive = (id: string) => tech.get(`/api/session/v1/${id}/system-info`).then((r) => r.status);

    // A change that takes nothing away leaves the session running.
    const first = await open();
    assert.equal((await admin.patch(`${CFG}/jump-item-role/${role.body.id}`, { description: 'may start sessions' })).status, 200);
    assert.equal((await admin.patch('/api/config/v1/settings', { spawn_timeout_seconds: 30 })).status, 200);
    assert.equal(await alive(first.id), 200);

    // The role loses its permission: the session ends with the reason.
    assert.equal((await admin.patch(`${CFG}/jump-item-role/${role.body.id}`, { perm_start: false })).status, 200);
    assert.match(await first.closed, /access to the Jump Client was withdrawn/);
    assert.equal(await alive(first.id), 404);
    const record = await eventually(() => {
      const r = t.appliance.registry.sessions.get(first.id);
      return r?.outcome === 'ended' && r;
    }, 3000, 'session record');
    assert.equal(record.end_reason, 'access to the Jump Client was withdrawn');

    // Back, then out of the group: the same.
    assert.equal((await admin.patch(`${CFG}/jump-item-role/${role.body.id}`, { perm_start: true })).status, 200);
    const second = await open();
    assert.equal((await admin.del(`${membership}/${user.id}`)).status, 204);
    assert.match(await second.closed, /access to the Jump Client was withdrawn/);
    assert.equal(await alive(second.id), 404);
  });

  it('removes session reports and their recordings, in a file or kept with the report, once past the audit retention', async () => {
    const c = await client();
    // A session that lives past the recording's first batch (1 s) has a file of its own ...
    const long = (await admin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
    const file = join(t.dataDir, 'recordings', `${long}.rec`);
    await eventually(() => existsSync(file), 3000, 'the recording reached its file');
    assert.equal((await admin.del(`/api/session/v1/${long}`)).status, 204);
    // ... a shorter one's recording is kept with its report.
    const shortStart = Date.now();
    const short = (await admin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
    assert.equal((await admin.del(`/api/session/v1/${short}`)).status, 204);
    const shortLasted = Date.now() - shortStart;
    const recent = (await admin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
    assert.equal((await admin.del(`/api/session/v1/${recent}`)).status, 204);
    const ended = (id: string) => t.appliance.registry.sessions.get(id)?.outcome === 'ended';
    await eventually(() => [long, short, recent].every(ended), 3000, 'ended');
    // On a machine too busy to end it within the recording's first second, it has a file instead.
    if (shortLasted < 900) {
      assert.equal(existsSync(join(t.dataDir, 'recordings', `${short}.rec`)), false);
      assert.ok(t.appliance.registry.sessions.recording(short), 'the recording is kept with the report');
    } else assert.ok(existsSync(join(t.dataDir, 'recordings', `${short}.rec`)), `a ${shortLasted} ms session has its file`);
    const cast = await admin.get(`/api/reporting/v1/session/${short}/recording`);
    assert.equal(cast.status, 200);
    assert.equal(cast.headers.get('content-type'), 'application/x-asciicast');
    assert.equal(JSON.parse(String(cast.body).split('\n')[0]).version, 2);
    const castLong = await admin.get(`/api/reporting/v1/session/${long}/recording`);
    assert.equal(castLong.status, 200);
    assert.equal(JSON.parse(String(castLong.body).split('\n')[0]).version, 2);

    const retention = (await admin.get('/api/config/v1/settings')).body.audit_retention_days as number;
    await t.appliance.registry.write(() => {
      for (const id of [long, short]) {
        const row = t.appliance.registry.sessions.get(id)!;
        t.appliance.registry.sessions.put({ ...row, ended_at: Date.now() - (retention + 1) * 86_400_000 });
      }
    });
    const report = await t.appliance.runMaintenance();
    assert.deepEqual([...report.sessionsPruned].sort(), [long, short].sort());
    for (const id of [long, short]) assert.equal(t.appliance.registry.sessions.get(id), undefined);
    await eventually(() => !existsSync(file), 3000, 'recording file removed');
    assert.equal(t.appliance.registry.sessions.recording(short), undefined);
    for (const id of [long, short]) assert.equal((await admin.get(`/api/reporting/v1/session/${id}/recording`)).status, 404);
    assert.ok(t.appliance.registry.sessions.get(recent), 'a recent report stays');
    assert.equal((await admin.get(`/api/reporting/v1/session/${recent}/recording`)).status, 200);
  });

  it('keeps the start of a recording whose file cannot be written with its report, marked as stopped', async () => {
    // An appliance of its own whose recordings wait for a full batch (256 KiB), not a second: the
    // folder is put in the file's way before the first write, however slow the machine.
    const own = await startTestAppliance({}, { recordingFlushMs: 600_000 });
    try {
      const ownAdmin = await own.login();
      const c = await enrolledClient(own.appliance.registry);
      const agent = await startFakeAgent(own.url, c.id, c.secret, 'echo');
      agents.push(agent);
      await eventually(() => own.appliance.registry.clients.get(c.id)?.status === 'online', 3000, 'online');
      const sessionId = (await ownAdmin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
      mkdirSync(join(own.dataDir, 'recordings', `${sessionId}.rec`)); // a folder where the file goes: it cannot be opened
      const ws = new WebSocket(`${own.url.replace('http', 'ws')}/api/session/v1/${sessionId}/terminal`, { headers: { authorization: `Bearer ${ownAdmin.token}` } });
      let output = '';
      ws.on('message', (d, binary) => void (binary && (output += d.toString())));
      await new Promise((r) => ws.once('open', r));
      ws.send(Buffer.from('before the first batch\n'));
      await eventually(() => output.includes('before the first batch'), 3000, 'echo');
      ws.send(Buffer.from('z'.repeat(300 * 1024) + '\n')); // echoed: past a batch, so the file is tried, and fails
      await eventually(() => output.length > 300 * 1024, 5000, 'the burst echoed');
      await new Promise((r) => setTimeout(r, 200)); // the failed open is known
      ws.send(Buffer.from('still working\n'));
      await eventually(() => output.includes('still working'), 3000, 'the session goes on');
      assert.equal((await ownAdmin.del(`/api/session/v1/${sessionId}`)).status, 204);
      await eventually(() => own.appliance.registry.sessions.recording(sessionId), 3000, 'the recording kept with the report');
      const cast = await ownAdmin.get(`/api/reporting/v1/session/${sessionId}/recording`);
      assert.equal(cast.status, 200);
      const text = String(cast.body);
      assert.ok(text.includes('before the first batch'), text.slice(0, 300));
      assert.ok(text.includes('[recording stopped: its file could not be written]'), text.slice(-300));
      assert.ok(!text.includes('still working'), 'nothing is recorded after the failure');
    } finally {
      await own.stop();
    }
  });

  it('sweeps recordings that belong to no report once they are an hour old, and nothing else', async () => {
    const folder = join(t.dataDir, 'recordings');
    const stray = join(folder, `${'a'.repeat(32)}.rec`);
    const strayOld = join(folder, `${'c'.repeat(32)}.cast`); // written by a version before the raw form
    const fresh = join(folder, `${'b'.repeat(32)}.cast`);
    const other = join(folder, 'notes.txt');
    const c = await client();
    const jump = await admin.post('/api/command/v1/jump', { jump_client_id: c.id });
    const kept = join(folder, `${jump.body.session_id}.rec`);
    await eventually(() => existsSync(kept), 3000, 'recorded'); // past its first batch: a file
    await admin.del(`/api/session/v1/${jump.body.session_id}`);
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const file of [stray, strayOld, fresh, other]) writeFileSync(file, '{}\n');
    for (const file of [stray, strayOld, other, kept]) utimesSync(file, old, old);
    await t.appliance.runMaintenance();
    assert.deepEqual([stray, strayOld, fresh, other, kept].map((f) => existsSync(f)), [false, false, true, true, true]);
  });

  it('serves a recording that an earlier version wrote as asciicast as it is', async () => {
    const c = await client();
    const id = 'd'.repeat(32);
    await t.appliance.registry.write(() =>
      t.appliance.registry.sessions.put({
        id, jump_client_id: c.id, jump_client_name: 'old', user_id: 1, username: 'admin', started_at: Date.now() - 60_000,
        ended_at: Date.now() - 30_000, outcome: 'ended', end_reason: 'test', bytes_to_client: 0, bytes_from_client: 0,
      }),
    );
    const cast = '{"version":2,"width":80,"height":24}\n[0.5,"o","old $ "]\n';
    writeFileSync(join(t.dataDir, 'recordings', `${id}.cast`), cast);
    const got = await admin.get(`/api/reporting/v1/session/${id}/recording`);
    assert.equal(got.status, 200);
    assert.equal(got.body, cast);
  });

  it('ends at start the session reports a crash left active', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jumpgate-leftover-'));
    const id = 'e'.repeat(32);
    const registry = await openRegistry(dataDir);
    await registry.write(() =>
      registry.sessions.put({
        id, jump_client_id: 1, jump_client_name: 'c', user_id: 1, username: 'admin', started_at: Date.now() - 60_000,
        ended_at: null, outcome: 'active', end_reason: null, bytes_to_client: 0, bytes_from_client: 0,
      }),
    );
    await registry.close();
    const restarted = await startTestAppliance({ dataDir });
    try {
      const record = restarted.appliance.registry.sessions.get(id)!;
      assert.deepEqual([record.outcome, record.end_reason], ['ended', 'the appliance stopped']);
      assert.ok(record.ended_at !== null && record.ended_at >= record.started_at);
    } finally {
      await restarted.stop();
    }
  });

  it('rejects bad jump bodies naming the field', async () => {
    const res = await admin.post('/api/command/v1/jump', { jump_client_id: 'x' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'jump_client_id');
    const missing = await admin.post('/api/command/v1/jump', {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.message, 'jump_client_id: is required');
  });

  it('answers a malformed terminal control message with an error naming the field, and the terminal goes on', async () => {
    const c = await client();
    const sessionId = (await admin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/session/v1/${sessionId}/terminal`, { headers: { authorization: `Bearer ${admin.token}` } });
    const controls: any[] = [];
    let output = '';
    ws.on('message', (d, binary) => void (binary ? (output += d.toString()) : controls.push(JSON.parse(d.toString()))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'resize', cols: 0, rows: 24 }));
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'resize', cols: 80, rows: 24, colour: 'red' }));
    await eventually(() => controls.length === 3, 3000, 'three answers');
    assert.deepEqual(
      controls.map((m) => [m.type, m.error.code, m.error.field, m.error.message]),
      [
        ['error', 'invalid_request', 'cols', 'cols: Invalid value: Expected >=1 but received 0'],
        ['error', 'invalid_request', 'message', 'message: must be valid JSON'],
        ['error', 'invalid_request', 'colour', 'colour: is not a known field'],
      ],
    );
    ws.send(Buffer.from('still here\n'));
    await eventually(() => output.includes('still here'), 3000, 'the terminal goes on');
    assert.equal(t.appliance.registry.sessions.get(sessionId)?.outcome, 'active');
    ws.close();
  });

  it('ends a download whose agent sends past its credit, instead of holding what it sends', async () => {
    const c = await client();
    c.agent.files.set('/home/tech/huge.bin', { data: Buffer.alloc(32 * 1024 * 1024, 7), mtime: Date.now() });
    c.agent.ignoreCredit = true; // sent whole, credit or not
    const sessionId = (await admin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
    const cancelled = new Promise<void>((resolve) =>
      c.agent.sessions.at(-1)!.on('message', (d, binary) => {
        if (!binary && JSON.parse(d.toString()).type === 'file_cancel') resolve();
      }),
    );
    // A technician who asks and does not read: the agent must wait for credit, and this one does not.
    const { port } = new URL(t.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write(`GET /api/session/v1/${sessionId}/files?path=${encodeURIComponent('~/huge.bin')} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${admin.token}\r\n\r\n`);
    socket.pause();
    try {
      await Promise.race([cancelled, new Promise((_r, reject) => setTimeout(() => reject(new Error('the download was not ended')), 10_000).unref())]);
    } finally {
      socket.destroy();
    }
    assert.equal((await admin.get(`/api/session/v1/${sessionId}/system-info`)).status, 200, 'the session goes on');
    assert.equal((await admin.del(`/api/session/v1/${sessionId}`)).status, 204);
  });

  it('runs at most 8 uploads at once in a session; the next is refused at once, and the 8 complete', async () => {
    const c = await client();
    const sessionId = (await admin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
    let puts = 0;
    c.agent.sessions.at(-1)!.on('message', (d, binary) => void (!binary && JSON.parse(d.toString()).type === 'file_put' && puts++));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const put = (name: string, held: boolean) =>
      fetch(`${t.url}/api/session/v1/${sessionId}/files?path=${encodeURIComponent(`~/${name}`)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/octet-stream' },
        body: new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(Buffer.from(name));
            if (held) await gate;
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    const running = Array.from({ length: 8 }, (_, i) => put(`up-${i}`, true));
    await eventually(() => puts === 8, 5000, 'eight uploads under way');
    const ninth = await put('up-8', false);
    assert.equal(ninth.status, 409);
    assert.equal(((await ninth.json()) as { error: { message: string } }).error.message, 'At most 8 uploads run in a session at once.');
    open();
    for (const res of await Promise.all(running)) assert.equal(res.status, 201);
    assert.equal(c.agent.files.get('/home/tech/up-7')?.data.toString(), 'up-7');
    assert.equal((await put('up-8', false)).status, 201, 'room again once they are done');
  });

  it('refuses a file path with a NUL character naming the field, and the session goes on', async () => {
    const c = await client();
    const sessionId = (await admin.post('/api/command/v1/jump', { jump_client_id: c.id })).body.session_id as string;
    const path = encodeURIComponent('/tmp/a\0b');
    const get = await admin.get(`/api/session/v1/${sessionId}/files?path=${path}`);
    assert.equal(get.status, 400, JSON.stringify(get.body));
    assert.deepEqual([get.body.error.code, get.body.error.field, get.body.error.message], ['invalid_request', 'path', 'path: must not contain a NUL character']);
    const put = await fetch(`${t.url}/api/session/v1/${sessionId}/files?path=${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/octet-stream' },
      body: 'data',
    });
    assert.equal(put.status, 400);
    assert.equal(((await put.json()) as { error: { field: string } }).error.field, 'path');
    assert.equal((await admin.get(`/api/session/v1/${sessionId}/system-info`)).status, 200);
    assert.equal((await admin.del(`/api/session/v1/${sessionId}`)).status, 204);
  });
});
