/**
 * Shared Jump Groups: `GET/POST /jump-group`, `GET/PATCH/DELETE /jump-group/{id}`. Admins administer
 * them; anyone else sees only the groups `can(…, 'view', …)` allows, and a group they may not see
 * answers 404 exactly like one that does not exist. Members live in group-members.ts.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import type { JumpGroup, Registry } from '../../registry/index.ts';
import type { ApiEnv } from '../env.ts';
import { actorOf, itemChecker, requireAdmin } from '../guard.ts';
import type { ApiDeps } from '../index.ts';
import { iso } from '../views.ts';
import { Pagination, paginate, pathId, readJson, readQuery } from '../validate.ts';
import { applyPatch, conflict, containsFold, membershipItemId, notFound, publicMembership, text, textFilter } from './common.ts';

const CODE_NAME_MAX = 64;
const codeName = v.pipe(text(1, CODE_NAME_MAX), v.regex(/^[a-z0-9_-]+$/, 'may contain only a-z, 0-9, _ and -'));

const GroupCreate = v.strictObject({
  name: text(1, 255),
  code_name: v.optional(codeName),
  comments: v.optional(text(0, 1024), ''),
});

const GroupPatch = v.strictObject({
  name: v.optional(text(1, 255)),
  code_name: v.optional(codeName),
  comments: v.optional(text(0, 1024)),
});

const GroupQuery = v.strictObject({ ...Pagination, name: textFilter, code_name: textFilter });

export function publicGroup(g: JumpGroup) {
  return { id: g.id, name: g.name, code_name: g.code_name, comments: g.comments, created_at: iso(g.created_at), updated_at: iso(g.updated_at) };
}

/** The shared group `id` if the caller may see it; 404 otherwise, whether or not it exists. */
export function visibleGroup(c: Context<ApiEnv>, registry: Registry, id: number): JumpGroup {
  const group = registry.groups.get(id);
  if (!group || !itemChecker(c, registry)('view', { jump_group_type: 'shared', jump_group_id: id })) throw notFound();
  return group;
}

/** A code name from a display name: lowercase ASCII, dashes between words, unique. */
export function deriveCodeName(name: string, taken: (code: string) => boolean): string {
  const base =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, CODE_NAME_MAX) || 'group';
  let code = base;
  for (let n = 2; taken(code); n++) code = `${base.slice(0, CODE_NAME_MAX - String(n).length - 1)}-${n}`;
  return code;
}

export function createGroupRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/jump-group', (c) => {
    const q = readQuery(c, GroupQuery);
    const canDo = itemChecker(c, registry);
    const rows = registry.groups
      .list()
      .filter((g) => canDo('view', { jump_group_type: 'shared', jump_group_id: g.id }))
      .filter((g) => containsFold(g.name, q.name) && containsFold(g.code_name, q.code_name));
    return c.json(paginate(c, rows, q).map(publicGroup));
  });

  app.get('/jump-group/:id', (c) => c.json(publicGroup(visibleGroup(c, registry, pathId(c)))));

  app.post('/jump-group', async (c) => {
    requireAdmin(c, registry);
    const body = await readJson(c, GroupCreate);
    const actor = actorOf(c);
    const group = await registry.write(() => {
      if (body.code_name !== undefined) checkCodeNameFree(registry, body.code_name, undefined);
      const now = Date.now();
      const row: JumpGroup = {
        id: registry.groups.nextId(),
        name: body.name,
        code_name: body.code_name ?? deriveCodeName(body.name, (code) => registry.groups.byCodeName(code) !== undefined),
        comments: body.comments,
        created_at: now,
        updated_at: now,
      };
      registry.groups.put(row);
      registry.audit.record({ event_type: 'created', item_type: 'jump_group', item_id: String(row.id), actor, before: null, after: publicGroup(row) });
      return row;
    });
    return c.json(publicGroup(group), 201);
  });

  app.patch('/jump-group/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const patch = await readJson(c, GroupPatch);
    const actor = actorOf(c);
    const group = await registry.write(() => {
      const before = registry.groups.get(id);
      if (!before) throw notFound();
      if (patch.code_name !== undefined) checkCodeNameFree(registry, patch.code_name, id);
      const { next, changed } = applyPatch(before, patch);
      if (!changed) return before;
      next.updated_at = Date.now();
      registry.groups.put(next);
      registry.audit.record({ event_type: 'changed', item_type: 'jump_group', item_id: String(id), actor, before: publicGroup(before), after: publicGroup(next) });
      return next;
    });
    return c.json(publicGroup(group));
  });

  app.delete('/jump-group/:id', async (c) => {
    requireAdmin(c, registry);
    const id = pathId(c);
    const actor = actorOf(c);
    await registry.write(() => {
      const before = registry.groups.get(id);
      if (!before) throw notFound();
      const held = [...registry.clients.unordered()].filter((jc) => jc.jump_group_type === 'shared' && jc.jump_group_id === id).length;
      if (held > 0) {
        throw conflict(`The Jump Group still holds ${held} Jump Client(s); move or remove them first.`, { jump_client_count: held });
      }
      const installers = registry.installers.list().filter((i) => i.jump_group_type === 'shared' && i.jump_group_id === id).length;
      if (installers > 0) {
        throw conflict(`${installers} installer(s) still deploy into this Jump Group; delete them first.`, { installer_count: installers });
      }
      const members = registry.groups.members(id);
      registry.groups.remove(id);
      for (const m of members) {
        const item_id = membershipItemId(m);
        registry.audit.record({ event_type: 'deleted', item_type: 'membership', item_id, actor, before: publicMembership(m), after: null });
      }
      registry.audit.record({ event_type: 'deleted', item_type: 'jump_group', item_id: String(id), actor, before: publicGroup(before), after: null });
    });
    return c.body(null, 204);
  });

  return app;
}

function checkCodeNameFree(registry: Registry, code: string, selfId: number | undefined): void {
  const holder = registry.groups.byCodeName(code);
  if (holder && holder.id !== selfId) throw conflict('A Jump Group with this code name already exists.', { field: 'code_name' });
}
