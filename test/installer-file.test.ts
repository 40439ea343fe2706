/**
 * The Linux installer file, run for real with `sh`: a stand-in program plays the agent (prints its
 * arguments and the decoded settings, exits with a chosen code), so the header's own work is what
 * is tested — arguments passed through exactly, settings carried, exit codes kept, damage noticed,
 * and no temporary directory left behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createInstallerFiles, createPayloadCache, type InstallerFiles } from '../src/installer/index.ts';
import type { InstallerConfig } from '../src/shared/installer-config.ts';
import { STAND_IN_SCRIPT } from './helpers/stand-in-agent.ts';

const STAND_IN = STAND_IN_SCRIPT;

const CONFIG: InstallerConfig = {
  format: 1,
  installer_id: 'a'.repeat(32),
  appliance_url: 'https://support.example.test:8443',
  certificate_pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  certificate_sha256: Array.from({ length: 32 }, () => 'AB').join(':'),
  installer_key: 'k'.repeat(43),
  expiration_timestamp: Date.parse('2030-01-01T00:00:00Z'),
  install_mode: 'service',
  connection_type: 'active',
  jump_group: 'Servers',
  name: '',
  tag: "it's \"tagged\"",
  comments: 'line one\nline two $HOME `id`',
  max_offline_minutes: null,
  allow_override: { jump_group: true, name: false, tag: true, comments: false, max_offline_minutes: false },
  agent_version: '0.1.0',
};

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const SHELLS = ['sh', 'bash'].filter((s) => spawnSync(s, ['-c', 'exit 0']).status === 0);

describe('the Linux installer file', () => {
  let root: string;
  let runTmp: string;
  let agentFile: string;
  let files: InstallerFiles;

  const writeBin = async (name: string, agentSha = sha256(STAND_IN)): Promise<string> => {
    const file = await files.build('linux-64', CONFIG, { file: agentFile, sha256: agentSha });
    const data = Buffer.from(await new Response(file.body).arrayBuffer());
    assert.equal(data.length, file.size);
    assert.equal(file.fileName, `jumpgate-client-${CONFIG.installer_id}.bin`);
    const path = join(root, name);
    writeFileSync(path, data);
    return path;
  };

  const run = (shell: string, bin: string, args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync(shell, [bin, ...args], { cwd: root, env: { ...process.env, TMPDIR: runTmp, ...env }, encoding: 'utf8' });
    assert.deepEqual(readdirSync(runTmp), [], 'no temporary directory is left behind');
    return result;
  };

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'jumpgate-installer-test-'));
    runTmp = join(root, 'tmp');
    mkdirSync(runTmp);
    agentFile = join(root, 'stand-in-agent');
    writeFileSync(agentFile, STAND_IN);
    chmodSync(agentFile, 0o644);
    files = createInstallerFiles({ cacheDir: join(root, 'cache') });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('passes every argument through exactly, after "install"', async () => {
    const bin = await writeBin('args.bin');
    const args = ['--install-dir', '/opt/my dir', '--jc-comments', `it's "quoted" $HOME \\ back`, 'jc_tag=a b', '', '*', '-n'];
    for (const shell of SHELLS) {
      const result = run(shell, bin, args);
      assert.equal(result.status, 0, `${shell}: ${result.stderr}`);
      const lines = result.stdout.split('\n');
      assert.equal(lines[0], `argc=${args.length + 1}`);
      assert.deepEqual(lines.slice(1, args.length + 2), ['install', ...args].map((a) => `arg=[${a}]`), shell);
    }
  });

  it('carries the installer settings, which decode to the config', async () => {
    const bin = await writeBin('config.bin');
    const result = run('sh', bin, []);
    assert.equal(result.status, 0, result.stderr);
    const json = result.stdout.slice(result.stdout.indexOf('config=') + 'config='.length).trimEnd();
    assert.deepEqual(JSON.parse(json), CONFIG);
  });

  it('exits with the program\'s exit code', async () => {
    const bin = await writeBin('exit.bin');
    for (const code of ['0', '1', '3', '7', '42']) {
      assert.equal(run('sh', bin, [], { STANDIN_EXIT: code }).status, Number(code));
    }
  });

  it('refuses a program whose checksum does not match, with one clear line', async (t) => {
    if (spawnSync('sh', ['-c', 'command -v sha256sum']).status !== 0) return t.skip('no sha256sum here');
    const bin = await writeBin('mismatch.bin', sha256('something else'));
    const result = run('sh', bin, ['--install-dir', '/nowhere']);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '', 'the program never ran');
    assert.match(result.stderr, /^jumpgate installer: the installer file is damaged \(checksum mismatch\); download it again\n$/);
  });

  it('refuses a truncated file', async () => {
    const bin = await writeBin('whole.bin');
    const data = readFileSync(bin);
    const cut = join(root, 'cut.bin');
    writeFileSync(cut, data.subarray(0, data.length - 40));
    const result = run('sh', cut, []);
    assert.notEqual(result.status, 0);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^jumpgate installer: (cannot unpack the program: )?the installer file is damaged[^\n]*\n$/);
  });

  it('holds one root-owned 0755 file named jumpgate-agent in a gzip tar the system tar reads', async () => {
    const payload = await createPayloadCache(join(root, 'cache')).get({ file: agentFile, sha256: sha256(STAND_IN) });
    const list = spawnSync('tar', ['-tvzf', payload.file], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^-rwxr-xr-x root\/root\s+(\d+) .* jumpgate-agent$/);
    assert.equal(Number(/root\/root\s+(\d+)/.exec(lines[0])![1]), STAND_IN.length);
    const out = spawnSync('tar', ['-xzOf', payload.file], { encoding: 'utf8' });
    assert.equal(out.stdout, STAND_IN);
  });

  it('builds the payload once per agent build and drops older builds', async () => {
    const dir = join(root, 'cache2');
    const cache = createPayloadCache(dir);
    const first = await Promise.all([1, 2, 3].map(() => cache.get({ file: agentFile, sha256: sha256(STAND_IN) })));
    assert.equal(new Set(first.map((p) => p.file)).size, 1);
    const mtime = statSync(first[0].file).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(statSync((await cache.get({ file: agentFile, sha256: sha256(STAND_IN) })).file).mtimeMs, mtime, 'not rebuilt');
    const other = join(root, 'other-agent');
    writeFileSync(other, STAND_IN + '# v2\n');
    const second = await cache.get({ file: other, sha256: sha256(STAND_IN + '# v2\n') });
    assert.deepEqual(readdirSync(dir), [second.file.slice(dir.length + 1)]);
  });
});
