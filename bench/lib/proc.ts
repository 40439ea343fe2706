/**
 * Processes for the benchmarks: the appliance, the simulator and the reference hub as children,
 * their memory and CPU read from /proc, each ended by its PID. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLOCK_TICKS = 100;
const children = new Set<ChildProcess>();

export interface Child {
  proc: ChildProcess;
  pid: number;
  lines: string[];
  /** Resolves with the first line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  onLine(listener: (line: string) => void): void;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `plain`: run `args` with node as they are (a bundle), not through the TypeScript loader.
 * `inspect`: open the inspector on a loopback port, so `collectGarbage` can reach the process.
 */
export function startChild(args: string[], env: Record<string, string> = {}, plain = false, inspect = false): Child {
  const profile = process.env.JUMPGATE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.JUMPGATE_BENCH_CPU_PROF}`] : [];
  const debug = inspect ? ['--inspect=127.0.0.1:0'] : [];
  const proc = spawn(process.execPath, [...profile, ...debug, ...(plain ? args : ['--import', 'tsx', ...args])], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  const feed = (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (lines.length < 10_000) lines.push(line);
      for (const l of listeners) l(line);
    }
  };
  proc.stdout!.on('data', feed);
  proc.stderr!.on('data', feed);
  return {
    proc,
    pid: proc.pid!,
    lines,
    onLine: (l) => void listeners.push(l),
    waitFor(re, timeoutMs = 60_000) {
      const seen = lines.map((l) => l.match(re)).find(Boolean);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        listeners.push((line) => {
          const m = line.match(re);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`exited (${code}) before a line matching ${re}:\n${lines.slice(-20).join('\n')}`));
        });
      });
    },
    stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill(signal);
      });
    },
  };
}

/** Ends every child still running (bench exit, error paths). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export function rssBytes(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU seconds (user + system) the process has used. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds of a process's children that it has waited for (the shells of a Jump Client). */
export function childrenCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The whole machine's CPU time so far, busy and total, in seconds summed over its cores. */
export function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

/**
 * A full garbage collection in a child started with `inspect`, through its inspector, so that a
 * memory figure holds what is live rather than what the collector has not reached yet.
 */
export async function collectGarbage(child: Child): Promise<void> {
  const m = (await child.waitFor(/Debugger listening on (ws:\/\/\S+)/, 5000))[1];
  const ws = new WebSocket(m);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const call = (method: string) =>
    new Promise<void>((resolve) => {
      const mine = ++id;
      const onMessage = (raw: WebSocket.RawData) => {
        if (JSON.parse(raw.toString()).id !== mine) return;
        ws.off('message', onMessage);
        resolve();
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method }));
    });
  // Twice: the first run's finalisers free more for the second.
  await call('HeapProfiler.collectGarbage');
  await call('HeapProfiler.collectGarbage');
  ws.close();
}
