/**
 * Connect, steady state and reconnect storm.
 *
 * 1. N simulated clients enrol and come online against a fresh hub (enrol + online time).
 * 2. They go away; the hub restarts (the appliance) so its memory holds the registry and nothing
 *    of the enrolment work: that is the idle baseline.
 * 3. The same clients (identities kept in a file) connect again: time until all are online, and
 *    the hub's RSS per online client above the baseline.
 * 4. For the largest N: a burst of statistics (steady state: messages ingested per second and CPU
 *    per 1k messages), then, for the appliance, a restart under the whole fleet (reconnect storm)
 *    while a console API call is timed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchAppliance, metricSum, type BenchAppliance } from './lib/appliance.ts';
import { collectGarbage, cpuSeconds, rssBytes, sleep, startChild, type Child } from './lib/proc.ts';
import { startSimulator } from './lib/simulator.ts';
import { round, summary } from './lib/stats.ts';

export interface Hub {
  url: string;
  pid(): number;
  /** A full collection in the hub's process (memory is measured after one). */
  collectGarbage(): Promise<void>;
  installerKey(): Promise<string>;
  /** Restarts the hub process (state kept); the reference hub cannot. */
  restart?(): Promise<void>;
  api?(path: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function applianceHub(): Promise<Hub & { app: BenchAppliance }> {
  const app = await startBenchAppliance();
  return {
    app,
    url: app.url,
    pid: () => app.child.pid,
    collectGarbage: () => collectGarbage(app.child),
    installerKey: () => app.installerKey(),
    restart: () => app.restart(),
    api: (path) => app.api(path),
    stop: () => app.stop(),
  };
}

export async function referenceHub(): Promise<Hub> {
  const data = mkdtempSync(join(tmpdir(), 'jumpgate-bench-reference-'));
  const start = async (port: string) => {
    const c = startChild(['bench/reference-ws-hub/index.ts', '--port', port, '--data', data], {}, false, true);
    const m = await c.waitFor(/reference hub listening on (http:\/\/\S+)/);
    return { c, url: m[1] };
  };
  let { c: child, url } = await start('0');
  const port = new URL(url).port;
  return {
    url,
    pid: () => child.pid,
    collectGarbage: () => collectGarbage(child),
    installerKey: async () => 'reference-installer-key',
    async restart() {
      await child.stop();
      ({ c: child } = await start(port));
    },
    async stop() {
      await child.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

async function waitConnected(hub: Hub, n: number, timeoutMs: number, exact = false): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const c = await metricSum(hub.url, 'jumpgate_agents_connected').catch(() => -1);
    if (exact ? c === n : c >= n) return Date.now() - start;
    await sleep(100);
  }
  return null;
}

export interface ConnectResult {
  agents: number;
  enrol_and_online_ms: number | null;
  all_online_ms: number | null;
  idle_rss_mb: number;
  rss_mb: number;
  rss_per_agent_kb: number;
  steady?: { messages_per_second: number; cpu_ms_per_1k_messages: number; window_s: number; sent_per_second: number };
  storm?: { all_back_online_ms: number | null; api: ReturnType<typeof summary> };
}

export async function connectRun(makeHub: () => Promise<Hub>, n: number, options: { steady: boolean; storm: boolean }): Promise<ConnectResult> {
  const hub = await makeHub();
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-bench-ids-'));
  const identities = join(dir, 'identities.json');
  const seed = `bench-${n}-${Date.now()}`;
  try {
    const key = await hub.installerKey();
    const first = startSimulator({ url: hub.url, key, agents: n, rate: 4000, duration: 120, seed, identities });
    const enrolled = await waitConnected(hub, n, 110_000);
    await first.stop();
    await waitConnected(hub, 0, 30_000, true);
    if (hub.restart) await hub.restart();
    await sleep(3000);
    await hub.collectGarbage();
    const idle = rssBytes(hub.pid());

    const statsDelay = 30;
    const sim = startSimulator({
      url: hub.url,
      key,
      agents: n,
      rate: 8000,
      statsInterval: options.steady ? 0.25 : 3600,
      statsDelay: options.steady ? statsDelay : 3600,
      statsFor: options.steady ? 20 : 0,
      duration: options.steady ? 200 : 90,
      seed,
      identities,
    });
    const simStart = Date.now();
    const allOnline = await waitConnected(hub, n, 80_000);
    await sleep(3000);
    await hub.collectGarbage();
    const rss = rssBytes(hub.pid());
    const result: ConnectResult = {
      agents: n,
      enrol_and_online_ms: enrolled,
      all_online_ms: allOnline,
      idle_rss_mb: round(idle / 2 ** 20, 1),
      rss_mb: round(rss / 2 ** 20, 1),
      rss_per_agent_kb: round((rss - idle) / n / 1024, 2),
    };
    if (options.steady) result.steady = await steady(hub, sim, simStart + statsDelay * 1000);
    if (options.storm && hub.restart && hub.api) result.storm = await storm(hub, n);
    await sim.stop();
    return result;
  } finally {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function steady(hub: Hub, sim: ReturnType<typeof startSimulator>, statsStart: number): Promise<NonNullable<ConnectResult['steady']>> {
  if (Date.now() < statsStart + 3000) await sleep(statsStart + 3000 - Date.now());
  const m0 = await metricSum(hub.url, 'jumpgate_agent_messages_total');
  const s0 = sim.latest()?.statsSent ?? 0;
  const c0 = cpuSeconds(hub.pid());
  const t0 = Date.now();
  await sleep(12_000);
  const dt = (Date.now() - t0) / 1000;
  const messages = (await metricSum(hub.url, 'jumpgate_agent_messages_total')) - m0;
  const cpu = cpuSeconds(hub.pid()) - c0;
  const result = {
    messages_per_second: Math.round(messages / dt),
    cpu_ms_per_1k_messages: round((cpu * 1000) / Math.max(1, messages / 1000), 1),
    window_s: round(dt, 1),
    sent_per_second: Math.round(((sim.latest()?.statsSent ?? 0) - s0) / dt),
  };
  // Let the burst of statistics end before anything else is measured.
  const quiet = statsStart + 22_000;
  if (Date.now() < quiet) await sleep(quiet - Date.now());
  return result;
}

async function storm(hub: Hub, n: number): Promise<NonNullable<ConnectResult['storm']>> {
  const latencies: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t = performance.now();
      const ok = await hub.api!('/api/config/v1/jump-client?per_page=50').then((r) => r.arrayBuffer().then(() => r.ok), () => false);
      if (ok) latencies.push(performance.now() - t);
      await sleep(20);
    }
  })();
  const t0 = Date.now();
  await hub.restart!();
  const back = await waitConnected(hub, n, 90_000);
  // From the stop of the old process (the restart included) to the whole fleet back.
  const allBack = back === null ? null : Date.now() - t0;
  probing = false;
  await probe;
  return { all_back_online_ms: allBack, api: summary(latencies) };
}
