/**
 * Presence: what the registry records when a Jump Client's agent connects, reports, changes state
 * and goes away. The hub calls these through the `FleetPort` interface; it never touches the
 * registry itself.
 */
import type { AuditActor, ClientStatus, JumpClient, Registry } from '../registry/index.ts';
import { safeEqual, sha256Hex } from '../shared/ids.ts';
import type { ConnectionType, PassiveListen, Statistics, UpdateOffer } from '../shared/protocol.ts';
import type { Logger } from '../shared/log.ts';

export type AuthOutcome =
  | { ok: true; client: JumpClient }
  | { ok: false; reason: 'unknown' | 'revoked' };

export interface Welcome {
  statistics_interval_seconds: number;
  max_offline_minutes: number;
  update: UpdateOffer | null;
  /** The connection type the console set (the hub passes it on to agents that know types). */
  connection_type: ConnectionType;
}

/** What an agent's hello says, as presence needs it. */
export interface HelloFacts {
  agent_version: string;
  disabled: boolean;
  statistics: Statistics;
  connection_type?: ConnectionType;
  listen?: PassiveListen;
}

/** The hub's view of the fleet. */
export interface FleetPort {
  authenticate(clientId: number, secret: string): AuthOutcome;
  connected(clientId: number, hello: HelloFacts, publicIp: string): Promise<Welcome | undefined>;
  statistics(clientId: number, statistics: Statistics): Promise<void>;
  stateChanged(clientId: number, disabled: boolean): Promise<void>;
  uninstalling(clientId: number): Promise<void>;
  /**
   * The link closed. A passive client's link is closed after each check-in and Jump: that leaves
   * its status as it was (`markOverdue` turns it offline when check-ins stop).
   */
  disconnected(clientId: number, reason: string, passive: boolean): Promise<void>;
}

export interface PresenceOptions {
  registry: Registry;
  log: Logger;
  /** The agent version this appliance carries and its update offer, when one is built. */
  currentAgent: () => UpdateOffer | undefined;
  now?: () => number;
}

/** What a copy of a Jump Client shows of its endpoint: everything its agent reports or causes. */
const ENDPOINT_FIELDS = [
  'hostname', 'fqdn', 'operating_system', 'console_user', 'private_ip', 'public_ip', 'agent_version', 'install_mode',
  'status', 'needs_update', 'is_lost', 'unavailable_reason', 'statistics', 'last_connect_timestamp',
  'last_disconnect_timestamp', 'last_disconnect_reason', 'passive_listen', 'check_in_due_at',
  // How the agent links, when it removes itself, and the credential it holds: one agent, one answer.
  'connection_type', 'max_offline_minutes', 'secret_hash',
] as const satisfies readonly (keyof JumpClient)[];

/** What a client shows once it went away, and why (offline, or uninstalled). */
function gone(status: 'offline' | 'uninstalled', reason: string, at: number) {
  return { status, unavailable_reason: reason, last_disconnect_reason: reason, last_disconnect_timestamp: at };
}

/**
 * Puts an endpoint's row and, when it is the row its agent connects as, the same presence on its
 * copies (POST .../copy: other Jump Items of the same install), so each shows what the agent
 * reports. Only inside a write.
 */
export function putWithCopies(registry: Registry, next: JumpClient): void {
  registry.clients.put(next);
  const endpoint = registry.clients.byFingerprint(next.install_fingerprint);
  if (endpoint.length < 2 || registry.clients.agentOf(next) !== next.id) return; // no copies, or next is one
  for (const id of endpoint) {
    const copy = id === next.id ? undefined : registry.clients.get(id);
    if (!copy) continue;
    const mirrored: JumpClient = { ...copy, updated_at: next.updated_at };
    for (const field of ENDPOINT_FIELDS) (mirrored as unknown as Record<string, unknown>)[field] = next[field] ?? null;
    registry.clients.put(mirrored);
  }
}

/**
 * The original of copied Jump Items was removed: its agent is revoked, so the copies can no longer
 * be reached. They stay (whoever may remove them decides) and show `uninstalled` with the reason.
 * Call before removing `original`, inside the same write.
 */
