/**
 * Housekeeping on a timer (SPEC S5, S6): prunes the audit log and the session reports past the
 * audit retention (a session's recording goes with its report) and expired tokens, flags
 * long-offline Jump Clients as lost and removes those offline past the deletion threshold. The
 * decisions are pure (`planMaintenance`); `runOnce` applies them in one write, deciding again on
 * each row as it reads it there, so a client that reconnected meanwhile is left alone.
 */
import type { AuditActor, JumpClient, Registry, Settings } from '../registry/index.ts';
import type { Logger } from '../shared/log.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const SYSTEM: AuditActor = { kind: 'system', id: null, name: 'system' };

export type ClientAction = 'lose' | 'delete';

export interface MaintenancePlan {
  /** Ids of clients to flag lost. */
  lose: number[];
  /** Ids of clients to remove. */
  delete: number[];
}

export interface MaintenanceReport {
  auditPruned: number;
  /** Ids of the session reports removed (ended before the retention). */
  sessionsPruned: string[];
  tokensPruned: number;
  markedLost: number[];
  deleted: number[];
}

export interface MaintenanceOptions {
  registry: Registry;
  log: Logger;
  now?: () => number;
  /** How often to run; default 15 minutes. */
  intervalMs?: number;
  /** Told the ids of clients removed, after the removal is durable (the hub revokes them). */
  onClientsRemoved?: (ids: number[]) => void;
  /** Told the ids of session reports removed, after the removal is durable (their recordings go). */
  onSessionsPruned?: (ids: string[]) => void;
  /** More housekeeping outside the registry after each round (stray recordings); awaited. */
  afterRun?: () => Promise<void>;
}

export interface Maintenance {
  runOnce(): Promise<MaintenanceReport>;
  stop(): void;
}

type Thresholds = Pick<Settings, 'lost_after_days' | 'delete_after_days'>;

/** What maintenance decides on: the in-memory summary has it all, so no row is read to decide. */
type Decided = Pick<JumpClient, 'id' | 'status' | 'last_disconnect_timestamp' | 'last_connect_timestamp' | 'created_at' | 'max_offline_minutes'>;

/** Since when the client has been out of reach: its last disconnect, else its last connect, else its creation. */
export function offlineSince(row: Decided): number {
  return row.last_disconnect_timestamp ?? row.last_connect_timestamp ?? row.created_at;
}

/**
 * What maintenance does to one client. Only offline (or already lost) clients are considered. The
 * deletion threshold is the client's own `max_offline_minutes` when set, replacing the site's
 * `delete_after_days` (a per-client override, SPEC S5); deleting wins over flagging lost.
 */
export function decideClient(row: Decided, settings: Thresholds, now: number): ClientAction | undefined {
  if (row.status !== 'offline' && row.status !== 'lost') return undefined;
  const offlineFor = now - offlineSince(row);
  const deleteAfter = row.max_offline_minutes !== null ? row.max_offline_minutes * MINUTE : settings.delete_after_days * DAY;
  if (offlineFor > deleteAfter) return 'delete';
  if (row.status === 'offline' && offlineFor > settings.lost_after_days * DAY) return 'lose';
  return undefined;
}

export function planMaintenance(rows: Iterable<Decided>, settings: Thresholds, now: number): MaintenancePlan {
  const plan: MaintenancePlan = { lose: [], delete: [] };
  for (const row of rows) {
    const action = decideClient(row, settings, now);
    if (action === 'lose') plan.lose.push(row.id);
    else if (action === 'delete') plan.delete.push(row.id);
  }
  return plan;
}

/** Applies one round of maintenance in one write. */
export async function runMaintenance(registry: Registry, now: number): Promise<MaintenanceReport> {
  const settings = registry.settings.get();
  // From the summaries: decoding every row (15,000 of them) held the event loop for 300 ms at start.
  const plan = planMaintenance(registry.clients.unordered(), settings, now);
  return registry.write(() => {
    const report: MaintenanceReport = {
      auditPruned: registry.audit.prune(now - settings.audit_retention_days * DAY),
      sessionsPruned: registry.sessions.prune(now - settings.audit_retention_days * DAY),
      tokensPruned: registry.tokens.prune(now),
      markedLost: [],
      deleted: [],
    };
    for (const id of [...plan.lose, ...plan.delete]) {
      const row = registry.clients.get(id);
      const action = row && decideClient(row, settings, now);
      if (!row || !action) continue;
      const record = (event_type: 'lost' | 'deleted', after: JumpClient | null) =>
        registry.audit.record({ event_type, item_type: 'jump_client', item_id: String(id), actor: SYSTEM, timestamp: now, before: snapshot(row), after: after && snapshot(after) });
      if (action === 'delete') {
        registry.clients.remove(id);
        record('deleted', null);
        report.deleted.push(id);
      } else {
        const lost: JumpClient = { ...row, status: 'lost', is_lost: true, updated_at: now };
        registry.clients.put(lost);
        record('lost', lost);
        report.markedLost.push(id);
      }
    }
    return report;
  });
}

/**
 * The audited shape of a client: the row without its secrets and with ISO times, the same shape the
 * API records (its `publicJumpClient`), so every audit snapshot of a client reads alike.
 */
function snapshot(row: JumpClient) {
  const { secret_hash: _secret, install_fingerprint: _fp, ...rest } = row;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    ...rest,
    last_connect_timestamp: iso(row.last_connect_timestamp),
    last_disconnect_timestamp: iso(row.last_disconnect_timestamp),
    last_access_timestamp: iso(row.last_access_timestamp),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function startMaintenance(options: MaintenanceOptions): Maintenance {
  const { registry, log } = options;
  const now = options.now ?? Date.now;
  const log2 = log.child({ module: 'maintenance' });
  let running: Promise<MaintenanceReport> | undefined;

  const runOnce = (): Promise<MaintenanceReport> => {
    running ??= runMaintenance(registry, now())
      .then(async (report) => {
        if (report.deleted.length > 0) options.onClientsRemoved?.(report.deleted);
        if (report.sessionsPruned.length > 0) options.onSessionsPruned?.(report.sessionsPruned);
        await options.afterRun?.().catch((err: unknown) => log2.error('housekeeping failed', { err }));
        if (report.auditPruned + report.sessionsPruned.length + report.tokensPruned + report.markedLost.length + report.deleted.length > 0) {
          log2.info('maintenance done', {
            auditPruned: report.auditPruned,
            sessionsPruned: report.sessionsPruned.length,
            tokensPruned: report.tokensPruned,
            markedLost: report.markedLost.length,
            deleted: report.deleted.length,
          });
        }
        return report;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => {
    runOnce().catch((err: unknown) => log2.error('maintenance failed', { err }));
  }, options.intervalMs ?? 15 * MINUTE);
  timer.unref();

  return {
    runOnce,
    stop: () => clearInterval(timer),
  };
}
