/** The appliance under measurement: started from the source with a fresh data dir, and its API. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { existsSync } from 'node:fs';
import { REPO, startChild, type Child } from './proc.ts';

/**
 * The appliance runs from its bundle, as shipped (it starts in a fraction of the time the source
 * takes under the TypeScript loader, which matters for the restart figures). Built once per run.
 */
const BUNDLE_DIR = join(REPO, '.tmp', 'bench-build');
export function bundle(): string {
  const file = join(BUNDLE_DIR, 'jumpgate.mjs');
  if (!existsSync(file) || !process.env.JUMPGATE_BENCH_BUILT) {
    execFileSync(process.execPath, ['build.mjs', '--no-sea', '--outdir', BUNDLE_DIR], { cwd: REPO, stdio: 'ignore' });
    process.env.JUMPGATE_BENCH_BUILT = '1';
  }
  return file;
}

export const PASSWORD = 'bench-admin-password';

export interface BenchAppliance {
  child: Child;
  url: string;
  port: number;
  dataDir: string;
  token: string;
  api(path: string, init?: RequestInit): Promise<Response>;
  /**
   * One API call through a kept-alive plain HTTP client: the measuring technician of the jump
   * figures. It runs on the same two cores as what it measures, and `fetch` costs it several times
   * the CPU of this (about 3 ms a Jump here), CPU a real technician's browser spends on its own machine.
   */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  metric(name: string): Promise<number>;
  installerKey(): Promise<string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchAppliance(port = 0, dataDir = mkdtempSync(join(tmpdir(), 'jumpgate-bench-'))): Promise<BenchAppliance> {
  const start = async (p: number) => {
    const child = startChild(
      [bundle(), 'serve', '--host', '127.0.0.1', '--port', String(p), '--insecure-http', '--data', dataDir, '--log-level', 'error'],
      { JUMPGATE_ADMIN_PASSWORD: PASSWORD },
      true,
      true,
    );
    const m = await child.waitFor(/listening on (http:\/\/[^\s]+)/);
    return { child, url: m[1] };
  };
  let { child, url } = await start(port);
  const boundPort = Number(new URL(url).port);
  const login = await fetch(url + '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const token = ((await login.json()) as { token: string }).token;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });
  const b: BenchAppliance = {
    get child() {
      return child;
    },
    url,
    port: boundPort,
    dataDir,
    token,
    api: (path, init = {}) =>
      fetch(url + path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } }),
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const headers: Record<string, string> = { authorization: `Bearer ${token}` };
        if (payload !== undefined) headers['content-type'] = 'application/json';
        const req = request(url + path, { method, agent: keepAlive, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            resolve({ status: res.statusCode ?? 0, body: text && /json/.test(String(res.headers['content-type'])) ? JSON.parse(text) : text });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      }),
    async metric(name) {
      const text = await (await fetch(url + '/metrics')).text();
      const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'm'));
      return m ? Number(m[1]) : NaN;
    },
    async installerKey() {
      const res = await b.api('/api/config/v1/jump-client/installer', {
        method: 'POST',
        body: JSON.stringify({ jump_group_id: 1, jump_group_type: 'personal', valid_duration: 600 }),
      });
      return ((await res.json()) as { key_info: string }).key_info;
    },
    async restart() {
      await child.stop('SIGTERM');
      ({ child } = await start(boundPort));
    },
    async stop() {
      keepAlive.destroy();
      await child.stop('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  } as BenchAppliance;
  return b;
}

/** The sum of a labelled counter's series. */
export async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(url + '/metrics')).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}
