import type { RootDatabase } from 'lmdb';
import type { AfterCommit } from './clients.ts';
import { K, range } from './keys.ts';

export type SessionOutcome = 'active' | 'ended' | 'failed';

/** One Jump: who, which client, when, how it ended, bytes each way. */
export interface SessionRecord {
  id: string;
  jump_client_id: number;
  jump_client_name: string;
  user_id: number | null;
  username: string;
  started_at: number;
  ended_at: number | null;
  outcome: SessionOutcome;
  end_reason: string | null;
  bytes_to_client: number;
  bytes_from_client: number;
}

export interface SessionRecords {
  /** A committed record (reads come from memory). */
  get(id: string): SessionRecord | undefined;
  /** Every committed record, newest first; the caller must not change the array. */
  list(): readonly SessionRecord[];
  put(row: SessionRecord): void;
  /**
   * Ends the records still marked active: at start, no session is live, so these are sessions the
   * appliance was stopped under without ending them (a crash). Returns how many. Only inside a write.
   */
  endLeftovers(at: number, reason: string): number;
  /**
   * Removes the records of sessions that ended before `before`, and the recordings kept with them;
   * returns their ids. Only inside a write.
   */
  prune(before: number): string[];
  /** A recording kept in the registry (the recording's raw form), if the session has one here. */
  recording(id: string): Uint8Array | undefined;
  /** Keeps a short session's recording with its record. Only inside a write. */
  putRecording(id: string, raw: Uint8Array): void;
}

/**
 * The records live in LMDB and, committed, in memory: each read from LMDB decodes a record with
 * its structure inline (about 3.5 µs), so the report over 90,000 of them took 300–380 ms of the
 * event loop per request, and maintenance's scan 210 ms; from memory it is a filter over an array.
 * About 200 bytes a record; the audit retention bounds how many there are.
 */
export function createSessionRecords(db: RootDatabase, afterCommit: AfterCommit): SessionRecords {
  const byId = new Map<string, SessionRecord>();
  let newest: SessionRecord[] | undefined;
  for (const { value } of db.getRange(range('session'))) {
    const row = value as SessionRecord;
    byId.set(row.id, row);
  }
  /** Newest first; the same start, the larger id first. */
  const newestFirst = (a: SessionRecord, b: SessionRecord): number => b.started_at - a.started_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const committed = (row: SessionRecord): void => {
    const previous = byId.get(row.id);
    byId.set(row.id, row);
    if (!newest) return;
    // Keep the order rather than sort again: a Jump puts its record twice (start and end), and
    // a new one is nearly always the newest.
    if (previous && previous.started_at === row.started_at) {
      const at = newest.indexOf(previous);
      if (at >= 0) newest[at] = row;
      else newest = undefined;
    } else if (!previous && (newest.length === 0 || newestFirst(row, newest[0]) <= 0)) newest.unshift(row);
    else newest = undefined;
  };
  const put = (row: SessionRecord): void => {
    db.put(K.session(row.id), row);
    afterCommit(() => committed(row));
  };
  return {
    get: (id) => byId.get(id),
    list: () => (newest ??= [...byId.values()].sort(newestFirst)),
    put,
    endLeftovers(at, reason) {
      let n = 0;
      for (const row of byId.values()) {
        if (row.outcome !== 'active') continue;
        put({ ...row, outcome: 'ended', ended_at: at, end_reason: reason });
        n++;
      }
      return n;
    },
    prune(before) {
      const removed: string[] = [];
      for (const row of byId.values()) {
        if (row.ended_at === null || row.ended_at >= before) continue;
        db.remove(K.session(row.id));
        db.remove(K.recording(row.id));
        removed.push(row.id);
      }
      afterCommit(() => {
        for (const id of removed) byId.delete(id);
        if (removed.length > 0) newest = undefined;
      });
      return removed;
    },
    recording: (id) => db.get(K.recording(id)) as Uint8Array | undefined,
    putRecording: (id, raw) => void db.put(K.recording(id), raw),
  };
}
