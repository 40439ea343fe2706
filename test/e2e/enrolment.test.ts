/**
 * Issue 3 end to end, enrolment: an installer deleted or expired after its `.bin` was downloaded
 * cannot enrol (the public link stops working too), and the site caps give the catalog's exact
 * errors both when creating an installer and when a real client enrols beyond them. The expiry is
 * made by rewriting the installer's expiration in the registry while the appliance is stopped
 * (validity is at least ten minutes through the API).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRegistry } from '../../src/registry/index.ts';
import { startE2eAppliance, stopAll, type E2eAppliance } from '../helpers/e2e-appliance.ts';
import { CLIENTS, createInstaller, createInstalls, downloadBin, ensureTestUser, installClient, installParent, INSTALLERS, pidOf, runBin, TEST_USER, waitForClient } from '../helpers/e2e-clients.ts';

const LIMIT_INSTALLED = { code: 'limit_installed', message: 'The total number of deployable Jump Clients for this site has been reached.' };
const LIMIT_ACTIVE = { code: 'limit_active', message: 'The total number of deployable active Jump Clients for this site has been reached.' };

const installs = createInstalls();
let a: E2eAppliance;
let parent: string;

before(async () => {
  ensureTestUser();
  a = await startE2eAppliance();
  parent = installs.track(installParent());
});
after(async () => {
  await installs.cleanup();
  await stopAll();
});

const clientCount = async (): Promise<number> => ((await a.admin.get(`${CLIENTS}?per_page=1000`)).body as unknown[]).length;
const publicLink = async (id: string): Promise<number> => (await a.anonymous().raw('GET', `/download/jump-client/${id}/linux-64`)).status;

/** Runs the .bin; the client installs, but its first start is refused: returns what the agent logged. */
async function refusedInstall(bin: string, name: string): Promise<string> {
  const dir = join(parent, name);
  const r = await runBin(bin, ['--install-dir', dir, '--user', TEST_USER]);
  installs.pid(pidOf(dir));
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr, /jumpgate-client: enrolment refused: /, 'the person installing is told why');
  assert.match(r.stderr, /the client did not start; see/);
  assert.ok(existsSync(join(dir, 'log', 'agent.log')));
  assert.equal(existsSync(join(dir, 'state', 'identity.json')), false, 'no identity');
  return readFileSync(join(dir, 'log', 'agent.log'), 'utf8');
}

describe('enrolment of a real client', () => {
  it('a deleted installer cannot enrol, and its public link stops working', async () => {
    const installer = await createInstaller(a, { name: 'e2e-deleted' });
    const bin = await downloadBin(a, installer.installer_id, parent);
    assert.equal((await a.admin.del(`${INSTALLERS}/${installer.installer_id}`)).status, 204);
    assert.equal(await publicLink(installer.installer_id), 404);
    const log = await refusedInstall(bin, 'jc-deleted');
    assert.match(log, /enrolment refused: The installer does not exist or has been deleted\. \(installer_not_found\)/);
    assert.equal(await clientCount(), 0);
  });

  it('an expired installer cannot enrol, and its public link stops working', async () => {
    const installer = await createInstaller(a, { name: 'e2e-expired' });
    const bin = await downloadBin(a, installer.installer_id, parent);
    await a.stop();
    const registry = await openRegistry(a.dataDir);
    try {
      await registry.write(() => {
        const row = registry.installers.get(installer.installer_id)!;
        registry.installers.put({ ...row, expiration_timestamp: Date.now() - 60_000 });
      });
    } finally {
      await registry.close();
    }
    a = await startE2eAppliance({ dataDir: a.dataDir, port: a.port });
    assert.equal(await publicLink(installer.installer_id), 404);
    const log = await refusedInstall(bin, 'jc-expired');
    assert.match(log, /enrolment refused: The installer has expired\. \(installer_expired\)/);
    assert.equal(await clientCount(), 0);
  });
});

describe('the site caps', () => {
  it('an installer at the installed cap, and an enrolment beyond it, fail with E-LIMIT-INSTALLED', async () => {
    const installer = await createInstaller(a, { name: 'e2e-cap' });
    const bin = await downloadBin(a, installer.installer_id, parent);
    const first = await installClient(bin, parent, 'jc-cap-1');
    installs.pid(pidOf(first.dir));
    await waitForClient(a, (r) => r.status === 'online');
    assert.equal(await clientCount(), 1);
    assert.equal((await a.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: 1 })).status, 200);
    const create = await a.admin.post(INSTALLERS, { jump_group_id: 1, jump_group_type: 'personal' });
    assert.equal(create.status, 409);
    assert.deepEqual(create.body.error, LIMIT_INSTALLED);
    const log = await refusedInstall(bin, 'jc-cap-2');
    assert.ok(log.includes(`enrolment refused: ${LIMIT_INSTALLED.message} (limit_installed)`), log);
    assert.equal(await clientCount(), 1);
  });

  it('an active installer at the active cap, and an enrolment beyond it, fail with E-LIMIT-ACTIVE', async () => {
    assert.equal((await a.admin.patch('/api/config/v1/settings', { max_installed_jump_clients: 100, max_active_jump_clients: 2 })).status, 200);
    const installer = await createInstaller(a, { name: 'e2e-active-cap' });
    const bin = await downloadBin(a, installer.installer_id, parent);
    assert.equal((await a.admin.patch('/api/config/v1/settings', { max_active_jump_clients: 1 })).status, 200);
    const create = await a.admin.post(INSTALLERS, { jump_group_id: 1, jump_group_type: 'personal', connection_type: 'active' });
    assert.equal(create.status, 409);
    assert.deepEqual(create.body.error, LIMIT_ACTIVE);
    const log = await refusedInstall(bin, 'jc-active-cap');
    assert.ok(log.includes(`enrolment refused: ${LIMIT_ACTIVE.message} (limit_active)`), log);
    assert.equal(await clientCount(), 1);
  });
});
