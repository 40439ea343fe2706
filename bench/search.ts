/**
 * Search over 100,000 Jump Clients: the rows are written straight into a fresh registry (this
 * benchmark only), then the appliance starts on it and list queries are timed from outside.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry, type JumpClient } from '../src/registry/index.ts';
import { sha256Hex } from '../src/shared/ids.ts';
import { startBenchAppliance } from './lib/appliance.ts';
import { round, summary } from './lib/stats.ts';

const STATUSES = ['online', 'offline', 'disabled', 'lost'] as const;
const TAGS = ['web', 'db', 'cache', 'build', 'edge', ''];

export function row(id: number): JumpClient {
  const now = Date.now();
  return {
    id, name: `host-${id}`, hostname: `host-${id}.corp.test`, fqdn: `host-${id}.corp.test`, jump_group_id: 1,
    jump_group_type: 'personal', tag: TAGS[id % TAGS.length], comments: `rack ${id % 40}, row ${id % 7}`,
    connection_type: 'active', install_mode: 'service', status: STATUSES[id % 4], operating_system: 'Debian GNU/Linux 12',
    console_user: `user${id % 500}`, private_ip: `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`, public_ip: `198.51.100.${id % 250}`,
    agent_version: '0.1.0', last_connect_timestamp: now, last_disconnect_timestamp: null, last_disconnect_reason: null,
    last_access_timestamp: null, is_lost: false, needs_update: false, unavailable_reason: null, max_offline_minutes: null,
    statistics: null, secret_hash: sha256Hex(String(id)), installer_id: '0'.repeat(32), install_fingerprint: sha256Hex(`seed-${id}`),
    created_at: now, updated_at: now,
  };
}

export interface SearchResult {
  rows: number;
  seed_ms: number;
  start_ms: number;
  free_text: ReturnType<typeof summary>;
  filtered: ReturnType<typeof summary>;
}

export async function searchRun(rows = 100_000, rounds = 60): Promise<SearchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jumpgate-bench-search-'));
  const t0 = Date.now();
  const registry = await openRegistry(dataDir);
  for (let start = 1; start <= rows; start += 10_000) {
    await registry.write(() => {
      for (let id = start; id < start + 10_000 && id <= rows; id++) registry.clients.put(row(id));
      registry.clients.nextId();
    });
  }
  await registry.close();
  const seeded = Date.now() - t0;
  const t1 = Date.now();
  const app = await startBenchAppliance(0, dataDir);
  const started = Date.now() - t1;
  try {
    const time = async (query: string) => {
      const t = performance.now();
      const res = await app.api(`/api/config/v1/jump-client?${query}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${query}: ${res.status}`);
      return performance.now() - t;
    };
    const free = ['search=host-4242', 'search=user13', 'search=rack%2017', 'search=198.51.100.77', 'search=zzz-nothing'];
    const filtered = ['tag=web&status=online', 'hostname=host-9999', 'console_user=user7&per_page=50', 'status=lost&connection_type=active'];
    for (const q of [...free, ...filtered]) await time(q); // warm-up
    const freeTimes: number[] = [];
    const filteredTimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const q of free) freeTimes.push(await time(q));
      for (const q of filtered) filteredTimes.push(await time(q));
    }
    return { rows, seed_ms: seeded, start_ms: started, free_text: summary(freeTimes.map((x) => round(x))), filtered: summary(filteredTimes.map((x) => round(x))) };
  } finally {
    await app.stop();
  }
}
