/**
 * Members of a shared Jump Group: `GET/POST /jump-group/{id}/user`, `GET/PATCH/DELETE
 * /jump-group/{id}/user/{user_id}`, each `{user_id, jump_item_role_id}`. Admins change them; a
 * member of the group may read them; anyone else gets 404 as if the group did not exist.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { Membership, Registry } from '../../registry/index.ts';
import { invalid } from '../../shared/errors.ts';
import type { ApiEnv } from '../env.ts';
import { actorOf, requireAdmin } from '../guard.ts';
import type { ApiDeps } from '../index.ts';
import { Pagination, paginate, pathId, readJson, readQuery } from '../validate.ts';
import { bodyId, conflict, membershipItemId, notFound, publicMembership } from './common.ts';
import { visibleGroup } from './groups.ts';

const MemberCreate = v.strictObject({ user_id: bodyId, jump_item_role_id: bodyId });
const MemberPatch = v.strictObject({ jump_item_role_id: bodyId });
const MemberQuery = v.strictObject({ ...Pagination });

export function createGroupMemberRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/jump-group/:id/user', (c) => {
    const group = visibleGroup(c, registry, pathId(c));
    const q = readQuery(c, MemberQuery);
    return c.json(paginate(c, registry.groups.members(group.id), q).map(publicMembership));
  });

  app.get('/jump-group/:id/user/:user_id', (c) => {
    const group = visibleGroup(c, registry, pathId(c));
    const member = registry.groups.membership(group.id, pathId(c, 'user_id'));
    if (!member) throw notFound();
    return c.json(publicMembership(member));
  });

  app.post('/jump-group/:id/user', async (c) => {
    requireAdmin(c, registry);
    const groupId = pathId(c);
    const body = await readJson(c, MemberCreate);
    const actor = actorOf(c);
    const member = await registry.write(() => {
      if (!registry.groups.get(groupId)) throw notFound();
      if (!registry.users.get(body.user_id)) throw invalid('user_id', 'is not an existing user');
      checkRole(registry, body.jump_item_role_id);
      if (registry.groups.membership(groupId, body.user_id)) {
        throw conflict('The user is already a member of this Jump Group.', { field: 'user_id' });
      }
      const row: Membership = { group_id: groupId, user_id: body.user_id, jump_item_role_id: body.jump_item_role_id };
      registry.groups.putMember(row);
      registry.audit.record({ event_type: 'created', item_type: 'membership', item_id: membershipItemId(row), actor, before: null, after: publicMembership(row) });
      return row;
    });
    return c.json(publicMembership(member), 201);
  });

  app.patch('/jump-group/:id/user/:user_id', async (c) => {
    requireAdmin(c, registry);
    const groupId = pathId(c);
    const userId = pathId(c, 'user_id');
    const body = await readJson(c, MemberPatch);
    const actor = actorOf(c);
    const member = await registry.write(() => {
      const before = registry.groups.membership(groupId, userId);
      if (!before) throw notFound();
      checkRole(registry, body.jump_item_role_id);
      if (before.jump_item_role_id === body.jump_item_role_id) return before;
      const next: Membership = { ...before, jump_item_role_id: body.jump_item_role_id };
      registry.groups.putMember(next);
      registry.audit.record({ event_type: 'changed', item_type: 'membership', item_id: membershipItemId(next), actor, before: publicMembership(before), after: publicMembership(next) });
      return next;
    });
    return c.json(publicMembership(member));
  });

  app.delete('/jump-group/:id/user/:user_id', async (c) => {
    requireAdmin(c, registry);
    const groupId = pathId(c);
    const userId = pathId(c, 'user_id');
    const actor = actorOf(c);
    await registry.write(() => {
      const before = registry.groups.membership(groupId, userId);
      if (!before) throw notFound();
      registry.groups.removeMember(groupId, userId);
      registry.audit.record({ event_type: 'deleted', item_type: 'membership', item_id: membershipItemId(before), actor, before: publicMembership(before), after: null });
    });
    return c.body(null, 204);
  });

  return app;
}

function checkRole(registry: Registry, roleId: number): void {
  if (!registry.roles.get(roleId)) throw invalid('jump_item_role_id', 'is not an existing Jump Item role');
}
