/**
 * `jumpgate simulate`: many Jump Clients in one process, for sizing a box and for the benchmarks.
 * Each enrols with the installer key and then holds its link through the real agent's code
 * (enrolment, connection, reconnection with backoff, sessions), so the appliance sees exactly what
 * real clients send. Sockets are spread over source addresses 127.0.0.x so tens of thousands fit
 * in the ephemeral port range. Bounded in count and time: it stops by itself after `duration`.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { enrollOnce, type Identity } from '../agent/identity.ts';
import { superviseLink } from '../agent/supervisor.ts';
import { runSession, type SessionBackends } from '../agent/session/index.ts';
import type { Appliance } from '../agent/transport.ts';
import { silentLogger, type Logger } from '../shared/log.ts';
import { PROTOCOL_VERSION, type AgentMessage, type Statistics } from '../shared/protocol.ts';
import { VERSION } from '../shared/version.ts';
import { simulatedBackends } from './backends.ts';
import { applianceFor } from './appliance.ts';
import { loadIdentities, saveIdentities } from './identities.ts';

export interface SimulateOptions {
  url: string;
  installerKey: string;
  agents: number;
  /** New agents started per second. */
  rate: number;
  statsIntervalSeconds: number;
  /** Statistics start this long after the run begins. */
  statsDelaySeconds?: number;
  /** Statistics stop this long after they began (0 or absent: never). */
  statsForSeconds?: number;
  durationSeconds: number;
  /** How many source addresses (127.0.0.2, .3, …) to spread sockets over. */
  sources: number;
  /** A label that makes the install fingerprints of this run distinct from another run's. */
  seed: string;
  /**
   * Sessions on stand-in terminals (default), or on real login shells of this account with
   * `shellHome` as their home (for measuring real sessions; start-up files there are the caller's).
   */
  shellHome?: string;
  /** A file to keep identities in: enrolled clients are saved there and reused by the next run. */
  identitiesFile?: string;
  log: Logger;
  /** Ends the run early (the command line's SIGTERM / SIGINT); it also ends after `durationSeconds`. */
  signal?: AbortSignal;
  /** Called about once a second with the counters. */
  progress?: (p: SimulationProgress) => void;
}

export interface SimulationProgress {
  elapsedMs: number;
  enrolled: number;
  online: number;
  refused: number;
  statsSent: number;
  sessions: number;
  allOnlineAfterMs: number | null;
}

export function syntheticStatistics(i: number): Statistics {
  return {
    hostname: `sim-${i}`,
    fqdn: `sim-${i}.sim.test`,
    operating_system: 'Simulated Linux',
    os_version: '1',
    arch: 'x64',
    kernel: '6.1.0-sim',
    console_user: i % 3 === 0 ? '' : `user${i % 97}`,
    private_ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    uptime_seconds: 1000 + i,
    cpu_load: [0.1, 0.1, 0.1],
    memory_total_bytes: 2 ** 31,
    memory_free_bytes: 2 ** 30,
    disk_total_bytes: 2 ** 34,
    disk_free_bytes: 2 ** 33,
    agent_version: VERSION,
    install_mode: 'service',
  };
}

/**
 * The real machine's backends, loaded only for `--real-shells`: they need the terminal addon
 * (node-pty), which the npm package loads from node_modules and the single executable lacks.
 */
async function loadRealBackends(): Promise<(home: string) => SessionBackends> {
  try {
    return (await import('../agent/session/real.ts')).realBackends;
  } catch (err) {
    throw new Error(`--real-shells needs the terminal addon (node-pty), which this build cannot load; run the npm package's jumpgate instead (${(err as Error).message.split('\n')[0]})`);
  }
}

