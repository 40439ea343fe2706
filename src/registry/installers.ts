import type { RootDatabase } from 'lmdb';
import { K, range } from './keys.ts';
import type { ConnectionType, InstallMode, JumpGroupType } from './clients.ts';

/** A downloadable, time-limited Jump Client installer (SPEC D1). */
export interface Installer {
  /** 32 hex characters; also the secret of the public download link. */
  installer_id: string;
  /** The installer key the client trades for its own identity at enrolment. */
  key_info: string;
  jump_group_id: number;
  jump_group_type: JumpGroupType;
  name: string;
  tag: string;
  comments: string;
  install_mode: InstallMode;
  connection_type: ConnectionType;
  /** Minutes, 10..525600. */
  valid_duration: number;
  expiration_timestamp: number;
  max_offline_minutes: number | null;
  allow_override_jump_group: boolean;
  allow_override_name: boolean;
  allow_override_tag: boolean;
  allow_override_comments: boolean;
  allow_override_max_offline_minutes: boolean;
  created_by: string;
  /** Who created it, to check a command-line Jump Group against their rights (absent on older rows). */
  created_by_ref?: { kind: 'user' | 'api'; id: number };
  created_at: number;
}

export interface Installers {
  get(installerId: string): Installer | undefined;
  list(): Installer[];
  put(row: Installer): void;
  remove(installerId: string): boolean;
}

export function createInstallers(db: RootDatabase): Installers {
  return {
    get: (id) => db.get(K.installer(id)) as Installer | undefined,
    list: () => [...db.getRange(range('installer')).map(({ value }) => value as Installer)],
    put: (row) => {
      db.put(K.installer(row.installer_id), row);
    },
    remove: (id) => {
      if (db.get(K.installer(id)) === undefined) return false;
      db.remove(K.installer(id));
      return true;
    },
  };
}
