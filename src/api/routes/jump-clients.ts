/**
 * Jump Clients as Jump Items: list and search (SPEC C2), show, edit, move, copy and remove, each
 * checked against the caller's roles over the item's group (SPEC P2) and audited (SPEC S6). An item
 * the caller may not view answers 404, the same as one that does not exist.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import type { ItemRef } from '../../access/index.ts';
import type { AuditActor, JumpClient, Registry } from '../../registry/index.ts';
import { orphanCopies, putWithCopies } from '../../fleet/index.ts';
import { AppError } from '../../shared/errors.ts';
import type { ApiEnv } from '../env.ts';
import type { ApiDeps } from '../index.ts';
import { actorOf, itemChecker } from '../guard.ts';
import { intString, paginate, Pagination, pathId, readJson, readQuery } from '../validate.ts';
import { publicJumpClient } from '../views.ts';
import {
  compileClientMatcher,
  parseSearchFields,
  searchesGroups,
  filterClients,
  type ClientQuery,
  type GroupNameOf,
} from './jump-client-search.ts';
import {
  JumpClientCopy,
  JumpClientPatch,
  planChange,
  requireDestination,
  requireGroupPair,
  requirePermission,
} from './jump-client-changes.ts';

const text = (min: 0 | 1, max: number) =>
  v.optional(
    v.pipe(v.string(), v.minLength(min, 'must not be empty'), v.maxLength(max, `must be at most ${max} characters`)),
  );

const ListQuery = v.strictObject({
  ...Pagination,
  name: text(1, 128),
  hostname: text(1, 256),
  tag: text(0, 64),
  jump_group_id: v.optional(intString(1, Number.MAX_SAFE_INTEGER)),
  jump_group_type: v.optional(v.picklist(['shared', 'personal'], 'must be shared or personal')),
  console_user: text(1, 256),
  public_ip: text(1, 64),
  private_ip: text(1, 64),
  connection_type: v.optional(v.picklist(['active', 'passive'], 'must be active or passive')),
  status: v.optional(
    v.picklist(
      ['online', 'offline', 'disabled', 'updating', 'uninstalled', 'lost'],
      'must be one of online, offline, disabled, updating, uninstalled, lost',
    ),
  ),
  search: text(1, 256),
  search_fields: v.optional(v.string()),
});

/** Group names for the `group` search field, read once per request. */
function groupNames(registry: Registry): GroupNameOf {
  const shared = new Map(registry.groups.list().map((g) => [g.id, g.name]));
  const personal = new Map(registry.users.list().map((u) => [u.id, `user:${u.username}`]));
  return (type, id) => (type === 'shared' ? shared.get(id) : personal.get(id)) ?? '';
}

const ITEM_PATH = '/jump-client/:id{[0-9]+}';

