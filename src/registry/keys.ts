/**
 * The whole key layout of the registry, in one place. Keys are lmdb ordered arrays whose first
 * element names the keyspace; secondary indexes live under `idx:*` keyspaces.
 */
export type Key = (string | number)[];

export const K = {
  schema: (): Key => ['meta', 'schema'],
  seq: (entity: string): Key => ['seq', entity],
  settings: (): Key => ['settings'],

  user: (id: number): Key => ['user', id],
  userByName: (username: string): Key => ['idx:user-name', username.toLowerCase()],

  apiAccount: (id: number): Key => ['api-account', id],
  apiAccountByClientId: (clientId: string): Key => ['idx:api-account-client', clientId],

  role: (id: number): Key => ['role', id],

  group: (id: number): Key => ['group', id],
  groupByCodeName: (codeName: string): Key => ['idx:group-code', codeName.toLowerCase()],

  member: (groupId: number, userId: number): Key => ['member', groupId, userId],
  memberByUser: (userId: number, groupId: number): Key => ['idx:member-user', userId, groupId],

  client: (id: number): Key => ['client', id],
  /** Tombstone of a removed Jump Client, so its agent is told to uninstall rather than just refused. */
  revokedClient: (id: number): Key => ['revoked-client', id],
  installer: (installerId: string): Key => ['installer', installerId],
  token: (tokenHash: string): Key => ['token', tokenHash],
  session: (id: string): Key => ['session', id],
  /** A short session's terminal recording, kept here instead of in a file of its own. */
  recording: (id: string): Key => ['recording', id],
  audit: (time: number, id: number): Key => ['audit', time, id],
} as const;

/** The range [start, end) covering every key under `prefix`. */
export function range(...prefix: (string | number)[]): { start: Key; end: Key } {
  return { start: [...prefix], end: [...prefix, '\uffff'] };
}

/** Bump when the stored shape changes incompatibly; open() refuses a newer one. */
export const SCHEMA_VERSION = 1;
