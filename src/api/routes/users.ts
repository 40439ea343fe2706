/**
 * Users: `GET/POST /user`, `GET/PATCH/DELETE /user/{id}` (admins only; a technician may read their
 * own user). Passwords are write-only; every change is audited with public fields only.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { BUILTIN_ROLES, type Registry, type User } from '../../registry/index.ts';
import { invalid } from '../../shared/errors.ts';
import { hashPassword } from '../../shared/passwords.ts';
import { principalOf } from '../auth.ts';
import type { ApiEnv } from '../env.ts';
import { actorOf, requireAdmin } from '../guard.ts';
import type { ApiDeps } from '../index.ts';
import { Pagination, paginate, pathId, readJson, readQuery } from '../validate.ts';
import { publicUser } from '../views.ts';
import {
  applyPatch,
  bodyId,
  boolFilter,
  conflict,
  containsFold,
  matches,
  membershipItemId,
  notFound,
  publicMembership,
  text,
  textFilter,
} from './common.ts';

/** The account made on first start; its username is fixed. */
const ADMIN_USERNAME = 'admin';

const username = v.pipe(
  text(1, 64),
  v.regex(/^[A-Za-z0-9._@-]+$/, 'may contain only letters, digits and . _ @ -'),
);
const password = v.pipe(
  v.string(),
  v.minLength(8, 'must be at least 8 characters'),
  v.maxLength(1024, 'must be at most 1024 characters'),
);

const UserCreate = v.strictObject({
  username,
  password,
  display_name: v.optional(text(1, 128)),
  email: v.optional(text(0, 255), ''),
  is_admin: v.optional(v.boolean(), false),
  enabled: v.optional(v.boolean(), true),
  personal_jump_item_role_id: v.optional(bodyId, BUILTIN_ROLES.administrator),
});

const UserPatch = v.strictObject({
  username: v.optional(username),
  password: v.optional(password),
  display_name: v.optional(text(1, 128)),
  email: v.optional(text(0, 255)),
  is_admin: v.optional(v.boolean()),
  enabled: v.optional(v.boolean()),
  personal_jump_item_role_id: v.optional(bodyId),
});

const UserQuery = v.strictObject({
  ...Pagination,
  username: textFilter,
  is_admin: boolFilter,
  enabled: boolFilter,
});

