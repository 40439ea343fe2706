import type { RootDatabase } from 'lmdb';
import { K } from './keys.ts';
import { createTable, type Table } from './table.ts';

export type JumpGroupType = 'shared' | 'personal';
export type ConnectionType = 'active' | 'passive';
export type InstallMode = 'service' | 'user';
export type ClientStatus = 'online' | 'offline' | 'disabled' | 'updating' | 'uninstalled' | 'lost';

/** The latest statistics a Jump Client reported (SPEC A3). */
export interface ClientStatistics {
  hostname: string;
  fqdn: string;
  operating_system: string;
  os_version: string;
  arch: string;
  kernel: string;
  console_user: string;
  private_ips: string[];
  uptime_seconds: number;
  cpu_load: number[];
  memory_total_bytes: number;
  memory_free_bytes: number;
  disk_total_bytes: number;
  disk_free_bytes: number;
  agent_version: string;
  install_mode: InstallMode;
  reported_at: number;
}

/** A Jump Client: the installed agent on one remote machine, and its Jump Item. */
export interface JumpClient {
  id: number;
  name: string;
  hostname: string;
  fqdn: string;
  jump_group_id: number;
  jump_group_type: JumpGroupType;
  tag: string;
  comments: string;
  connection_type: ConnectionType;
  install_mode: InstallMode;
  status: ClientStatus;
  operating_system: string;
  console_user: string;
  private_ip: string;
  public_ip: string;
  agent_version: string;
  last_connect_timestamp: number | null;
  last_disconnect_timestamp: number | null;
  last_disconnect_reason: string | null;
  last_access_timestamp: number | null;
  is_lost: boolean;
  needs_update: boolean;
  unavailable_reason: string | null;
  max_offline_minutes: number | null;
  /** A passive client's listening port, as it reported at its last check-in (SPEC A6). */
  passive_listen?: { port: number; address?: string } | null;
  /** A passive client is offline once this passes without a check-in (set at each check-in). */
  check_in_due_at?: number | null;
  statistics: ClientStatistics | null;
  /** Internal: never serialised by the API. */
  secret_hash: string;
  installer_id: string;
  /** Internal: machine id + install dir, so a reinstall into the same dir is the same client. */
  install_fingerprint: string;
  created_at: number;
  updated_at: number;
}

/**
 * What the registry keeps in memory of every Jump Client, for listing, search, caps and
 * maintenance without reading every row: the row less its statistics and secret, with the
 * reported private IPs. About a kilobyte a client.
 */
export type ClientSummary = Omit<JumpClient, 'statistics' | 'secret_hash'> & {
  private_ips: readonly string[];
  /**
   * The searchable fields (SPEC C2, the group name aside) lower-cased and joined with NUL, so a
   * free search over all fields is one substring test a client.
   */
  search_text: string;
  /** `name` and `hostname` lower-cased (the same string when they already are), for their filters. */
  name_lower: string;
  hostname_lower: string;
} & SearchBits;

/**
 * Which character pairs occur in `search_text` and the host name, hashed into 8 × 30 bits (32 bytes
 * a client). A free search or a name or host name filter first compares the phrase's pairs with
 * these and reads the text of only the clients that have them all: most clients are ruled out
 * without touching their strings (scattered over the heap, each read is a cache miss).
 */
export interface SearchBits {
  sb0: number;
  sb1: number;
  sb2: number;
  sb3: number;
  sb4: number;
  sb5: number;
  sb6: number;
  sb7: number;
}

const PAIR_BITS = 30;
const PAIR_WORDS = 8;

/** The pair bits of a lower-case text; pairs across a field boundary (NUL) are left out. */
export function searchBits(text: string): SearchBits {
  const w = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i + 1 < text.length; i++) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    if (a === 0 || b === 0) continue;
    const h = (Math.imul(a * 31 + b, 0x9e3779b1) >>> 0) % (PAIR_BITS * PAIR_WORDS);
    w[(h / PAIR_BITS) | 0] |= 1 << h % PAIR_BITS;
  }
  return { sb0: w[0], sb1: w[1], sb2: w[2], sb3: w[3], sb4: w[4], sb5: w[5], sb6: w[6], sb7: w[7] };
}

/** Whether `row` may contain the phrase whose bits are `q` (no false negatives). */
export function mayContain(row: SearchBits, q: SearchBits): boolean {
  return (
    (row.sb0 & q.sb0) === q.sb0 &&
    (row.sb1 & q.sb1) === q.sb1 &&
    (row.sb2 & q.sb2) === q.sb2 &&
    (row.sb3 & q.sb3) === q.sb3 &&
    (row.sb4 & q.sb4) === q.sb4 &&
    (row.sb5 & q.sb5) === q.sb5 &&
    (row.sb6 & q.sb6) === q.sb6 &&
    (row.sb7 & q.sb7) === q.sb7
  );
}

/** `text` lower-cased, or `text` itself when it already is (no second copy kept). */
function lower(text: string): string {
  const l = text.toLowerCase();
  return l === text ? text : l;
}

