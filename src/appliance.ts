/**
 * The composition root: config → log → registry → API → listener. `main.ts` wraps it with the
 * command line and signals; tests start it in-process on port 0 with a temporary data dir.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createApi, maxBodyBytes, publicSummary, type AgentArtifact, type StaticFiles } from './api/index.ts';
import { openAgentArtifacts } from './agent-artifact.ts';
import { createConsoleFeed } from './hub/console.ts';
import { ensureAdmin } from './bootstrap.ts';
import { VERSION, type ServeConfig } from './config.ts';
import { startListener } from './hub/listener.ts';
import { createAgentHub } from './hub/agents.ts';
import { wake, wakeTargets } from './hub/wake.ts';
import { agentConnectionCap } from './hub/limits.ts';
import { createPresence, markOverdue } from './fleet/index.ts';
import { startMaintenance, type MaintenanceReport } from './maintenance/index.ts';
import { MAX_MESSAGE_BYTES, UPDATE_PATH, type UpdateOffer } from './shared/protocol.ts';
import { createSessionRoutes as createSessionSockets } from './hub/sessions.ts';
import { createSessionManager, createSpawnLimiter, recordingStops, type AgentLink } from './sessions/index.ts';
import { can, isAdmin, loadGrants, principalName, type Principal } from './access/index.ts';
import { rawToken, resolveToken } from './access/credentials.ts';
import { openRegistry, type Registry } from './registry/index.ts';
import type { Logger } from './shared/log.ts';
import { createMetrics } from './shared/metrics.ts';
import { staticFromFolder } from './static-files.ts';
import { ensureSelfSigned, loadTls, type TlsFiles } from './tls/index.ts';

export interface Appliance {
  readonly port: number;
  readonly url: string;
  readonly publicUrl: string;
  readonly registry: Registry;
  readonly tls: TlsFiles | undefined;
  /** The admin password generated on first start, if one was. */
  readonly generatedAdminPassword: string | undefined;
  /** One round of housekeeping now (it also runs at start and every 15 minutes). */
  runMaintenance(): Promise<MaintenanceReport>;
  /** Graceful stop: stop accepting, finish in-flight requests, close the registry. */
  close(): Promise<void>;
}

export interface ApplianceOptions {
  log: Logger;
  staticFiles?: StaticFiles;
  /** Login throttling, shortened by tests. */
  throttle?: { perUser: number; perAddress: number; windowMs: number };
  /** Overrides the agent connection cap derived from the open-files limit. */
  maxAgentConnections?: number;
  /**
   * The Jump Client program installers carry and agents update to (tests hand in a stand-in).
   * By default: the one embedded in the executable, else the build in `dist/agent`.
   */
  agentArtifact?: () => AgentArtifact | undefined;
  /** How far a recording's file may be behind the terminal (1 s; tests lengthen it). */
  recordingFlushMs?: number;
  /** Free disk a recording must leave (1 GiB; tests on small disks lower it). */
  recordingMinFreeBytes?: number;
}

/** Why the wake behind a Jump is called off: a reason given builds no DOMException with a stack. */
const WAKE_OVER = Symbol('the Jump reached the client or gave up');

