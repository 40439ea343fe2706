import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { putClient as putFixtureClient } from './helpers/fixtures.ts';
import { BUILTIN_ROLES, type JumpClient } from '../src/registry/index.ts';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';
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
  type Created,
} from './helpers/config.ts';

/** Puts a Jump Client row straight into the registry, as enrolment would. */
async function putClient(t: TestAppliance, groupId: number, name: string): Promise<number> {
  return (await putFixtureClient(t.appliance.registry, { name, hostname: name, jump_group_id: groupId, jump_group_type: 'shared' })).id;
}

describe('shared Jump Groups: /api/config/v1/jump-group', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
  });
  after(() => t.stop());

  it('creates, lists, shows, changes and deletes a group', async () => {
    const res = await admin.post(`${CFG}/jump-group`, { name: 'Servers', code_name: 'servers', comments: 'racks' });
    assert.equal(res.status, 201);
    assert.deepEqual([res.body.name, res.body.code_name, res.body.comments], ['Servers', 'servers', 'racks']);
    const id = res.body.id;
    const list = await admin.get(`${CFG}/jump-group?name=SERV`);
    assert.deepEqual(list.body.map((g: Created) => g.id), [id]);
    assert.equal(list.headers.get('x-pagination-total'), '1');
    assert.equal((await admin.get(`${CFG}/jump-group/${id}`)).body.code_name, 'servers');
    const changed = await admin.patch(`${CFG}/jump-group/${id}`, { name: 'All servers', code_name: 'all_servers', comments: '' });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.name, changed.body.code_name, changed.body.comments], ['All servers', 'all_servers', '']);
    assert.equal(t.appliance.registry.groups.byCodeName('servers'), undefined);
    assert.equal((await admin.del(`${CFG}/jump-group/${id}`)).status, 204);
    assert.equal((await admin.get(`${CFG}/jump-group/${id}`)).status, 404);
    assert.equal((await admin.del(`${CFG}/jump-group/${id}`)).status, 404);
    assert.equal((await admin.patch(`${CFG}/jump-group/${id}`, { name: 'x' })).status, 404);
  });

  it('derives a unique code name from the name', async () => {
    const a = await createGroup(admin, { name: 'Sala Macchine Ñ 2' });
    assert.equal(a.code_name, 'sala-macchine-n-2');
    const b = await createGroup(admin, { name: 'sala macchine n 2' });
    assert.equal(b.code_name, 'sala-macchine-n-2-2');
    const c = await createGroup(admin, { name: '***' });
    assert.match(String(c.code_name), /^[a-z0-9_-]{1,64}$/);
    const long = await createGroup(admin, { name: 'x'.repeat(255) });
    assert.equal(String(long.code_name).length, 64);
  });

  it('refuses a duplicate code name with 409', async () => {
    await createGroup(admin, { name: 'One', code_name: 'taken' });
    const res = await admin.post(`${CFG}/jump-group`, { name: 'Two', code_name: 'taken' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.field, 'code_name');
    const other = await createGroup(admin, { name: 'Three' });
    assert.equal((await admin.patch(`${CFG}/jump-group/${other.id}`, { code_name: 'taken' })).status, 409);
  });

  it('refuses bad bodies, queries and ids, naming the field, and changes nothing', async () => {
    const group = await createGroup(admin, { name: 'Stable', code_name: 'stable' });
    const p = `${CFG}/jump-group/${group.id}`;
    await expectRefused(t, admin, `${CFG}/jump-group?per_page=1000`, [
      { method: 'POST', path: `${CFG}/jump-group`, body: {}, field: 'name' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: 7 }, field: 'name' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: '' }, field: 'name' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: 'n'.repeat(256) }, field: 'name' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: 'ok', code_name: 'Has Caps' }, field: 'code_name' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: 'ok', code_name: 'c'.repeat(65) }, field: 'code_name' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: 'ok', code_name: '' }, field: 'code_name' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: 'ok', comments: 'c'.repeat(1025) }, field: 'comments' },
      { method: 'POST', path: `${CFG}/jump-group`, body: { name: 'ok', owner: 'me' }, field: 'owner' },
      { method: 'PATCH', path: p, body: { comments: null }, field: 'comments' },
      { method: 'PATCH', path: p, body: { id: 4 }, field: 'id' },
      { method: 'PATCH', path: p, body: { name: 'fine', code_name: 'bad/code' }, field: 'code_name' },
      { method: 'PATCH', path: `${CFG}/jump-group/x`, body: { name: 'x' }, field: 'id' },
      { method: 'DELETE', path: `${CFG}/jump-group/-1`, field: 'id' },
      { method: 'GET', path: `${CFG}/jump-group?per_page=abc`, field: 'per_page' },
      { method: 'GET', path: `${CFG}/jump-group?current_page=0`, field: 'current_page' },
      { method: 'GET', path: `${CFG}/jump-group?bogus=1`, field: 'bogus' },
    ]);
    assert.deepEqual((await admin.get(p)).body.name, 'Stable');
  });

  it('refuses to delete a group that still holds Jump Clients, naming the count', async () => {
    const group = await createGroup(admin, { name: 'Busy' });
    await putClient(t, group.id, 'web-1');
    await putClient(t, group.id, 'web-2');
    const res = await admin.del(`${CFG}/jump-group/${group.id}`);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'conflict');
    assert.equal(res.body.error.jump_client_count, 2);
    assert.match(res.body.error.message, /2 Jump Client/);
    assert.equal((await admin.get(`${CFG}/jump-group/${group.id}`)).status, 200);
  });

  it('refuses to delete a group that installers still deploy into', async () => {
    const group = await createGroup(admin, { name: 'Deployed' });
    const inst = await admin.post('/api/config/v1/jump-client/installer', { jump_group_id: group.id, jump_group_type: 'shared' });
    assert.equal(inst.status, 201, JSON.stringify(inst.body));
    const res = await admin.del(`${CFG}/jump-group/${group.id}`);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.installer_count, 1);
    assert.equal((await admin.del(`/api/config/v1/jump-client/installer/${inst.body.installer_id}`)).status, 204);
    assert.equal((await admin.del(`${CFG}/jump-group/${group.id}`)).status, 204);
  });

  it('audits groups with public before/after', async () => {
    const group = await createGroup(admin, { name: 'Audited', comments: 'old' });
    await admin.patch(`${CFG}/jump-group/${group.id}`, { comments: 'new' });
    await admin.del(`${CFG}/jump-group/${group.id}`);
    const events = audit(t, { item_type: 'jump_group', item_id: String(group.id) });
    assert.deepEqual(events.map((e) => e.event_type), ['deleted', 'changed', 'created']);
    const [deleted, changed, created] = events as [any, any, any];
    assert.equal(created.after.name, 'Audited');
    assert.equal(changed.before.comments, 'old');
    assert.equal(changed.after.comments, 'new');
    assert.equal(deleted.before.comments, 'new');
    assert.equal(deleted.after, null);
    assert.equal(created.actor.name, 'admin');
  });
});

