/** Health, Prometheus metrics and what an installer needs to know of the appliance. */
import { Hono } from 'hono';
import type { ApiDeps } from '../index.ts';
import type { ApiEnv } from '../env.ts';

/** What the API may ask of the hub, and nothing more. */
export interface HubStatus {
  healthy(): boolean;
  agentsConnected(): number;
}

export function createStatusRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  deps.metrics.gauge('jumpgate_agents_connected', 'Jump Clients holding a connection to the hub.', () =>
    deps.hub.agentsConnected(),
  );
  deps.metrics.gauge('jumpgate_registry_entries', 'Entries in the registry.', () => deps.registry.size().entries);
  deps.metrics.gauge('jumpgate_registry_bytes', 'Size of the registry file on disk.', () => deps.registry.size().bytes);

  app.get('/healthz', (c) => {
    const ok = deps.registry.healthy() && deps.hub.healthy();
    return c.text(ok ? 'ok' : 'unavailable', ok ? 200 : 503);
  });
  app.get('/metrics', (c) => {
    c.header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    return c.body(deps.metrics.render());
  });
  app.get('/api/server-info', (c) =>
    c.json({
      product: 'jumpgate',
      version: deps.version,
      public_url: deps.publicUrl,
      tls: deps.tlsFingerprint !== null,
      certificate_sha256: deps.tlsFingerprint,
    }),
  );
  return app;
}
