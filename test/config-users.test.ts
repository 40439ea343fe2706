import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_ROLES } from '../src/registry/index.ts';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';
import { putClient } from './helpers/fixtures.ts';
import {
  addMember,
  apiAccountClient,
  audit,
  CFG,
  createApiAccount,
  createGroup,
  createTech,
  createUser,
  expectRefused,
  TECH_PASSWORD,
} from './helpers/config.ts';

describe('users: /api/config/v1/user', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  let adminId: number;
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
    adminId = t.appliance.registry.users.byUsername('admin')!.id;
  });
  after(() => t.stop());

  it('creates a user, shows public fields only, and the user can log in', async () => {
    const res = await admin.post(`${CFG}/user`, {
      username: 'alice',
      password: 'alice-password',
      display_name: 'Alice A.',
      email: 'alice@example.com',
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.username, 'alice');
    assert.equal(res.body.display_name, 'Alice A.');
    assert.equal(res.body.email, 'alice@example.com');
    assert.equal(res.body.is_admin, false);
    assert.equal(res.body.enabled, true);
    assert.equal(res.body.personal_jump_item_role_id, BUILTIN_ROLES.administrator);
    assert.equal('password' in res.body || 'password_hash' in res.body, false);
    const alice = await t.login('alice', 'alice-password');
    assert.equal((await alice.get(`${CFG}/user/${res.body.id}`)).body.username, 'alice');
  });

  it('defaults display_name to the username', async () => {
    const user = await createUser(admin, { username: 'bare' });
    assert.equal(user.display_name, 'bare');
  });

  it('lists users with pagination headers and filters', async () => {
    await createUser(admin, { username: 'filter.one', is_admin: true });
    await createUser(admin, { username: 'FILTER.two', enabled: false });
    const all = await admin.get(`${CFG}/user?username=filter`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.map((u: { username: string }) => u.username).sort(), ['FILTER.two', 'filter.one']);
    const admins = await admin.get(`${CFG}/user?username=filter&is_admin=true`);
    assert.deepEqual(admins.body.map((u: { username: string }) => u.username), ['filter.one']);
    const disabled = await admin.get(`${CFG}/user?username=filter&enabled=false`);
    assert.deepEqual(disabled.body.map((u: { username: string }) => u.username), ['FILTER.two']);
    const page = await admin.get(`${CFG}/user?per_page=1&current_page=2`);
    assert.equal(page.body.length, 1);
    assert.equal(page.headers.get('x-pagination-per-page'), '1');
    assert.equal(page.headers.get('x-pagination-current-page'), '2');
    const total = Number(page.headers.get('x-pagination-total'));
    assert.equal(total, t.appliance.registry.users.count());
    assert.equal(page.headers.get('x-pagination-last-page'), String(total));
  });

  it('changes a user and answers 404 for an unknown id', async () => {
    const user = await createUser(admin, { username: 'changer' });
    const res = await admin.patch(`${CFG}/user/${user.id}`, { display_name: 'Changed', email: 'c@example.com', username: 'changer2' });
    assert.equal(res.status, 200);
    assert.equal(res.body.display_name, 'Changed');
    assert.equal(res.body.username, 'changer2');
    assert.equal(t.appliance.registry.users.byUsername('changer'), undefined);
    assert.equal((await admin.get(`${CFG}/user/999999`)).status, 404);
    assert.equal((await admin.patch(`${CFG}/user/999999`, { display_name: 'x' })).body.error.code, 'not_found');
    assert.equal((await admin.del(`${CFG}/user/999999`)).status, 404);
  });

  it('deletes a user and their memberships', async () => {
    const { user } = await createTech(t, admin, 'leaver');
    const group = await createGroup(admin, { name: 'Leaver group' });
    await addMember(admin, group.id, user.id, BUILTIN_ROLES.startSessionsOnly);
    const res = await admin.del(`${CFG}/user/${user.id}`);
    assert.equal(res.status, 204);
    assert.equal((await admin.get(`${CFG}/user/${user.id}`)).status, 404);
    assert.deepEqual((await admin.get(`${CFG}/jump-group/${group.id}/user`)).body, []);
    assert.deepEqual(t.appliance.registry.groups.membershipsOf(user.id), []);
    const gone = audit(t, { item_type: 'membership', item_id: `${group.id}:${user.id}`, event_type: 'deleted' });
    assert.equal(gone.length, 1);
  });

  it('refuses to delete a user whose personal group still holds Jump Clients', async () => {
    const { user } = await createTech(t, admin, 'holder');
    await putClient(t.appliance.registry, { jump_group_type: 'personal', jump_group_id: user.id, name: 'mine' });
    const res = await admin.del(`${CFG}/user/${user.id}`);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.jump_client_count, 1);
    assert.equal((await admin.get(`${CFG}/user/${user.id}`)).status, 200);
  });

  it('refuses a duplicate username, ignoring case', async () => {
    await createUser(admin, { username: 'dup' });
    const res = await admin.post(`${CFG}/user`, { username: 'DUP', password: TECH_PASSWORD });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'conflict');
    const other = await createUser(admin, { username: 'dup-other' });
    const renamed = await admin.patch(`${CFG}/user/${other.id}`, { username: 'Dup' });
    assert.equal(renamed.status, 409);
    assert.equal(renamed.body.error.field, 'username');
  });

  it('keeps the username of the admin account', async () => {
    const res = await admin.patch(`${CFG}/user/${adminId}`, { username: 'root' });
    assert.equal(res.status, 409);
    assert.equal(t.appliance.registry.users.get(adminId)!.username, 'admin');
  });

  it('refuses bad bodies, queries and ids, naming the field, and changes nothing', async () => {
    const target = await createUser(admin, { username: 'target' });
    const p = `${CFG}/user/${target.id}`;
    const ok = { username: 'newbie', password: TECH_PASSWORD };
    await expectRefused(t, admin, `${CFG}/user?per_page=1000`, [
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, username: 5 }, field: 'username' },
      { method: 'POST', path: `${CFG}/user`, body: { password: TECH_PASSWORD }, field: 'username' },
      { method: 'POST', path: `${CFG}/user`, body: { username: 'newbie' }, field: 'password' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, role: 'admin' }, field: 'role' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, username: 'u'.repeat(65) }, field: 'username' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, username: 'has space' }, field: 'username' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, username: '' }, field: 'username' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, password: 'short' }, field: 'password' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, password: 'p'.repeat(1025) }, field: 'password' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, display_name: '' }, field: 'display_name' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, display_name: 'd'.repeat(129) }, field: 'display_name' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, email: 'e'.repeat(256) }, field: 'email' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, is_admin: 'yes' }, field: 'is_admin' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, personal_jump_item_role_id: 0 }, field: 'personal_jump_item_role_id' },
      { method: 'POST', path: `${CFG}/user`, body: { ...ok, personal_jump_item_role_id: 999 }, field: 'personal_jump_item_role_id' },
      { method: 'POST', path: `${CFG}/user`, body: '{not json', field: 'body' },
      { method: 'POST', path: `${CFG}/user`, body: 42, field: 'body' },
      { method: 'PATCH', path: p, body: { enabled: 'no' }, field: 'enabled' },
      { method: 'PATCH', path: p, body: { password_hash: 'x' }, field: 'password_hash' },
      { method: 'PATCH', path: p, body: { id: 7 }, field: 'id' },
      { method: 'PATCH', path: p, body: { password: 'short' }, field: 'password' },
      { method: 'PATCH', path: p, body: { display_name: 'ok', personal_jump_item_role_id: 12345 }, field: 'personal_jump_item_role_id' },
      { method: 'PATCH', path: `${CFG}/user/abc`, body: { display_name: 'x' }, field: 'id' },
      { method: 'DELETE', path: `${CFG}/user/0`, field: 'id' },
      { method: 'GET', path: `${CFG}/user/1.5`, field: 'id' },
      { method: 'GET', path: `${CFG}/user?is_admin=maybe`, field: 'is_admin' },
      { method: 'GET', path: `${CFG}/user?per_page=0`, field: 'per_page' },
      { method: 'GET', path: `${CFG}/user?per_page=1001`, field: 'per_page' },
      { method: 'GET', path: `${CFG}/user?colour=red`, field: 'colour' },
    ]);
  });

  it('lets only admins administer users; a technician reads only their own user', async () => {
    const { user: tech, client } = await createTech(t, admin, 'perm.tech');
    const other = await createUser(admin, { username: 'perm.other' });
    const reporting = await createApiAccount(admin, { name: 'reports' });
    const api = await apiAccountClient(t, reporting.client_id, reporting.client_secret);
    const adminApi = await createApiAccount(admin, { name: 'admin script', is_admin: true });
    const adminApiClient = await apiAccountClient(t, adminApi.client_id, adminApi.client_secret);
    const cases: [ApiClient, string, string, unknown, number][] = [
      [client, 'GET', `${CFG}/user`, undefined, 403],
      [client, 'GET', `${CFG}/user/${tech.id}`, undefined, 200],
      [client, 'GET', `${CFG}/user/${other.id}`, undefined, 403],
      [client, 'POST', `${CFG}/user`, { username: 'x1', password: TECH_PASSWORD }, 403],
      [client, 'PATCH', `${CFG}/user/${tech.id}`, { is_admin: true }, 403],
      [client, 'DELETE', `${CFG}/user/${other.id}`, undefined, 403],
      [api, 'GET', `${CFG}/user`, undefined, 403],
      [api, 'GET', `${CFG}/user/${other.id}`, undefined, 403],
      [api, 'POST', `${CFG}/user`, { username: 'x2', password: TECH_PASSWORD }, 403],
      [t.anonymous(), 'GET', `${CFG}/user`, undefined, 401],
      [t.anonymous(), 'GET', `${CFG}/user/${tech.id}`, undefined, 401],
      [adminApiClient, 'GET', `${CFG}/user/${other.id}`, undefined, 200],
      [adminApiClient, 'POST', `${CFG}/user`, { username: 'by.script', password: TECH_PASSWORD }, 201],
      [admin, 'GET', `${CFG}/user/${other.id}`, undefined, 200],
    ];
    for (const [who, method, path, body, status] of cases) {
      const res = await who.request(method, path, body);
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    assert.equal(t.appliance.registry.users.get(tech.id)!.is_admin, false);
    assert.equal(t.appliance.registry.users.byUsername('x1'), undefined);
    assert.equal(audit(t, { item_type: 'user', item_id: String(t.appliance.registry.users.byUsername('by.script')!.id) })[0]!.actor.name, 'api:admin script');
  });

  it('audits create, change and delete with public before/after and no password hashes', async () => {
    const user = await createUser(admin, { username: 'audited', display_name: 'Before' });
    await admin.patch(`${CFG}/user/${user.id}`, { display_name: 'After', password: 'another-password' });
    await admin.del(`${CFG}/user/${user.id}`);
    const events = audit(t, { item_type: 'user', item_id: String(user.id) });
    assert.deepEqual(events.map((e) => e.event_type), ['deleted', 'changed', 'created']);
    const [deleted, changed, created] = events as [any, any, any];
    assert.equal(created.before, null);
    assert.equal(created.after.username, 'audited');
    assert.equal(created.actor.name, 'admin');
    assert.equal(changed.before.display_name, 'Before');
    assert.equal(changed.after.display_name, 'After');
    assert.equal(changed.after.password_changed, true);
    assert.equal(deleted.before.display_name, 'After');
    assert.equal(deleted.after, null);
    const text = JSON.stringify(events);
    assert.doesNotMatch(text, /password_hash|scrypt\$|another-password/);
  });

  it('revokes tokens when a user is disabled or their password changes', async () => {
    const { user, client } = await createTech(t, admin, 'revoked');
    const own = `${CFG}/user/${user.id}`;
    assert.equal((await client.get(own)).status, 200);
    assert.equal((await admin.patch(own, { enabled: false })).status, 200);
    assert.equal((await admin.patch(own, { enabled: true })).status, 200);
    assert.equal((await client.get(own)).status, 401, 'the old token stays revoked after re-enabling');
    const again = await t.login('revoked', TECH_PASSWORD);
    assert.equal((await again.get(own)).status, 200);
    assert.equal((await admin.patch(own, { password: 'brand-new-password' })).status, 200);
    assert.equal((await again.get(own)).status, 401);
    await assert.rejects(t.login('revoked', TECH_PASSWORD));
    const fresh = await t.login('revoked', 'brand-new-password');
    assert.equal((await fresh.get(own)).status, 200);
    assert.equal((await admin.patch(own, { display_name: 'Still here' })).status, 200);
    assert.equal((await fresh.get(own)).status, 200, 'other changes keep the sessions');
  });

  it('never leaves the appliance without an enabled admin', async () => {
    for (const u of t.appliance.registry.users.list()) {
      if (u.is_admin && u.id !== adminId) assert.equal((await admin.del(`${CFG}/user/${u.id}`)).status, 204);
    }
    const self = `${CFG}/user/${adminId}`;
    for (const patch of [{ is_admin: false }, { enabled: false }]) {
      const res = await admin.patch(self, patch);
      assert.equal(res.status, 409, JSON.stringify(patch));
      assert.equal(res.body.error.code, 'conflict');
    }
    assert.equal((await admin.del(self)).status, 409);
    const second = await createUser(admin, { username: 'second.admin', is_admin: true, enabled: false });
    assert.equal((await admin.patch(self, { is_admin: false })).status, 409, 'a disabled admin does not count');
    assert.equal((await admin.patch(`${CFG}/user/${second.id}`, { enabled: true })).status, 200);
    assert.equal((await admin.patch(self, { display_name: 'Root' })).status, 200);
    const demoted = await admin.patch(`${CFG}/user/${second.id}`, { is_admin: false });
    assert.equal(demoted.status, 200, 'demoting another admin is fine while one remains');
    assert.equal((await admin.del(`${CFG}/user/${second.id}`)).status, 204);
    assert.equal((await admin.del(self)).status, 409);
    const me = t.appliance.registry.users.get(adminId)!;
    assert.equal(me.is_admin && me.enabled, true);
  });
});