describe('Jump Group members: /api/config/v1/jump-group/{id}/user', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  let group: Created;
  let outsiderGroup: Created;
  let member: { user: Created; client: ApiClient };
  let auditor: { user: Created; client: ApiClient };
  let outsider: { user: Created; client: ApiClient };
  let spare: Created;
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
    group = await createGroup(admin, { name: 'Team' });
    outsiderGroup = await createGroup(admin, { name: 'Elsewhere' });
    member = await createTech(t, admin, 'member');
    auditor = await createTech(t, admin, 'auditor');
    outsider = await createTech(t, admin, 'outsider');
    spare = await createUser(admin, { username: 'spare' });
    await addMember(admin, group.id, member.user.id, BUILTIN_ROLES.startSessionsOnly);
    await addMember(admin, group.id, auditor.user.id, BUILTIN_ROLES.auditor);
    await addMember(admin, outsiderGroup.id, outsider.user.id, BUILTIN_ROLES.administrator);
  });
  after(() => t.stop());

  it('adds, lists, changes and removes members', async () => {
    const base = `${CFG}/jump-group/${group.id}/user`;
    const add = await admin.post(base, { user_id: spare.id, jump_item_role_id: BUILTIN_ROLES.auditor });
    assert.equal(add.status, 201);
    assert.deepEqual(add.body, { jump_group_id: group.id, user_id: spare.id, jump_item_role_id: BUILTIN_ROLES.auditor });
    const list = await admin.get(base);
    assert.deepEqual(list.body.map((m: { user_id: number }) => m.user_id).sort(), [member.user.id, auditor.user.id, spare.id].sort());
    assert.equal(list.headers.get('x-pagination-total'), '3');
    const changed = await admin.patch(`${base}/${spare.id}`, { jump_item_role_id: BUILTIN_ROLES.administrator });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.jump_item_role_id, BUILTIN_ROLES.administrator);
    assert.equal(t.appliance.registry.groups.membership(group.id, spare.id)!.jump_item_role_id, BUILTIN_ROLES.administrator);
    assert.equal((await admin.get(`${base}/${spare.id}`)).body.jump_item_role_id, BUILTIN_ROLES.administrator);
    assert.equal((await admin.del(`${base}/${spare.id}`)).status, 204);
    assert.equal((await admin.del(`${base}/${spare.id}`)).status, 404);
    assert.equal((await admin.patch(`${base}/${spare.id}`, { jump_item_role_id: 1 })).status, 404);
    assert.equal((await admin.post(`${CFG}/jump-group/99999/user`, { user_id: spare.id, jump_item_role_id: 1 })).status, 404);
  });

  it('refuses an existing member with 409', async () => {
    const res = await admin.post(`${CFG}/jump-group/${group.id}/user`, { user_id: member.user.id, jump_item_role_id: 1 });
    assert.equal(res.status, 409);
    assert.equal(t.appliance.registry.groups.membership(group.id, member.user.id)!.jump_item_role_id, BUILTIN_ROLES.startSessionsOnly);
  });

  it('refuses bad member bodies naming the field, and changes nothing', async () => {
    const base = `${CFG}/jump-group/${group.id}/user`;
    await expectRefused(t, admin, base, [
      { method: 'POST', path: base, body: { user_id: 99999, jump_item_role_id: 1 }, field: 'user_id' },
      { method: 'POST', path: base, body: { user_id: spare.id, jump_item_role_id: 99999 }, field: 'jump_item_role_id' },
      { method: 'POST', path: base, body: { user_id: spare.id }, field: 'jump_item_role_id' },
      { method: 'POST', path: base, body: { user_id: '2', jump_item_role_id: 1 }, field: 'user_id' },
      { method: 'POST', path: base, body: { user_id: 1.5, jump_item_role_id: 1 }, field: 'user_id' },
      { method: 'POST', path: base, body: { user_id: spare.id, jump_item_role_id: 1, admin: true }, field: 'admin' },
      { method: 'PATCH', path: `${base}/${member.user.id}`, body: { jump_item_role_id: 99999 }, field: 'jump_item_role_id' },
      { method: 'PATCH', path: `${base}/${member.user.id}`, body: {}, field: 'jump_item_role_id' },
      { method: 'PATCH', path: `${base}/${member.user.id}`, body: { user_id: 3, jump_item_role_id: 1 }, field: 'user_id' },
      { method: 'PATCH', path: `${base}/abc`, body: { jump_item_role_id: 1 }, field: 'user_id' },
      { method: 'DELETE', path: `${CFG}/jump-group/abc/user/${member.user.id}`, field: 'id' },
      { method: 'GET', path: `${base}?per_page=5000`, field: 'per_page' },
    ]);
  });

  it('answers each route by who asks', async () => {
    const g = `${CFG}/jump-group/${group.id}`;
    const m = `${g}/user/${member.user.id}`;
    const newGroup = { name: 'By someone' };
    const cases: [string, ApiClient, string, string, unknown, number][] = [];
    const row = (who: string, c: ApiClient, statuses: number[]) => {
      const routes: [string, string, unknown][] = [
        ['GET', g, undefined],
        ['GET', `${g}/user`, undefined],
        ['GET', m, undefined],
        ['PATCH', g, { comments: `by ${who}` }],
        ['POST', `${CFG}/jump-group`, newGroup],
        ['POST', `${g}/user`, { user_id: spare.id, jump_item_role_id: 2 }],
        ['PATCH', m, { jump_item_role_id: 2 }],
      ];
      routes.forEach(([method, path, body], i) => cases.push([who, c, method, path, body, statuses[i]!]));
    };
    row('member', member.client, [200, 200, 200, 403, 403, 403, 403]);
    row('auditor', auditor.client, [200, 200, 200, 403, 403, 403, 403]);
    row('outsider', outsider.client, [404, 404, 404, 403, 403, 403, 403]);
    row('admin', admin, [200, 200, 200, 200, 201, 201, 200]);
    for (const [who, c, method, path, body, status] of cases) {
      const res = await c.request(method, path, body);
      assert.equal(res.status, status, `${who} ${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    for (const c of [member.client, auditor.client, outsider.client]) {
      assert.equal((await c.del(`${g}/user/${spare.id}`)).status, 403);
      assert.equal((await c.del(`${CFG}/jump-group/${outsiderGroup.id}`)).status, 403);
    }
    assert.equal((await admin.del(`${g}/user/${spare.id}`)).status, 204);
    assert.equal(t.appliance.registry.groups.get(outsiderGroup.id)!.name, 'Elsewhere');
  });

  it('hides groups a technician is not in: lists and unknown ids look the same', async () => {
    const names = async (c: ApiClient) => (await c.get(`${CFG}/jump-group`)).body.map((x: Created) => x.name);
    assert.deepEqual(await names(member.client), ['Team']);
    assert.deepEqual(await names(outsider.client), ['Elsewhere']);
    assert.ok((await names(admin)).length >= 3);
    const hidden = await member.client.get(`${CFG}/jump-group/${outsiderGroup.id}`);
    const missing = await member.client.get(`${CFG}/jump-group/99999`);
    assert.deepEqual([hidden.status, hidden.body], [missing.status, missing.body]);
    assert.equal(hidden.body.error.code, 'not_found');
  });

  it('lets a reporting API account read groups but not change them', async () => {
    const account = await createApiAccount(admin, { name: 'reports' });
    const api = await apiAccountClient(t, account.client_id, account.client_secret);
    assert.equal((await api.get(`${CFG}/jump-group/${group.id}`)).status, 200);
    assert.equal((await api.post(`${CFG}/jump-group`, { name: 'nope' })).status, 403);
    assert.equal((await api.patch(`${CFG}/jump-group/${group.id}`, { name: 'nope' })).status, 403);
  });

  it('audits memberships and removes them with their group', async () => {
    const temp = await createGroup(admin, { name: 'Temporary' });
    await addMember(admin, temp.id, spare.id, BUILTIN_ROLES.auditor);
    await admin.patch(`${CFG}/jump-group/${temp.id}/user/${spare.id}`, { jump_item_role_id: BUILTIN_ROLES.startSessionsOnly });
    assert.equal((await admin.del(`${CFG}/jump-group/${temp.id}`)).status, 204);
    assert.equal(t.appliance.registry.groups.membership(temp.id, spare.id), undefined);
    const events = audit(t, { item_type: 'membership', item_id: `${temp.id}:${spare.id}` });
    assert.deepEqual(events.map((e) => e.event_type), ['deleted', 'changed', 'created']);
    const [deleted, changed, created] = events as [any, any, any];
    assert.deepEqual(created.after, { jump_group_id: temp.id, user_id: spare.id, jump_item_role_id: BUILTIN_ROLES.auditor });
    assert.equal(changed.before.jump_item_role_id, BUILTIN_ROLES.auditor);
    assert.equal(changed.after.jump_item_role_id, BUILTIN_ROLES.startSessionsOnly);
    assert.equal(deleted.before.jump_item_role_id, BUILTIN_ROLES.startSessionsOnly);
    assert.equal(deleted.after, null);
  });
});
