import type { RootDatabase } from 'lmdb';
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
  get(id: string): SessionRecord | undefined;
  list(): SessionRecord[];
  put(row: SessionRecord): void;
  /**
   * Ends the records still marked active: at start, no session is live, so these are sessions the
   * appliance was stopped under without ending them (a crash). Returns how many. Only inside a write.
   */
  endLeftovers(at: number, reason: string): number;
  /** Removes the records of sessions that ended before `before`; returns their ids. Only inside a write. */
  prune(before: number): string[];
}

export function createSessionRecords(db: RootDatabase): SessionRecords {
  return {
    get: (id) => db.get(K.session(id)) as SessionRecord | undefined,
    list: () => [...db.getRange(range('session')).map(({ value }) => value as SessionRecord)],
    put: (row) => {
      db.put(K.session(row.id), row);
    },
    endLeftovers: (at, reason) => {
      let n = 0;
      for (const { key, value } of db.getRange(range('session'))) {
        const row = value as SessionRecord;
        if (row.outcome !== 'active') continue;
        db.put(key, { ...row, outcome: 'ended', ended_at: at, end_reason: reason });
        n++;
      }
      return n;
    },
    prune: (before) => {
      const removed: string[] = [];
      for (const { key, value } of db.getRange(range('session'))) {
        const row = value as SessionRecord;
        if (row.ended_at === null || row.ended_at >= before) continue;
        db.remove(key);
        removed.push(row.id);
      }
      return removed;
    },
  };
}
