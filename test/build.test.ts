/**
 * `node build.mjs --no-sea` into a temporary folder inside the repository (the bundle loads lmdb
 * and uWebSockets.js from node_modules): the bundle runs as a program and serves the embedded
 * console, and `jumpgate simulate --real-shells` runs from it. The single executable takes seconds to build and is checked by hand (see build.mjs).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { REPO, tempDir, killAll } from './helpers/cli.ts';

mkdirSync(join(REPO, '.tmp'), { recursive: true });
const outdir = mkdtempSync(join(REPO, '.tmp', 'build-'));
const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
for (const k of Object.keys(env)) if (k.startsWith('JUMPGATE_')) delete env[k];
let servePid: number | undefined;

after(async () => {
  if (servePid !== undefined) {
    try {
      process.kill(servePid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  await killAll();
  rmSync(outdir, { recursive: true, force: true });
});

test('the bundle builds, runs as a program and serves the embedded console', async () => {
  const built = spawnSync(process.execPath, ['build.mjs', '--outdir', outdir, '--no-sea'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(built.status, 0, built.stderr);
  const bundle = join(outdir, 'jumpgate.mjs');
  assert.ok(statSync(bundle).mode & 0o100, 'the bundle is executable');
  assert.equal(statSync(join(outdir, 'jumpgate'), { throwIfNoEntry: false }), undefined, '--no-sea builds no executable');

  const version = spawnSync(bundle, ['--version'], { encoding: 'utf8', env, timeout: 30_000 });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^jumpgate \d+\.\d+\.\d+\n$/);

  const child = spawn(bundle, ['serve', '--host', '127.0.0.1', '--port', '0', '--insecure-http', '--data', tempDir()], {
    env: { ...env, JUMPGATE_ADMIN_PASSWORD: 'admin-password-1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servePid = child.pid;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let out = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const match = out.match(/jumpgate listening on (\S+)/);
      if (match) done(match[1]!);
    });
    void exited.then((code) => fail(new Error(`the bundle exited (${code}): ${out}`)));
  });
  // The bundle sits in a folder without static/: the console can only come from the embedded copy.
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await page.text(), /<html/i);
  const info = (await (await fetch(`${url}/api/server-info`)).json()) as { product: string };
  assert.equal(info.product, 'jumpgate');

  // The sizing tool ships in the bundle too, real shells included (the terminal addon loads from
  // node_modules like the other two).
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
  });
  const { token } = (await login.json()) as { token: string };
  const installer = await fetch(`${url}/api/config/v1/jump-client/installer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jump_group_id: 1, jump_group_type: 'personal', valid_duration: 600 }),
  });
  const { key_info } = (await installer.json()) as { key_info: string };
  const simulated = spawnSync(bundle, ['simulate', '--url', url, '--installer', key_info, '--agents', '2', '--duration', '2', '--real-shells', tempDir()], {
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  assert.equal(simulated.status, 0, simulated.stderr);
  const result = JSON.parse(simulated.stdout.trim().split('\n').at(-1)!) as { result: { enrolled: number } };
  assert.equal(result.result.enrolled, 2, simulated.stdout);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
