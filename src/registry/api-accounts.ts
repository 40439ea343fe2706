import type { RootDatabase } from 'lmdb';
import { K } from './keys.ts';
import { createTable, type Table } from './table.ts';

/** An OAuth2 client-credentials account for scripts. */
export interface ApiAccount {
  id: number;
  name: string;
  client_id: string;
  /** sha256 of the secret; the secret itself is shown once at creation. */
  secret_hash: string;
  /** Admin accounts may do everything; others may read reports only. */
  is_admin: boolean;
  enabled: boolean;
  created_at: number;
}

export interface ApiAccounts extends Table<ApiAccount> {
  byClientId(clientId: string): ApiAccount | undefined;
}

export function createApiAccounts(db: RootDatabase): ApiAccounts {
  const table = createTable<ApiAccount>(db, 'api-account', K.apiAccount);
  return {
    ...table,
    byClientId(clientId) {
      const id = db.get(K.apiAccountByClientId(clientId)) as number | undefined;
      return id === undefined ? undefined : table.get(id);
    },
    put(row) {
      db.put(K.apiAccountByClientId(row.client_id), row.id);
      table.put(row);
    },
    remove(id) {
      const previous = table.get(id);
      if (!previous) return false;
      db.remove(K.apiAccountByClientId(previous.client_id));
      return table.remove(id);
    },
  };
}
