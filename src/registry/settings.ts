import type { RootDatabase } from 'lmdb';
import { K } from './keys.ts';

/** Site settings (`GET/PATCH /api/config/v1/settings`). */
export interface Settings {
  max_installed_jump_clients: number;
  max_active_jump_clients: number;
  max_concurrent_spawns: number;
  spawn_timeout_seconds: number;
  lost_after_days: number;
  delete_after_days: number;
  statistics_interval_seconds: number;
  audit_retention_days: number;
  login_session_minutes: number;
  /** Agent connections admitted per second after a restart (applies at the next start). */
  agent_admission_per_second: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  max_installed_jump_clients: 100_000,
  max_active_jump_clients: 19_000,
  max_concurrent_spawns: 20,
  spawn_timeout_seconds: 30,
  lost_after_days: 30,
  delete_after_days: 180,
  statistics_interval_seconds: 300,
  audit_retention_days: 90,
  login_session_minutes: 480,
  agent_admission_per_second: 5000,
});

export interface SettingsStore {
  get(): Settings;
  put(settings: Settings): void;
}

export function createSettings(db: RootDatabase): SettingsStore {
  return {
    get: () => ({ ...DEFAULT_SETTINGS, ...(db.get(K.settings()) as Partial<Settings> | undefined) }),
    put: (settings) => {
      db.put(K.settings(), settings);
    },
  };
}
