/** Test helpers for the agent hub: an enrolled Jump Client row with a known secret, and a raw agent socket. */
import WebSocket from 'ws';
import type { Registry, JumpClient } from '../../src/registry/index.ts';
import { putClient } from './fixtures.ts';
import { randomToken, sha256Hex } from '../../src/shared/ids.ts';
import { AGENT_PATH, agentCredentials, PROTOCOL_VERSION, type Statistics } from '../../src/shared/protocol.ts';

export function sampleStatistics(overrides: Partial<Statistics> = {}): Statistics {
  return {
    hostname: 'web-01',
    fqdn: 'web-01.example.test',
    operating_system: 'Debian GNU/Linux',
    os_version: '12',
    arch: 'x64',
    kernel: '6.1.0',
    console_user: 'alice',
    private_ips: ['10.1.2.3'],
    uptime_seconds: 1234,
    cpu_load: [0.1, 0.2, 0.3],
    memory_total_bytes: 8e9,
    memory_free_bytes: 4e9,
    disk_total_bytes: 1e11,
    disk_free_bytes: 5e10,
    agent_version: '0.1.0',
    install_mode: 'service',
    ...overrides,
  };
}

/** Writes an enrolled Jump Client straight into the registry, offline; returns its id and secret. */
export async function enrolledClient(registry: Registry, fields: Partial<JumpClient> = {}): Promise<{ id: number; secret: string }> {
  const secret = randomToken(32);
  const row = await putClient(registry, {
    name: 'web-01',
    hostname: 'web-01',
    fqdn: '',
    jump_group_type: 'personal',
    status: 'offline',
    operating_system: '',
    private_ip: '',
    public_ip: '',
    last_connect_timestamp: null,
    install_fingerprint: sha256Hex(randomToken()),
    ...fields,
    secret_hash: sha256Hex(secret),
  });
  return { id: row.id, secret };
}

export interface RawAgent {
  ws: WebSocket;
  messages: any[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  next(type: string, timeoutMs?: number): Promise<any>;
  hello(stats?: Partial<Statistics>, extra?: Record<string, unknown>): void;
}

/** Opens an agent WebSocket; rejects with the HTTP status when the upgrade is refused. */
/** `options` adds WebSocket client options, e.g. the `ca` to trust over TLS. */
export function connectAgent(url: string, id: number, secret: string, options: WebSocket.ClientOptions = {}): Promise<RawAgent> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + AGENT_PATH, { ...options, headers: { authorization: agentCredentials(id, secret) } });
  const messages: any[] = [];
  const waiters: { type: string; resolve: (m: any) => void }[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(data.toString());
    messages.push(m);
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, retryAfter: res.headers['retry-after'] }));
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        closed,
        next(type, timeoutMs = 5000) {
          const seen = messages.find((m) => m.type === type);
          if (seen) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
            waiters.push({ type, resolve: (m) => (clearTimeout(timer), res(m)) });
          });
        },
        hello(stats = {}, extra = {}) {
          ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, agent_version: '0.1.0', disabled: false, statistics: sampleStatistics(stats), ...extra }));
        },
      }),
    );
  });
}

/** Polls `check` until it returns a truthy value (bounded). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
