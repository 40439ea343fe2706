/**
 * Test helpers for the `jumpgate` command as a real process (`node --import tsx src/main.ts`).
 * Every process started is remembered; `killAll()` (registered with `after`) kills the ones still
 * running by PID. `JUMPGATE_*` variables of the test runner's environment are not passed on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface JumpgateProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<Exit>;
  /** Waits for the exit, killing the process with SIGKILL if it takes longer than `timeoutMs`. */
  exit(timeoutMs?: number): Promise<Exit>;
}

const started = new Set<JumpgateProcess>();
const dirs = new Set<string>();

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('JUMPGATE_')) env[k] = v;
  return { ...env, ...extra };
}

/** Starts `jumpgate <args>` from the source. */
export function startJumpgate(args: string[], env: Record<string, string> = {}): JumpgateProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/main.ts'), ...args], {
    cwd: REPO,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const proc: JumpgateProcess = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolveMatch, reject) => {
        const check = (): boolean => {
          const match = out.match(pattern);
          if (match) resolveMatch(match);
          return match !== null;
        };
        if (check()) return;
        const onData = (): void => {
          if (check()) cleanup();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
        };
        child.stdout!.on('data', onData);
        void exited.then((e) => {
          if (check()) return;
          cleanup();
          reject(new Error(`exited (${e.code ?? e.signal}) before ${pattern}; stdout: ${out}; stderr: ${err}`));
        });
      });
    },
    async exit(timeoutMs = 15_000) {
      const timer = setTimeout(() => {
        if (isRunning(child)) process.kill(proc.pid, 'SIGKILL');
      }, timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

/** Runs `jumpgate <args>` to its end. */
export async function runJumpgate(args: string[], env: Record<string, string> = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const proc = startJumpgate(args, env);
  const result = await proc.exit(30_000);
  return { ...result, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** A temporary directory removed by `killAll()`. */
export function tempDir(prefix = 'jumpgate-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Kills every process still running by PID, waits for them, removes the temporary directories. */
export async function killAll(): Promise<void> {
  const waiting = [...started].map((proc) => {
    if (isRunning(proc.child)) process.kill(proc.pid, 'SIGKILL');
    return proc.exited;
  });
  await Promise.all(waiting);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Starts `serve` on 127.0.0.1, port 0 unless given, and waits for its URL. */
export async function serve(
  dataDir: string,
  extraArgs: string[] = ['--insecure-http'],
  env: Record<string, string> = {},
): Promise<{ proc: JumpgateProcess; url: string }> {
  const proc = startJumpgate(['serve', '--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--log-level', 'warn', ...extraArgs], env);
  const [, url] = await proc.waitFor(/jumpgate listening on (\S+)/);
  return { proc, url: url! };
}

/** Logs in over plain HTTP and returns the bearer token. */
export async function login(url: string, password: string, username = 'admin'): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || !body.token) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}
