/**
 * The Jump Client agent's command line, run from source against a stand-in appliance: install
 * refusals change nothing, a service install for a second account runs as that account with private
 * files, and the installed client enrols once, reports, obeys disable, updates itself, and removes
 * itself when told or uninstalled.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startStandIn, testInstallerConfig, sha256, type StandIn } from './helpers/agent-appliance.ts';
import { agentCli, alive, createJanitor, ensureTestUser, entries, isRoot, pidOf, processUser, rootParent, run, runInstall, runInstallAs, sh, tempParent, TEST_USER } from './helpers/agent-cli.ts';

const janitor = createJanitor();
let standIn: StandIn;
let owner: { uid: number; gid: number };

before(async () => {
  standIn = await startStandIn({ heartbeatSeconds: 2 });
  if (isRoot()) owner = ensureTestUser();
});
after(async () => {
  janitor.cleanup();
  await standIn.close();
});

const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

describe('agent install refusals', () => {
  const refusals: [string, string[], (c: ReturnType<typeof testInstallerConfig>) => void, RegExp][] = [
    ['unknown switch', ['--jc-colour', 'red'], () => undefined, /^jumpgate-client: unknown switch: --jc-colour$/],
    ['tag too long', ['jc_tag=' + 't'.repeat(65)], () => undefined, /^jumpgate-client: jc_tag: must be at most 64 characters$/],
    ['override not allowed', ['--jc-name', 'x'], (c) => (c.allow_override.name = false), /does not allow the name to be overridden/],
    ['expired installer', [], (c) => (c.expiration_timestamp = Date.now() - 1000), /this installer expired on/],
    ['unknown account', ['--user', 'no-such-account-jg'], () => undefined, /--user: the account no-such-account-jg does not exist/],
    ['root as the account', ['--user', 'root'], () => undefined, /never runs as root/],
  ];
  for (const [label, switches, edit, expected] of refusals) {
    it(`refuses: ${label}, leaving nothing behind`, () => {
      const parent = janitor.dir(tempParent());
      const config = testInstallerConfig(standIn.url);
      edit(config);
      const user = switches.includes('--user') || !isRoot() ? [] : ['--user', TEST_USER];
      const r = runInstall(config, ['--install-dir', join(parent, 'jc'), ...user, ...switches]);
      assert.notEqual(r.status, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr.trim(), expected);
      assert.deepEqual(entries(parent), []);
    });
  }

  it('refuses an existing directory and a missing parent', () => {
    const parent = janitor.dir(tempParent());
    mkdirSync(join(parent, 'taken'));
    const user = isRoot() ? ['--user', TEST_USER] : [];
    const taken = runInstall(testInstallerConfig(standIn.url, { install_mode: 'user' }), ['--install-dir', join(parent, 'taken'), ...user]);
    assert.match(taken.stderr, /already exists; name a new directory/);
    const missing = runInstall(testInstallerConfig(standIn.url, { install_mode: 'user' }), ['installdir=' + join(parent, 'no', 'jc'), ...user]);
    assert.match(missing.stderr, /the parent directory .*\/no does not exist/);
    assert.deepEqual(entries(parent), ['taken']);
    assert.deepEqual(entries(join(parent, 'taken')), []);
  });

  it('refuses to install as root without --user, with a warning', { skip: !isRoot() && 'needs root' }, () => {
    const parent = janitor.dir(tempParent());
    const r = runInstall(testInstallerConfig(standIn.url), ['--install-dir', join(parent, 'jc')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^jumpgate-client: warning: .*--user <name>/);
    assert.deepEqual(entries(parent), []);
  });

  it('refuses without installer settings', () => {
    const r = agentCli(['install'], { JUMPGATE_INSTALLER_CONFIG_B64: '' });
    assert.match(lastLine(r.stderr), /must be run by a jumpgate-client \.bin installer/);
  });
});

describe('agent installed for another account', { skip: !isRoot() && 'needs root to create and switch accounts' }, () => {
  let dir: string;
  let clientId: number;

  it('installs, starts as that account, with private files', async () => {
    const parent = janitor.dir(rootParent());
    dir = join(parent, 'jc');
    const config = testInstallerConfig(standIn.url);
    const r = runInstall(config, ['--install-dir', dir, '--user', TEST_USER, '--jc-tag', 'servers', 'jc_comments=rack 4']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`installed in ${dir}`));
    assert.match(r.stdout, /init-script start/);
    const pid = janitor.pid(pidOf(dir));
    assert.ok(pid && alive(pid));
    assert.equal(processUser(pid), TEST_USER);
    assert.deepEqual(entries(parent), ['jc']);
    // What root runs (init-script, uninstall) and the directory holding them are root's; what the
    // client writes is the account's.
    const st = statSync(dir);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [0, owner.gid, 0o751]); // others pass through to requests/
    for (const script of ['init-script', 'uninstall']) {
      const s = statSync(join(dir, script));
      assert.deepEqual([s.uid, s.mode & 0o777], [0, 0o755], script);
      const tamper = await run('runuser', ['-u', TEST_USER, '--', 'sh', '-c', `echo id >> ${join(dir, script)} || mv ${join(dir, script)} ${join(dir, 'x')}`]);
      assert.notEqual(tamper.status, 0, `the account cannot change ${script}`);
    }
    const replace = await run('runuser', ['-u', TEST_USER, '--', 'sh', '-c', `printf '#!/bin/sh\\nid\\n' > ${join(dir, 'init-script.new')}`]);
    assert.notEqual(replace.status, 0, 'the account cannot add files beside them');
    for (const folder of ['bin', 'cache', 'run', 'log', 'state']) assert.equal(statSync(join(dir, folder)).uid, owner.uid, folder);
    assert.equal(statSync(join(dir, 'agent.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'agent.json')).uid, owner.uid);
    const enrolment = await standIn.waitFor(() => standIn.enrolments[0], 15_000, 'enrolment');
    assert.equal(enrolment.installer_key, config.installer_key);
    assert.deepEqual(enrolment.overrides, { tag: 'servers', comments: 'rack 4' });
    assert.match(enrolment.install_fingerprint, /^[0-9a-f]{64}$/);
    await standIn.waitFor(() => existsSync(join(dir, 'state', 'identity.json')), 5000, 'identity.json');
    assert.equal(statSync(join(dir, 'state', 'identity.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'state', 'identity.json')).uid, owner.uid);
    const hello = await standIn.waitFor(() => standIn.messages.find((m) => m.message.type === 'hello'), 15_000, 'hello');
    clientId = hello.clientId;
    assert.equal(hello.message.type === 'hello' && hello.message.statistics.install_mode, 'service');
    await standIn.waitFor(() => standIn.messages.find((m) => m.message.type === 'heartbeat'), 10_000, 'heartbeat');
  });

  it('init-script: status 0 running, 3 stopped; a restart reuses the identity', async () => {
    assert.equal(sh(join(dir, 'init-script'), ['status']).status, 0);
    const stop = sh(join(dir, 'init-script'), ['stop']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(sh(join(dir, 'init-script'), ['status']).status, 3);
    assert.equal(agentCli(['status', '--dir', dir]).status, 3);
    const hellos = standIn.messages.filter((m) => m.message.type === 'hello').length;
    const start = sh(join(dir, 'init-script'), ['start']);
    assert.equal(start.status, 0, start.stderr);
    assert.equal(sh(join(dir, 'init-script'), ['start']).status, 0, 'start is idempotent');
    const pid = janitor.pid(pidOf(dir));
    assert.equal(processUser(pid!), TEST_USER);
    await standIn.waitFor(() => standIn.messages.filter((m) => m.message.type === 'hello').length > hellos, 15_000, 'second hello');
    assert.equal(standIn.enrolments.length, 1);
  });

  it('disable and enable are reported to the appliance; status shows them', async () => {
    assert.equal(agentCli(['disable', '--dir', dir]).status, 0);
    await standIn.waitFor(() => standIn.messages.find((m) => m.message.type === 'state' && m.message.disabled), 10_000, 'state disabled');
    const status = agentCli(['status', '--dir', dir]);
    assert.equal(status.status, 0);
    assert.match(status.stdout, /disabled/);
    assert.match(status.stdout, new RegExp(`client id: +${clientId}`));
    assert.equal(agentCli(['enable', '--dir', dir]).status, 0);
    await standIn.waitFor(() => standIn.messages.find((m) => m.message.type === 'state' && !m.message.disabled), 10_000, 'state enabled');
  });

  it('a failed update check keeps the old program; a good one replaces it and restarts', async () => {
    const program = join(dir, 'bin', 'jumpgate-agent');
    const before = readFileSync(program);
    const oldPid = pidOf(dir)!;
    const body = Buffer.concat([before, Buffer.from('# updated\n')]);
    standIn.updateBody = body;
    standIn.update = { version: '9.9.9', sha256: '0'.repeat(64), size: body.length, path: '/agent/v1/update' };
    standIn.send(clientId, { type: 'update', update: standIn.update });
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(readFileSync(program), before);
    assert.equal(existsSync(program + '.new'), false);
    assert.equal(pidOf(dir), oldPid);
    assert.ok(alive(oldPid));
    standIn.update = { ...standIn.update, sha256: sha256(body) };
    const hellos = standIn.messages.filter((m) => m.message.type === 'hello').length;
    standIn.send(clientId, { type: 'update', update: standIn.update });
    const newPid = await standIn.waitFor(() => (pidOf(dir) !== oldPid ? pidOf(dir) : undefined), 15_000, 'new pid');
    janitor.pid(newPid);
    assert.deepEqual(readFileSync(program), body);
    assert.equal(statSync(program).mode & 0o777, 0o755);
    await standIn.waitFor(() => standIn.messages.filter((m) => m.message.type === 'hello').length > hellos, 15_000, 'hello after update');
    await standIn.waitFor(() => !alive(oldPid) || undefined, 10_000, 'old agent gone');
    assert.equal(processUser(newPid), TEST_USER);
    standIn.update = null;
  });

  it('removes itself when the appliance answers 410 Gone', async () => {
    const pid = pidOf(dir)!;
    standIn.gone.add(clientId);
    standIn.sockets.get(clientId)?.terminate();
    await standIn.waitFor(() => standIn.upgrades.find((u) => u.clientId === clientId && u.status === 410), 15_000, '410');
    // The account removes all it owns and empties its configuration; what root owns waits for root.
    await standIn.waitFor(() => !existsSync(join(dir, 'bin', 'jumpgate-agent')) || undefined, 15_000, 'program removed');
    await standIn.waitFor(() => !alive(pid) || undefined, 10_000, 'agent exit');
    assert.deepEqual(entries(dir), ['agent.json', 'bin', 'cache', 'init-script', 'log', 'requests', 'run', 'state', 'uninstall']);
    for (const folder of ['bin', 'cache', 'log', 'requests', 'run', 'state']) assert.deepEqual(entries(join(dir, folder)), [], folder);
    assert.equal(statSync(join(dir, 'agent.json')).size, 0, 'the installer key is not left behind');
    const start = sh(join(dir, 'init-script'), ['start']);
    assert.notEqual(start.status, 0);
    assert.match(start.stderr, /the client program is gone/);
    const u = await run(join(dir, 'uninstall'), [], { timeoutMs: 60_000 });
    assert.equal(u.status, 0, u.stdout + u.stderr);
    assert.equal(existsSync(dir), false, u.stdout + u.stderr);
  });
});

describe('agent uninstall and refused enrolment', { skip: !isRoot() && 'needs root to create and switch accounts' }, () => {
  it('DIR/uninstall stops the agent, tells the appliance and removes everything', async () => {
    const parent = janitor.dir(rootParent());
    const dir = join(parent, 'jc');
    const r = runInstall(testInstallerConfig(standIn.url), ['--install-dir', dir, '--user', TEST_USER]);
    assert.equal(r.status, 0, r.stderr);
    const pid = janitor.pid(pidOf(dir))!;
    await standIn.waitFor(() => existsSync(join(dir, 'state', 'identity.json')) || undefined, 15_000, 'identity');
    const id = JSON.parse(readFileSync(join(dir, 'state', 'identity.json'), 'utf8')).client_id as number;
    const u = await run(join(dir, 'uninstall'), [], { timeoutMs: 60_000 });
    assert.equal(u.status, 0, u.stderr);
    assert.equal(existsSync(dir), false);
    assert.equal(alive(pid), false);
    assert.doesNotMatch(u.stdout, /could not be told/, u.stdout + u.stderr);
    await standIn.waitFor(() => standIn.messages.find((m) => m.clientId === id && m.message.type === 'uninstalling'), 10_000, 'uninstalling');
  });

  it('an enrolment refused by the appliance stops the agent with the catalog message', async () => {
    const parent = janitor.dir(rootParent());
    const dir = join(parent, 'jc');
    standIn.refuseEnrolment = { status: 409, code: 'limit_installed', message: 'The total number of deployable Jump Clients for this site has been reached.' };
    try {
      const r = runInstall(testInstallerConfig(standIn.url), ['--install-dir', dir, '--user', TEST_USER]);
      janitor.pid(pidOf(dir));
      assert.equal(r.status === 0 || r.status === 1, true, r.stderr);
      await standIn.waitFor(() => sh(join(dir, 'init-script'), ['status']).status === 3 || undefined, 15_000, 'stopped');
      const log = readFileSync(join(dir, 'log', 'agent.log'), 'utf8');
      assert.match(log, /deployable Jump Clients for this site has been reached/);
      assert.equal(existsSync(join(dir, 'state', 'identity.json')), false);
    } finally {
      standIn.refuseEnrolment = undefined;
    }
  });
});

describe('what root runs stays root\'s', { skip: !isRoot() && 'needs root to create and switch accounts' }, () => {
  it('refuses a service-mode directory in a place another account can change', () => {
    const parent = janitor.dir(tempParent(owner));
    const r = runInstall(testInstallerConfig(standIn.url), ['--install-dir', join(parent, 'jc'), '--user', TEST_USER]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${parent} can be changed by accounts other than root`));
    assert.deepEqual(entries(parent), []);
  });

  it('a user-mode client installed by root is its account\'s, and its scripts refuse root', async () => {
    const parent = janitor.dir(tempParent(owner));
    const dir = join(parent, 'jc');
    const r = runInstall(testInstallerConfig(standIn.url, { install_mode: 'user' }), ['--install-dir', dir, '--user', TEST_USER]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`crontab -u ${TEST_USER}`));
    const pid = janitor.pid(pidOf(dir))!;
    assert.equal(processUser(pid), TEST_USER, 'started as the account');
    assert.equal(statSync(dir).uid, owner.uid);
    for (const script of ['init-script', 'uninstall']) {
      const asRoot = sh(join(dir, script), script === 'uninstall' ? [] : ['status']);
      assert.equal(asRoot.status, 4, script);
      assert.match(asRoot.stderr, new RegExp(`belongs to ${TEST_USER}`));
    }
    assert.equal(existsSync(dir), true, "root's uninstall did nothing");
    const u = await run('runuser', ['-u', TEST_USER, '--', join(dir, 'uninstall')], { timeoutMs: 60_000 });
    assert.equal(u.status, 0, u.stderr);
    assert.equal(existsSync(dir), false);
  });
});

describe('agent installed by an ordinary account', { skip: !isRoot() && 'needs root to switch accounts' }, () => {
  it('refuses a service-mode installer', () => {
    const r = runInstallAs(TEST_USER, testInstallerConfig(standIn.url, { install_mode: 'service' }), []);
    assert.equal(r.status, 1);
    assert.match(r.stderr.trim(), /^jumpgate-client: this installer installs a service-mode client: run it as root with --user <name>$/);
  });

  it('installs a user-mode client in its home by default, and uninstalls it', async () => {
    const config = testInstallerConfig(standIn.url, { install_mode: 'user' });
    const dir = janitor.dir(`/home/${TEST_USER}/.jumpgate-client-${config.installer_id.slice(0, 8)}`);
    const r = runInstallAs(TEST_USER, config, ['jc_name=home-box']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /crontab/);
    const pid = janitor.pid(pidOf(dir))!;
    assert.equal(processUser(pid), TEST_USER);
    const enrolment = await standIn.waitFor(() => standIn.enrolments.find((e) => e.installer_key === config.installer_key), 15_000, 'enrolment');
    assert.deepEqual(enrolment.overrides, { name: 'home-box' });
    assert.equal(enrolment.statistics.install_mode, 'user');
    await standIn.waitFor(() => existsSync(join(dir, 'state', 'identity.json')) || undefined, 15_000, 'identity');
    const u = await run('runuser', ['-u', TEST_USER, '--', join(dir, 'uninstall')], { timeoutMs: 60_000 });
    assert.equal(u.status, 0, u.stderr);
    assert.equal(existsSync(dir), false);
    assert.equal(alive(pid), false);
  });
});
