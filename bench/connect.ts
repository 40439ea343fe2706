/**
 * Connect, steady state and reconnect storm. N simulated clients enrol and come online against a
 * fresh hub (the appliance, or the reference hub for comparison); for the largest N the run goes
 * on with a burst of statistics (steady state) and, for the appliance, a restart under the whole
 * fleet (reconnect storm) while a console API call is timed.
 */
import { startBenchAppliance, metricSum, type BenchAppliance } from './lib/appliance.ts';
import { cpuSeconds, rssBytes, sleep, startChild, type Child } from './lib/proc.ts';
import { startSimulator } from './lib/simulator.ts';
import { round, summary } from './lib/stats.ts';

export interface Hub {
  url: string;
  pid(): number;
  installerKey(): Promise<string>;
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
    installerKey: () => app.installerKey(),
    restart: () => app.restart(),
    api: (path) => app.api(path),
    stop: () => app.stop(),
  };
}

export async function referenceHub(): Promise<Hub> {
  const child: Child = startChild(['bench/reference-ws-hub/index.ts', '--port', '0']);
  const m = await child.waitFor(/reference hub listening on (http:\/\/\S+)/);
  return { url: m[1], pid: () => child.pid, installerKey: async () => 'reference-installer-key', stop: () => child.stop() };
}

async function waitConnected(hub: Hub, n: number, timeoutMs: number): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if ((await metricSum(hub.url, 'jumpgate_agents_connected').catch(() => 0)) >= n) return Date.now() - start;
    await sleep(100);
  }
  return null;
}

export interface ConnectResult {
  agents: number;
  all_online_ms: number | null;
  idle_rss_mb: number;
  rss_mb: number;
  rss_per_agent_kb: number;
  steady?: { messages_per_second: number; cpu_ms_per_1k_messages: number; window_s: number; sent_per_second: number };
  storm?: { all_back_online_ms: number | null; api: ReturnType<typeof summary> };
}

export async function connectRun(makeHub: () => Promise<Hub>, n: number, options: { steady: boolean; storm: boolean }): Promise<ConnectResult> {
  const hub = await makeHub();
  try {
    await sleep(1500);
    const idle = rssBytes(hub.pid());
    const key = await hub.installerKey();
    const statsDelay = options.steady ? 45 : 0;
    const sim = startSimulator({
      url: hub.url,
      key,
      agents: n,
      rate: 4000,
      statsInterval: options.steady ? 0.25 : 3600,
      statsDelay,
      statsFor: options.steady ? 20 : 0,
      duration: options.steady ? 200 : 90,
      seed: `bench-${n}-${Date.now()}`,
    });
    const simStart = Date.now();
    const allOnline = await waitConnected(hub, n, 80_000);
    await sleep(2000);
    const rss = rssBytes(hub.pid());
    const result: ConnectResult = {
      agents: n,
      all_online_ms: allOnline,
      idle_rss_mb: round(idle / 2 ** 20, 1),
      rss_mb: round(rss / 2 ** 20, 1),
      rss_per_agent_kb: round((rss - idle) / n / 1024, 2),
    };
    if (options.steady) {
      const statsStart = simStart + statsDelay * 1000;
      if (Date.now() < statsStart + 3000) await sleep(statsStart + 3000 - Date.now());
      const m0 = await metricSum(hub.url, 'jumpgate_agent_messages_total');
      const s0 = sim.latest()?.statsSent ?? 0;
      const c0 = cpuSeconds(hub.pid());
      const t0 = Date.now();
      await sleep(12_000);
      const dt = (Date.now() - t0) / 1000;
      const messages = (await metricSum(hub.url, 'jumpgate_agent_messages_total')) - m0;
      const cpu = cpuSeconds(hub.pid()) - c0;
      result.steady = {
        messages_per_second: Math.round(messages / dt),
        cpu_ms_per_1k_messages: round((cpu * 1000) / (messages / 1000), 1),
        window_s: round(dt, 1),
        sent_per_second: Math.round(((sim.latest()?.statsSent ?? 0) - s0) / dt),
      };
      // Let the statistics burst end before the storm.
      const quiet = statsStart + 20_000 + 2000;
      if (Date.now() < quiet) await sleep(quiet - Date.now());
    }
    if (options.storm && hub.restart && hub.api) {
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
      await hub.restart();
      const back = await waitConnected(hub, n, 90_000);
      // From the stop of the old process (the restart included) to the whole fleet back.
      const allBack = back === null ? null : Date.now() - t0;
      probing = false;
      await probe;
      result.storm = { all_back_online_ms: allBack, api: summary(latencies) };
    }
    await sim.stop();
    return result;
  } finally {
    await hub.stop();
  }
}