export function createUserRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/user', (c) => {
    requireAdmin(c, registry);
    const q = readQuery(c, UserQuery);
    const rows = registry.users
      .list()
      .filter((u) => containsFold(u.username, q.username) && matches(u.is_admin, q.is_admin) && matches(u.enabled, q.enabled));
    return c.json(paginate(c, rows, q).map(publicUser));
  });

  app.get('/user/:id', (c) => {
    const id = pathId(c);
    const p = principalOf(c);
    if (!(p.kind === 'user' && p.user.id === id)) requireAdmin(c, registry);
    const user = registry.users.get(id);
    if (!user) throw notFound();
    return c.json(publicUser(user));
  });

  app.post('/user', async (c) => {
    requireAdmin(c, registry);
    const body = await readJson(c, UserCreate);
    const hash = await hashPassword(body.password);
    const actor = actorOf(c);
    const user = await registry.write(() => {
      checkUsernameFree(registry, body.username, undefined);
      checkRole(registry, body.personal_jump_item_role_id);
      const now = Date.now();
      const row: User = {
        id: registry.users.nextId(),
        username: body.username,
        display_name: body.display_name ?? body.username,
        email: body.email,
        is_admin: body.is_admin,
        enabled: body.enabled,
        password_hash: hash,
        personal_jump_item_role_id: body.personal_jump_item_role_id,
        created_at: now,
        updated_at: now,
        last_login_at: null,
      };
      registry.users.put(row);
      registry.audit.record({ event_type: 'created', item_type: 'user', item_id: String(row.id), actor, before: null, after: publicUser(row) });
      return row;
    });
    return c.json(publicUser(user), 201);
  });

  app.patch('/user/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const { password: newPassword, ...fields } = await readJson(c, UserPatch);
    const hash = newPassword === undefined ? undefined : await hashPassword(newPassword);
    const actor = actorOf(c);
    const user = await registry.write(() => {
      const before = registry.users.get(id);
      if (!before) throw notFound();
      const { next, changed } = applyPatch(before, fields);
      if (next.username !== before.username) {
        if (before.username.toLowerCase() === ADMIN_USERNAME) {
          throw conflict(`The username of the ${ADMIN_USERNAME} account cannot change.`, { field: 'username' });
        }
        checkUsernameFree(registry, next.username, id);
      }
      if (fields.personal_jump_item_role_id !== undefined) checkRole(registry, fields.personal_jump_item_role_id);
      checkLastAdmin(registry, before, next);
      if (!changed && hash === undefined) return before;
      if (hash !== undefined) next.password_hash = hash;
      next.updated_at = Date.now();
      registry.users.put(next);
      if (hash !== undefined || (before.enabled && !next.enabled)) registry.tokens.removeFor({ kind: 'user', id });
      const after = hash === undefined ? publicUser(next) : { ...publicUser(next), password_changed: true };
      registry.audit.record({ event_type: 'changed', item_type: 'user', item_id: String(id), actor, before: publicUser(before), after });
      return next;
    });
    // A disabled account's live shells end with its tokens: the terminal was authorised at its start.
    if (!user.enabled) deps.sessions.endAllOf({ kind: 'user', id, name: user.username, isAdmin: user.is_admin }, 'the account was disabled');
    return c.json(publicUser(user));
  });

  app.delete('/user/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const actor = actorOf(c);
    await registry.write(() => {
      const before = registry.users.get(id);
      if (!before) throw notFound();
      checkLastAdmin(registry, before, undefined);
      const held = [...registry.clients.unordered()].filter((jc) => jc.jump_group_type === 'personal' && jc.jump_group_id === id).length;
      if (held > 0) {
        throw conflict(`The user's personal Jump Group still holds ${held} Jump Client(s); move or remove them first.`, { jump_client_count: held });
      }
      for (const m of registry.groups.membershipsOf(id)) {
        registry.groups.removeMember(m.group_id, m.user_id);
        const item_id = membershipItemId(m);
        registry.audit.record({ event_type: 'deleted', item_type: 'membership', item_id, actor, before: publicMembership(m), after: null });
      }
      registry.tokens.removeFor({ kind: 'user', id });
      registry.users.remove(id);
      registry.audit.record({ event_type: 'deleted', item_type: 'user', item_id: String(id), actor, before: publicUser(before), after: null });
    });
    deps.sessions.endAllOf({ kind: 'user', id, name: '', isAdmin: false }, 'the account was removed');
    return c.body(null, 204);
  });

  return app;
}

function checkUsernameFree(registry: Registry, name: string, selfId: number | undefined): void {
  const holder = registry.users.byUsername(name);
  if (holder && holder.id !== selfId) throw conflict('A user with this username already exists.', { field: 'username' });
}

function checkRole(registry: Registry, roleId: number): void {
  if (!registry.roles.get(roleId)) throw invalid('personal_jump_item_role_id', 'is not an existing Jump Item role');
}

/** Refuses to leave the appliance without an enabled admin (`after` undefined: the user goes away). */
function checkLastAdmin(registry: Registry, before: User, after: User | undefined): void {
  const wasEnabledAdmin = before.enabled && before.is_admin;
  const staysEnabledAdmin = after !== undefined && after.enabled && after.is_admin;
  if (!wasEnabledAdmin || staysEnabledAdmin) return;
  const others = registry.users.list().filter((u) => u.id !== before.id && u.enabled && u.is_admin);
  if (others.length > 0) return;
  const field = after === undefined ? undefined : after.enabled ? 'is_admin' : 'enabled';
  throw conflict('The last enabled admin cannot be deleted, disabled or demoted.', field ? { field } : undefined);
}
