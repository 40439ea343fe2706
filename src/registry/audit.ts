import type { RootDatabase } from 'lmdb';
import type { AfterCommit } from './clients.ts';
import { K, range } from './keys.ts';

export type AuditEventType =
  | 'created'
  | 'deleted'
  | 'changed'
  | 'moved'
  | 'copied'
  | 'session_started'
  | 'uninstalled'
  | 'lost';

export type AuditItemType =
  | 'jump_client'
  | 'installer'
  | 'user'
  | 'api_account'
  | 'jump_group'
  | 'membership'
  | 'jump_item_role'
  | 'settings';

export interface AuditActor {
  kind: 'user' | 'api' | 'system' | 'agent';
  id: number | null;
  name: string;
}

export interface AuditEvent {
  id: number;
  timestamp: number;
  event_type: AuditEventType;
  item_type: AuditItemType;
  item_id: string;
  actor: AuditActor;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  actor?: string;
  item_type?: AuditItemType;
  item_id?: string;
  event_type?: AuditEventType;
}

/** A Jump Group an audited snapshot names (a client's group before or after a change). */
export interface AuditGroupRef {
  jump_group_type: 'shared' | 'personal';
  jump_group_id: number;
}

/**
 * What a report filters on, kept in memory for every event within the retention. Reading events
 * from LMDB decodes each with its structure inline (and snapshots of whole clients): a report over
 * 90,000 events took 200–350 ms of the event loop. Now the filter runs over these, and only the
 * events of the page shown are read.
 */
export interface AuditEntry {
  readonly id: number;
  readonly timestamp: number;
  readonly event_type: AuditEventType;
  readonly item_type: AuditItemType;
  readonly item_id: string;
  /** The actor's name, lower-cased. */
  readonly actor: string;
  /** The groups named by the snapshots before and after. */
  readonly groups: readonly AuditGroupRef[];
}

export interface AuditLog {
  /** Records an event; only inside a write. */
  record(e: Omit<AuditEvent, 'id' | 'timestamp'> & { timestamp?: number }): AuditEvent;
  /** The committed entries matching the query, newest first. */
  find(q: AuditQuery): AuditEntry[];
  /** The event behind an entry; undefined when a prune committed meanwhile. */
  read(entry: AuditEntry): AuditEvent | undefined;
  /** Events matching the query, newest first (`find`, then `read` for each). */
  query(q: AuditQuery): AuditEvent[];
  /** Deletes events older than `before`; only inside a write. Returns how many. */
  prune(before: number): number;
}

function groupOf(snapshot: unknown): AuditGroupRef | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return undefined;
  const { jump_group_type, jump_group_id } = snapshot as Record<string, unknown>;
  if ((jump_group_type === 'shared' || jump_group_type === 'personal') && typeof jump_group_id === 'number') {
    return { jump_group_type, jump_group_id };
  }
  return undefined;
}

function entryOf(e: AuditEvent): AuditEntry {
  const groups = [groupOf(e.before), groupOf(e.after)].filter((g): g is AuditGroupRef => g !== undefined);
  return { id: e.id, timestamp: e.timestamp, event_type: e.event_type, item_type: e.item_type, item_id: e.item_id, actor: e.actor.name.toLowerCase(), groups };
}

const older = (a: AuditEntry, b: AuditEntry): number => a.timestamp - b.timestamp || a.id - b.id;

export function createAuditLog(db: RootDatabase, afterCommit: AfterCommit): AuditLog {
  // Oldest first; an event recorded with an earlier timestamp than the last marks it unsorted.
  let entries: AuditEntry[] = [];
  let sorted = true;
  for (const { value } of db.getRange(range('audit'))) entries.push(entryOf(value as AuditEvent));
  const ordered = (): AuditEntry[] => {
    if (!sorted) {
      entries.sort(older);
      sorted = true;
    }
    return entries;
  };
  const find = (q: AuditQuery): AuditEntry[] => {
    const out: AuditEntry[] = [];
    const all = ordered();
    const actor = q.actor?.toLowerCase();
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i];
      if (q.to !== undefined && e.timestamp > q.to) continue;
      if (q.from !== undefined && e.timestamp < q.from) break;
      if (q.item_type && e.item_type !== q.item_type) continue;
      if (q.item_id && e.item_id !== q.item_id) continue;
      if (q.event_type && e.event_type !== q.event_type) continue;
      if (actor && e.actor !== actor) continue;
      out.push(e);
    }
    return out;
  };
  const read = (entry: AuditEntry): AuditEvent | undefined => db.get(K.audit(entry.timestamp, entry.id)) as AuditEvent | undefined;
  return {
    record(e) {
      const id = ((db.get(K.seq('audit')) as number | undefined) ?? 0) + 1;
      db.put(K.seq('audit'), id);
      const event: AuditEvent = { ...e, id, timestamp: e.timestamp ?? Date.now() };
      db.put(K.audit(event.timestamp, id), event);
      const entry = entryOf(event);
      afterCommit(() => {
        const last = entries.at(-1);
        if (last && older(last, entry) > 0) sorted = false;
        entries.push(entry);
      });
      return event;
    },
    find,
    read,
    query: (q) => find(q).map(read).filter((e): e is AuditEvent => e !== undefined),
    prune(before) {
      let n = 0;
      for (const { key } of db.getRange({ ...range('audit'), end: ['audit', before] })) {
        db.remove(key);
        n++;
      }
      if (n > 0) afterCommit(() => (entries = ordered().filter((e) => e.timestamp >= before)));
      return n;
    },
  };
}
