/**
 * `POST /agent/v1/enroll` and `GET /agent/v1/update` over HTTP (SPEC A1, A1b, A5, D1, D3, S3).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AgentArtifact } from '../src/api/index.ts';
import { agentCredentials, ENROLL_PATH, UPDATE_PATH, type Statistics } from '../src/shared/protocol.ts';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { sampleStatistics } from './helpers/hub-client.ts';
import { writeStandInAgent } from './helpers/stand-in-agent.ts';
import { buildWorld, type World } from './helpers/world.ts';

const INSTALLERS = '/api/config/v1/jump-client/installer';
const LIMIT_INSTALLED = 'The total number of deployable Jump Clients for this site has been reached.';
const LIMIT_ACTIVE = 'The total number of deployable active Jump Clients for this site has been reached.';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
let fpCounter = 0;
const newFingerprint = () => sha256(`machine-${process.pid}-${++fpCounter}:/opt/jumpgate`);

function stats(hostname = 'web-01'): Statistics {
  return sampleStatistics({ hostname, fqdn: `${hostname}.corp.test`, kernel: '6.1.0-18-amd64', private_ips: ['10.0.0.5', '10.0.1.5'], uptime_seconds: 3600 });
}

describe('enrolment and updates of Jump Clients', () => {
  let t: TestAppliance;
  let w: World;
  let dir: string;
  let artifact: AgentArtifact | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jumpgate-enroll-test-'));
    t = await startTestAppliance({}, { agentArtifact: () => artifact });
    w = await buildWorld(t);
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    artifact = writeStandInAgent(dir);
    await w.as.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: 100_000, max_active_jump_clients: 19_000 });
  });

  const installer = async (body: Record<string, unknown> = {}) => {
    const res = await w.as.admin.post(INSTALLERS, { jump_group_id: w.g1.id, jump_group_type: 'shared', ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { installer_id: string; key_info: string };
  };
  const enroll = (key: string, fingerprint: string, extra: Record<string, unknown> = {}) =>
    t.anonymous().post(ENROLL_PATH, { installer_key: key, install_fingerprint: fingerprint, overrides: {}, statistics: stats(), ...extra });
  const enrolled = async (key: string, fingerprint = newFingerprint(), extra: Record<string, unknown> = {}) => {
    const res = await enroll(key, fingerprint, extra);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { client_id: number; secret: string };
  };
  const update = (header?: string) => fetch(t.url + UPDATE_PATH, { headers: header ? { authorization: header } : {} });
  const registry = () => t.appliance.registry;

  it('enrols: a complete row, only the hash of the secret, audited as created by the agent', async () => {
    const inst = await installer({ tag: 'web', comments: 'front', connection_type: 'passive', max_offline_minutes: 90 });
    const fingerprint = newFingerprint();
    const before = Date.now();
    const body = await enrolled(inst.key_info, fingerprint);
    assert.deepEqual(Object.keys(body).sort(), ['client_id', 'secret']);
    assert.ok(body.secret.length >= 32);
    const row = registry().clients.get(body.client_id)!;
    assert.equal(row.secret_hash, sha256(body.secret));
    assert.ok(!JSON.stringify(row).includes(body.secret));
    assert.deepEqual(
      { ...row, statistics: undefined, created_at: 0, updated_at: 0 },
      {
        id: body.client_id, name: 'web-01', hostname: 'web-01', fqdn: 'web-01.corp.test', jump_group_id: w.g1.id,
        jump_group_type: 'shared', tag: 'web', comments: 'front', connection_type: 'passive', install_mode: 'service',
        status: 'offline', operating_system: 'Debian GNU/Linux 12', console_user: 'alice', private_ip: '10.0.0.5',
        public_ip: '127.0.0.1', agent_version: '0.1.0', last_connect_timestamp: null, last_disconnect_timestamp: null,
        last_disconnect_reason: null, last_access_timestamp: null, is_lost: false, needs_update: false,
        unavailable_reason: null, max_offline_minutes: 90, statistics: undefined, secret_hash: sha256(body.secret),
        installer_id: inst.installer_id, install_fingerprint: fingerprint, created_at: 0, updated_at: 0,
      },
    );
    assert.ok(row.created_at >= before && row.created_at <= Date.now());
    assert.deepEqual({ ...row.statistics, reported_at: 0 }, { ...stats(), reported_at: 0 });
    const [event] = registry().audit.query({ item_type: 'jump_client', item_id: String(body.client_id) });
    assert.equal(event.event_type, 'created');
    assert.deepEqual(event.actor, { kind: 'agent', id: body.client_id, name: `agent:${body.client_id}` });
    assert.ok(!JSON.stringify(event).includes(row.secret_hash));
    const listed = await w.as.techadm.get(`/api/config/v1/jump-client/${body.client_id}`);
    assert.equal(listed.status, 200, 'a member of the group sees the new item');
  });

  it("names the client after the installer's name when it has one", async () => {
    const inst = await installer({ name: 'Reception PC' });
    const { client_id } = await enrolled(inst.key_info);
    assert.equal(registry().clients.get(client_id)!.name, 'Reception PC');
  });

  it('refuses an expired installer with 410 and creates nothing', async () => {
    const inst = await installer();
    const r = registry();
    await r.write(() => r.installers.put({ ...r.installers.get(inst.installer_id)!, expiration_timestamp: Date.now() - 1 }));
    const count = r.clients.count();
    const res = await enroll(inst.key_info, newFingerprint());
    assert.equal(res.status, 410);
    assert.equal(res.body.error.message, 'The installer has expired.');
    assert.equal(res.body.error.reason, 'expired');
    assert.equal(r.clients.count(), count);
  });

  it('refuses a deleted installer and an unknown key alike, with 410', async () => {
    const inst = await installer();
    assert.equal((await w.as.admin.del(`${INSTALLERS}/${inst.installer_id}`)).status, 204);
    const deleted = await enroll(inst.key_info, newFingerprint());
    const unknown = await enroll('no-such-installer-key-at-all', newFingerprint());
    assert.equal(deleted.status, 410);
    assert.deepEqual(deleted.body, {
      error: { code: 'installer_not_found', message: 'The installer does not exist or has been deleted.', reason: 'unknown' },
    });
    assert.deepEqual(unknown.body, deleted.body);
  });

  it('refuses each override the installer does not allow, naming it', async () => {
    const inst = await installer();
    const count = registry().clients.count();
    const overrides = { jump_group: 'user:admin', name: 'n', tag: 't', comments: 'c', max_offline_minutes: 5 };
    for (const [field, value] of Object.entries(overrides)) {
      const res = await enroll(inst.key_info, newFingerprint(), { overrides: { [field]: value } });
      assert.equal(res.status, 400, field);
      assert.equal(res.body.error.field, `overrides.${field}`);
    }
    assert.equal(registry().clients.count(), count);
  });

  it('applies allowed overrides; the group by user:<name>, by name or by code name', async () => {
    const inst = await installer({
      allow_override_jump_group: true, allow_override_name: true, allow_override_tag: true,
      allow_override_comments: true, allow_override_max_offline_minutes: true, tag: 'default',
    });
    const personal = await enrolled(inst.key_info, newFingerprint(), {
      overrides: { jump_group: 'user:admin', name: 'my box', tag: '', comments: 'mine', max_offline_minutes: 60 },
    });
    const row = registry().clients.get(personal.client_id)!;
    const admin = registry().users.byUsername('admin')!;
    assert.deepEqual(
      [row.jump_group_type, row.jump_group_id, row.name, row.tag, row.comments, row.max_offline_minutes],
      ['personal', admin.id, 'my box', '', 'mine', 60],
    );
    for (const spec of ['DATABASES', w.g2.code_name]) {
      const { client_id } = await enrolled(inst.key_info, newFingerprint(), { overrides: { jump_group: spec } });
      const moved = registry().clients.get(client_id)!;
      assert.deepEqual([moved.jump_group_type, moved.jump_group_id, moved.tag], ['shared', w.g2.id, 'default'], spec);
    }
    for (const spec of ['user:nobody', 'No Such Group']) {
      const res = await enroll(inst.key_info, newFingerprint(), { overrides: { jump_group: spec } });
      assert.equal(res.status, 400, spec);
      assert.equal(res.body.error.field, 'overrides.jump_group');
    }
  });

  it('places a command-line Jump Group only where the installer\'s creator may deploy', async () => {
    // techadm administers Servers (g1) only; mover administers both.
    const made = await w.as.techadm.post(INSTALLERS, { jump_group_id: w.g1.id, jump_group_type: 'shared', allow_override_jump_group: true });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const refused = await enroll(made.body.key_info, newFingerprint(), { overrides: { jump_group: 'Databases' } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.field, 'overrides.jump_group');
    assert.match(refused.body.error.message, /creator may not deploy/);
    await enrolled(made.body.key_info, newFingerprint(), { overrides: { jump_group: 'Servers' } });
    const mover = await w.as.mover.post(INSTALLERS, { jump_group_id: w.g1.id, jump_group_type: 'shared', allow_override_jump_group: true });
    assert.equal(mover.status, 201);
    const { client_id } = await enrolled(mover.body.key_info, newFingerprint(), { overrides: { jump_group: 'Databases' } });
    assert.equal(registry().clients.get(client_id)!.jump_group_id, w.g2.id);
  });

  it('refuses beyond the site caps with the exact catalog errors; a re-enrolment is not counted twice', async () => {
    const active = await installer({ connection_type: 'active' });
    const passive = await installer({ connection_type: 'passive' });
    const fingerprint = newFingerprint();
    await enrolled(active.key_info, fingerprint);
    const rows = registry().clients.list().filter((c) => c.status !== 'uninstalled');
    const installed = rows.length;
    const activeCount = rows.filter((c) => c.connection_type === 'active').length;

    await w.as.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: installed });
    const full = await enroll(passive.key_info, newFingerprint());
    assert.equal(full.status, 409);
    assert.deepEqual(full.body, { error: { code: 'limit_installed', message: LIMIT_INSTALLED } });
    await enrolled(active.key_info, fingerprint);

    await w.as.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: installed + 10, max_active_jump_clients: activeCount });
    const busy = await enroll(active.key_info, newFingerprint());
    assert.equal(busy.status, 409);
    assert.deepEqual(busy.body, { error: { code: 'limit_active', message: LIMIT_ACTIVE } });
    await enrolled(passive.key_info);
    await enrolled(active.key_info, fingerprint);
  });

  it('reuses the row of the same install: same id, new secret, the old secret stops working', async () => {
    const inst = await installer();
    const fingerprint = newFingerprint();
    const first = await enrolled(inst.key_info, fingerprint);
    const old = await update(agentCredentials(first.client_id, first.secret));
    assert.equal(old.status, 200);
    await old.arrayBuffer();
    const count = registry().clients.count();
    const second = await enrolled(inst.key_info, fingerprint, { statistics: stats('web-01-renamed'), previous_client_id: first.client_id });
    assert.equal(second.client_id, first.client_id);
    assert.notEqual(second.secret, first.secret);
    assert.equal(registry().clients.count(), count, 'no duplicate');
    assert.equal(registry().clients.get(first.client_id)!.hostname, 'web-01-renamed', 'statistics refreshed');
    assert.equal((await update(agentCredentials(first.client_id, first.secret))).status, 401);
    assert.equal((await update(agentCredentials(second.client_id, second.secret))).status, 200);
    const events = registry().audit.query({ item_type: 'jump_client', item_id: String(first.client_id) });
    assert.deepEqual(events.map((e) => e.event_type), ['changed', 'created']);
  });

  it('brings an uninstalled row of the same install back as offline', async () => {
    const inst = await installer();
    const fingerprint = newFingerprint();
    const first = await enrolled(inst.key_info, fingerprint);
    const r = registry();
    await r.write(() => r.clients.put({ ...r.clients.get(first.client_id)!, status: 'uninstalled', unavailable_reason: 'uninstalled on the machine' }));
    const again = await enrolled(inst.key_info, fingerprint);
    assert.equal(again.client_id, first.client_id);
    assert.equal(r.clients.get(first.client_id)!.status, 'offline');
    assert.equal(r.clients.get(first.client_id)!.unavailable_reason, null);
  });

  it('keeps installs in other directories or on other machines apart', async () => {
    const inst = await installer();
    const a = await enrolled(inst.key_info, sha256('machine-x:/opt/a'));
    const b = await enrolled(inst.key_info, sha256('machine-x:/opt/b'));
    const c = await enrolled(inst.key_info, sha256('machine-y:/opt/a'));
    assert.equal(new Set([a.client_id, b.client_id, c.client_id]).size, 3);
    const spoof = await enrolled(inst.key_info, sha256('machine-z:/opt/a'), { previous_client_id: a.client_id });
    assert.notEqual(spoof.client_id, a.client_id, 'an id hint without the same fingerprint takes nothing over');
  });

  it('answers a bad enrolment body with a 400 naming the field', async () => {
    const inst = await installer();
    const cases: [string, Record<string, unknown>][] = [
      ['install_fingerprint', { install_fingerprint: 'short' }],
      ['statistics.hostname', { statistics: { ...stats(), hostname: 7 } }],
      ['overrides.name', { overrides: { name: '' } }],
      ['overrides.bogus', { overrides: { bogus: 1 } }],
      ['installer_key', { installer_key: '' }],
    ];
    for (const [field, extra] of cases) {
      const res = await enroll(inst.key_info, newFingerprint(), extra);
      assert.equal(res.status, 400, field);
      assert.equal(res.body.error.field, field);
    }
  });

  it('streams the agent program to enrolled clients only', async () => {
    const inst = await installer();
    const { client_id, secret } = await enrolled(inst.key_info);
    const res = await update(agentCredentials(client_id, secret));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-agent-sha256'), artifact!.sha256);
    assert.equal(res.headers.get('x-agent-version'), artifact!.version);
    const data = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(data, readFileSync(artifact!.file));
    const length = res.headers.get('content-length');
    if (length !== null) assert.equal(Number(length), artifact!.size);

    for (const header of [undefined, 'Bearer nonsense', agentCredentials(client_id, 'x'.repeat(43)), agentCredentials(999_999, secret)]) {
      const bad = await update(header);
      assert.equal(bad.status, 401, String(header));
      assert.equal((await bad.json()).error.code, 'unauthorized');
    }
    assert.equal((await w.as.admin.del(`/api/config/v1/jump-client/${client_id}`)).status, 204);
    assert.equal((await update(agentCredentials(client_id, secret))).status, 401, 'a removed client is refused');

    const other = await enrolled(inst.key_info);
    artifact = undefined;
    const none = await update(agentCredentials(other.client_id, other.secret));
    assert.equal(none.status, 404);
  });
});