export async function startAppliance(config: ServeConfig, options: ApplianceOptions): Promise<Appliance> {
  const { log } = options;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const tls =
    config.tls === 'off'
      ? undefined
      : config.tls === 'self-signed'
        ? await ensureSelfSigned(config.dataDir)
        : loadTls(config.tls.certFile, config.tls.keyFile);
  const registry = await openRegistry(config.dataDir);
  try {
    const generatedAdminPassword = await ensureAdmin(registry, config.adminPassword);
    // Reports of sessions a crash left "active" end now, so reports read true and retention applies.
    const leftovers = await registry.write(() => registry.sessions.endLeftovers(Date.now(), 'the appliance stopped'));
    if (leftovers > 0) log.warn('sessions left active by an unclean stop were ended', { module: 'sessions', count: leftovers });
    const metrics = createMetrics();
    const settings = registry.settings.get();
    const agentArtifact = options.agentArtifact ?? openAgentArtifacts({ dataDir: config.dataDir, log }).artifact;
    const currentAgent = (): UpdateOffer | undefined => {
      const a = agentArtifact();
      return a && { version: a.version, sha256: a.sha256, size: a.size, path: UPDATE_PATH };
    };
    const fleet = createPresence({ registry, log, currentAgent });
    const limiter = createSpawnLimiter({
      max: () => registry.settings.get().max_concurrent_spawns,
      timeoutMs: () => registry.settings.get().spawn_timeout_seconds * 1000,
    });
    const agentLink: AgentLink = {
      isConnected: (id) => agents.isConnected(id),
      send: (id, m) => agents.send(id, m),
      async reach(client, signal) {
        const targets = wakeTargets({ ...client, private_ips: client.statistics?.private_ips ?? [] });
        if (targets.length === 0) throw new Error('the client reported no address to wake it at');
        const linked = agents.whenLinked(client.id, signal);
        const waking = new AbortController();
        signal.addEventListener('abort', () => waking.abort(WAKE_OVER), { once: true });
        void wake(targets, client.id, client.secret_hash, waking.signal);
        try {
          await linked;
        } finally {
          waking.abort(WAKE_OVER);
        }
      },
    };
    const sessions = createSessionManager({ registry, agents: agentLink, limiter, log, dataDir: config.dataDir, recordingFlushMs: options.recordingFlushMs, recordingMinFreeBytes: options.recordingMinFreeBytes });
    const agents = createAgentHub({
      fleet,
      sessionEvents: { refused: sessions.sessionRefused, agentGone: sessions.agentGone },
      log,
      maxConnections: options.maxAgentConnections ?? agentConnectionCap(),
      admission: { ratePerSecond: settings.agent_admission_per_second, burst: settings.agent_admission_per_second },
      heartbeatSeconds: 30,
      idleTimeoutSeconds: 96,
      maxPayloadBytes: 2 * MAX_MESSAGE_BYTES,
    });
    const revoke = (clientId: number, reason: string): void => {
      sessions.endForClient(clientId, reason);
      agents.revoke(clientId, reason);
    };
    const notify = (clientId?: number): void => {
      const current = registry.settings.get();
      for (const id of clientId === undefined ? agents.linkedIds() : [clientId]) {
        const row = registry.clients.get(id);
        if (!row) continue;
        agents.sendSettings(id, {
          statistics_interval_seconds: current.statistics_interval_seconds,
          max_offline_minutes: row.max_offline_minutes ?? current.delete_after_days * 24 * 60,
          connection_type: row.connection_type,
        });
      }
    };
    // Twice a minute: passive clients that stopped checking in, and active clients without a link,
    // turn offline (the latter once agents have had two minutes to come back after a start).
    const startedAt = Date.now();
    const overdue = setInterval(() => {
      const now = Date.now();
      markOverdue(registry, (id) => agents.isConnected(id), now, now - startedAt > 120_000).catch((err: unknown) =>
        log.error('presence sweep failed', { module: 'fleet', err }),
      );
    }, 30_000);
    overdue.unref();
    const maintenance = startMaintenance({
      registry,
      log,
      onClientsRemoved: (ids) => ids.forEach((id) => revoke(id, 'the Jump Client was removed after being offline too long')),
      afterRun: async () => {
        const swept = await sessions.sweepRecordings(60 * 60_000);
        if (swept > 0) log.info('stray recordings removed', { module: 'maintenance', count: swept });
      },
      onSessionsPruned: (ids) => {
        for (const id of ids) {
          sessions.removeRecording(id).catch((err: unknown) => log.warn('recording not removed', { module: 'maintenance', sessionId: id, err }));
        }
      },
    });
    const hub = { healthy: () => true, agentsConnected: () => agents.connectedCount() };
    metrics.gauge('jumpgate_spawns_in_flight', 'Jump spawns in progress.', () => limiter.stats().inFlight);
    metrics.gauge('jumpgate_spawns_in_flight_max', 'Most Jump spawns in progress at once since start.', () => limiter.stats().maxInFlight);
    metrics.gauge('jumpgate_spawns_refused_busy_total', 'Jumps refused because the spawn cap was full.', () => limiter.stats().refusedBusy, 'counter');
    metrics.gauge(
      'jumpgate_spawns_total',
      'Jump spawns ended, by outcome (ready, error, timeout, aborted).',
      () => Object.entries(limiter.stats().released).map(([outcome, value]) => ({ labels: { outcome }, value })),
      'counter',
    );
    metrics.gauge(
      'jumpgate_agent_messages_total',
      'Agent messages decoded, by type.',
      () => Object.entries(agents.counters().messages).map(([type, value]) => ({ labels: { type }, value })),
      'counter',
    );
    metrics.gauge(
      'jumpgate_agent_upgrades_refused_total',
      'Agent connections refused at the upgrade, by reason.',
      () => Object.entries(agents.counters().refused).map(([reason, value]) => ({ labels: { reason }, value })),
      'counter',
    );
    metrics.gauge('jumpgate_sessions_live', 'Live sessions.', () => sessions.liveCount());
    metrics.gauge(
      'jumpgate_recordings_stopped_low_disk_total',
      "Terminal recordings stopped because the data directory's disk had less than 1 GiB free.",
      () => recordingStops.lowDisk,
      'counter',
    );
    const principalFrom = (authorization: string, cookie: string): { p: Principal; via: 'bearer' | 'cookie'; raw: string } | undefined => {
      const sent = rawToken(authorization || undefined, cookie || undefined);
      const resolved = sent && resolveToken(registry, sent.raw, Date.now());
      return sent && resolved ? { p: resolved.principal, via: sent.via, raw: sent.raw } : undefined;
    };
    const sessionSockets = createSessionSockets({
      sessions,
      fleet,
      log,
      authenticate(authorization, cookie) {
        const found = principalFrom(authorization, cookie);
        if (!found) return undefined;
        const { p } = found;
        const owner = { kind: p.kind, id: p.kind === 'user' ? p.user.id : p.account.id, name: principalName(p), isAdmin: isAdmin(p) };
        return { owner, via: found.via };
      },
    });
    const consoleFeed = createConsoleFeed({
      subscribe: (listener) => registry.clients.onChange(listener),
      present: publicSummary,
      authenticate(authorization, cookie) {
        const found = principalFrom(authorization, cookie);
        if (!found) return undefined;
        // The caller and their grants are read again at most every 30 s: membership changes reach
        // open consoles, and a logged-out, expired or disabled caller sees nothing more.
        let principal: Principal | undefined = found.p;
        let grants = loadGrants(registry, principal);
        let loadedAt = Date.now();
        const viewer = {
          canView(item: { jump_group_type: 'shared' | 'personal'; jump_group_id: number }) {
            if (principal && Date.now() - loadedAt > 30_000) {
              principal = resolveToken(registry, found.raw, Date.now())?.principal;
              if (principal) grants = loadGrants(registry, principal);
              loadedAt = Date.now();
            }
            return principal !== undefined && can(principal, grants, 'view', item);
          },
        };
        return { viewer, via: found.via };
      },
    });
    let publicUrl = config.publicUrl ?? '';
    const api = createApi({
      registry,
      log,
      metrics,
      version: VERSION,
      tlsFingerprint: tls?.fingerprint ?? null,
      tlsCertificatePem: tls ? readFileSync(tls.certFile, 'utf8') : null,
      // Secure cookies under TLS, and behind a TLS-terminating proxy announced by --public-url.
      secureCookies: tls !== undefined || (config.publicUrl?.startsWith('https://') ?? false),
      get publicUrl() {
        return publicUrl;
      },
      publicUrlFor: (host) =>
        config.publicUrl ?? (host && /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/.test(host) ? `${tls ? 'https' : 'http'}://${host}` : publicUrl),
      hub,
      sessions,
      agents: { revoke, notify },
      agentArtifact,
      staticFiles: options.staticFiles ?? staticFromFolder(),
      throttle: options.throttle,
    });
    const listener = await startListener({
      host: config.host,
      port: config.port,
      tls,
      fetch: (request, env) => api.fetch(request, env),
      maxBodyBytes,
      wsRoutes: [agents.route, ...sessionSockets, consoleFeed.route],
      log,
    });
    const scheme = tls ? 'https' : 'http';
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `${scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${listener.port}`;
    if (!publicUrl) publicUrl = url;
    maintenance.runOnce().catch((err: unknown) => log.error('maintenance failed', { module: 'maintenance', err }));
    return {
      port: listener.port,
      url,
      publicUrl,
      registry,
      tls,
      generatedAdminPassword,
      runMaintenance: () => maintenance.runOnce(),
      async close() {
        maintenance.stop();
        clearInterval(overdue);
        consoleFeed.close();
        sessions.endAll('the appliance is shutting down');
        agents.closeAll();
        await listener.close();
        await sessions.recordingsWritten();
        await registry.close();
      },
    };
  } catch (err) {
    await registry.close();
    throw err;
  }
}
