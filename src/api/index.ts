/**
 * The HTTP API and the console's files, as one Hono app: the only importer of hono. `main.ts` hands
 * it the registry and the narrow views of the hub it needs; it never imports the hub itself.
 */
import { Hono } from 'hono';
import type { Registry } from '../registry/index.ts';
import type { SessionManager } from '../sessions/index.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics.ts';
import { randomHexId } from '../shared/ids.ts';
import { authenticate, createAuthRoutes, requireAuth } from './auth.ts';
import type { ApiEnv } from './env.ts';
import { createUserRoutes } from './routes/users.ts';
import { createApiAccountRoutes } from './routes/api-accounts.ts';
import { createGroupRoutes } from './routes/groups.ts';
import { createGroupMemberRoutes } from './routes/group-members.ts';
import { createRoleRoutes } from './routes/roles.ts';
import { createSettingsRoutes } from './routes/settings.ts';
import { createJumpClientRoutes } from './routes/jump-clients.ts';
import { createReportingRoutes } from './routes/reporting.ts';
import { createInstallerRoutes } from './routes/installers.ts';
import { createAgentEndpointRoutes } from './routes/agent-endpoints.ts';
import { createSessionRoutes, MAX_UPLOAD_BYTES, ownerOf } from './routes/sessions.ts';
import { can, loadGrants, loadPrincipal, type Principal } from '../access/index.ts';
import { createStatusRoutes, type HubStatus } from './routes/status.ts';
import { createStaticRoutes, type StaticFiles } from './routes/static.ts';

export type { HubStatus } from './routes/status.ts';
export { publicSummary } from './views.ts';

/** The built Jump Client program for one platform. */
export interface AgentArtifact {
  version: string;
  platform: 'linux-64';
  /** Path of the self-contained agent executable. */
  file: string;
  sha256: string;
  size: number;
}
export type { StaticFile, StaticFiles } from './routes/static.ts';

export interface ApiDeps {
  registry: Registry;
  log: Logger;
  metrics: Metrics;
  version: string;
  /** SHA-256 fingerprint of the appliance certificate (colon-separated hex), or null without TLS. */
  tlsFingerprint: string | null;
  /** The appliance certificate (PEM) that installers carry for agents to pin, or null without TLS. */
  tlsCertificatePem: string | null;
  secureCookies: boolean;
  publicUrl: string;
  /**
   * The address Jump Clients should use, for a request that arrived with this Host header: the
   * configured --public-url, else the address the administrator reached the appliance at.
   */
  publicUrlFor(host: string | undefined): string;
  hub: HubStatus;
  sessions: SessionManager;
  /** Revokes a removed Jump Client at once: its agent is told to uninstall, its sessions end. */
  agents: {
    revoke(clientId: number, reason: string): void;
    /** A client's row or the settings changed: linked agents are told what concerns them (all when no id). */
    notify(clientId?: number): void;
  };
  /** The Jump Client program installers carry and agents update to; undefined until built. */
  agentArtifact: () => AgentArtifact | undefined;
  staticFiles: StaticFiles;
  now?: () => number;
  /** Login throttling; tests shorten the window. */
  throttle?: { perUser: number; perAddress: number; windowMs: number };
}

/** The largest request body the API accepts on a route (the listener enforces it with 413). */
export function maxBodyBytes(method: string, path: string): number {
  if (method === 'PUT' && /^\/api\/session\/v1\/[0-9a-f]{32}\/files$/.test(path)) return MAX_UPLOAD_BYTES;
  return 1024 * 1024;
}

/**
 * After any configuration change: a live session lasts only while its owner may still start
 * sessions on its Jump Client, as the Jump checked. Removing a technician from a group, taking
 * the permission out of a role, demoting an admin or moving the client to another group ends the
 * session there and then. Disabling or removing an account ends its sessions in its own route.
 */
function reviewSessions(deps: ApiDeps): void {
  const { registry } = deps;
  deps.sessions.review((owner, clientId) => {
    const principal = loadPrincipal(registry, owner);
    const client = registry.clients.get(clientId);
    return !!principal && !!client && can(principal, loadGrants(registry, principal), 'perm_start', client);
  }, 'access to the Jump Client was withdrawn');
}

export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const requests = deps.metrics.counter('jumpgate_http_requests_total', 'HTTP requests by route, method and status.');

  app.use(async (c, next) => {
    c.set('reqId', randomHexId().slice(0, 16));
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    requests({ route: c.req.routePath, method: c.req.method, status: String(c.res.status) });
  });

  app.onError((err, c) => {
    const appError =
      err instanceof AppError
        ? err
        : (err as { cause?: unknown }).cause instanceof AppError
          ? ((err as { cause: AppError }).cause)
          : undefined;
    if (appError) {
      for (const [k, v] of Object.entries(appError.headers ?? {})) c.header(k, v);
      return c.json(appError.toJSON(), appError.status as 400);
    }
    deps.log.error('unhandled error', { module: 'api', reqId: c.get('reqId'), path: c.req.path, err });
    return c.json(new AppError('internal_error').toJSON(), 500);
  });

  app.notFound((c) => c.json(new AppError('not_found').toJSON(), 404));

  const auth = {
    registry: deps.registry,
    secureCookies: deps.secureCookies,
    now: deps.now,
    throttle: deps.throttle,
    onLogout: (p: Principal) => deps.sessions.endAllOf(ownerOf(p), 'the technician logged out'),
  };
  app.use('/api/*', authenticate(auth));
  app.route('/', createAuthRoutes(auth));
  app.route('/', createStatusRoutes(deps));
  // Agent-facing endpoints (enrolment, update download) and the public installer download link:
  // authenticated by installer key, agent credentials or the installer id, not by a login.
  app.route('/', createAgentEndpointRoutes(deps));

  app.use('/api/config/*', requireAuth);
  app.use('/api/config/*', async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.res.status < 400) reviewSessions(deps);
  });
  app.use('/api/reporting/*', requireAuth);
  app.route('/api/config/v1', createUserRoutes(deps));
  app.route('/api/config/v1', createApiAccountRoutes(deps));
  app.route('/api/config/v1', createGroupRoutes(deps));
  app.route('/api/config/v1', createGroupMemberRoutes(deps));
  app.route('/api/config/v1', createRoleRoutes(deps));
  app.route('/api/config/v1', createSettingsRoutes(deps));
  app.route('/api/config/v1', createInstallerRoutes(deps));
  app.route('/api/config/v1', createJumpClientRoutes(deps));
  app.route('/', createSessionRoutes(deps));
  app.route('/api/reporting/v1', createReportingRoutes(deps));
  app.route('/', createStaticRoutes(deps.staticFiles));
  return app;
}