export async function simulate(options: SimulateOptions): Promise<SimulationProgress> {
  const real = options.shellHome ? await loadRealBackends() : undefined;
  const started = Date.now();
  const base = await applianceFor(options.url);
  const stop = new AbortController();
  const counters: SimulationProgress = { elapsedMs: 0, enrolled: 0, online: 0, refused: 0, statsSent: 0, sessions: 0, allOnlineAfterMs: null };
  const deadline = setTimeout(() => stop.abort(), options.durationSeconds * 1000);
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const ticker = setInterval(() => {
    counters.elapsedMs = Date.now() - started;
    options.progress?.({ ...counters });
  }, 1000);
  const running: Promise<unknown>[] = [];
  // One controller per simulated client, all aborted by the run's stop: thousands of listeners on
  // one shared signal make every removal a linear search (minutes of CPU at 15,000 clients).
  const controllers = new Set<AbortController>();
  stop.signal.addEventListener('abort', () => controllers.forEach((c) => c.abort()), { once: true });
  const known = options.identitiesFile ? loadIdentities(options.identitiesFile) : new Map<number, Identity>();
  const fresh = new Map<number, Identity>();

  const startAgent = async (i: number): Promise<void> => {
    const appliance: Appliance = { ...base, localAddress: `127.0.0.${2 + (i % options.sources)}` };
    const identity = known.get(i) ?? (await enroll(appliance, i, options, stop.signal));
    if (!identity) {
      counters.refused++;
      return;
    }
    counters.enrolled++;
    if (!known.has(i)) fresh.set(i, identity);
    if (options.identitiesFile && fresh.size > 0 && counters.enrolled + counters.refused === options.agents) {
      saveIdentities(options.identitiesFile, new Map([...known, ...fresh]));
    }
    const own = new AbortController();
    controllers.add(own);
    if (stop.signal.aborted) own.abort();
    try {
      const backends = real && options.shellHome ? real(options.shellHome) : simulatedBackends(`sim-${i}`);
      await holdLink(appliance, identity, i, backends, options, counters, started, own.signal);
    } finally {
      controllers.delete(own);
    }
  };

  for (let i = 0; i < options.agents && !stop.signal.aborted; i++) {
    running.push(startAgent(i).catch((err: unknown) => options.log.error('simulated agent failed', { agent: i, err })));
    if ((i + 1) % Math.max(1, Math.round(options.rate / 20)) === 0) await sleep(50);
  }
  await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.allSettled(running);
  clearTimeout(deadline);
  clearInterval(ticker);
  counters.elapsedMs = Date.now() - started;
  return counters;
}

async function enroll(appliance: Appliance, i: number, options: SimulateOptions, signal: AbortSignal): Promise<Identity | undefined> {
  const fingerprint = createHash('sha256').update(`simulated:${options.seed}:${i}`).digest('hex');
  for (let attempt = 0; attempt < 20 && !signal.aborted; attempt++) {
    const outcome = await enrollOnce(appliance, {
      installer_key: options.installerKey,
      install_fingerprint: fingerprint,
      overrides: {},
      statistics: syntheticStatistics(i),
    });
    if (outcome.kind === 'enrolled') return outcome.identity;
    if (outcome.kind === 'refused') {
      options.log.warn('enrolment refused', { agent: i, code: outcome.code, message: outcome.message });
      return undefined;
    }
    await sleep(Math.min(30_000, 500 * 2 ** attempt) * Math.random(), undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}

async function holdLink(
  appliance: Appliance,
  identity: Identity,
  i: number,
  backends: SessionBackends,
  options: SimulateOptions,
  counters: SimulationProgress,
  started: number,
  signal: AbortSignal,
): Promise<void> {
  let online = false;
  let statsTimer: NodeJS.Timeout | undefined;
  const origin = appliance.url.href.replace(/\/+$/, '').replace(/^http/, 'ws');
  await superviseLink({
    appliance,
    identity,
    log: silentLogger,
    signal,
    handlers: {
      hello: (): AgentMessage => ({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        agent_version: VERSION,
        disabled: false,
        statistics: syntheticStatistics(i),
      }),
      contact: () => undefined,
      message(message, send) {
        if (message.type === 'welcome' && !online) {
          online = true;
          counters.online++;
          if (counters.online === options.agents && counters.allOnlineAfterMs === null) counters.allOnlineAfterMs = Date.now() - started;
          const every = options.statsIntervalSeconds * 1000;
          const statsEnd = options.statsForSeconds ? started + ((options.statsDelaySeconds ?? 0) + options.statsForSeconds) * 1000 : Infinity;
          const tick = () => {
            if (Date.now() > statsEnd) return clearInterval(statsTimer);
            const s = syntheticStatistics(i);
            s.uptime_seconds += Math.floor((Date.now() - started) / 1000);
            if (send({ type: 'stats', statistics: s })) counters.statsSent++;
          };
          const quietUntil = started + (options.statsDelaySeconds ?? 0) * 1000;
          statsTimer = setTimeout(function first() {
            tick();
            statsTimer = setInterval(tick, every);
          }, Math.max(0, quietUntil - Date.now()) + every * Math.random());
        }
        if (message.type === 'session_open') {
          counters.sessions++;
          runSession({ origin, clientId: identity.client_id, secret: identity.secret, localAddress: appliance.localAddress, tls: appliance.tls }, message, backends);
        }
      },
      closed() {
        clearTimeout(statsTimer);
        clearInterval(statsTimer);
        if (online) counters.online--;
        online = false;
      },
    },
  });
}