/** The fields of `search_text`, in order. */
export function searchText(row: Pick<ClientSummary, 'name' | 'tag' | 'comments' | 'console_user' | 'public_ip' | 'private_ips' | 'status' | 'connection_type' | 'last_access_timestamp'>): string {
  const lastAccess = row.last_access_timestamp === null ? '' : new Date(row.last_access_timestamp).toISOString();
  return [row.name, row.tag, row.comments, row.console_user, row.public_ip, row.private_ips.join('\u0000'), row.status, row.connection_type, lastAccess]
    .join('\u0000')
    .toLowerCase();
}

/**
 * One string object per distinct value of the few-valued fields, shared by every summary: equal
 * values then compare by identity, and 100,000 summaries do not hold 100,000 copies of 'online'.
 */
const interned = new Map<string, string>();
function intern(value: string): string {
  const known = interned.get(value);
  if (known !== undefined) return known;
  if (interned.size < 50_000) interned.set(value, value);
  return value;
}

/**
 * Built field by field, in one order, so every summary shares one object shape: list and search
 * walk all of them, and a spread of a decoded row would give each its own shape (10x slower).
 */
export function summarize(row: JumpClient): ClientSummary {
  const summary: ClientSummary = {
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    fqdn: row.fqdn,
    jump_group_id: row.jump_group_id,
    jump_group_type: intern(row.jump_group_type) as JumpClient['jump_group_type'],
    tag: intern(row.tag) as JumpClient['tag'],
    comments: row.comments,
    connection_type: intern(row.connection_type) as JumpClient['connection_type'],
    install_mode: intern(row.install_mode) as JumpClient['install_mode'],
    status: intern(row.status) as JumpClient['status'],
    operating_system: intern(row.operating_system) as JumpClient['operating_system'],
    console_user: intern(row.console_user) as JumpClient['console_user'],
    private_ip: row.private_ip,
    public_ip: intern(row.public_ip) as JumpClient['public_ip'],
    agent_version: intern(row.agent_version) as JumpClient['agent_version'],
    last_connect_timestamp: row.last_connect_timestamp,
    last_disconnect_timestamp: row.last_disconnect_timestamp,
    last_disconnect_reason: row.last_disconnect_reason,
    last_access_timestamp: row.last_access_timestamp,
    is_lost: row.is_lost,
    needs_update: row.needs_update,
    unavailable_reason: row.unavailable_reason,
    max_offline_minutes: row.max_offline_minutes,
    passive_listen: row.passive_listen ?? null,
    check_in_due_at: row.check_in_due_at ?? null,
    installer_id: row.installer_id,
    install_fingerprint: row.install_fingerprint,
    created_at: row.created_at,
    updated_at: row.updated_at,
    private_ips: row.statistics?.private_ips ?? (row.private_ip ? [row.private_ip] : []),
    search_text: '',
    name_lower: lower(row.name),
    hostname_lower: lower(row.hostname),
    sb0: 0,
    sb1: 0,
    sb2: 0,
    sb3: 0,
    sb4: 0,
    sb5: 0,
    sb6: 0,
    sb7: 0,
  };
  summary.search_text = searchText(summary);
  // The host name's pairs too: its filter uses the same prefilter (a free search just reads the text).
  Object.assign(summary, searchBits(`${summary.search_text}\u0000${summary.hostname_lower}`));
  return summary;
}

/** List order: by name (code-unit order), then id. */
export function byNameThenId(a: { name: string; id: number }, b: { name: string; id: number }): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id - b.id;
}

/** What is kept of a removed Jump Client: enough to recognise its agent and tell it to uninstall. */
export interface RevokedClient {
  id: number;
  secret_hash: string;
  revoked_at: number;
}

export interface JumpClients extends Table<JumpClient> {
  /** The tombstone of a removed client, if any. */
  revoked(id: number): RevokedClient | undefined;
  /** Every client's summary, sorted by name then id; reflects committed writes. Do not mutate. */
  summaries(): readonly ClientSummary[];
  /** Every client's summary in no particular order (cheaper: nothing is sorted). */
  unordered(): IterableIterator<ClientSummary>;
  /** What the site caps count: installed (not uninstalled) clients, and the active ones of them. */
  tally(): { installed: number; active: number };
  /** Ids of the clients enrolled from one install directory (normally one). */
  byFingerprint(fingerprint: string): number[];
  /**
   * The id the agent of an item's endpoint connects with: the item's own, or for a copy (POST
   * .../copy: another Jump Item of the same install) the first item of that install, the one
   * enrolment keeps.
   */
  agentOf(item: { id: number; install_fingerprint: string }): number;
  /** Calls `listener` after each committed change: the new summary, or the id of a removed client. */
  onChange(listener: (change: ClientChange) => void): () => void;
}

export type ClientChange = { kind: 'upsert'; summary: ClientSummary } | { kind: 'remove'; id: number };

/**
 * Applies a change to the in-memory summaries once its transaction has committed; `revert` runs
 * instead if the write fails.
 */
export type AfterCommit = (apply: () => void, revert?: () => void) => void;

