/**
 * `/api/config/v1/jump-client/installer` and the public download link (SPEC D1, S3, P2, S6): every
 * field good and bad, the permission table, the site caps, extend, delete, downloads and audit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AgentArtifact } from '../src/api/index.ts';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { putClient } from './helpers/fixtures.ts';
import { writeStandInAgent } from './helpers/stand-in-agent.ts';
import { buildWorld, type World } from './helpers/world.ts';

const BASE = '/api/config/v1/jump-client/installer';
const LIMIT_INSTALLED = 'The total number of deployable Jump Clients for this site has been reached.';
const LIMIT_ACTIVE = 'The total number of deployable active Jump Clients for this site has been reached.';

describe('Jump Client installers', () => {
  let t: TestAppliance;
  let w: World;
  let dir: string;
  let artifact: AgentArtifact | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jumpgate-installers-test-'));
    artifact = writeStandInAgent(dir);
    t = await startTestAppliance({}, { agentArtifact: () => artifact });
    w = await buildWorld(t);
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    artifact = writeStandInAgent(dir);
    const res = await w.as.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: 100_000, max_active_jump_clients: 19_000 });
    assert.equal(res.status, 200);
  });

  const create = (body: Record<string, unknown>, who: keyof World['as'] = 'admin') =>
    w.as[who].post(BASE, { jump_group_id: w.g1.id, jump_group_type: 'shared', ...body });
  const created = async (body: Record<string, unknown> = {}, who: keyof World['as'] = 'admin') => {
    const res = await create(body, who);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const registry = () => t.appliance.registry;

  it('creates an installer with the defaults of SPEC D1', async () => {
    const before = Date.now();
    const body = await created();
    assert.match(body.installer_id, /^[0-9a-f]{32}$/);
    assert.match(body.key_info, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.download_url, `${t.appliance.publicUrl}/download/jump-client/${body.installer_id}/linux-64`);
    const expires = Date.parse(body.expiration_timestamp);
    assert.ok(expires >= before + 1440 * 60_000 && expires <= Date.now() + 1440 * 60_000);
    assert.deepEqual(
      {
        name: body.name, tag: body.tag, comments: body.comments, install_mode: body.install_mode,
        connection_type: body.connection_type, valid_duration: body.valid_duration, max_offline_minutes: body.max_offline_minutes,
        allow_override_jump_group: body.allow_override_jump_group, allow_override_name: body.allow_override_name,
        allow_override_tag: body.allow_override_tag, allow_override_comments: body.allow_override_comments,
        allow_override_max_offline_minutes: body.allow_override_max_offline_minutes, is_expired: body.is_expired,
      },
      {
        name: '', tag: '', comments: '', install_mode: 'service', connection_type: 'active', valid_duration: 1440,
        max_offline_minutes: null, allow_override_jump_group: false, allow_override_name: false, allow_override_tag: false,
        allow_override_comments: false, allow_override_max_offline_minutes: false, is_expired: false,
      },
    );
    assert.equal(registry().installers.get(body.installer_id)?.key_info, body.key_info);
  });

  it('keeps every field given', async () => {
    const fields = {
      name: 'web farm', tag: 'web', comments: 'rack 4\nrow 2', install_mode: 'user', connection_type: 'passive',
      valid_duration: 10, max_offline_minutes: 525_600, allow_override_jump_group: true, allow_override_name: true,
      allow_override_tag: true, allow_override_comments: true, allow_override_max_offline_minutes: true,
    };
    const body = await created(fields);
    for (const [k, value] of Object.entries(fields)) assert.deepEqual(body[k], value, k);
    assert.equal((await w.as.admin.get(`${BASE}/${body.installer_id}`)).body.name, 'web farm');
    const year = await created({ valid_duration: 525_600, name: 'x'.repeat(128), tag: 't'.repeat(64), comments: 'c'.repeat(1024) });
    assert.equal(year.valid_duration, 525_600);
  });

  const BAD: [string, Record<string, unknown>][] = [
    ['jump_group_id', { jump_group_id: undefined }],
    ['jump_group_id', { jump_group_id: 0 }],
    ['jump_group_id', { jump_group_id: 1.5 }],
    ['jump_group_id', { jump_group_id: '1' }],
    ['jump_group_id', { jump_group_id: 9999 }],
    ['jump_group_id', { jump_group_type: 'personal', jump_group_id: 9999 }],
    ['jump_group_type', { jump_group_type: 'team' }],
    ['jump_group_type', { jump_group_type: undefined }],
    ['name', { name: 'x'.repeat(129) }],
    ['name', { name: 'a\nb' }],
    ['name', { name: 5 }],
    ['tag', { tag: 't'.repeat(65) }],
    ['tag', { tag: null }],
    ['comments', { comments: 'c'.repeat(1025) }],
    ['install_mode', { install_mode: 'system' }],
    ['connection_type', { connection_type: 'both' }],
    ['valid_duration', { valid_duration: 9 }],
    ['valid_duration', { valid_duration: 525_601 }],
    ['valid_duration', { valid_duration: 60.5 }],
    ['valid_duration', { valid_duration: '60' }],
    ['max_offline_minutes', { max_offline_minutes: 0 }],
    ['max_offline_minutes', { max_offline_minutes: 525_601 }],
    ['max_offline_minutes', { max_offline_minutes: 'never' }],
    ['allow_override_jump_group', { allow_override_jump_group: 'yes' }],
    ['allow_override_name', { allow_override_name: 1 }],
    ['allow_override_tag', { allow_override_tag: null }],
    ['allow_override_comments', { allow_override_comments: 'true' }],
    ['allow_override_max_offline_minutes', { allow_override_max_offline_minutes: 0 }],
    ['key_info', { key_info: 'chosen-by-caller' }],
    ['bogus', { bogus: 1 }],
  ];

  it('answers each bad field with a 400 naming it, and changes nothing', async () => {
    const installers = registry().installers.list().length;
    const audits = registry().audit.query({ item_type: 'installer' }).length;
    for (const [field, body] of BAD) {
      const res = await create(body);
      assert.equal(res.status, 400, `${field}: ${JSON.stringify(body)} → ${res.status}`);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
    }
    const raw = await w.as.admin.request('POST', BASE, '{"jump_group_id":', { 'content-type': 'application/json' });
    assert.equal(raw.status, 400);
    assert.equal(raw.body.error.field, 'body');
    assert.equal(registry().installers.list().length, installers);
    assert.equal(registry().audit.query({ item_type: 'installer' }).length, audits);
  });

  it('follows the permission table for creating', async () => {
    const cases: [keyof World['as'], Record<string, unknown>, number][] = [
      ['admin', {}, 201],
      ['techadm', {}, 201],
      ['techstart', {}, 403],
      ['techaud', {}, 403],
      ['techout', {}, 403],
      ['techout', { jump_group_id: w.g2.id }, 201],
      ['owner', { jump_group_type: 'personal', jump_group_id: w.users.owner.id }, 201],
      ['owner', { jump_group_type: 'personal', jump_group_id: w.users.techadm.id }, 403],
      ['admin', { jump_group_type: 'personal', jump_group_id: w.users.owner.id }, 201],
    ];
    for (const [who, body, status] of cases) {
      const res = await create(body, who);
      assert.equal(res.status, status, `${who} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      if (status === 403) assert.equal(res.body.error.code, 'forbidden');
    }
  });

  it('shows, extends and deletes only for those who may deploy into the group', async () => {
    const mine = await created({ name: 'g1 installer' });
    const theirs = await created({ jump_group_id: w.g2.id, name: 'g2 installer' });
    const listed = async (who: keyof World['as']) => {
      const res = await w.as[who].get(`${BASE}?per_page=1000`);
      assert.equal(res.status, 200);
      return (res.body as { installer_id: string }[]).map((r) => r.installer_id);
    };
    assert.ok((await listed('admin')).includes(mine.installer_id));
    assert.ok((await listed('admin')).includes(theirs.installer_id));
    assert.ok((await listed('techadm')).includes(mine.installer_id));
    assert.ok(!(await listed('techadm')).includes(theirs.installer_id));
    assert.ok(!(await listed('techstart')).includes(mine.installer_id));
    assert.deepEqual(await listed('techaud'), []);
    assert.ok(!(await listed('techout')).includes(mine.installer_id));
    for (const who of ['techstart', 'techaud', 'techout'] as const) {
      assert.equal((await w.as[who].get(`${BASE}/${mine.installer_id}`)).status, 404, who);
      assert.equal((await w.as[who].patch(`${BASE}/${mine.installer_id}`, { valid_duration: 60 })).status, 404, who);
      assert.equal((await w.as[who].del(`${BASE}/${mine.installer_id}`)).status, 404, who);
      assert.equal((await w.as[who].get(`${BASE}/${mine.installer_id}/linux-64`)).status, 404, who);
    }
    assert.equal((await w.as.techadm.get(`${BASE}/${mine.installer_id}`)).body.name, 'g1 installer');
    assert.ok(registry().installers.get(mine.installer_id), 'still there');
    assert.equal((await w.as.admin.get(`${BASE}/${'0'.repeat(32)}`)).status, 404);
    assert.equal((await w.as.admin.get(`${BASE}/not-an-id`)).status, 404);
    assert.equal((await t.anonymous().get(BASE)).status, 401);
  });

  it('refuses to deploy beyond the site caps with the exact catalog errors', async () => {
    const r = registry();
    await putClient(r, { jump_group_id: w.g1.id, connection_type: 'active' });
    await putClient(r, { jump_group_id: w.g1.id, connection_type: 'passive' });
    await putClient(r, { jump_group_id: w.g1.id, status: 'uninstalled' });
    const installed = r.clients.list().filter((c) => c.status !== 'uninstalled').length;
    const active = r.clients.list().filter((c) => c.status !== 'uninstalled' && c.connection_type === 'active').length;
    const count = r.installers.list().length;

    await w.as.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: installed });
    let res = await create({ connection_type: 'passive' });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { error: { code: 'limit_installed', message: LIMIT_INSTALLED } });

    await w.as.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: installed + 1, max_active_jump_clients: active });
    res = await create({ connection_type: 'active' });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { error: { code: 'limit_active', message: LIMIT_ACTIVE } });
    assert.equal(r.installers.list().length, count, 'nothing created');
    await created({ connection_type: 'passive' });
  });

  it('extends: the new expiration is now + valid_duration', async () => {
    const body = await created({ valid_duration: 10 });
    const before = Date.now();
    const res = await w.as.techadm.patch(`${BASE}/${body.installer_id}`, { valid_duration: 60 * 24 * 7 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const expires = Date.parse(res.body.expiration_timestamp);
    assert.ok(expires >= before + 7 * 86_400_000 && expires <= Date.now() + 7 * 86_400_000);
    assert.equal(res.body.valid_duration, 60 * 24 * 7);
    assert.equal(res.body.key_info, body.key_info, 'the key stays');
    for (const [field, patch] of [['valid_duration', { valid_duration: 5 }], ['valid_duration', {}], ['name', { valid_duration: 60, name: 'x' }]] as const) {
      const bad = await w.as.admin.patch(`${BASE}/${body.installer_id}`, patch);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, field);
    }
    assert.equal(registry().installers.get(body.installer_id)?.expiration_timestamp, expires);
  });

  it('deletes an installer and leaves the clients it installed alone', async () => {
    const body = await created();
    const client = await putClient(registry(), { jump_group_id: w.g1.id, installer_id: body.installer_id });
    assert.equal((await w.as.techadm.del(`${BASE}/${body.installer_id}`)).status, 204);
    assert.equal((await w.as.admin.get(`${BASE}/${body.installer_id}`)).status, 404);
    assert.equal((await w.as.admin.del(`${BASE}/${body.installer_id}`)).status, 404);
    assert.equal(registry().installers.get(body.installer_id), undefined);
    assert.deepEqual(registry().clients.get(client.id), client);
  });

  const download = (path: string) => fetch(t.url + path);

  it('serves the installer file by public link and when logged in, and the file installs', async () => {
    const body = await created({ tag: 'from link', allow_override_tag: true });
    const res = await download(`/download/jump-client/${body.installer_id}/linux-64`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="jumpgate-client-${body.installer_id}.bin"`);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const data = Buffer.from(await res.arrayBuffer());
    assert.equal(data.subarray(0, 10).toString(), '#!/bin/sh\n');

    const authed = await fetch(`${t.url}${BASE}/${body.installer_id}/linux-64`, { headers: { authorization: `Bearer ${w.as.techadm.token}` } });
    assert.equal(authed.status, 200);
    assert.equal(Buffer.compare(Buffer.from(await authed.arrayBuffer()), data), 0, 'same file both ways');

    const run = mkdtempSync(join(dir, 'run-'));
    const bin = join(run, `jumpgate-client-${body.installer_id}.bin`);
    writeFileSync(bin, data);
    const out = spawnSync('sh', [bin, '--jc-tag', 'a b'], { cwd: run, env: { ...process.env, TMPDIR: run }, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^argc=3\narg=\[install\]\narg=\[--jc-tag\]\narg=\[a b\]\n/);
    const config = JSON.parse(out.stdout.slice(out.stdout.indexOf('config=') + 7));
    assert.equal(config.installer_id, body.installer_id);
    assert.equal(config.installer_key, body.key_info);
    assert.equal(config.appliance_url, t.appliance.publicUrl);
    assert.equal(config.jump_group, w.g1.code_name);
    assert.equal(config.tag, 'from link');
    assert.equal(config.allow_override.tag, true);
    assert.equal(config.expiration_timestamp, Date.parse(body.expiration_timestamp));
    assert.deepEqual(readdirSync(run), [`jumpgate-client-${body.installer_id}.bin`]);
  });

  it('answers other platforms with a 400 naming platform', async () => {
    const body = await created();
    for (const path of [`/download/jump-client/${body.installer_id}/windows-64`, `${BASE}/${body.installer_id}/mac`]) {
      const res = await w.as.admin.get(path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.field, 'platform');
    }
  });

  it('stops the public link after expiry and after delete, with one answer for every case', async () => {
    const expired = await created();
    const deleted = await created();
    const live = await created();
    const r = registry();
    await r.write(() => r.installers.put({ ...r.installers.get(expired.installer_id)!, expiration_timestamp: Date.now() - 1000 }));
    assert.equal((await w.as.admin.del(`${BASE}/${deleted.installer_id}`)).status, 204);
    const answers = [];
    for (const id of [expired.installer_id, deleted.installer_id, 'f'.repeat(32), 'nonsense']) {
      const res = await download(`/download/jump-client/${id}/linux-64`);
      answers.push({ status: res.status, body: await res.text() });
    }
    assert.equal(answers[0].status, 404);
    assert.deepEqual(JSON.parse(answers[0].body), { error: { code: 'not_found', message: 'The resource does not exist.' } });
    for (const a of answers) assert.deepEqual(a, answers[0]);
    assert.equal((await download(`/download/jump-client/${live.installer_id}/linux-64`)).status, 200);
    const authed = await w.as.admin.get(`${BASE}/${expired.installer_id}/linux-64`);
    assert.equal(authed.status, 409, 'an expired installer is extended before it is downloaded again');
    assert.equal((await w.as.admin.get(`${BASE}/${expired.installer_id}`)).body.is_expired, true);
    await w.as.admin.patch(`${BASE}/${expired.installer_id}`, { valid_duration: 10 });
    assert.equal((await download(`/download/jump-client/${expired.installer_id}/linux-64`)).status, 200, 'extending revives the link');
  });

  it('answers 404 for downloads while no agent program is built', async () => {
    const body = await created();
    artifact = undefined;
    const res = await download(`/download/jump-client/${body.installer_id}/linux-64`);
    assert.equal(res.status, 404);
    assert.match((await res.json()).error.message, /No Jump Client program/);
  });

  it('audits create, extend and delete without the installer key', async () => {
    const body = await created({ name: 'audited' }, 'techadm');
    await w.as.techadm.patch(`${BASE}/${body.installer_id}`, { valid_duration: 30 });
    await w.as.techadm.del(`${BASE}/${body.installer_id}`);
    const events = registry().audit.query({ item_type: 'installer', item_id: body.installer_id });
    assert.deepEqual(events.map((e) => e.event_type), ['deleted', 'changed', 'created']);
    for (const e of events) {
      assert.deepEqual(e.actor, { kind: 'user', id: w.users.techadm.id, name: 'techadm' });
      assert.ok(!JSON.stringify(e).includes(body.key_info), 'the key never reaches the audit log');
    }
    const [deleted, changed, created_] = events;
    assert.equal(created_.before, null);
    assert.equal((created_.after as { name: string }).name, 'audited');
    assert.equal((changed.before as { valid_duration: number }).valid_duration, 1440);
    assert.equal((changed.after as { valid_duration: number }).valid_duration, 30);
    assert.equal(deleted.after, null);
  });
});
