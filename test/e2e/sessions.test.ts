/**
 * Issue 4 end to end with an installed Jump Client: the real appliance (child process, plain HTTP), a
 * client installed from the real `.bin` running as the second account, real shells in real PTYs.
 * Terminal, files (50 MB both ways, a refused read), system information, ending a session on the
 * machine, and who may jump and reach which session.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startE2eAppliance, stopAll, type E2eApi, type E2eAppliance } from '../helpers/e2e-appliance.ts';
import { createInstaller, createInstalls, downloadBin, ensureTestUser, installClient, installParent, pidOf, TEST_USER, waitForClient } from '../helpers/e2e-clients.ts';
import { eventually } from '../helpers/hub-client.ts';
import { checkShellBasics, openTerminal, type TestTerminal } from '../helpers/terminal.ts';

const PASSWORD = 'technician-pw-1';
const installs = createInstalls();
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let a: E2eAppliance;
let clientId: number;
let tech1: E2eApi;
let tech2: E2eApi;
let outsider: E2eApi;
/** A directory of the test account for file transfers. */
let files: string;

before(async () => {
  const account = ensureTestUser();
  // Plain HTTP here: a 50 MB upload over TLS is cut by the listener today (see update.test.ts).
  a = await startE2eAppliance({ insecure: true });
  const group = await a.admin.post('/api/config/v1/jump-group', { name: 'E2E Lab' });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const other = await a.admin.post('/api/config/v1/jump-group', { name: 'E2E Elsewhere' });
  for (const [name, groupId] of [['tech1', group.body.id], ['tech2', group.body.id], ['outsider', other.body.id]] as const) {
    const user = await a.admin.post('/api/config/v1/user', { username: name, password: PASSWORD });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const member = await a.admin.post(`/api/config/v1/jump-group/${groupId}/user`, { user_id: user.body.id, jump_item_role_id: 2 });
    assert.equal(member.status, 201, JSON.stringify(member.body));
  }
  [tech1, tech2, outsider] = await Promise.all([a.login('tech1', PASSWORD), a.login('tech2', PASSWORD), a.login('outsider', PASSWORD)]);
  const parent = installs.track(installParent());
  const installer = await createInstaller(a, { jump_group_type: 'shared', jump_group_id: group.body.id, name: 'e2e-session-box' });
  const { dir } = await installClient(await downloadBin(a, installer.installer_id, parent), parent, 'jc');
  installs.pid(pidOf(dir));
  clientId = (await waitForClient(a, (r) => r.name === 'e2e-session-box' && r.status === 'online')).id;
  files = installs.track(mkdtempSync(join(tmpdir(), 'jumpgate-e2e-files-')));
  spawnSync('chown', [`${account.uid}:${account.gid}`, files]);
});
after(async () => {
  await installs.cleanup();
  await stopAll();
});

const jump = async (as: E2eApi = a.admin): Promise<string> => {
  const res = await as.post('/api/command/v1/jump', { jump_client_id: clientId, cols: 100, rows: 30 });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.session_id;
};
const terminal = (id: string, as: E2eApi = a.admin): Promise<TestTerminal> =>
  openTerminal(a.url, id, as.token!, a.wsTls);

