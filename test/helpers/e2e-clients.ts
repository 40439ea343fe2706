/**
 * End-to-end tests: installers made through the API, the real `.bin` downloaded from the public
 * link and run with `sh`, and the installed Jump Clients (real agent processes, running as the test
 * account). `createInstalls()` remembers every install directory; `cleanup()` stops each agent by
 * PID (SIGTERM, then SIGKILL) and removes the directories.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { alive, ensureTestUser, run, TEST_USER, VISITOR_USER, type Run } from './agent-cli.ts';
import type { E2eAppliance } from './e2e-appliance.ts';
import { eventually } from './hub-client.ts';

export { TEST_USER, VISITOR_USER, ensureTestUser, alive };

export const INSTALLERS = '/api/config/v1/jump-client/installer';
export const CLIENTS = '/api/config/v1/jump-client';

/** Creates an installer into the admin's personal group unless told otherwise; returns its body. */
export async function createInstaller(a: E2eAppliance, body: Record<string, unknown> = {}): Promise<any> {
  const res = await a.admin.post(INSTALLERS, { jump_group_id: 1, jump_group_type: 'personal', ...body });
  if (res.status !== 201) throw new Error(`installer: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Downloads the installer from its public link into `dir`; returns the file's path. */
export async function downloadBin(a: E2eAppliance, installerId: string, dir: string): Promise<string> {
  const res = await a.anonymous().raw('GET', `/download/jump-client/${installerId}/linux-64`);
  if (res.status !== 200) throw new Error(`download: ${res.status} ${res.body.toString().slice(0, 300)}`);
  const name = /filename="([^"]+)"/.exec(String(res.headers['content-disposition']))?.[1];
  if (name !== `jumpgate-client-${installerId}.bin`) throw new Error(`unexpected file name ${name}`);
  const file = join(dir, name);
  writeFileSync(file, res.body, { mode: 0o644 });
  return file;
}

export { run, type Run };

/** `sh ./jumpgate-client-<id>.bin args`, as the person installing would type it. */
export function runBin(bin: string, args: string[], asUser?: string): Promise<Run> {
  const file = `./${bin.split('/').at(-1)}`;
  return asUser ? run('runuser', ['-u', asUser, '--', 'sh', file, ...args], { cwd: dirname(bin) }) : run('sh', [file, ...args], { cwd: dirname(bin) });
}

export function pidOf(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'run', 'agent.pid'), 'utf8').trim();
  } catch (err) {
    // None (or no install there at all), or removed between a look and the read by an agent that
    // is stopping.
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** A parent directory for install directories that the test account can reach. */
export function installParent(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-e2e-install-'));
  chmodSync(dir, 0o755);
  return dir;
}

export function createInstalls() {
  const dirs = new Set<string>();
  const pids = new Set<number>();
  return {
    /** Remembers an install directory (or a parent of several) for cleanup. */
    track(dir: string): string {
      dirs.add(dir);
      return dir;
    },
    /** Remembers an agent pid seen during a test (an updated agent is another process). */
    pid(pid: number | undefined): number | undefined {
      if (pid !== undefined) pids.add(pid);
      return pid;
    },
    /** The agent pids remembered so far. */
    pids: (): number[] => [...pids],
    async cleanup(): Promise<void> {
      for (const dir of dirs) {
        this.pid(pidOf(dir));
        // A parent of install directories: the agents of each.
        if (existsSync(dir)) for (const sub of readdirSync(dir)) this.pid(pidOf(join(dir, sub)));
      }
      const live = [...pids].filter(alive);
      for (const pid of live) process.kill(pid, 'SIGTERM');
      await eventually(() => live.every((p) => !alive(p)), 5000, 'agents to stop').catch(() => {
        for (const pid of live.filter(alive)) process.kill(pid, 'SIGKILL');
      });
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the Jump Client row matching `check` exists; returns it. */
export async function waitForClient(a: E2eAppliance, check: (row: any) => boolean, timeoutMs = 20_000, what = 'Jump Client'): Promise<any> {
  return eventually(async () => {
    const res = await a.admin.get(`${CLIENTS}?per_page=1000`);
    return (res.body as any[]).find(check);
  }, timeoutMs, what);
}

/** Installs a client from `bin` as root for the test account into a new directory of `parent`. */
export async function installClient(bin: string, parent: string, name: string, extra: string[] = []): Promise<{ dir: string; run: Run }> {
  ensureTestUser();
  const dir = join(parent, name);
  const result = await runBin(bin, ['--install-dir', dir, '--user', TEST_USER, ...extra]);
  if (result.status !== 0) throw new Error(`install failed (${result.status}): ${result.stderr}${result.stdout}`);
  return { dir, run: result };
}
