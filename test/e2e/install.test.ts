/**
 * Issue 3 end to end: the real appliance (a child process, TLS with its self-signed certificate),
 * installers made through the API, the real `.bin` from the public link run with `sh`, and real
 * agents running as the second account. Every switch and refusal of SPEC D3, init-script exit
 * codes, presence with every A3 field, stop/restart, disable/enable, uninstall and console removal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { AGENT_PATH, agentCredentials } from '../../src/shared/protocol.ts';
import { startE2eAppliance, stopAll, type E2eAppliance } from '../helpers/e2e-appliance.ts';
import {
  alive,
  CLIENTS,
  createInstaller,
  createInstalls,
  downloadBin,
  ensureTestUser,
  installClient,
  installParent,
  pidOf,
  run,
  runBin,
  TEST_USER,
  VISITOR_USER,
  waitForClient,
} from '../helpers/e2e-clients.ts';
import { eventually } from '../helpers/hub-client.ts';

const installs = createInstalls();
let a: E2eAppliance;
let parent: string;
/** Service mode, nothing may be overridden. */
let strictBin: string;
/** Service mode, every field may be overridden. */
let openBin: string;
let groupCode: string;
let groupId: number;

before(async () => {
  ensureTestUser();
  a = await startE2eAppliance();
  parent = installs.track(installParent());
  const group = await a.admin.post('/api/config/v1/jump-group', { name: 'E2E Servers' });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  groupId = group.body.id;
  groupCode = group.body.code_name;
  strictBin = await downloadBin(a, (await createInstaller(a, { name: 'strict' })).installer_id, parent);
  const open = await createInstaller(a, {
    allow_override_jump_group: true,
    allow_override_name: true,
    allow_override_tag: true,
    allow_override_comments: true,
    allow_override_max_offline_minutes: true,
  });
  openBin = await downloadBin(a, open.installer_id, parent);
});
after(async () => {
  await installs.cleanup();
  await stopAll();
});

const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  return lines[0]!;
};

const clientsNow = async (): Promise<any[]> => (await a.admin.get(`${CLIENTS}?per_page=1000`)).body;

