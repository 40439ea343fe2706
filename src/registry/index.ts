/**
 * The registry: the appliance's only store, one LMDB environment in the data directory. This folder
 * is the only importer of lmdb. Reads are synchronous; every change runs inside `write()`, one
 * serialised LMDB transaction that is durable on disk when its promise resolves.
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { K, SCHEMA_VERSION } from './keys.ts';
import { createUsers, type Users } from './users.ts';
import { createApiAccounts, type ApiAccounts } from './api-accounts.ts';
import { BUILTIN_ROLE_ROWS, createRoles, type Roles } from './roles.ts';
import { createGroups, type Groups } from './groups.ts';
import { createJumpClients, type AfterCommit, type JumpClients } from './clients.ts';
import { createInstallers, type Installers } from './installers.ts';
import { createSettings, type SettingsStore } from './settings.ts';
import { createTokens, type Tokens } from './tokens.ts';
import { createAuditLog, type AuditLog } from './audit.ts';
import { createSessionRecords, type SessionRecords } from './sessions.ts';

export * from './users.ts';
export * from './api-accounts.ts';
export * from './roles.ts';
export * from './groups.ts';
export * from './clients.ts';
export * from './installers.ts';
export * from './settings.ts';
export * from './tokens.ts';
export * from './audit.ts';
export * from './sessions.ts';

export interface Registry {
  readonly path: string;
  readonly users: Users;
  readonly apiAccounts: ApiAccounts;
  readonly roles: Roles;
  readonly groups: Groups;
  readonly clients: JumpClients;
  readonly installers: Installers;
  readonly settings: SettingsStore;
  readonly tokens: Tokens;
  readonly audit: AuditLog;
  readonly sessions: SessionRecords;
  /** Runs `fn` in one atomic, serialised write transaction; resolves once it is durable. */
  write<T>(fn: () => T): Promise<T>;
  /** Entries and bytes on disk, for /metrics. */
  size(): { entries: number; bytes: number };
  /** Health probe: a read that touches the environment. */
  healthy(): boolean;
  /**
   * A consistent copy of the environment into `file` (an LMDB `data.mdb`) while it is in use; an
   * existing file is replaced atomically. Restore: place it as `<data>/registry/data.mdb`.
   */
  backup(file: string): Promise<void>;
  close(): Promise<void>;
}

export class RegistrySchemaError extends Error {
  override name = 'RegistrySchemaError';
}

/** Opens (creating if needed) the registry in `dataDir/registry`, checks the schema, seeds roles. */
export async function openRegistry(dataDir: string): Promise<Registry> {
  const path = join(dataDir, 'registry');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db: RootDatabase = open({ path, compression: false, maxReaders: 256 });
  await checkSchema(db);
  const registry = buildRegistry(db, path);
  await registry.write(() => {
    for (const role of BUILTIN_ROLE_ROWS) registry.roles.put(role);
    const seq = (db.get(K.seq('role')) as number | undefined) ?? 0;
    if (seq < BUILTIN_ROLE_ROWS.length) db.put(K.seq('role'), BUILTIN_ROLE_ROWS.length);
  });
  return registry;
}

async function checkSchema(db: RootDatabase): Promise<void> {
  const stored = db.get(K.schema()) as number | undefined;
  if (stored === undefined) {
    await db.put(K.schema(), SCHEMA_VERSION);
    return;
  }
  if (stored > SCHEMA_VERSION) {
    await db.close();
    throw new RegistrySchemaError(
      `registry schema version ${stored} is newer than this jumpgate understands (${SCHEMA_VERSION}); upgrade jumpgate`,
    );
  }
}

/**
 * At most this many writes are handed to LMDB at once; the rest wait their turn in order. LMDB runs
 * the callbacks of every write queued behind a commit in one go, on the event loop: 15,000 agents
 * reconnecting put thousands behind one commit and blocked everything else for 100–300 ms. 128
 * callbacks take a few milliseconds.
 */
const MAX_WRITES_IN_FLIGHT = 128;

/** A first-in, first-out line of waiters for a bounded number of slots. */
function slots(size: number): { acquire(): Promise<void> | undefined; release(): void } {
  let free = size;
  let queue: (() => void)[] = [];
  let head = 0;
  return {
    acquire() {
      if (free > 0) {
        free--;
        return undefined;
      }
      return new Promise<void>((resolve) => queue.push(resolve));
    },
    release() {
      if (head < queue.length) {
        const next = queue[head++];
        if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        next(); // the slot passes straight to the next writer
      } else free++;
    },
  };
}

function buildRegistry(db: RootDatabase, path: string): Registry {
  // Changes to in-memory indexes wait here until their transaction has committed; their undoing
  // runs instead when the write fails (its child transaction aborted, or the batch did not commit).
  let pending: { applied: (() => void)[]; reverts: (() => void)[] } | undefined;
  const writers = slots(MAX_WRITES_IN_FLIGHT);
  // Writes asked for and not finished (waiting their turn included): `close` lets them land first.
  let unfinished = 0;
  let drained: (() => void)[] = [];
  const afterCommit: AfterCommit = (apply, revert) => {
    if (!pending) return apply();
    pending.applied.push(apply);
    if (revert) pending.reverts.push(revert);
  };
  const undo = (reverts: (() => void)[]): void => {
    for (const revert of reverts.splice(0)) revert();
  };
  return {
    path,
    users: createUsers(db),
    apiAccounts: createApiAccounts(db),
    roles: createRoles(db),
    groups: createGroups(db),
    clients: createJumpClients(db, afterCommit),
    installers: createInstallers(db),
    settings: createSettings(db),
    tokens: createTokens(db),
    audit: createAuditLog(db, afterCommit),
    sessions: createSessionRecords(db, afterCommit),
    // The child transaction is what makes a throwing `fn` change nothing: a plain async
    // transaction commits whatever was put before the throw.
    async write<T>(fn: () => T): Promise<T> {
      unfinished++;
      try {
        const turn = writers.acquire();
        if (turn) await turn;
        const staged = { applied: [] as (() => void)[], reverts: [] as (() => void)[] };
        let result: T;
        try {
          result = (await db.transaction(() => {
            pending = staged;
            try {
              return db.childTransaction(fn);
            } catch (err) {
              undo(staged.reverts); // at once: the next write of the batch must not see it
              throw err;
            } finally {
              pending = undefined;
            }
          })) as T;
        } catch (err) {
          undo(staged.reverts);
          throw err;
        } finally {
          writers.release();
        }
        for (const apply of staged.applied) apply();
        return result;
      } finally {
        if (--unfinished === 0) {
          for (const resolve of drained) resolve();
          drained = [];
        }
      }
    },
    size() {
      const stats = db.getStats() as { entryCount: number };
      return { entries: stats.entryCount, bytes: statSync(join(path, 'data.mdb')).size };
    },
    healthy() {
      try {
        return db.get(K.schema()) === SCHEMA_VERSION;
      } catch {
        return false;
      }
    },
    backup: (file) => backupTo(db, file),
    async close() {
      if (unfinished > 0) await new Promise<void>((resolve) => drained.push(resolve));
      await db.close();
    },
  };
}

/** LMDB copies into a directory as `data.mdb`; copy beside `file`, then rename it into place. */
async function backupTo(db: RootDatabase, file: string): Promise<void> {
  const target = resolve(file);
  mkdirSync(dirname(target), { recursive: true });
  const work = mkdtempSync(join(dirname(target), `.${basename(target)}.`));
  try {
    await db.backup(work, false);
    chmodSync(join(work, 'data.mdb'), 0o600); // it holds password hashes and tokens
    renameSync(join(work, 'data.mdb'), target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