describe('a session on an installed Jump Client', () => {
  it('runs a real shell in a PTY as the install account: output, tty, whoami, stty size after a resize, UTF-8', async () => {
    const id = await jump();
    const term = await terminal(id);
    await checkShellBasics(term, TEST_USER);
    await term.close();
  });

  it('uploads and downloads 50 MB byte for byte; a file the account may not read is refused with 403', async () => {
    const id = await jump();
    const data = randomBytes(50 * 1024 * 1024);
    const path = join(files, 'upload.bin');
    const put = await a.admin.raw('PUT', `/api/session/v1/${id}/files?path=${encodeURIComponent(path)}`, data, { 'content-type': 'application/octet-stream' });
    assert.equal(put.status, 201, put.body.toString().slice(0, 300));
    assert.equal(JSON.parse(put.body.toString()).bytes, data.length);
    assert.equal(sha256(readFileSync(path)), sha256(data), 'the file on the machine is the upload');
    assert.equal(statSync(path).uid, Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim()), 'written as the account');
    const got = await a.admin.raw('GET', `/api/session/v1/${id}/files?path=${encodeURIComponent(path)}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.length, data.length);
    assert.equal(sha256(got.body), sha256(data));

    const secret = join(files, 'root-only.txt');
    writeFileSync(secret, 'not for the Jump Client\n', { mode: 0o600 });
    const refused = await a.admin.get(`/api/session/v1/${id}/files?path=${encodeURIComponent(secret)}`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    // Nor may it replace that file, though it may write the folder it is in.
    const overwrite = await a.admin.raw('PUT', `/api/session/v1/${id}/files?path=${encodeURIComponent(secret)}`, Buffer.from('replaced\n'), { 'content-type': 'application/octet-stream' });
    assert.equal(overwrite.status, 403, overwrite.body.toString());
    assert.equal(readFileSync(secret, 'utf8'), 'not for the Jump Client\n');
    const listing = await a.admin.get(`/api/session/v1/${id}/files?path=${encodeURIComponent(files)}`);
    assert.equal(listing.status, 200);
    assert.deepEqual(listing.body.entries.map((e: any) => e.name).sort(), ['root-only.txt', 'upload.bin']);
    assert.equal((await a.admin.del(`/api/session/v1/${id}`)).status, 204);
  });

  it('reports system information from the machine', async () => {
    const id = await jump();
    const res = await a.admin.get(`/api/session/v1/${id}/system-info`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const info = res.body;
    assert.ok(info.os.name && info.os.kernel && info.os.arch && info.os.hostname, JSON.stringify(info.os));
    assert.ok(info.uptime_seconds > 0);
    assert.ok(info.cpu.cores > 0 && info.cpu.load.length === 3);
    assert.ok(info.memory.total_bytes > 0);
    assert.ok(info.disks.length > 0 && info.network.length > 0 && info.processes.length > 0);
    assert.ok(Array.isArray(info.users));
    assert.equal((await a.admin.del(`/api/session/v1/${id}`)).status, 204);
  });

  it('ending the session kills the remote shell on the machine', async () => {
    const id = await jump();
    const term = await terminal(id);
    const pid = Number((await term.run('echo pid=$$\n', /pid=\d+/)).match(/pid=(\d+)/)![1]);
    assert.ok(existsSync(`/proc/${pid}`), 'the shell runs');
    assert.equal(spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim(), TEST_USER);
    assert.equal((await a.admin.del(`/api/session/v1/${id}`)).status, 204);
    await eventually(() => !existsSync(`/proc/${pid}`), 5000, 'the shell to end');
    assert.equal((await a.admin.get(`/api/session/v1/${id}/system-info`)).status, 404);
    await term.close();
  });
});

describe('who may jump and reach a session', () => {
  it('refuses a technician outside the group', async () => {
    const res = await outsider.post('/api/command/v1/jump', { jump_client_id: clientId });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body.error, { code: 'jump_client_not_found', message: 'The Jump Client does not exist.' });
  });

  it("keeps a technician away from another technician's session; an admin reaches it", async () => {
    const id = await jump(tech1);
    assert.equal((await tech2.get(`/api/session/v1/${id}/system-info`)).status, 404);
    assert.equal((await tech2.del(`/api/session/v1/${id}`)).status, 404);
    assert.ok(!(await tech2.get('/api/session/v1')).body.some((s: any) => s.session_id === id));
    await assert.rejects(terminal(id, tech2), /terminal refused: 40[34]/);
    assert.ok((await tech1.get('/api/session/v1')).body.some((s: any) => s.session_id === id));
    assert.equal((await a.admin.get(`/api/session/v1/${id}/system-info`)).status, 200);
    assert.equal((await tech1.del(`/api/session/v1/${id}`)).status, 204);
  });
});
