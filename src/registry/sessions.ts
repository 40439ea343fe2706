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
}

export function createSessionRecords(db: RootDatabase): SessionRecords {
  return {
    get: (id) => db.get(K.session(id)) as SessionRecord | undefined,
    list: () => [...db.getRange(range('session')).map(({ value }) => value as SessionRecord)],
    put: (row) => {
      db.put(K.session(row.id), row);
    },
  };
}
