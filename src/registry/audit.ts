import type { RootDatabase } from 'lmdb';
import { K, range } from './keys.ts';

export type AuditEventType =
  | 'created'
  | 'deleted'
  | 'changed'
  | 'moved'
  | 'copied'
  | 'session_started'
  | 'uninstalled'
  | 'lost'
  | 'revoked';

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

export interface AuditLog {
  /** Records an event; only inside a write. */
  record(e: Omit<AuditEvent, 'id' | 'timestamp'> & { timestamp?: number }): AuditEvent;
  /** Events matching the query, newest first. */
  query(q: AuditQuery): AuditEvent[];
  /** Deletes events older than `before`; only inside a write. Returns how many. */
  prune(before: number): number;
}

export function createAuditLog(db: RootDatabase): AuditLog {
  return {
    record(e) {
      const id = ((db.get(K.seq('audit')) as number | undefined) ?? 0) + 1;
      db.put(K.seq('audit'), id);
      const event: AuditEvent = { ...e, id, timestamp: e.timestamp ?? Date.now() };
      db.put(K.audit(event.timestamp, id), event);
      return event;
    },
    query(q) {
      const out: AuditEvent[] = [];
      const rows = db.getRange({
        start: ['audit', q.to ?? Number.MAX_SAFE_INTEGER, '\uffff'],
        end: ['audit', q.from ?? 0],
        reverse: true,
      });
      for (const { value } of rows) {
        const e = value as AuditEvent;
        if (q.item_type && e.item_type !== q.item_type) continue;
        if (q.item_id && e.item_id !== q.item_id) continue;
        if (q.event_type && e.event_type !== q.event_type) continue;
        if (q.actor && e.actor.name.toLowerCase() !== q.actor.toLowerCase()) continue;
        out.push(e);
      }
      return out;
    },
    prune(before) {
      let n = 0;
      for (const { key } of db.getRange({ ...range('audit'), end: ['audit', before] })) {
        db.remove(key);
        n++;
      }
      return n;
    },
  };
}
