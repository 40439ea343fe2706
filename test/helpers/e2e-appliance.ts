/**
 * End-to-end tests: the real appliance as a child process (from the source tree, or from a built
 * bundle), over TLS with its self-signed certificate, and an API client that trusts exactly that
 * certificate. Every process started here is killed by PID in `stopAll()`; data directories made
 * here are removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type WebSocket from 'ws';
import { REPO } from './cli.ts';
import type { ApiClient, ApiResult } from './appliance.ts';

export const E2E_ADMIN_PASSWORD = 'e2e-admin-password-1';

export interface RawResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface E2eApi extends ApiClient {
  raw(method: string, path: string, body?: Buffer | string, headers?: Record<string, string>): Promise<RawResult>;
}

/** A client for `base` trusting only `ca` (the appliance's self-signed certificate) over https. */
export function e2eApi(base: string, ca: string | undefined, token?: string): E2eApi {
  const raw = (method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<RawResult> =>
    new Promise((resolve, reject) => {
      const url = new URL(base + path);
      const all: Record<string, string> = { ...(api.token ? { authorization: `Bearer ${api.token}` } : {}), ...headers };
      if (body !== undefined) all['content-length'] = String(Buffer.byteLength(body));
      const options = { method, headers: all, agent: false as const, timeout: 120_000 };
      const req =
        url.protocol === 'https:'
          ? https.request(url, { ...options, ca, checkServerIdentity: () => undefined })
          : http.request(url, options);
      let received = -1; // -1: no response yet
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer (${received < 0 ? 'no response' : `${received} body bytes received`})`)));
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        received = 0;
        res.on('data', (c: Buffer) => (chunks.push(c), (received += c.length)));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.end(body);
    });
  const api: E2eApi = {
    token,
    raw,
    async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult<T>> {
      const json = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const res = await raw(method, path, json, json !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json', ...headers } : headers);
      const text = res.body.toString('utf8');
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text; // not JSON: keep the text
      }
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
      return { status: res.status, headers: h, body: parsed as T };
    },
    get: (path) => api.request('GET', path),
    post: (path, body) => api.request('POST', path, body ?? {}),
    patch: (path, body) => api.request('PATCH', path, body ?? {}),
    del: (path) => api.request('DELETE', path),
  };
  return api;
}

export interface E2eAppliance {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** PEM of the appliance certificate (undefined over plain http). */
  ca: string | undefined;
  /** WebSocket options trusting exactly that certificate. */
  wsTls: WebSocket.ClientOptions;
  admin: E2eApi;
  /** A client with no login. */
  anonymous(): E2eApi;
  login(username: string, password: string): Promise<E2eApi>;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface E2eApplianceOptions {
  /** An existing data directory (kept); else a fresh one, removed by `stopAll()`. */
  dataDir?: string;
  port?: number;
  /** A built bundle (`jumpgate.mjs`) to run instead of the source tree. */
  bundle?: string;
  /** Plain HTTP (`--insecure-http`) instead of TLS with the self-signed certificate. */
  insecure?: boolean;
}

const running = new Map<number, ChildProcess>();
const madeDirs = new Set<string>();

export async function startE2eAppliance(options: E2eApplianceOptions = {}): Promise<E2eAppliance> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'jumpgate-e2e-data-'));
  if (!options.dataDir) madeDirs.add(dataDir);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('JUMPGATE_')) env[k] = v;
  env.JUMPGATE_ADMIN_PASSWORD = E2E_ADMIN_PASSWORD;
  const args = ['serve', '--host', '127.0.0.1', '--port', String(options.port ?? 0), '--data', dataDir, '--log-level', 'warn'];
  if (options.insecure) args.push('--insecure-http');
  const [command, ...pre] = options.bundle ? [options.bundle] : [process.execPath, '--import', 'tsx', join(REPO, 'src', 'main.ts')];
  const child = spawn(command!, [...pre, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.set(child.pid!, child);
  const exited = new Promise<void>((done) => child.once('exit', () => (running.delete(child.pid!), done())));
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-20_000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the appliance did not start: ${out} ${err}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = out.match(/jumpgate listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace('localhost', '127.0.0.1'));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the appliance exited: ${out} ${err}`));
    });
  });
  const ca = url.startsWith('https:') ? readFileSync(join(dataDir, 'tls-cert.pem'), 'utf8') : undefined;
  const login = async (username: string, password: string): Promise<E2eApi> => {
    const res = await e2eApi(url, ca).post('/api/auth/login', { username, password });
    if (res.status !== 200) throw new Error(`login as ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return e2eApi(url, ca, res.body.token);
  };
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    pid: child.pid!,
    ca,
    // The pinned certificate is the only CA; its name (a host name, not 127.0.0.1) is not checked.
    wsTls: ca ? { ca, checkServerIdentity: (() => undefined) as unknown as WebSocket.ClientOptions['checkServerIdentity'] } : {},
    admin: await login('admin', E2E_ADMIN_PASSWORD),
    anonymous: () => e2eApi(url, ca),
    login,
    stderr: () => err,
    async stop() {
      if (!running.has(child.pid!)) return;
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => running.has(child.pid!) && process.kill(child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every appliance still running by PID and removes the data directories made here. */
export async function stopAll(): Promise<void> {
  const live = [...running.entries()].filter(([, child]) => child.exitCode === null && child.signalCode === null);
  const waits = live.map(([pid, child]) => {
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(pid, 'SIGKILL');
    return done;
  });
  await Promise.all(waits);
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
  madeDirs.clear();
}
