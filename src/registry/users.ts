import type { RootDatabase } from 'lmdb';
import { K } from './keys.ts';
import { createTable, type Table } from './table.ts';

export interface User {
  id: number;
  username: string;
  display_name: string;
  email: string;
  is_admin: boolean;
  enabled: boolean;
  /** scrypt hash, `scrypt$N$r$p$salt$hash`; never leaves the appliance. */
  password_hash: string;
  /** The role the user has over the Jump Items of their own personal group. */
  personal_jump_item_role_id: number;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

export interface Users extends Table<User> {
  byUsername(username: string): User | undefined;
}

export function createUsers(db: RootDatabase): Users {
  const table = createTable<User>(db, 'user', K.user);
  return {
    ...table,
    byUsername(username) {
      const id = db.get(K.userByName(username)) as number | undefined;
      return id === undefined ? undefined : table.get(id);
    },
    put(row) {
      const previous = table.get(row.id);
      if (previous && previous.username.toLowerCase() !== row.username.toLowerCase()) {
        db.remove(K.userByName(previous.username));
      }
      db.put(K.userByName(row.username), row.id);
      table.put(row);
    },
    remove(id) {
      const previous = table.get(id);
      if (!previous) return false;
      db.remove(K.userByName(previous.username));
      return table.remove(id);
    },
  };
}
