/**
 * Issue 3 end to end, the pinned link and self-update: an installed Jump Client pointed at an
 * impostor appliance (its own self-signed certificate) refuses it before a byte of the protocol;
 * an appliance carrying the next agent version (the bundle built into a temporary folder with the
 * agent built by `scripts/build-agent.mjs --version 0.1.1` beside it, on the same data and port)
 * has the installed agent update itself and come back with the new version.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../helpers/cli.ts';
import { startE2eAppliance, stopAll, type E2eAppliance } from '../helpers/e2e-appliance.ts';
import { alive, createInstaller, createInstalls, downloadBin, ensureTestUser, installClient, installParent, pidOf, run, waitForClient } from '../helpers/e2e-clients.ts';
import { eventually } from '../helpers/hub-client.ts';

const installs = createInstalls();
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let a: E2eAppliance;
let dir: string;
let clientId: number;
/** The bundle and the next agent version, built inside the repository (the bundle loads node_modules). */
let next: string;
let nextBuild: Promise<void>;

before(async () => {
  ensureTestUser();
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  next = mkdtempSync(join(REPO, '.tmp', 'e2e-update-'));
  nextBuild = (async () => {
    const bundle = await run(process.execPath, ['build.mjs', '--outdir', next, '--no-sea'], { cwd: REPO });
    assert.equal(bundle.status, 0, bundle.stderr);
    const agent = await run(process.execPath, ['scripts/build-agent.mjs', '--outdir', join(next, 'agent'), '--version', '0.1.1'], { cwd: REPO });
    assert.equal(agent.status, 0, agent.stderr);
  })();
  a = await startE2eAppliance();
  const parent = installs.track(installParent());
  const installer = await createInstaller(a, { name: 'e2e-update-box' });
  dir = (await installClient(await downloadBin(a, installer.installer_id, parent), parent, 'jc')).dir;
  installs.pid(pidOf(dir));
  clientId = (await waitForClient(a, (r) => r.name === 'e2e-update-box' && r.status === 'online')).id;
});
after(async () => {
  await nextBuild.catch(() => undefined); // its failure is reported by the test that waits for it
  await installs.cleanup();
  await stopAll();
  rmSync(next, { recursive: true, force: true });
});

/** Rewrites the appliance address the installed client uses (as root, keeping owner and mode). */
function pointAt(url: string): void {
  const file = join(dir, 'agent.json');
  const st = statSync(file);
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.installer.appliance_url = url;
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: st.mode & 0o777 });
  chownSync(file, st.uid, st.gid);
}

describe('the pinned link and self-update of an installed Jump Client', () => {
  it('refuses an impostor appliance with another certificate', async () => {
    const impostor = await startE2eAppliance();
    const log = join(dir, 'log', 'agent.log');
    const logStart = statSync(log).size;
    pointAt(impostor.url);
    try {
      assert.equal((await run(join(dir, 'init-script'), ['restart'])).status, 0);
      installs.pid(pidOf(dir));
      const refused = await eventually(() => {
        const text = readFileSync(log, 'utf8').slice(logStart);
        // The pinned certificate is the only CA, so TLS refuses another one before the pin check.
        return /"could not connect","reason":"(self-signed certificate|the appliance certificate .* is not the pinned)/.test(text) && text;
      }, 15_000, 'the agent to refuse the impostor').catch((err: Error) => {
        throw new Error(`${err.message}; the agent logged: ${readFileSync(log, 'utf8').slice(logStart).slice(-1500)}`);
      });
      assert.doesNotMatch(refused, /"connected"/);
      assert.deepEqual((await impostor.admin.get('/api/config/v1/jump-client')).body, [], 'the impostor learnt of no client');
      const metrics = (await impostor.anonymous().raw('GET', '/metrics')).body.toString();
      assert.match(metrics, /^jumpgate_agents_connected 0$/m);
    } finally {
      pointAt(a.url);
      await impostor.stop();
    }
    assert.equal((await run(join(dir, 'init-script'), ['restart'])).status, 0);
    installs.pid(pidOf(dir));
    await waitForClient(a, (r) => r.id === clientId && r.status === 'online', 15_000, 'back online with the real appliance');
  });

  it('a 50 MB upload over TLS', async () => {
    const jump = await a.admin.post('/api/command/v1/jump', { jump_client_id: clientId });
    assert.equal(jump.status, 201, JSON.stringify(jump.body));
    const data = randomBytes(50 * 1024 * 1024);
    try {
      // Into a folder of the account: the install directory itself is root's.
      const folder = installs.track(mkdtempSync(join(tmpdir(), 'jumpgate-e2e-upload-')));
      const account = ensureTestUser();
      chownSync(folder, account.uid, account.gid);
      const target = join(folder, 'upload.bin');
      const put = await a.admin.raw('PUT', `/api/session/v1/${jump.body.session_id}/files?path=${encodeURIComponent(target)}`, data);
      assert.equal(put.status, 201);
      assert.equal(sha256(readFileSync(target)), sha256(data), 'byte-identical on the machine');
    } finally {
      await a.admin.del(`/api/session/v1/${jump.body.session_id}`);
    }
  });

  it('updates itself when the appliance carries the next version, and comes back with it', async () => {
    await nextBuild;
    const record = JSON.parse(readFileSync(join(next, 'agent', 'jumpgate-agent.json'), 'utf8'));
    assert.equal(record.version, '0.1.1');
    const oldPid = pidOf(dir)!;
    await a.stop();
    const b = await startE2eAppliance({ bundle: join(next, 'jumpgate.mjs'), dataDir: a.dataDir, port: a.port });
    const row = await waitForClient(b, (r) => r.id === clientId && r.agent_version === '0.1.1' && r.status === 'online', 90_000, 'the agent to come back updated');
    assert.equal(row.needs_update, false);
    const program = readFileSync(join(dir, 'bin', 'jumpgate-agent'));
    assert.equal(sha256(program), record.sha256, 'the installed program is the new build');
    const newPid = installs.pid(pidOf(dir))!;
    assert.notEqual(newPid, oldPid);
    assert.equal(alive(oldPid), false);
    assert.equal((await run(join(dir, 'bin', 'jumpgate-agent'), ['--version'])).stdout.trim(), '0.1.1');
    const rows: any[] = (await b.admin.get('/api/config/v1/jump-client')).body;
    assert.equal(rows.filter((r) => r.name === 'e2e-update-box').length, 1, 'the same client, no duplicate');
    const jump = await b.admin.post('/api/command/v1/jump', { jump_client_id: clientId });
    assert.equal(jump.status, 201, 'the updated agent starts sessions');
    assert.equal((await b.admin.del(`/api/session/v1/${jump.body.session_id}`)).status, 204);
  });
});