export function createJumpClientRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const now = deps.now ?? Date.now;
  const app = new Hono<ApiEnv>();

  /** The row, if it exists and the caller may view it; else the catalog's 404 (existence is not leaked). */
  const viewable = (check: ReturnType<typeof itemChecker>, id: number): JumpClient => {
    const row = registry.clients.get(id);
    if (!row || !check('view', row)) throw new AppError('jump_client_not_found');
    return row;
  };

  const audit = (actor: AuditActor, event_type: 'changed' | 'moved' | 'deleted' | 'copied', id: number, before: JumpClient | null, after: JumpClient | null) =>
    registry.audit.record({
      event_type,
      item_type: 'jump_client',
      item_id: String(id),
      actor,
      timestamp: now(),
      before: before && publicJumpClient(before),
      after: after && publicJumpClient(after),
    });

  app.get('/jump-client', (c) => {
    const q = readQuery(c, ListQuery);
    const { per_page, current_page, search_fields, ...filters } = q;
    const query: ClientQuery = { ...filters, search_fields: search_fields === undefined ? undefined : parseSearchFields(search_fields) };
    const check = itemChecker(c, registry);
    const matches = compileClientMatcher(query, searchesGroups(query) ? groupNames(registry) : undefined);
    const rows = filterClients(registry.clients.summaries(), (row) => check('view', row), matches);
    const page = paginate(c, rows, { per_page, current_page });
    return c.json(page.map((s) => registry.clients.get(s.id)).filter((row) => row !== undefined).map(publicJumpClient));
  });

  app.get(ITEM_PATH, (c) => c.json(publicJumpClient(viewable(itemChecker(c, registry), pathId(c)))));

  app.patch(ITEM_PATH, async (c) => {
    const id = pathId(c);
    const patch = await readJson(c, JumpClientPatch);
    requireGroupPair(patch);
    const { check, actor } = caller(c, registry);
    const after = await registry.write(() => {
      const row = viewable(check, id);
      const plan = planChange(row, patch, now());
      for (const { field, permission } of plan.needs) requirePermission(check(permission, row), field, permission);
      if (plan.moved) {
        requireDestination(registry, plan.next);
        requirePermission(check('perm_move', plan.next), 'jump_group_id', 'perm_move');
      }
      const isCopy = registry.clients.agentOf(row) !== row.id;
      if (row.connection_type === 'passive' && plan.next.connection_type === 'active') {
        // Copies follow the original, and each counts as a Jump Item: all of them turn active.
        const turning = isCopy ? 1 : registry.clients.byFingerprint(row.install_fingerprint).length || 1;
        if (registry.clients.tally().active + turning > registry.settings.get().max_active_jump_clients) {
          throw new AppError('active_limit_reached');
        }
      }
      if (isCopy && (plan.next.connection_type !== row.connection_type || plan.next.max_offline_minutes !== row.max_offline_minutes)) {
        throw new AppError('conflict', {
          message: "A copy follows its original Jump Client's connection type and maximum offline time; change them there.",
          details: { field: plan.next.connection_type !== row.connection_type ? 'connection_type' : 'max_offline_minutes' },
        });
      }
      if (plan.needs.length === 0) return row;
      putWithCopies(registry, plan.next);
      audit(actor, plan.moved ? 'moved' : 'changed', id, row, plan.next);
      return plan.next;
    });
    if (patch.connection_type !== undefined || patch.max_offline_minutes !== undefined) deps.agents.notify(id);
    return c.json(publicJumpClient(after));
  });

  app.delete(ITEM_PATH, async (c) => {
    const id = pathId(c);
    const { check, actor } = caller(c, registry);
    await registry.write(() => {
      const row = viewable(check, id);
      requirePermission(check('perm_remove', row), 'id', 'perm_remove');
      orphanCopies(registry, row, now());
      registry.clients.remove(id);
      audit(actor, 'deleted', id, row, null);
    });
    deps.agents.revoke(id, 'the Jump Client was removed in the console');
    return c.body(null, 204);
  });

  app.post(`${ITEM_PATH}/copy`, async (c) => {
    const id = pathId(c);
    const body = await readJson(c, JumpClientCopy);
    const { check, actor } = caller(c, registry);
    const copy = await registry.write(() => {
      const row = viewable(check, id);
      const dest: ItemRef = { jump_group_type: body.jump_group_type, jump_group_id: body.jump_group_id };
      requirePermission(check('perm_move', row), 'id', 'perm_move');
      requireDestination(registry, dest);
      requirePermission(check('perm_add', dest), 'jump_group_id', 'perm_add');
      const tally = registry.clients.tally();
      const settings = registry.settings.get();
      if (tally.installed >= settings.max_installed_jump_clients) throw new AppError('limit_installed');
      if (row.connection_type === 'active' && tally.active >= settings.max_active_jump_clients) {
        throw new AppError('limit_active');
      }
      // A copy is another Jump Item for the same installed agent (API: "same endpoint, another
      // group/name"), so it keeps the endpoint's identity: the same install_fingerprint, by which
      // the hub finds the one agent connection serving every item of that endpoint, and the same
      // secret_hash, because the credential belongs to the agent, not to the item. No new secret is
      // minted (the agent could never learn it) and the agent can authenticate as nothing it could
      // not before. Each row is its own Jump Item: removing one revokes that item only.
      const at = now();
      const created: JumpClient = {
        ...row,
        id: registry.clients.nextId(),
        name: body.name ?? row.name,
        jump_group_id: dest.jump_group_id,
        jump_group_type: dest.jump_group_type,
        last_access_timestamp: null,
        created_at: at,
        updated_at: at,
      };
      registry.clients.put(created);
      audit(actor, 'copied', created.id, row, created);
      return created;
    });
    return c.json(publicJumpClient(copy), 201);
  });

  return app;
}

function caller(c: Context<ApiEnv>, registry: Registry) {
  return { check: itemChecker(c, registry), actor: actorOf(c) };
}