export function orphanCopies(registry: Registry, original: JumpClient, now: number): void {
  if (registry.clients.agentOf(original) !== original.id) return;
  for (const id of registry.clients.byFingerprint(original.install_fingerprint)) {
    if (id === original.id) continue;
    const copy = registry.clients.get(id);
    if (!copy) continue;
    // Off the install's fingerprint: a reinstall in the same place is a new endpoint, not this copy.
    registry.clients.put({
      ...copy,
      ...gone('uninstalled', 'the original Jump Item was removed', now),
      install_fingerprint: sha256Hex(`orphaned copy ${copy.id} of ${copy.install_fingerprint}`),
      updated_at: now,
    });
  }
}

/** How long statistics wait to be written with others. */
const STATS_FLUSH_MS = 50;

const AGENT_ACTOR = (client: JumpClient): AuditActor => ({ kind: 'agent', id: client.id, name: `agent:${client.id}` });

export function fromStatistics(s: Statistics): Partial<JumpClient> {
  return {
    hostname: s.hostname,
    fqdn: s.fqdn,
    operating_system: `${s.operating_system} ${s.os_version}`.trim(),
    console_user: s.console_user,
    private_ip: s.private_ips[0] ?? '',
    agent_version: s.agent_version,
    install_mode: s.install_mode,
  };
}

function liveStatus(disabled: boolean, needsUpdate: boolean): ClientStatus {
  if (disabled) return 'disabled';
  return needsUpdate ? 'updating' : 'online';
}

export function createPresence(options: PresenceOptions): FleetPort {
  const { registry } = options;
  const now = options.now ?? Date.now;

  // Statistics arrive all the time from every client: they are coalesced (the latest per client)
  // and written together, one transaction per flush, instead of one transaction per message.
  const pendingStats = new Map<number, Statistics & { reported_at: number }>();
  let flushing: Promise<void> | undefined;
  const flushStats = async (): Promise<void> => {
    while (pendingStats.size > 0) {
      const batch = [...pendingStats.entries()];
      pendingStats.clear();
      await registry.write(() => {
        for (const [clientId, statistics] of batch) {
          const row = registry.clients.get(clientId);
          if (!row) continue;
          putWithCopies(registry, { ...row, ...fromStatistics(statistics), statistics, updated_at: now() });
        }
      });
    }
  };
  const scheduleStats = (): Promise<void> => {
    flushing ??= new Promise<void>((resolve) => setTimeout(resolve, STATS_FLUSH_MS))
      .then(flushStats)
      .finally(() => {
        flushing = undefined;
      });
    return flushing;
  };

  /** Applies `change` to the row, if it still exists, in one write. */
  const update = (clientId: number, change: (row: JumpClient) => Partial<JumpClient> | undefined) =>
    registry.write(() => {
      const row = registry.clients.get(clientId);
      if (!row) return undefined;
      const patch = change(row);
      if (!patch) return row;
      const next = { ...row, ...patch, updated_at: now() };
      putWithCopies(registry, next);
      return next;
    });

  return {
    authenticate(clientId, secret) {
      const hash = sha256Hex(secret);
      const client = registry.clients.get(clientId);
      if (client && safeEqual(client.secret_hash, hash)) return { ok: true, client };
      const revoked = client ? undefined : registry.clients.revoked(clientId);
      if (revoked && safeEqual(revoked.secret_hash, hash)) return { ok: false, reason: 'revoked' };
      return { ok: false, reason: 'unknown' };
    },

    async connected(clientId, hello, publicIp) {
      const offer = options.currentAgent();
      const needsUpdate = offer !== undefined && offer.version !== hello.agent_version;
      const row = await update(clientId, (current) => ({
        ...fromStatistics(hello.statistics),
        statistics: { ...hello.statistics, reported_at: now() },
        public_ip: publicIp,
        status: liveStatus(hello.disabled, needsUpdate),
        needs_update: needsUpdate,
        is_lost: false,
        unavailable_reason: hello.disabled ? 'disabled by the user at the machine' : needsUpdate ? 'updating' : null,
        last_connect_timestamp: now(),
        ...(hello.connection_type === 'passive'
          ? { passive_listen: hello.listen ?? null, check_in_due_at: now() + checkInGraceMs(registry) }
          : // An active client has neither; a row that never was passive is not made to carry them.
            current.passive_listen != null || current.check_in_due_at != null
            ? { passive_listen: null, check_in_due_at: null }
            : {}),
      }));
      if (!row) return undefined;
      const settings = registry.settings.get();
      return {
        statistics_interval_seconds: settings.statistics_interval_seconds,
        max_offline_minutes: row.max_offline_minutes ?? settings.delete_after_days * 24 * 60,
        update: needsUpdate ? offer : null,
        connection_type: row.connection_type,
      };
    },

    statistics(clientId, statistics) {
      pendingStats.set(clientId, { ...statistics, reported_at: now() });
      return scheduleStats();
    },

    async stateChanged(clientId, disabled) {
      await registry.write(() => {
        const row = registry.clients.get(clientId);
        if (!row || row.status === 'uninstalled') return;
        const next: JumpClient = {
          ...row,
          status: liveStatus(disabled, row.needs_update),
          unavailable_reason: disabled ? 'disabled by the user at the machine' : row.needs_update ? 'updating' : null,
          updated_at: now(),
        };
        putWithCopies(registry, next);
        registry.audit.record({
          event_type: 'changed',
          item_type: 'jump_client',
          item_id: String(row.id),
          actor: AGENT_ACTOR(row),
          before: { status: row.status },
          after: { status: next.status },
        });
      });
    },

    async uninstalling(clientId) {
      await registry.write(() => {
        const row = registry.clients.get(clientId);
        if (!row) return;
        const next: JumpClient = { ...row, ...gone('uninstalled', 'uninstalled on the machine', now()), updated_at: now() };
        putWithCopies(registry, next);
        registry.audit.record({
          event_type: 'uninstalled',
          item_type: 'jump_client',
          item_id: String(row.id),
          actor: AGENT_ACTOR(row),
          before: { status: row.status },
          after: { status: 'uninstalled' },
        });
      });
    },

    async disconnected(clientId, reason, passive) {
      await update(clientId, (row) => {
        if (row.status === 'uninstalled') return undefined;
        if (passive) return { last_disconnect_timestamp: now(), last_disconnect_reason: reason };
        return gone('offline', reason, now());
      });
    },
  };
}