/** What one client counts against the site caps. */
interface Weight {
  installed: number;
  active: number;
}
const weigh = (s: ClientSummary | undefined): Weight =>
  !s || s.status === 'uninstalled' ? { installed: 0, active: 0 } : { installed: 1, active: s.connection_type === 'active' ? 1 : 0 };

/**
 * Removing a row revokes its identity: a tombstone records the secret hash. The summaries are
 * loaded once at open and kept in step after each commit (never before: an aborted write must
 * not show).
 */
export function createJumpClients(db: RootDatabase, afterCommit: AfterCommit): JumpClients {
  const table = createTable<JumpClient>(db, 'client', K.client);
  const byId = new Map<number, ClientSummary>();
  const fingerprints = new Map<string, Set<number>>();
  // Ids in list order: rebuilt only when a name changes or a client comes or goes. The array of
  // summaries in that order is rebuilt (one map lookup each) after any change.
  let order: number[] | undefined;
  let sorted: ClientSummary[] | undefined;
  const listeners = new Set<(change: ClientChange) => void>();
  const tally = { installed: 0, active: 0 };
  // What the caps count of changes written and not yet committed: enrolments in one LMDB batch
  // each see the ones before them, as they see their rows. Each change's part leaves when the
  // change commits (into `tally`) or fails. `latest` is the newest staged weight of a client
  // changed more than once before its changes commit: the next change counts from it, as the
  // transaction reads that row, not from the committed summary.
  const staged = { installed: 0, active: 0 };
  const latest = new Map<number, { weight: Weight; pending: number }>();
  const count = (summary: ClientSummary, sign: 1 | -1): void => {
    const w = weigh(summary);
    tally.installed += sign * w.installed;
    tally.active += sign * w.active;
  };
  /** Stages a client's change to `after` (undefined: removed); returns its unstaging. */
  const stage = (id: number, after: ClientSummary | undefined): { commit(): void; revert(): void } => {
    const entry = latest.get(id) ?? { weight: weigh(byId.get(id)), pending: 0 };
    const before = entry.weight;
    const next = weigh(after);
    const delta = { installed: next.installed - before.installed, active: next.active - before.active };
    staged.installed += delta.installed;
    staged.active += delta.active;
    entry.weight = next;
    entry.pending++;
    latest.set(id, entry);
    let done = false;
    const unstage = (): void => {
      done = true;
      staged.installed -= delta.installed;
      staged.active -= delta.active;
      if (--entry.pending === 0 && latest.get(id) === entry) latest.delete(id);
    };
    return {
      commit: () => !done && unstage(),
      // A failed change goes at once (the batch's later writes must not count it): the weight
      // before it is the newest again.
      revert() {
        if (done) return;
        entry.weight = before;
        unstage();
      },
    };
  };
  const emit = (change: ClientChange): void => {
    for (const listener of listeners) listener(change);
  };

  const index = (summary: ClientSummary): void => {
    const previous = byId.get(summary.id);
    if (previous && previous.install_fingerprint !== summary.install_fingerprint) unindex(previous.id);
    if (!previous || previous.name !== summary.name) order = undefined;
    sorted = undefined;
    if (previous) count(previous, -1);
    count(summary, 1);
    byId.set(summary.id, summary);
    let ids = fingerprints.get(summary.install_fingerprint);
    if (!ids) fingerprints.set(summary.install_fingerprint, (ids = new Set()));
    ids.add(summary.id);
  };
  const unindex = (id: number): void => {
    const previous = byId.get(id);
    if (!previous) return;
    count(previous, -1);
    byId.delete(id);
    order = undefined;
    sorted = undefined;
    const ids = fingerprints.get(previous.install_fingerprint);
    ids?.delete(id);
    if (ids?.size === 0) fingerprints.delete(previous.install_fingerprint);
  };
  for (const row of table.list()) index(summarize(row));

  return {
    ...table,
    put(row) {
      table.put(row);
      const summary = summarize(row);
      const change = stage(row.id, summary);
      afterCommit(() => {
        change.commit();
        index(summary);
        emit({ kind: 'upsert', summary });
      }, change.revert);
    },
    remove(id) {
      const row = table.get(id);
      if (!row) return false;
      const tombstone: RevokedClient = { id, secret_hash: row.secret_hash, revoked_at: Date.now() };
      db.put(K.revokedClient(id), tombstone);
      const change = stage(id, undefined);
      afterCommit(() => {
        change.commit();
        unindex(id);
        emit({ kind: 'remove', id });
      }, change.revert);
      return table.remove(id);
    },
    count: () => byId.size,
    revoked: (id) => db.get(K.revokedClient(id)) as RevokedClient | undefined,
    summaries() {
      order ??= [...byId.values()].sort(byNameThenId).map((s) => s.id);
      sorted ??= order.map((id) => byId.get(id)!);
      return sorted;
    },
    unordered: () => byId.values(),
    tally: () => ({ installed: tally.installed + staged.installed, active: tally.active + staged.active }),
    byFingerprint: (fingerprint) => [...(fingerprints.get(fingerprint) ?? [])],
    agentOf(item) {
      let first = item.id;
      for (const id of fingerprints.get(item.install_fingerprint) ?? []) if (id < first) first = id;
      return first;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
