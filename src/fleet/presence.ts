/**
 * Presence: what the registry records when a Jump Client's agent connects, reports, changes state
 * and goes away. The hub calls these through the `FleetPort` interface; it never touches the
 * registry itself.
 */
import type { AuditActor, ClientStatus, JumpClient, Registry } from '../registry/index.ts';
import { safeEqual, sha256Hex } from '../shared/ids.ts';
import type { Statistics, UpdateOffer } from '../shared/protocol.ts';
import type { Logger } from '../shared/log.ts';

export type AuthOutcome =
  | { ok: true; client: JumpClient }
  | { ok: false; reason: 'unknown' | 'revoked' };

export interface Welcome {
  statistics_interval_seconds: number;
  max_offline_minutes: number;
  update: UpdateOffer | null;
}

/** The hub's view of the fleet. */
export interface FleetPort {
  authenticate(clientId: number, secret: string): AuthOutcome;
  connected(clientId: number, hello: { agent_version: string; disabled: boolean; statistics: Statistics }, publicIp: string): Promise<Welcome | undefined>;
  statistics(clientId: number, statistics: Statistics): Promise<void>;
  stateChanged(clientId: number, disabled: boolean): Promise<void>;
  uninstalling(clientId: number): Promise<void>;
  disconnected(clientId: number, reason: string): Promise<void>;
}

export interface PresenceOptions {
  registry: Registry;
  log: Logger;
  /** The agent version this appliance carries and its update offer, when one is built. */
  currentAgent: () => UpdateOffer | undefined;
  now?: () => number;
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
          registry.clients.put({ ...row, ...fromStatistics(statistics), statistics, updated_at: now() });
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
      registry.clients.put(next);
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
      const row = await update(clientId, () => ({
        ...fromStatistics(hello.statistics),
        statistics: { ...hello.statistics, reported_at: now() },
        public_ip: publicIp,
        status: liveStatus(hello.disabled, needsUpdate),
        needs_update: needsUpdate,
        is_lost: false,
        unavailable_reason: hello.disabled ? 'disabled by the user at the machine' : needsUpdate ? 'updating' : null,
        last_connect_timestamp: now(),
      }));
      if (!row) return undefined;
      const settings = registry.settings.get();
      return {
        statistics_interval_seconds: settings.statistics_interval_seconds,
        max_offline_minutes: row.max_offline_minutes ?? settings.delete_after_days * 24 * 60,
        update: needsUpdate ? offer : null,
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
        registry.clients.put(next);
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
        const next: JumpClient = {
          ...row,
          status: 'uninstalled',
          unavailable_reason: 'uninstalled on the machine',
          last_disconnect_timestamp: now(),
          last_disconnect_reason: 'uninstalled on the machine',
          updated_at: now(),
        };
        registry.clients.put(next);
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

    async disconnected(clientId, reason) {
      await update(clientId, (row) =>
        row.status === 'uninstalled'
          ? undefined
          : {
              status: 'offline',
              unavailable_reason: reason,
              last_disconnect_timestamp: now(),
              last_disconnect_reason: reason,
            },
      );
    },
  };
}
