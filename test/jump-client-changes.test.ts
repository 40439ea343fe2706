/** `PATCH`, `DELETE` and `POST .../copy` on Jump Clients: validation, permissions, caps, audit. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JumpClient, Registry } from '../src/registry/index.ts';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { putClient } from './helpers/fixtures.ts';
import { buildWorld, type World } from './helpers/world.ts';

const ITEM = (id: number) => `/api/config/v1/jump-client/${id}`;

describe('changing Jump Clients', () => {
  let t: TestAppliance;
  let w: World;
  let registry: Registry;

  before(async () => {
    t = await startTestAppliance();
    w = await buildWorld(t);
    registry = t.appliance.registry;
  });
  after(() => t.stop());

  const inG1 = (extra: Partial<JumpClient> = {}) => putClient(registry, { jump_group_id: w.g1.id, ...extra });
  const auditOf = (id: number) => registry.audit.query({ item_type: 'jump_client', item_id: String(id) });
  const setSettings = (patch: Partial<ReturnType<Registry['settings']['get']>>) =>
    registry.write(() => registry.settings.put({ ...registry.settings.get(), ...patch }));

  /** Sends `body` and asserts a 400 naming `field`, with the registry untouched. */
  async function refused(method: 'PATCH' | 'POST', path: string, body: unknown, field: string) {
    const rows = registry.clients.list();
    const events = registry.audit.query({}).length;
    const res = await w.as.admin.request(method, path, typeof body === 'string' ? body : JSON.stringify(body), {
      'content-type': 'application/json',
    });
    assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'invalid_request');
    assert.equal(res.body.error.field, field, JSON.stringify(body));
    assert.deepEqual(registry.clients.list(), rows, 'registry unchanged');
    assert.equal(registry.audit.query({}).length, events, 'nothing audited');
  }

  describe('PATCH', () => {
    it('changes the fields and audits before/after', async () => {
      const jc = await inG1({ name: 'old', connection_type: 'active' });
      const body = { name: 'new name', tag: 'linux', comments: 'rack 4\nshelf 2', connection_type: 'passive', max_offline_minutes: 1440 };
      const res = await w.as.techadm.patch(ITEM(jc.id), body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual({ ...res.body, updated_at: undefined }, { ...res.body, ...body, updated_at: undefined });
      assert.equal(res.body.secret_hash, undefined);
      assert.deepEqual({ ...registry.clients.get(jc.id), updated_at: 0 }, { ...jc, ...body, updated_at: 0 });
      const [event] = auditOf(jc.id);
      assert.equal(event.event_type, 'changed');
      assert.equal(event.actor.name, 'techadm');
      assert.equal(event.actor.kind, 'user');
      const beforeRow = event.before as Record<string, unknown>;
      const afterRow = event.after as Record<string, unknown>;
      assert.equal(beforeRow.name, 'old');
      assert.equal(afterRow.name, 'new name');
      assert.equal(afterRow.max_offline_minutes, 1440);
      assert.equal(afterRow.secret_hash, undefined, 'no secrets in the audit log');
      assert.equal(afterRow.install_fingerprint, undefined);
      assert.equal(typeof afterRow.created_at, 'string', 'times as ISO text');

      const cleared = await w.as.techadm.patch(ITEM(jc.id), { tag: '', max_offline_minutes: null });
      assert.equal(cleared.status, 200);
      assert.equal(registry.clients.get(jc.id)?.tag, '');
      assert.equal(registry.clients.get(jc.id)?.max_offline_minutes, null);
    });

    it('refuses bad bodies with a 400 naming the field and changes nothing', async () => {
      const jc = await inG1();
      const path = ITEM(jc.id);
      await refused('PATCH', path, { name: '' }, 'name');
      await refused('PATCH', path, { name: 'n'.repeat(129) }, 'name');
      await refused('PATCH', path, { name: 'bad\u0007name' }, 'name');
      await refused('PATCH', path, { name: 5 }, 'name');
      await refused('PATCH', path, { tag: 't'.repeat(65) }, 'tag');
      await refused('PATCH', path, { comments: 'c'.repeat(1025) }, 'comments');
      await refused('PATCH', path, { connection_type: 'sometimes' }, 'connection_type');
      await refused('PATCH', path, { max_offline_minutes: 0 }, 'max_offline_minutes');
      await refused('PATCH', path, { max_offline_minutes: 525_601 }, 'max_offline_minutes');
      await refused('PATCH', path, { max_offline_minutes: 1.5 }, 'max_offline_minutes');
      await refused('PATCH', path, { max_offline_minutes: '60' }, 'max_offline_minutes');
      await refused('PATCH', path, { jump_group_id: w.g2.id }, 'jump_group_type');
      await refused('PATCH', path, { jump_group_type: 'shared' }, 'jump_group_id');
      await refused('PATCH', path, { jump_group_id: 9999, jump_group_type: 'shared' }, 'jump_group_id');
      await refused('PATCH', path, { jump_group_id: 9999, jump_group_type: 'personal' }, 'jump_group_id');
      await refused('PATCH', path, { jump_group_id: w.g2.id, jump_group_type: 'team' }, 'jump_group_type');
      await refused('PATCH', path, { hostname: 'spoofed' }, 'hostname');
      await refused('PATCH', path, { name: 'ok', secret_hash: 'x' }, 'secret_hash');
      await refused('PATCH', path, '{"name":', 'body');
    });

    it('checks each field against its permission', async () => {
      const jc = await inG1({ name: 'perm', tag: 'a', comments: 'c', connection_type: 'active' });
      const cases: [keyof World['as'], Record<string, unknown>, number, string?][] = [
        ['techstart', { name: 'x' }, 403, 'name'],
        ['techstart', { tag: 'x' }, 403, 'tag'],
        ['techstart', { comments: 'x' }, 403, 'comments'],
        ['techstart', { connection_type: 'passive' }, 403, 'connection_type'],
        ['techstart', { max_offline_minutes: 5 }, 403, 'max_offline_minutes'],
        ['techaud', { name: 'x' }, 403, 'name'],
        ['techaud', { tag: 'x' }, 403, 'tag'],
        ['techout', { name: 'x' }, 404],
        ['owner', { name: 'x' }, 404],
        ['techstart', { name: 'perm', tag: 'a' }, 200],
      ];
      for (const [who, body, status, field] of cases) {
        const res = await w.as[who].patch(ITEM(jc.id), body);
        assert.equal(res.status, status, `${who} ${JSON.stringify(body)}`);
        if (status === 403) {
          assert.equal(res.body.error.code, 'forbidden');
          assert.equal(res.body.error.field, field);
        }
        if (status === 404) assert.equal(res.body.error.code, 'jump_client_not_found');
      }
      assert.deepEqual(registry.clients.get(jc.id), jc, 'nothing changed: an unchanged value needs no permission');
      assert.equal(auditOf(jc.id).length, 0);

      const mine = await putClient(registry, { jump_group_type: 'personal', jump_group_id: w.users.owner.id });
      assert.equal((await w.as.owner.patch(ITEM(mine.id), { name: 'my box', tag: 't', comments: 'c' })).status, 200);
      assert.equal((await w.as.admin.patch(ITEM(mine.id), { comments: 'seen by admin' })).status, 200);
    });

    it('moves with perm_move on the source and the destination, audited as moved', async () => {
      const jc = await inG1({ name: 'mobile' });
      const toG2 = { jump_group_id: w.g2.id, jump_group_type: 'shared' };
      assert.equal((await w.as.techadm.patch(ITEM(jc.id), toG2)).status, 403, 'no role in the destination');
      assert.equal((await w.as.techstart.patch(ITEM(jc.id), toG2)).status, 403, 'no perm_move on the source');
      const toG3 = await w.as.mover.patch(ITEM(jc.id), { jump_group_id: w.g3.id, jump_group_type: 'shared' });
      assert.equal(toG3.status, 403, 'Start Sessions Only in the destination');
      assert.equal(toG3.body.error.field, 'jump_group_id');
      assert.equal(registry.clients.get(jc.id)?.jump_group_id, w.g1.id);

      const moved = await w.as.mover.patch(ITEM(jc.id), { ...toG2, tag: 'moved' });
      assert.equal(moved.status, 200);
      assert.equal(moved.body.jump_group_id, w.g2.id);
      const [event] = auditOf(jc.id);
      assert.equal(event.event_type, 'moved');
      assert.deepEqual(
        [(event.before as JumpClient).jump_group_id, (event.after as JumpClient).jump_group_id, (event.after as JumpClient).tag],
        [w.g1.id, w.g2.id, 'moved'],
      );
      assert.equal((await w.as.techadm.get(ITEM(jc.id))).status, 404, 'gone from the old group');
      assert.equal((await w.as.techout.get(ITEM(jc.id))).status, 200, 'seen in the new one');

      const toOwner = await w.as.admin.patch(ITEM(jc.id), { jump_group_id: w.users.owner.id, jump_group_type: 'personal' });
      assert.equal(toOwner.status, 200);
      assert.equal((await w.as.owner.get(ITEM(jc.id))).status, 200);
      const same = await w.as.owner.patch(ITEM(jc.id), { jump_group_id: w.users.owner.id, jump_group_type: 'personal' });
      assert.equal(same.status, 200, 'naming the current group is not a move');
      assert.equal(auditOf(jc.id).length, 2);
    });

    it('refuses passive → active at the active cap with active_limit_reached', async () => {
      const jc = await inG1({ connection_type: 'passive' });
      await putClient(registry, { connection_type: 'active', status: 'uninstalled' });
      const active = registry.clients.list().filter((r) => r.connection_type === 'active' && r.status !== 'uninstalled').length;
      await setSettings({ max_active_jump_clients: active });
      const res = await w.as.techadm.patch(ITEM(jc.id), { connection_type: 'active', comments: 'try' });
      assert.equal(res.status, 409);
      assert.deepEqual(res.body, {
        error: { code: 'active_limit_reached', message: 'The number of active Jump Clients has been reached.' },
      });
      assert.deepEqual(registry.clients.get(jc.id), jc, 'nothing changed');
      assert.equal(auditOf(jc.id).length, 0);
      const otherEdit = await w.as.techadm.patch(ITEM(jc.id), { comments: 'still passive' });
      assert.equal(otherEdit.status, 200, 'other edits are not capped');

      await setSettings({ max_active_jump_clients: active + 1 });
      const ok = await w.as.techadm.patch(ITEM(jc.id), { connection_type: 'active' });
      assert.equal(ok.status, 200, 'uninstalled clients do not count');
      assert.equal(registry.clients.get(jc.id)?.connection_type, 'active');
      await setSettings({ max_active_jump_clients: 19_000 });
    });
  });

  describe('DELETE', () => {
    it('follows the permission table and audits the removal', async () => {
      const jc = await inG1({ name: 'doomed' });
      for (const [who, status] of [['techstart', 403], ['techaud', 403], ['techout', 404], ['owner', 404]] as const) {
        const res = await w.as[who].del(ITEM(jc.id));
        assert.equal(res.status, status, who);
      }
      assert.ok(registry.clients.get(jc.id), 'still there');
      const res = await w.as.techadm.del(ITEM(jc.id));
      assert.equal(res.status, 204);
      assert.equal(registry.clients.get(jc.id), undefined);
      assert.equal((await w.as.techadm.get(ITEM(jc.id))).status, 404);
      assert.equal((await w.as.techadm.del(ITEM(jc.id))).status, 404, 'a second delete finds nothing');
      const [event] = auditOf(jc.id);
      assert.equal(event.event_type, 'deleted');
      assert.equal((event.before as JumpClient).name, 'doomed');
      assert.equal(event.after, null);

      const mine = await putClient(registry, { jump_group_type: 'personal', jump_group_id: w.users.owner.id });
      assert.equal((await w.as.owner.del(ITEM(mine.id))).status, 204);
      const any = await putClient(registry, { jump_group_id: w.g3.id });
      assert.equal((await w.as.admin.del(ITEM(any.id))).status, 204);
    });
  });

  describe('copy', () => {
    const COPY = (id: number) => `${ITEM(id)}/copy`;

    it('copies into another group as the same endpoint, audited as copied', async () => {
      const jc = await inG1({ name: 'original', tag: 'x', comments: 'kept', last_access_timestamp: Date.now() });
      const res = await w.as.mover.post(COPY(jc.id), { jump_group_id: w.g2.id, jump_group_type: 'shared', name: 'the copy' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.notEqual(res.body.id, jc.id);
      assert.equal(res.body.name, 'the copy');
      assert.equal(res.body.jump_group_id, w.g2.id);
      assert.equal(res.body.comments, 'kept');
      assert.equal(res.body.last_access_timestamp, null);
      assert.equal(res.body.secret_hash, undefined);
      assert.equal(res.body.install_fingerprint, undefined);
      const row = registry.clients.get(res.body.id)!;
      assert.equal(row.install_fingerprint, jc.install_fingerprint, 'same endpoint');
      assert.equal(row.secret_hash, jc.secret_hash);
      assert.deepEqual(registry.clients.get(jc.id), jc, 'the source is untouched');
      const [event] = auditOf(row.id);
      assert.equal(event.event_type, 'copied');
      assert.equal((event.before as JumpClient).id, jc.id);
      assert.equal((event.after as JumpClient).id, row.id);

      const sameName = await w.as.techadm.post(COPY(jc.id), { jump_group_id: w.g1.id, jump_group_type: 'shared' });
      assert.equal(sameName.status, 201);
      assert.equal(sameName.body.name, 'original');
    });

    it('refuses bad bodies with a 400 naming the field and changes nothing', async () => {
      const jc = await inG1();
      const path = COPY(jc.id);
      await refused('POST', path, {}, 'jump_group_id');
      await refused('POST', path, { jump_group_id: w.g2.id }, 'jump_group_type');
      await refused('POST', path, { jump_group_id: 'two', jump_group_type: 'shared' }, 'jump_group_id');
      await refused('POST', path, { jump_group_id: w.g2.id, jump_group_type: 'team' }, 'jump_group_type');
      await refused('POST', path, { jump_group_id: w.g2.id, jump_group_type: 'shared', name: '' }, 'name');
      await refused('POST', path, { jump_group_id: w.g2.id, jump_group_type: 'shared', tag: 'x' }, 'tag');
      await refused('POST', path, { jump_group_id: 9999, jump_group_type: 'shared' }, 'jump_group_id');
      await refused('POST', path, { jump_group_id: 9999, jump_group_type: 'personal' }, 'jump_group_id');
    });

    it('needs perm_move on the source and perm_add on the destination', async () => {
      const jc = await inG1();
      const toG1 = { jump_group_id: w.g1.id, jump_group_type: 'shared' };
      const cases: [keyof World['as'], object, number][] = [
        ['techstart', toG1, 403],
        ['techaud', toG1, 403],
        ['techout', { jump_group_id: w.g2.id, jump_group_type: 'shared' }, 404],
        ['owner', { jump_group_id: w.users.owner.id, jump_group_type: 'personal' }, 404],
        ['techadm', { jump_group_id: w.g2.id, jump_group_type: 'shared' }, 403],
        ['techadm', { jump_group_id: w.users.techadm.id, jump_group_type: 'personal' }, 201],
        ['mover', { jump_group_id: w.g3.id, jump_group_type: 'shared' }, 403],
        ['admin', { jump_group_id: w.g3.id, jump_group_type: 'shared' }, 201],
      ];
      for (const [who, body, status] of cases) {
        const count = registry.clients.count();
        const res = await w.as[who].post(COPY(jc.id), body);
        assert.equal(res.status, status, `${who} ${JSON.stringify(body)}`);
        assert.equal(registry.clients.count(), count + (status === 201 ? 1 : 0));
      }
    });

    it('refuses at the installed and active caps with the catalog errors', async () => {
      const jc = await inG1({ connection_type: 'active' });
      const body = { jump_group_id: w.g1.id, jump_group_type: 'shared' };
      await setSettings({ max_installed_jump_clients: registry.clients.list().filter((r) => r.status !== 'uninstalled').length });
      const full = await w.as.techadm.post(COPY(jc.id), body);
      assert.equal(full.status, 409);
      assert.deepEqual(full.body, {
        error: { code: 'limit_installed', message: 'The total number of deployable Jump Clients for this site has been reached.' },
      });
      await setSettings({ max_installed_jump_clients: 100_000 });
      await setSettings({ max_active_jump_clients: registry.clients.list().filter((r) => r.connection_type === 'active' && r.status !== 'uninstalled').length });
      const activeFull = await w.as.techadm.post(COPY(jc.id), body);
      assert.equal(activeFull.status, 409);
      assert.equal(activeFull.body.error.code, 'limit_active');
      const passive = await inG1({ connection_type: 'passive' });
      assert.equal((await w.as.techadm.post(COPY(passive.id), body)).status, 201, 'a passive copy is not held by the active cap');
      await setSettings({ max_active_jump_clients: 19_000 });
    });
  });
});