describe('the .bin refuses, with one line and nothing left behind', () => {
  const cases: [string, () => string, (dir: string) => string[], RegExp, string?][] = [
    ['an unknown switch', () => openBin, (d) => ['--install-dir', d, '--user', TEST_USER, '--jc-colour', 'red'], /unknown switch: --jc-colour/],
    ['--jc-name on an installer that does not allow it', () => strictBin, (d) => ['--install-dir', d, '--user', TEST_USER, '--jc-name', 'x'], /does not allow the name to be overridden/],
    ['jc_tag= (MSI spelling) not allowed', () => strictBin, (d) => [`installdir=${d}`, '--user', TEST_USER, 'jc_tag=web'], /does not allow the tag to be overridden/],
    ['--jc-jump-group not allowed', () => strictBin, (d) => ['--install-dir', d, '--user', TEST_USER, '--jc-jump-group', 'user:admin'], /does not allow the Jump Group to be overridden/],
    ['--jc-comments not allowed', () => strictBin, (d) => ['--install-dir', d, '--user', TEST_USER, '--jc-comments', 'c'], /does not allow the comments to be overridden/],
    ['--jc-max-offline-minutes not allowed', () => strictBin, (d) => ['--install-dir', d, '--user', TEST_USER, '--jc-max-offline-minutes', '60'], /does not allow the maximum offline time to be overridden/],
    ['a tag over 64 characters', () => openBin, (d) => ['--install-dir', d, '--user', TEST_USER, '--jc-tag', 't'.repeat(65)], /--jc-tag: must be at most 64 characters/],
    ['an account that does not exist', () => openBin, (d) => ['--install-dir', d, '--user', 'no-such-account-e2e'], /--user: the account no-such-account-e2e does not exist/],
    ['root as the account', () => openBin, (d) => ['--install-dir', d, '--user', 'root'], /never runs as root/],
    ['root without --user', () => openBin, (d) => ['--install-dir', d], /warning: installing as root is not recommended; pass --user/],
    ['a missing parent directory', () => openBin, (d) => ['--install-dir', join(d, 'deeper', 'jc'), '--user', TEST_USER], /the parent directory .* does not exist/],
  ];
  for (const [label, bin, args, expected] of cases) {
    it(label, async () => {
      const where = installs.track(installParent());
      const r = await runBin(bin(), args(join(where, 'jc')));
      assert.notEqual(r.status, 0);
      assert.match(oneLine(r.stderr), expected);
      assert.deepEqual(readdirSync(where), [], 'nothing is left behind');
    });
  }

  it('an existing directory, and a parent the account cannot reach', async () => {
    const where = installs.track(installParent());
    mkdirSync(join(where, 'taken'));
    const taken = await runBin(openBin, ['--install-dir', join(where, 'taken'), '--user', TEST_USER]);
    assert.notEqual(taken.status, 0);
    assert.match(oneLine(taken.stderr), /already exists; name a new directory/);
    const closed = join(where, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const unreachable = await runBin(openBin, ['--install-dir', join(closed, 'jc'), '--user', TEST_USER]);
    assert.notEqual(unreachable.status, 0);
    assert.match(oneLine(unreachable.stderr), /the account jumpgate-test cannot reach/);
    assert.deepEqual(readdirSync(where).sort(), ['closed', 'taken']);
    assert.deepEqual(readdirSync(closed), []);
  });

  it('a service-mode installer run by an ordinary account', async () => {
    const where = installParent();
    installs.track(where);
    spawnSync('chown', [TEST_USER, where]);
    const r = await runBin(openBin, ['--install-dir', join(where, 'jc')], TEST_USER);
    assert.notEqual(r.status, 0);
    assert.match(oneLine(r.stderr), /run it as root with --user/);
    assert.deepEqual(readdirSync(where), []);
  });

  it('creates no Jump Client', async () => {
    assert.equal((await clientsNow()).length, 0);
  });
});

describe('an installed Jump Client', () => {
  let dir: string;
  let row: any;

  it('installs with every --jc-* switch, runs as --user with private files, and shows online with every A3 field', async () => {
    const installed = await installClient(openBin, parent, 'jc-switches', [
      '--jc-jump-group', groupCode,
      '--jc-tag', 'web',
      '--jc-comments', 'racked in row 4',
      '--jc-name', 'e2e-web-01',
      '--jc-max-offline-minutes', '600',
    ]);
    dir = installed.dir;
    assert.match(installed.run.stdout, /to start it at boot, have this line run at start-up/);
    row = await waitForClient(a, (r) => r.name === 'e2e-web-01' && r.status === 'online');
    assert.deepEqual(
      [row.jump_group_type, row.jump_group_id, row.tag, row.comments, row.max_offline_minutes, row.install_mode, row.connection_type],
      ['shared', groupId, 'web', 'racked in row 4', 600, 'service', 'active'],
    );
    const s = row.statistics;
    for (const field of ['hostname', 'fqdn', 'operating_system', 'os_version', 'arch', 'kernel', 'agent_version', 'install_mode']) {
      assert.ok(typeof s[field] === 'string' && (field === 'console_user' || s[field].length > 0), `statistics.${field}: ${s[field]}`);
    }
    assert.equal(typeof s.console_user, 'string');
    assert.ok(Array.isArray(s.private_ips) && s.private_ips.length > 0);
    assert.equal(s.cpu_load.length, 3);
    for (const n of ['uptime_seconds', 'memory_total_bytes', 'memory_free_bytes', 'disk_total_bytes', 'disk_free_bytes']) assert.ok(s[n] > 0, n);
    assert.equal(s.agent_version, '0.1.0');
    assert.equal(row.public_ip, '127.0.0.1');
    assert.equal(row.hostname, s.hostname);

    const pid = installs.pid(pidOf(dir))!;
    assert.equal(spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim(), TEST_USER);
    const identity = statSync(join(dir, 'state', 'identity.json'));
    assert.equal(identity.mode & 0o777, 0o600);
    // root's, open to the account's group (init-script and uninstall are run by root); others may
    // only pass through, to leave disable and enable requests in requests/.
    const st = statSync(dir);
    assert.deepEqual([st.uid, st.mode & 0o7777], [0, 0o751]);
    assert.equal(st.gid, ensureTestUser().gid);
    const requests = statSync(join(dir, 'requests'));
    assert.deepEqual([requests.uid, requests.mode & 0o7777], [identity.uid, 0o1733]);
    for (const own of ['bin', 'state', 'run', 'log', 'cache']) assert.equal(statSync(join(dir, own)).mode & 0o777, 0o700, own);
    assert.equal(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim(), String(identity.uid));
  });

  it('installs with the MSI-style twins (installdir=, jc_*=, KEY_INFO=)', async () => {
    const installer = await a.admin.get(`/api/config/v1/jump-client/installer?per_page=100`);
    const key = (installer.body as any[]).find((i) => openBin.includes(i.installer_id)).key_info;
    const twin = join(parent, 'jc-twins');
    const r = await runBin(openBin, [
      `installdir=${twin}`, `user=${TEST_USER}`, 'jc_jump_group=user:admin', 'jc_tag=db', 'jc_comments=twin', 'jc_name=e2e-twin',
      'jc_max_offline_minutes=120', `KEY_INFO=${key}`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const twinRow = await waitForClient(a, (c) => c.name === 'e2e-twin' && c.status === 'online');
    assert.deepEqual([twinRow.jump_group_type, twinRow.jump_group_id, twinRow.tag, twinRow.comments, twinRow.max_offline_minutes], ['personal', 1, 'db', 'twin', 120]);
    installs.pid(pidOf(twin));
  });

  it('init-script: status 0 running, 3 stopped; stop → offline within seconds with the reason; restart → same id', async () => {
    const init = join(dir, 'init-script');
    assert.equal((await run(init, ['status'])).status, 0);
    const stopped = await run(init, ['stop']);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.equal((await run(init, ['status'])).status, 3);
    const offline = await waitForClient(a, (r) => r.id === row.id && r.status === 'offline', 5000, 'offline');
    assert.match(offline.last_disconnect_reason, /the agent stopped/);
    assert.match(offline.unavailable_reason, /the agent stopped/);
    assert.equal((await run(init, ['start'])).status, 0);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'online', 10_000, 'online again');
    const restarted = await run(init, ['restart']);
    assert.equal(restarted.status, 0, restarted.stderr);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'online', 10_000, 'online after restart');
    installs.pid(pidOf(dir));
    assert.equal((await clientsNow()).filter((c) => c.name === 'e2e-web-01').length, 1, 'no duplicate');
    assert.equal((await run(init, ['bogus'])).status, 2);
  });

  it('disable and enable at the machine: status disabled, a Jump refused with E-DISABLED, then online again', async () => {
    const agent = join(dir, 'bin', 'jumpgate-agent');
    const off = await run('runuser', ['-u', TEST_USER, '--', agent, 'disable', '--dir', dir]);
    assert.equal(off.status, 0, off.stderr);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'disabled', 5000, 'disabled');
    const jump = await a.admin.post('/api/command/v1/jump', { jump_client_id: row.id });
    assert.equal(jump.status, 409);
    assert.deepEqual(jump.body.error, {
      code: 'jump_client_disabled',
      message: 'The Jump Client has been disabled by the user and does not currently allow a session to start.',
    });
    const on = await run('runuser', ['-u', TEST_USER, '--', agent, 'enable', '--dir', dir]);
    assert.equal(on.status, 0, on.stderr);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'online', 5000, 'enabled');
  });

  it('another account at the machine disables and enables it through init-script, and reads nothing else', async () => {
    const visitor = ensureTestUser(VISITOR_USER);
    const init = join(dir, 'init-script');
    const asVisitor = (...args: string[]) => run('runuser', ['-u', VISITOR_USER, '--', init, ...args]);
    const off = await asVisitor('disable');
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stdout, /disabled: no session can start/);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'disabled', 5000, 'disabled by another account');
    assert.equal((await a.admin.post('/api/command/v1/jump', { jump_client_id: row.id })).body.error.code, 'jump_client_disabled');
    // Its enable waits out the cool-down after the disable, then is applied.
    const on = await asVisitor('enable');
    assert.equal(on.status, 0, on.stderr);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'online', 5000, 'enabled by another account');
    const log = readFileSync(join(dir, 'log', 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`enable asked at the machine.*"uid":${visitor.uid}.*"outcome":"done"`));
    // A disable made by the client's account (or root) is not another account's to undo.
    assert.equal((await run('runuser', ['-u', TEST_USER, '--', join(dir, 'bin', 'jumpgate-agent'), 'disable', '--dir', dir])).status, 0);
    const refused = await asVisitor('enable');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /refused/);
    assert.equal(existsSync(join(dir, 'state', 'disabled')), true);
    assert.equal((await run('runuser', ['-u', TEST_USER, '--', join(dir, 'bin', 'jumpgate-agent'), 'enable', '--dir', dir])).status, 0);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'online', 5000, 'enabled by its account');
    // Passing through is all: the folders and the configuration stay closed, and so do the other commands.
    for (const closed of [['ls', dir], ['ls', join(dir, 'requests')], ['cat', join(dir, 'agent.json')], ['ls', join(dir, 'state')]]) {
      assert.notEqual((await run('runuser', ['-u', VISITOR_USER, '--', ...closed])).status, 0, closed.join(' '));
    }
    assert.equal((await asVisitor('status')).status, 4);
    // Stopped, the client answers nothing: the request is withdrawn and nothing changes.
    assert.equal((await run(init, ['stop'])).status, 0);
    const unheard = await asVisitor('disable');
    assert.equal(unheard.status, 1);
    assert.match(unheard.stderr, /no answer within 15 s .*nothing changed/);
    assert.deepEqual(readdirSync(join(dir, 'requests')), []);
    assert.equal(existsSync(join(dir, 'state', 'disabled')), false);
    assert.equal((await run(init, ['start'])).status, 0);
    await waitForClient(a, (r) => r.id === row.id && r.status === 'online', 10_000, 'online again');
  });

  it('DIR/uninstall removes the files and the row stays, uninstalled, with its last statistics', async () => {
    const pid = pidOf(dir)!;
    const r = await run(join(dir, 'uninstall'), []);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(dir), false);
    assert.equal(alive(pid), false);
    const gone = await waitForClient(a, (c) => c.id === row.id && c.status === 'uninstalled', 5000, 'uninstalled');
    assert.equal(gone.statistics.hostname, row.statistics.hostname);
  });

  it('removal in the console revokes the client: the agent is refused and removes its files', async () => {
    const twin = join(parent, 'jc-twins');
    const twinRow = await waitForClient(a, (c) => c.name === 'e2e-twin');
    const pid = pidOf(twin)!;
    const identity = JSON.parse(readFileSync(join(twin, 'state', 'identity.json'), 'utf8'));
    assert.equal((await a.admin.del(`${CLIENTS}/${twinRow.id}`)).status, 204);
    // Installed by root: the agent removes what is its own; root's uninstall removes the rest.
    await eventually(() => !alive(pid) && !existsSync(join(twin, 'bin', 'jumpgate-agent')), 15_000, 'the agent to remove itself');
    assert.equal(statSync(join(twin, 'agent.json')).size, 0, 'the installer key is not left behind');
    assert.equal((await a.admin.get(`${CLIENTS}/${twinRow.id}`)).status, 404);
    // Its identity is refused from then on, and told to uninstall (410).
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}${AGENT_PATH}`, {
        headers: { authorization: agentCredentials(identity.client_id, identity.secret) },
        ...a.wsTls,
      });
      ws.once('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
      ws.once('open', () => (resolve(101), ws.terminate()));
      ws.once('error', reject);
    });
    assert.equal(status, 410);
  });

  it('a user-mode installer run by the account itself installs for that account by default', async () => {
    const userInstaller = await createInstaller(a, { install_mode: 'user', name: 'e2e-user-mode' });
    const own = installParent();
    installs.track(own);
    spawnSync('chown', [TEST_USER, own]);
    const bin = await downloadBin(a, userInstaller.installer_id, own);
    const target = join(own, 'jc');
    const r = await runBin(bin, ['--install-dir', target], TEST_USER);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /runs as jumpgate-test, user mode/);
    const pid = installs.pid(pidOf(target))!;
    assert.equal(spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim(), TEST_USER);
    const userRow = await waitForClient(a, (c) => c.name === 'e2e-user-mode' && c.status === 'online');
    assert.equal(userRow.install_mode, 'user');
    const removed = await run('runuser', ['-u', TEST_USER, '--', join(target, 'uninstall')]);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(existsSync(target), false);
  });
});
