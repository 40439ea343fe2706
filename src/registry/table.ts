import type { RootDatabase } from 'lmdb';
import { K, range, type Key } from './keys.ts';

/** A keyspace of rows with numeric ids. Writes must run inside `Registry.write`. */
export interface Table<T extends { id: number }> {
  get(id: number): T | undefined;
  list(): T[];
  count(): number;
  /** Allocates the next id; only inside a write. */
  nextId(): number;
  put(row: T): void;
  remove(id: number): boolean;
}

export function createTable<T extends { id: number }>(
  db: RootDatabase,
  name: string,
  key: (id: number) => Key,
): Table<T> {
  return {
    get: (id) => db.get(key(id)) as T | undefined,
    list: () => [...db.getRange(range(name)).map(({ value }) => value as T)],
    count: () => db.getKeysCount(range(name)),
    nextId() {
      const next = ((db.get(K.seq(name)) as number | undefined) ?? 0) + 1;
      db.put(K.seq(name), next);
      return next;
    },
    put(row) {
      db.put(key(row.id), row);
    },
    remove(id) {
      if (db.get(key(id)) === undefined) return false;
      db.remove(key(id));
      return true;
    },
  };
}
