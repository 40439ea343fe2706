/**
 * How long the client may stay away from the appliance (SPEC S5). The time of the last successful
 * contact and the current maximum offline time live in `DIR/state/state.json`, so a restart, a reboot or
 * days without power do not reset the clock. Past the limit the client uninstalls itself.
 */
import * as v from 'valibot';
import { layoutOf, readJsonFile, writeFileAtomic, type AgentConfig } from './layout.ts';

/** The default deletion threshold of the appliance: 180 days. */
export const DEFAULT_MAX_OFFLINE_MINUTES = 180 * 24 * 60;

const AgentState = v.strictObject({
  last_contact_ms: v.pipe(v.number(), v.integer(), v.minValue(0)),
  max_offline_minutes: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** The last update this client applied, to never loop on an offer it cannot satisfy. */
  last_update: v.optional(v.nullable(v.strictObject({ sha256: v.string(), at_ms: v.number() }))),
});
export type AgentState = v.InferOutput<typeof AgentState>;

export interface Lifecycle {
  readonly state: AgentState;
  /** The appliance was reached now; persisted at most once a minute unless `force`. */
  contact(nowMs: number, force?: boolean): void;
  setMaxOffline(minutes: number): void;
  recordUpdate(sha256: string, nowMs: number): void;
  /** Minutes the client has been away; true when past the limit. */
  expired(nowMs: number): boolean;
}

export function openLifecycle(dir: string, config: AgentConfig, nowMs: number): Lifecycle {
  const file = layoutOf(dir).state;
  const initialMax = config.overrides.max_offline_minutes ?? config.installer.max_offline_minutes ?? DEFAULT_MAX_OFFLINE_MINUTES;
  const state: AgentState = readJsonFile(file, AgentState) ?? {
    // Never reached yet: the clock starts at installation.
    last_contact_ms: Math.min(config.installed_at, nowMs),
    max_offline_minutes: Math.max(1, initialMax),
    last_update: null,
  };
  let savedAt = 0;
  const save = (): void => writeFileAtomic(file, JSON.stringify(state) + '\n', 0o600);
  save();
  return {
    state,
    contact(nowMs, force = false) {
      state.last_contact_ms = nowMs;
      if (force || nowMs - savedAt >= 60_000) {
        savedAt = nowMs;
        save();
      }
    },
    setMaxOffline(minutes) {
      if (state.max_offline_minutes === minutes) return;
      state.max_offline_minutes = minutes;
      save();
    },
    recordUpdate(sha256, nowMs) {
      state.last_update = { sha256, at_ms: nowMs };
      save();
    },
    expired(nowMs) {
      return nowMs - state.last_contact_ms > state.max_offline_minutes * 60_000;
    },
  };
}
