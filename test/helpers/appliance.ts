/**
 * Test helpers: the real appliance started in-process on port 0 with a temporary data dir, plain
 * HTTP on 127.0.0.1, and a small client that logs in and calls the API. Everything is cleaned up by
 * `stop()`, which tests register with `after`/`t.after`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, type Appliance, type ApplianceOptions } from '../../src/appliance.ts';
import type { ServeConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/shared/log.ts';

export const ADMIN_PASSWORD = 'admin-password-1';

export interface TestAppliance {
  appliance: Appliance;
  url: string;
  dataDir: string;
  /** Logs in and returns a client that sends the bearer token. */
  login(username?: string, password?: string): Promise<ApiClient>;
  /** An unauthenticated client. */
  anonymous(): ApiClient;
  stop(): Promise<void>;
}

export interface ApiResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  token: string | undefined;
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResult<T>>;
  get<T = any>(path: string): Promise<ApiResult<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiResult<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<ApiResult<T>>;
  del<T = any>(path: string): Promise<ApiResult<T>>;
}

export function apiClient(url: string, token?: string): ApiClient {
  const client: ApiClient = {
    token,
    async request(method, path, body, headers = {}) {
      const res = await fetch(url + path, {
        method,
        headers: {
          ...(client.token ? { authorization: `Bearer ${client.token}` } : {}),
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    get: (path) => client.request('GET', path),
    post: (path, body) => client.request('POST', path, body ?? {}),
    patch: (path, body) => client.request('PATCH', path, body ?? {}),
    del: (path) => client.request('DELETE', path),
  };
  return client;
}

export async function startTestAppliance(
  overrides: Partial<ServeConfig> = {},
  options: Partial<ApplianceOptions> = {},
): Promise<TestAppliance> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'jumpgate-test-'));
  const config: ServeConfig = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    tls: 'off',
    publicUrl: undefined,
    logLevel: 'error',
    adminPassword: ADMIN_PASSWORD,
    ...overrides,
  };
  const appliance = await startAppliance(config, {
    log: silentLogger,
    throttle: { perUser: 5, perAddress: 1000, windowMs: 60_000 },
    recordingMinFreeBytes: 0, // the disk running the tests may be small; src/sessions/recording.test.ts tests the check
    ...options,
  });
  let stopped = false;
  return {
    appliance,
    url: appliance.url,
    dataDir,
    anonymous: () => apiClient(appliance.url),
    async login(username = 'admin', password = ADMIN_PASSWORD) {
      const res = await apiClient(appliance.url).post('/api/auth/login', { username, password });
      if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return apiClient(appliance.url, res.body.token);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await appliance.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
