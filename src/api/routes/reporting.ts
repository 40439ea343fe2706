/**
 * Reports: the audit log of Jump Items (SPEC S6) and the session records, newest first. Admins see
 * everything; others see what concerns Jump Clients they may view reports of (SPEC P2), and their
 * own sessions.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { can, loadGrants, type ItemRef } from '../../access/index.ts';
import type { AuditEntry, AuditEvent, Registry, SessionRecord } from '../../registry/index.ts';
import { invalid } from '../../shared/errors.ts';
import { principalOf } from '../auth.ts';
import type { ApiEnv } from '../env.ts';
import type { ApiDeps } from '../index.ts';
import { intString, paginate, Pagination, readQuery } from '../validate.ts';
import { iso } from '../views.ts';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const ISO_PROBLEM = 'must be an ISO 8601 date, or a timestamp with a time zone (2024-05-01T12:00:00Z)';

const isoTime = v.optional(
  v.pipe(v.string(), v.regex(ISO_TIME, ISO_PROBLEM), v.transform(Date.parse), v.check((ms: number) => Number.isFinite(ms), ISO_PROBLEM)),
);
const text = (max: number) =>
  v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(max, `must be at most ${max} characters`)));

const EventQuery = v.strictObject({
  ...Pagination,
  from: isoTime,
  to: isoTime,
  actor: text(128),
  item_type: v.optional(
    v.picklist(['jump_client', 'installer', 'user', 'api_account', 'jump_group', 'membership', 'jump_item_role', 'settings']),
  ),
  item_id: text(64),
  event_type: v.optional(
    v.picklist(['created', 'deleted', 'changed', 'moved', 'copied', 'session_started', 'uninstalled', 'lost']),
  ),
});

const SessionQuery = v.strictObject({
  ...Pagination,
  from: isoTime,
  to: isoTime,
  jump_client_id: v.optional(intString(1, Number.MAX_SAFE_INTEGER)),
  username: text(128),
});

function checkRange(q: { from?: number; to?: number }): void {
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw invalid('from', 'must not be after to');
}

/** What the caller may see in reports; client lookups are cached for the request. */
function reportScope(c: Context<ApiEnv>, registry: Registry) {
  const p = principalOf(c);
  const grants = loadGrants(registry, p);
  const admin = can(p, grants, 'administer');
  const userId = p.kind === 'user' ? p.user.id : undefined;
  const mayReport = (item: ItemRef | undefined) => item !== undefined && can(p, grants, 'perm_view_reports', item);
  const clients = new Map<number, boolean>();
  const clientReportable = (id: number): boolean => {
    let ok = clients.get(id);
    if (ok === undefined) {
      ok = mayReport(registry.clients.get(id));
      clients.set(id, ok);
    }
    return ok;
  };
  return {
    /** An event about a Jump Client: its current group, or (moved, copied, deleted) the groups it names. */
    event: (e: AuditEntry): boolean =>
      admin || (e.item_type === 'jump_client' && (clientReportable(Number(e.item_id)) || e.groups.some(mayReport))),
    session: (s: SessionRecord): boolean =>
      admin || (userId !== undefined && s.user_id === userId) || clientReportable(s.jump_client_id),
  };
}

function publicEvent(e: AuditEvent) {
  return { ...e, timestamp: iso(e.timestamp) };
}

function publicSession(s: SessionRecord) {
  return { ...s, started_at: iso(s.started_at), ended_at: iso(s.ended_at) };
}

export function createReportingRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/jump-item-event', (c) => {
    const { per_page, current_page, ...filters } = readQuery(c, EventQuery);
    checkRange(filters);
    const scope = reportScope(c, registry);
    const entries = registry.audit.find(filters).filter(scope.event);
    // An event pruned between the index's answer and its read is skipped.
    const page = paginate(c, entries, { per_page, current_page }).map((e) => registry.audit.read(e));
    return c.json(page.filter((e): e is AuditEvent => e !== undefined).map(publicEvent));
  });

  app.get('/session', (c) => {
    const { per_page, current_page, from, to, jump_client_id, username } = readQuery(c, SessionQuery);
    checkRange({ from, to });
    const scope = reportScope(c, registry);
    const name = username?.toLowerCase();
    const rows = registry.sessions
      .list()
      .filter(
        (s) =>
          (from === undefined || s.started_at >= from) &&
          (to === undefined || s.started_at <= to) &&
          (jump_client_id === undefined || s.jump_client_id === jump_client_id) &&
          (name === undefined || s.username.toLowerCase() === name) &&
          scope.session(s),
      ); // already newest first
    return c.json(paginate(c, rows, { per_page, current_page }).map(publicSession));
  });

  return app;
}
