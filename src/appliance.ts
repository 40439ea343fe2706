/**
 * The composition root: config → log → registry → API → listener. `main.ts` wraps it with the
 * command line and signals; tests start it in-process on port 0 with a temporary data dir.
 */
import { mkdirSync } from 'node:fs';
import { createApi, maxBodyBytes, type StaticFiles } from './api/index.ts';
import { ensureAdmin } from './bootstrap.ts';
import { VERSION, type ServeConfig } from './config.ts';
import { startListener } from './hub/listener.ts';
import { createAgentHub } from './hub/agents.ts';
import { agentConnectionCap } from './hub/limits.ts';
import { createPresence } from './fleet/index.ts';
import { MAX_MESSAGE_BYTES } from './shared/protocol.ts';
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
}

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
    const metrics = createMetrics();
    const settings = registry.settings.get();
    const agents = createAgentHub({
      fleet: createPresence({ registry, log, currentAgent: () => undefined }),
      log,
      maxConnections: options.maxAgentConnections ?? agentConnectionCap(),
      admission: { ratePerSecond: settings.agent_admission_per_second, burst: settings.agent_admission_per_second },
      heartbeatSeconds: 30,
      idleTimeoutSeconds: 96,
      maxPayloadBytes: 2 * MAX_MESSAGE_BYTES,
    });
    const hub = { healthy: () => true, agentsConnected: () => agents.connectedCount() };
    let publicUrl = config.publicUrl ?? '';
    const api = createApi({
      registry,
      log,
      metrics,
      version: VERSION,
      tlsFingerprint: tls?.fingerprint ?? null,
      secureCookies: tls !== undefined,
      get publicUrl() {
        return publicUrl;
      },
      hub,
      agentArtifact: () => undefined,
      staticFiles: options.staticFiles ?? staticFromFolder(),
      throttle: options.throttle,
    });
    const listener = await startListener({
      host: config.host,
      port: config.port,
      tls,
      fetch: (request, env) => api.fetch(request, env),
      maxBodyBytes,
      wsRoutes: [agents.route],
      log,
    });
    const scheme = tls ? 'https' : 'http';
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `${scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${listener.port}`;
    if (!publicUrl) publicUrl = url;
    return {
      port: listener.port,
      url,
      publicUrl,
      registry,
      tls,
      generatedAdminPassword,
      async close() {
        agents.closeAll();
        await listener.close();
        await registry.close();
      },
    };
  } catch (err) {
    await registry.close();
    throw err;
  }
}
