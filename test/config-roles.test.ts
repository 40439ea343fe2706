import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_ROLE_ROWS, BUILTIN_ROLES, PERMISSIONS } from '../src/registry/index.ts';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';
import { addMember, audit, CFG, createGroup, createTech, createUser, expectRefused, type Created } from './helpers/config.ts';

const ROLES = `${CFG}/jump-item-role`;

describe('Jump Item roles: /api/config/v1/jump-item-role', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  let tech: ApiClient;
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
    tech = (await createTech(t, admin, 'tech')).client;
  });
  after(() => t.stop());

  async function createRole(body: Record<string, unknown>): Promise<Created> {
    const res = await admin.post(ROLES, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }

  it('lists the built-in roles with their permission booleans to any caller, paginated', async () => {
    const res = await tech.get(ROLES);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.slice(0, 3), BUILTIN_ROLE_ROWS);
    assert.equal(res.headers.get('x-pagination-total'), String(t.appliance.registry.roles.count()));
    const page = await tech.get(`${ROLES}?per_page=1&current_page=2`);
    assert.deepEqual(page.body, [BUILTIN_ROLE_ROWS[1]]);
    assert.equal((await tech.get(`${ROLES}?builtin=true&name=audit`)).body[0].id, BUILTIN_ROLES.auditor);
    const one = await tech.get(`${ROLES}/${BUILTIN_ROLES.startSessionsOnly}`);
    assert.equal(one.body.perm_start, true);
    assert.equal(one.body.perm_remove, false);
    assert.equal((await tech.get(`${ROLES}/424242`)).status, 404);
    assert.equal((await t.anonymous().get(ROLES)).status, 401);
  });

  it('creates, changes and deletes a custom role', async () => {
    const role = await createRole({ name: 'Taggers', description: 'tags only', perm_start: true, perm_edit_tag: true });
    assert.equal(role.builtin, false);
    assert.deepEqual(PERMISSIONS.filter((p) => role[p]), ['perm_start', 'perm_edit_tag']);
    const changed = await admin.patch(`${ROLES}/${role.id}`, { perm_edit_tag: false, perm_edit_comments: true, name: 'Commenters' });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.name, 'Commenters');
    assert.deepEqual(PERMISSIONS.filter((p) => changed.body[p]), ['perm_start', 'perm_edit_comments']);
    assert.equal(t.appliance.registry.roles.get(role.id)!.perm_edit_comments, true);
    assert.equal((await admin.del(`${ROLES}/${role.id}`)).status, 204);
    assert.equal((await admin.get(`${ROLES}/${role.id}`)).status, 404);
    assert.equal((await admin.del(`${ROLES}/${role.id}`)).status, 404);
  });

  it('refuses a duplicate role name with 409', async () => {
    const res = await admin.post(ROLES, { name: 'auditor' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.field, 'name');
  });

  it('never changes or deletes a built-in role', async () => {
    for (const id of Object.values(BUILTIN_ROLES)) {
      const patched = await admin.patch(`${ROLES}/${id}`, { perm_remove: true });
      assert.equal(patched.status, 409);
      assert.equal(patched.body.error.code, 'conflict');
      assert.equal((await admin.del(`${ROLES}/${id}`)).status, 409);
    }
    assert.deepEqual(t.appliance.registry.roles.list().slice(0, 3), BUILTIN_ROLE_ROWS);
  });

  it('refuses to delete a role in use by a membership or as a personal role', async () => {
    const shared = await createRole({ name: 'In a group', perm_start: true });
    const personal = await createRole({ name: 'Personal', perm_start: true });
    const group = await createGroup(admin, { name: 'Uses a role' });
    const user = await createUser(admin, { username: 'holder', personal_jump_item_role_id: personal.id });
    await addMember(admin, group.id, user.id, Number(shared.id));
    const inGroup = await admin.del(`${ROLES}/${shared.id}`);
    assert.equal(inGroup.status, 409);
    assert.equal(inGroup.body.error.memberships, 1);
    const asPersonal = await admin.del(`${ROLES}/${personal.id}`);
    assert.equal(asPersonal.status, 409);
    assert.equal(asPersonal.body.error.users, 1);
    assert.ok(t.appliance.registry.roles.get(shared.id) && t.appliance.registry.roles.get(personal.id));
    await admin.del(`${CFG}/jump-group/${group.id}/user/${user.id}`);
    await admin.patch(`${CFG}/user/${user.id}`, { personal_jump_item_role_id: BUILTIN_ROLES.auditor });
    assert.equal((await admin.del(`${ROLES}/${shared.id}`)).status, 204);
    assert.equal((await admin.del(`${ROLES}/${personal.id}`)).status, 204);
  });

  it('refuses bad bodies, queries and ids naming the field, and changes nothing', async () => {
    const role = await createRole({ name: 'Steady' });
    const p = `${ROLES}/${role.id}`;
    await expectRefused(t, admin, `${ROLES}?per_page=1000`, [
      { method: 'POST', path: ROLES, body: {}, field: 'name' },
      { method: 'POST', path: ROLES, body: { name: '' }, field: 'name' },
      { method: 'POST', path: ROLES, body: { name: 'r'.repeat(129) }, field: 'name' },
      { method: 'POST', path: ROLES, body: { name: 'ok', description: 'd'.repeat(1025) }, field: 'description' },
      { method: 'POST', path: ROLES, body: { name: 'ok', perm_start: 'yes' }, field: 'perm_start' },
      { method: 'POST', path: ROLES, body: { name: 'ok', perm_view_reports: 1 }, field: 'perm_view_reports' },
      { method: 'POST', path: ROLES, body: { name: 'ok', builtin: true }, field: 'builtin' },
      { method: 'POST', path: ROLES, body: { name: 'ok', perm_fly: true }, field: 'perm_fly' },
      { method: 'PATCH', path: p, body: { perm_move: null }, field: 'perm_move' },
      { method: 'PATCH', path: p, body: { id: 1 }, field: 'id' },
      { method: 'PATCH', path: `${ROLES}/one`, body: { name: 'x' }, field: 'id' },
      { method: 'DELETE', path: `${ROLES}/0`, field: 'id' },
      { method: 'GET', path: `${ROLES}/9999999999999999999`, field: 'id' },
      { method: 'GET', path: `${ROLES}?builtin=yes`, field: 'builtin' },
      { method: 'GET', path: `${ROLES}?sort=name`, field: 'sort' },
    ]);
  });

  it('lets only admins change roles', async () => {
    const role = await createRole({ name: 'Guarded' });
    assert.equal((await tech.post(ROLES, { name: 'Mine' })).status, 403);
    assert.equal((await tech.patch(`${ROLES}/${role.id}`, { perm_start: true })).status, 403);
    assert.equal((await tech.del(`${ROLES}/${role.id}`)).status, 403);
    assert.equal((await tech.get(`${ROLES}/${role.id}`)).status, 200);
    assert.equal(t.appliance.registry.roles.get(role.id)!.perm_start, false);
  });

  it('audits custom roles with before/after', async () => {
    const role = await createRole({ name: 'Audited role' });
    await admin.patch(`${ROLES}/${role.id}`, { perm_move: true });
    await admin.del(`${ROLES}/${role.id}`);
    const events = audit(t, { item_type: 'jump_item_role', item_id: String(role.id) });
    assert.deepEqual(events.map((e) => e.event_type), ['deleted', 'changed', 'created']);
    const [deleted, changed, created] = events as [any, any, any];
    assert.equal(created.after.name, 'Audited role');
    assert.equal(changed.before.perm_move, false);
    assert.equal(changed.after.perm_move, true);
    assert.equal(deleted.before.perm_move, true);
    assert.equal(deleted.after, null);
  });
});
