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
  statistics: ClientStatistics | null;
  /** Internal: never serialised by the API. */
  secret_hash: string;
  installer_id: string;
  /** Internal: machine id + install dir, so a reinstall into the same dir is the same client. */
  install_fingerprint: string;
  created_at: number;
  updated_at: number;
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
}

/** Removing a row revokes its identity: a tombstone records the secret hash. */
export function createJumpClients(db: RootDatabase): JumpClients {
  const table = createTable<JumpClient>(db, 'client', K.client);
  return {
    ...table,
    remove(id) {
      const row = table.get(id);
      if (!row) return false;
      const tombstone: RevokedClient = { id, secret_hash: row.secret_hash, revoked_at: Date.now() };
      db.put(K.revokedClient(id), tombstone);
      return table.remove(id);
    },
    revoked: (id) => db.get(K.revokedClient(id)) as RevokedClient | undefined,
  };
}
