/**
 * OpenSSH on loopback, set up by the benchmark itself for a side-by-side figure: Debian's
 * openssh-server (installed when missing), a throw-away host key, client key and configuration,
 * sshd on 127.0.0.1 only, ended by its PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './lib/proc.ts';

export interface Sshd {
  port: number;
  /**
   * Runs `command` through `ssh -tt` (a PTY, as a terminal session) and returns stdout's byte
   * count and the seconds from its first byte to the end (`seconds`; the login before it is not
   * terminal throughput) and from the start (`seconds_with_login`).
   */
  run(command: string): Promise<{ bytes: number; seconds: number; seconds_with_login: number }>;
  /** Opens `ssh -tt … command` and returns the milliseconds until its first output; then hangs up. */
  firstOutput(command: string): Promise<number>;
  stop(): void;
}

function ensureInstalled(): void {
  if (existsSync('/usr/sbin/sshd')) return;
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server', 'openssh-client'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export async function startSshd(user: string, port = 22_22 + Math.floor(Math.random() * 1000)): Promise<Sshd> {
  ensureInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-bench-ssh-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')]);
  execFileSync('cp', [join(dir, 'client.pub'), join(dir, 'authorized_keys')]);
  execFileSync('chmod', ['755', dir]);
  execFileSync('chmod', ['644', join(dir, 'authorized_keys')]);
  execFileSync('mkdir', ['-p', '/run/sshd']);
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      'PrintMotd no',
      'Compression no',
      'MaxStartups 500', // the side-by-side opens up to 100 logins at once
    ].join('\n') + '\n',
  );
  const sshArgs = (command: string) => [
    ...['-tt', '-p', String(port), '-i', join(dir, 'client')],
    ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'Compression=no', '-o', 'GSSAPIAuthentication=no'],
    `${user}@127.0.0.1`,
    command,
  ];
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
  await sleep(500);
  return {
    port,
    run(command) {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const ssh = spawn('ssh', sshArgs(command), { stdio: ['pipe', 'pipe', 'ignore'] });
        let bytes = 0;
        let first = 0;
        ssh.stdout!.on('data', (d: Buffer) => {
          if (bytes === 0) first = performance.now();
          bytes += d.length;
        });
        const timer = setTimeout(() => ssh.kill('SIGKILL'), 120_000);
        ssh.on('exit', (code) => {
          clearTimeout(timer);
          if (code !== 0) return reject(new Error(`ssh exited ${code}`));
          const end = performance.now();
          resolve({ bytes, seconds: (end - first) / 1000, seconds_with_login: (end - t0) / 1000 });
        });
      });
    },
    firstOutput(command) {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const ssh = spawn('ssh', sshArgs(command), { stdio: ['pipe', 'pipe', 'ignore'] });
        const timer = setTimeout(() => (ssh.kill('SIGKILL'), reject(new Error('no output from ssh'))), 30_000);
        ssh.stdout!.once('data', () => {
          clearTimeout(timer);
          resolve(performance.now() - t0);
          ssh.kill('SIGTERM');
        });
        ssh.once('exit', () => clearTimeout(timer));
      });
    },
    stop() {
      if (sshd.exitCode === null) sshd.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
