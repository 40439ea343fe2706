/**
 * Test helpers for the agent's command line: run `install` from the source tree with a test
 * installer, read an install directory's pid and files, and clean up every agent process and
 * directory a test made, by pid.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InstallerConfig } from '../../src/shared/installer-config.ts';
import { installerEnv } from './agent-appliance.ts';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const AGENT_MAIN = join(REPO, 'src', 'agent', 'main.ts');
export const TEST_USER = 'jumpgate-test';
/** Another account at the machine: neither root nor the one a client runs as. */
export const VISITOR_USER = 'jumpgate-visitor';

export const isRoot = (): boolean => process.getuid?.() === 0;

/** The test account, or `name` (created when missing; we are root in CI). */
export function ensureTestUser(name = TEST_USER): { uid: number; gid: number } {
  let r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { stdio: 'ignore' });
    r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  }
  const parts = r.stdout.trim().split(':');
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

/** Runs the agent command line from source, synchronously. */
export function agentCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', AGENT_MAIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...env },
  });
}

export function runInstall(config: InstallerConfig, switches: string[]): SpawnSyncReturns<string> {
  return agentCli(['install', ...switches], installerEnv(config));
}

/** Runs `install` from source as another account (we are root). */
export function runInstallAs(user: string, config: InstallerConfig, switches: string[]): SpawnSyncReturns<string> {
  return spawnSync('runuser', ['-u', user, '--', process.execPath, '--import', 'tsx', AGENT_MAIN, 'install', ...switches], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...installerEnv(config) },
  });
}

export function sh(file: string, args: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(file, args, { encoding: 'utf8', timeout: 60_000 });
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` to its end without blocking the event loop (an appliance may live in this process). */
export function run(command: string, args: string[] = [], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A fresh parent directory, owned by `owner` when given. */
export function tempParent(owner?: { uid: number; gid: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'jg-agent-test-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** A parent only root can change, as a service-mode install needs (the temporary folder is sticky). */
export function rootParent(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jg-agent-test-'));
  chmodSync(dir, 0o755);
  return dir;
}

export function pidOf(dir: string): number | undefined {
  const file = join(dir, 'run', 'agent.pid');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Whether a process runs (an exited but unreaped one does not). */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export function processUser(pid: number): string {
  return spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
}

/** Tracks agent pids and directories; `cleanup()` kills each pid and removes each directory. */
export function createJanitor() {
  const pids = new Set<number>();
  const dirs = new Set<string>();
  return {
    pid(pid: number | undefined) {
      if (pid !== undefined) pids.add(pid);
      return pid;
    },
    dir(dir: string) {
      dirs.add(dir);
      return dir;
    },
    cleanup() {
      for (const pid of pids) {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const entries = (dir: string): string[] => readdirSync(dir).sort();
