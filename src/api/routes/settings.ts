/** Site settings: `GET/PATCH /settings` (admins only; every change audited). */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { ApiEnv } from '../env.ts';
import type { ApiDeps } from '../index.ts';
import { actorOf, requireAdmin } from '../guard.ts';
import { readJson } from '../validate.ts';

const int = (min: number, max: number) =>
  v.optional(
    v.pipe(
      v.number(),
      v.integer('must be a whole number'),
      v.minValue(min, `must be from ${min} to ${max}`),
      v.maxValue(max, `must be from ${min} to ${max}`),
    ),
  );

const SettingsPatch = v.strictObject({
  max_installed_jump_clients: int(0, 1_000_000),
  max_active_jump_clients: int(0, 1_000_000),
  max_concurrent_spawns: int(1, 1000),
  spawn_timeout_seconds: int(1, 600),
  lost_after_days: int(1, 3650),
  delete_after_days: int(1, 3650),
  statistics_interval_seconds: int(10, 86_400),
  audit_retention_days: int(1, 3650),
  login_session_minutes: int(5, 43_200),
  agent_admission_per_second: int(1, 100_000),
});

export function createSettingsRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/settings', (c) => {
    requireAdmin(c, registry);
    return c.json(registry.settings.get());
  });

  app.patch('/settings', async (c) => {
    requireAdmin(c, registry);
    const patch = await readJson(c, SettingsPatch);
    const actor = actorOf(c);
    const after = await registry.write(() => {
      const before = registry.settings.get();
      const next = { ...before };
      for (const [k, value] of Object.entries(patch)) {
        if (value !== undefined) (next as Record<string, number>)[k] = value;
      }
      registry.settings.put(next);
      registry.audit.record({ event_type: 'changed', item_type: 'settings', item_id: 'settings', actor, before, after: next });
      return next;
    });
    // Agents are told what concerns them: the statistics interval, and the offline time after which
    // they remove themselves (the deletion threshold, unless the client has its own).
    if (patch.statistics_interval_seconds !== undefined || patch.delete_after_days !== undefined) deps.agents.notify();
    return c.json(after);
  });

  return app;
}
