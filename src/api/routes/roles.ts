/**
 * Jump Item roles: `GET /jump-item-role` and `GET /jump-item-role/{id}` for any authenticated
 * caller; admins create, change and delete custom roles. Built-in roles never change, and a role in
 * use (by a membership or as a user's personal role) cannot be deleted.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { PERMISSIONS, type JumpItemRole, type Permission, type Registry } from '../../registry/index.ts';
import type { ApiEnv } from '../env.ts';
import { actorOf, requireAdmin } from '../guard.ts';
import type { ApiDeps } from '../index.ts';
import { Pagination, paginate, pathId, readJson, readQuery } from '../validate.ts';
import { applyPatch, boolFilter, conflict, containsFold, matches, notFound, text, textFilter } from './common.ts';

/** The same schema for every permission flag. */
function permFields<S extends v.GenericSchema>(schema: S): Record<Permission, S> {
  return Object.fromEntries(PERMISSIONS.map((p) => [p, schema])) as Record<Permission, S>;
}

const RoleCreate = v.strictObject({
  name: text(1, 128),
  description: v.optional(text(0, 1024), ''),
  ...permFields(v.optional(v.boolean(), false)),
});

const RolePatch = v.strictObject({
  name: v.optional(text(1, 128)),
  description: v.optional(text(0, 1024)),
  ...permFields(v.optional(v.boolean())),
});

const RoleQuery = v.strictObject({ ...Pagination, name: textFilter, builtin: boolFilter });

export function createRoleRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/jump-item-role', (c) => {
    const q = readQuery(c, RoleQuery);
    const rows = registry.roles.list().filter((r) => containsFold(r.name, q.name) && matches(r.builtin, q.builtin));
    return c.json(paginate(c, rows, q));
  });

  app.get('/jump-item-role/:id', (c) => {
    const role = registry.roles.get(pathId(c));
    if (!role) throw notFound();
    return c.json(role);
  });

  app.post('/jump-item-role', async (c) => {
    requireAdmin(c, registry);
    const body = await readJson(c, RoleCreate);
    const actor = actorOf(c);
    const role = await registry.write(() => {
      checkNameFree(registry, body.name, undefined);
      const row: JumpItemRole = { id: registry.roles.nextId(), ...body, builtin: false };
      registry.roles.put(row);
      registry.audit.record({ event_type: 'created', item_type: 'jump_item_role', item_id: String(row.id), actor, before: null, after: row });
      return row;
    });
    return c.json(role, 201);
  });

  app.patch('/jump-item-role/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const patch = await readJson(c, RolePatch);
    const actor = actorOf(c);
    const role = await registry.write(() => {
      const before = registry.roles.get(id);
      if (!before) throw notFound();
      if (before.builtin) throw conflict('A built-in role cannot be changed.');
      if (patch.name !== undefined) checkNameFree(registry, patch.name, id);
      const { next, changed } = applyPatch(before, patch);
      if (!changed) return before;
      registry.roles.put(next);
      registry.audit.record({ event_type: 'changed', item_type: 'jump_item_role', item_id: String(id), actor, before, after: next });
      return next;
    });
    return c.json(role);
  });

  app.delete('/jump-item-role/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const actor = actorOf(c);
    await registry.write(() => {
      const before = registry.roles.get(id);
      if (!before) throw notFound();
      if (before.builtin) throw conflict('A built-in role cannot be deleted.');
      checkUnused(registry, id);
      registry.roles.remove(id);
      registry.audit.record({ event_type: 'deleted', item_type: 'jump_item_role', item_id: String(id), actor, before, after: null });
    });
    return c.body(null, 204);
  });

  return app;
}

function checkNameFree(registry: Registry, name: string, selfId: number | undefined): void {
  const taken = registry.roles.list().some((r) => r.id !== selfId && r.name.toLowerCase() === name.toLowerCase());
  if (taken) throw conflict('A Jump Item role with this name already exists.', { field: 'name' });
}

function checkUnused(registry: Registry, id: number): void {
  const memberships = registry.groups
    .list()
    .reduce((n, g) => n + registry.groups.members(g.id).filter((m) => m.jump_item_role_id === id).length, 0);
  const users = registry.users.list().filter((u) => u.personal_jump_item_role_id === id).length;
  if (memberships === 0 && users === 0) return;
  throw conflict(
    `The role is in use by ${memberships} group membership(s) and as the personal role of ${users} user(s).`,
    { memberships, users },
  );
}