/** A passive client is offline once it missed this many check-ins in a row. */
export const MISSED_CHECK_INS = 3;
/** Slack on top, for a check-in that is slow to arrive. */
const CHECK_IN_SLACK_MS = 60_000;

/** From a check-in to when the client counts as offline without another (at the current period). */
function checkInGraceMs(registry: Registry): number {
  return MISSED_CHECK_INS * registry.settings.get().statistics_interval_seconds * 1000 + CHECK_IN_SLACK_MS;
}

/** Rows the presence sweep changes in one write. */
const SWEEP_BATCH = 1_000;

/**
 * Marks offline the clients that show as reachable but are not: a passive client whose check-in is
 * overdue (`check_in_due_at`, set at each check-in with the period it was told then), and, when
 * `sweepActive`, an active client without a link (its link ended without a word, by a crash of the
 * appliance, or it was switched to active while it was not linked). Linked clients are left alone.
 * Returns how many were marked.
 */
export async function markOverdue(registry: Registry, isLinked: (clientId: number) => boolean, now: number, sweepActive: boolean): Promise<number> {
  const due = (s: { connection_type: string; status: ClientStatus; check_in_due_at?: number | null; last_connect_timestamp: number | null; id: number; install_fingerprint: string }): string | undefined => {
    if (s.status !== 'online' && s.status !== 'disabled' && s.status !== 'updating') return undefined;
    if (isLinked(registry.clients.agentOf(s))) return undefined;
    if (s.connection_type === 'active') return sweepActive ? 'not connected' : undefined;
    const dueAt = s.check_in_due_at ?? (s.last_connect_timestamp ?? 0) + checkInGraceMs(registry);
    return now > dueAt ? `missed ${MISSED_CHECK_INS} check-ins` : undefined;
  };
  const ids: number[] = [];
  for (const s of registry.clients.unordered()) if (due(s)) ids.push(s.id);
  // In writes of a bounded size: after a crash every row may be due at once, and one write of
  // 15,000 rows would hold the registry (and the console's updates) in one go.
  let marked = 0;
  for (let at = 0; at < ids.length; at += SWEEP_BATCH) {
    marked += await registry.write(() => {
      let inBatch = 0;
      for (const id of ids.slice(at, at + SWEEP_BATCH)) {
        const row = registry.clients.get(id);
        const reason = row && due(row);
        if (!row || !reason) continue;
        putWithCopies(registry, { ...row, ...gone('offline', reason, now), updated_at: now });
        inBatch++;
      }
      return inBatch;
    });
  }
  return marked;
}
