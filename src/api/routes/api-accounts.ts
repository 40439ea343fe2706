/**
 * API accounts (OAuth2 client credentials): `GET/POST /api-account`, `GET/PATCH/DELETE
 * /api-account/{id}`, admins only. The secret is shown once, at creation or regeneration; the
 * registry keeps only its sha256, and audit records never carry either.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { ApiAccount } from '../../registry/index.ts';
import { randomToken, sha256Hex } from '../../shared/ids.ts';
import type { ApiEnv } from '../env.ts';
import { actorOf, requireAdmin } from '../guard.ts';
import type { ApiDeps } from '../index.ts';
import { iso } from '../views.ts';
import { Pagination, paginate, pathId, readJson, readQuery } from '../validate.ts';
import { applyPatch, boolFilter, containsFold, matches, notFound, text, textFilter } from './common.ts';

const AccountCreate = v.strictObject({
  name: text(1, 128),
  is_admin: v.optional(v.boolean(), false),
  enabled: v.optional(v.boolean(), true),
});

const AccountPatch = v.strictObject({
  name: v.optional(text(1, 128)),
  is_admin: v.optional(v.boolean()),
  enabled: v.optional(v.boolean()),
  regenerate_secret: v.optional(v.boolean()),
});

const AccountQuery = v.strictObject({
  ...Pagination,
  name: textFilter,
  is_admin: boolFilter,
  enabled: boolFilter,
});

/** What the API shows of an account: never the secret or its hash. */
export function publicApiAccount(a: ApiAccount) {
  return { id: a.id, name: a.name, is_admin: a.is_admin, enabled: a.enabled, client_id: a.client_id, created_at: iso(a.created_at) };
}

export function createApiAccountRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/api-account', (c) => {
    requireAdmin(c, registry);
    const q = readQuery(c, AccountQuery);
    const rows = registry.apiAccounts
      .list()
      .filter((a) => containsFold(a.name, q.name) && matches(a.is_admin, q.is_admin) && matches(a.enabled, q.enabled));
    return c.json(paginate(c, rows, q).map(publicApiAccount));
  });

  app.get('/api-account/:id', (c) => {
    requireAdmin(c, registry);
    const account = registry.apiAccounts.get(pathId(c));
    if (!account) throw notFound();
    return c.json(publicApiAccount(account));
  });

  app.post('/api-account', async (c) => {
    requireAdmin(c, registry);
    const body = await readJson(c, AccountCreate);
    const actor = actorOf(c);
    const secret = randomToken(32);
    const account = await registry.write(() => {
      const row: ApiAccount = {
        id: registry.apiAccounts.nextId(),
        name: body.name,
        client_id: randomToken(16),
        secret_hash: sha256Hex(secret),
        is_admin: body.is_admin,
        enabled: body.enabled,
        created_at: Date.now(),
      };
      registry.apiAccounts.put(row);
      registry.audit.record({ event_type: 'created', item_type: 'api_account', item_id: String(row.id), actor, before: null, after: publicApiAccount(row) });
      return row;
    });
    return c.json({ ...publicApiAccount(account), client_secret: secret }, 201);
  });

  app.patch('/api-account/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const { regenerate_secret: regenerate, ...fields } = await readJson(c, AccountPatch);
    const actor = actorOf(c);
    const secret = regenerate ? randomToken(32) : undefined;
    const account = await registry.write(() => {
      const before = registry.apiAccounts.get(id);
      if (!before) throw notFound();
      const { next, changed } = applyPatch(before, fields);
      if (!changed && secret === undefined) return before;
      if (secret !== undefined) next.secret_hash = sha256Hex(secret);
      registry.apiAccounts.put(next);
      if (secret !== undefined || (before.enabled && !next.enabled)) registry.tokens.removeFor({ kind: 'api', id });
      const after = secret === undefined ? publicApiAccount(next) : { ...publicApiAccount(next), secret_regenerated: true };
      registry.audit.record({ event_type: 'changed', item_type: 'api_account', item_id: String(id), actor, before: publicApiAccount(before), after });
      return next;
    });
    if (!account.enabled) deps.sessions.endAllOf({ kind: 'api', id, name: '', isAdmin: false }, 'the API account was disabled');
    return c.json(secret === undefined ? publicApiAccount(account) : { ...publicApiAccount(account), client_secret: secret });
  });

  app.delete('/api-account/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const actor = actorOf(c);
    await registry.write(() => {
      const before = registry.apiAccounts.get(id);
      if (!before) throw notFound();
      registry.tokens.removeFor({ kind: 'api', id });
      registry.apiAccounts.remove(id);
      registry.audit.record({ event_type: 'deleted', item_type: 'api_account', item_id: String(id), actor, before: publicApiAccount(before), after: null });
    });
    deps.sessions.endAllOf({ kind: 'api', id, name: '', isAdmin: false }, 'the API account was removed');
    return c.body(null, 204);
  });

  return app;
}
