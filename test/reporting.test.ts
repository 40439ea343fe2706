/** `GET /api/reporting/v1/jump-item-event` and `/session`: filters, order, paging and visibility. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent, JumpClient, Registry, SessionRecord } from '../src/registry/index.ts';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { putClient } from './helpers/fixtures.ts';
import { buildWorld, type World } from './helpers/world.ts';

const EVENTS = '/api/reporting/v1/jump-item-event';
const SESSIONS = '/api/reporting/v1/session';
const ITEM = (id: number) => `/api/config/v1/jump-client/${id}`;
const T0 = Date.parse('2020-01-01T00:00:00Z');
const HOUR = 3_600_000;

describe('reports', () => {
  let t: TestAppliance;
  let w: World;
  let registry: Registry;
  let c: Record<'g1' | 'g2' | 'mine' | 'moved' | 'gone', JumpClient>;
  let old: AuditEvent[];

  before(async () => {
    t = await startTestAppliance();
    w = await buildWorld(t);
    registry = t.appliance.registry;
    c = {
      g1: await putClient(registry, { name: 'in-g1', jump_group_id: w.g1.id }),
      g2: await putClient(registry, { name: 'in-g2', jump_group_id: w.g2.id }),
      mine: await putClient(registry, { name: 'owned', jump_group_type: 'personal', jump_group_id: w.users.owner.id }),
      moved: await putClient(registry, { name: 'mover', jump_group_id: w.g1.id }),
      gone: await putClient(registry, { name: 'gone', jump_group_id: w.g1.id }),
    };
    // Old events at known times, for the time filters.
    const system = { kind: 'system' as const, id: null, name: 'system' };
    old = await registry.write(() =>
      [0, 1, 2].map((h) =>
        registry.audit.record({ event_type: 'lost', item_type: 'jump_client', item_id: String(c.g1.id), actor: system, before: null, after: null, timestamp: T0 + h * HOUR }),
      ),
    );
    const ok = (res: { status: number }) => assert.ok(res.status < 300, String(res.status));
    ok(await w.as.techadm.patch(ITEM(c.g1.id), { comments: 'by techadm' }));
    ok(await w.as.techout.patch(ITEM(c.g2.id), { tag: 'by-techout' }));
    ok(await w.as.owner.patch(ITEM(c.mine.id), { name: 'owned, renamed' }));
    ok(await w.as.mover.patch(ITEM(c.moved.id), { jump_group_id: w.g2.id, jump_group_type: 'shared' }));
    ok(await w.as.techadm.del(ITEM(c.gone.id)));
    ok(await w.as.admin.patch('/api/config/v1/settings', { audit_retention_days: 91 }));
  });
  after(() => t.stop());

  const events = async (query = '', who: keyof World['as'] = 'admin') => {
    const res = await w.as[who].get(`${EVENTS}${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as (Omit<AuditEvent, 'timestamp'> & { timestamp: string })[];
  };
  const keys = (rows: { event_type: string; item_id: string }[]) => rows.map((e) => `${e.event_type}:${e.item_id}`);

  describe('jump-item-event', () => {
    it('shows admins the whole log, newest first, with ISO times', async () => {
      const all = await events();
      assert.deepEqual(keys(all).slice(0, 6), [
        'changed:settings',
        `deleted:${c.gone.id}`,
        `moved:${c.moved.id}`,
        `changed:${c.mine.id}`,
        `changed:${c.g2.id}`,
        `changed:${c.g1.id}`,
      ]);
      assert.ok(all.some((e) => e.item_type === 'user' && e.event_type === 'created'), 'the bootstrap admin');
      for (const e of all) assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const times = all.map((e) => Date.parse(e.timestamp));
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
      const deleted = all.find((e) => e.event_type === 'deleted')!;
      assert.equal((deleted.before as JumpClient).name, 'gone');
      assert.equal(deleted.after, null);
      assert.equal(deleted.actor.name, 'techadm');
    });

    it('filters by time, actor, item and event type', async () => {
      const iso = (ms: number) => new Date(ms).toISOString();
      assert.deepEqual((await events(`?from=${iso(T0 + HOUR)}&to=${iso(T0 + 2 * HOUR)}`)).map((e) => e.id), [old[2].id, old[1].id], 'from and to are inclusive');
      assert.deepEqual((await events(`?to=${iso(T0)}`)).map((e) => e.id), [old[0].id]);
      assert.deepEqual((await events('?from=2020-01-01&to=2020-01-01T00:30:00%2B00:00')).map((e) => e.id), [old[0].id], 'a date and an offset');
      assert.ok((await events('?from=2021-01-01')).every((e) => Date.parse(e.timestamp) >= Date.parse('2021-01-01')));
      assert.deepEqual(keys(await events('?actor=TECHOUT')), [`changed:${c.g2.id}`], 'actor: username, any case');
      assert.deepEqual(keys(await events('?item_type=settings')), ['changed:settings']);
      assert.deepEqual(keys(await events(`?item_type=jump_client&item_id=${c.g1.id}`)), [`changed:${c.g1.id}`, `lost:${c.g1.id}`, `lost:${c.g1.id}`, `lost:${c.g1.id}`]);
      assert.deepEqual(keys(await events('?event_type=moved')), [`moved:${c.moved.id}`]);
      assert.deepEqual(await events('?event_type=copied'), []);
    });

    it('refuses bad query values with a 400 naming the field', async () => {
      const cases: [string, string][] = [
        ['from=yesterday', 'from'],
        ['to=2024-13-45', 'to'],
        ['from=2024-05-01T10:00:00', 'from'],
        ['from=2024-05-02&to=2024-05-01', 'from'],
        ['item_type=computer', 'item_type'],
        ['event_type=exploded', 'event_type'],
        ['actor=', 'actor'],
        ['item_id=', 'item_id'],
        ['per_page=0', 'per_page'],
        ['current_page=-1', 'current_page'],
        ['who=admin', 'who'],
      ];
      for (const [query, field] of cases) {
        const res = await w.as.admin.get(`${EVENTS}?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.field, field, query);
      }
    });

    it('pages with the X-Pagination headers', async () => {
      const all = await events();
      const res = await w.as.admin.get(`${EVENTS}?per_page=3&current_page=2`);
      assert.deepEqual(res.body.map((e: AuditEvent) => e.id), all.slice(3, 6).map((e) => e.id));
      assert.equal(res.headers.get('x-pagination-total'), String(all.length));
      assert.equal(res.headers.get('x-pagination-per-page'), '3');
      assert.equal(res.headers.get('x-pagination-current-page'), '2');
      assert.equal(res.headers.get('x-pagination-last-page'), String(Math.ceil(all.length / 3)));
    });

    it('shows others only events of Jump Clients they may view reports of', async () => {
      const seen = async (who: keyof World['as']) => new Set(keys(await events('', who)));
      const auditor = await seen('techaud');
      assert.deepEqual(auditor, new Set([`changed:${c.g1.id}`, `lost:${c.g1.id}`, `moved:${c.moved.id}`, `deleted:${c.gone.id}`]), 'current group, old group of a move, group of a deleted one');
      assert.deepEqual(await seen('techadm'), auditor, 'the Administrator role includes reports');
      assert.deepEqual(await seen('techstart'), new Set(), 'Start Sessions Only has no reports');
      assert.deepEqual(await seen('techout'), new Set([`changed:${c.g2.id}`, `moved:${c.moved.id}`]));
      assert.deepEqual(await seen('owner'), new Set([`changed:${c.mine.id}`]), 'the owner of a personal group');
      assert.equal((await events('?item_type=settings', 'techaud')).length, 0);
      const paged = await w.as.techout.get(`${EVENTS}?per_page=1`);
      assert.equal(paged.headers.get('x-pagination-total'), '2', 'the total counts only visible events');
      assert.equal((await t.anonymous().get(EVENTS)).status, 401);
    });
  });

  describe('session', () => {
    let s: Record<'a' | 'b' | 'c' | 'd', SessionRecord>;

    before(async () => {
      const rec = (id: string, client: JumpClient | { id: number; name: string }, user: { id: number; username: string }, h: number): SessionRecord => ({
        id,
        jump_client_id: client.id,
        jump_client_name: client.name,
        user_id: user.id,
        username: user.username,
        started_at: T0 + h * HOUR,
        ended_at: T0 + h * HOUR + 60_000,
        outcome: 'ended',
        end_reason: 'closed',
        bytes_to_client: 10 * h,
        bytes_from_client: 20 * h,
      });
      const admin = registry.users.byUsername('admin')!;
      s = {
        a: rec('a'.repeat(32), c.g1, w.users.techstart, 1),
        b: rec('b'.repeat(32), c.g2, w.users.techout, 2),
        c: rec('c'.repeat(32), c.g1, admin, 3),
        d: rec('d'.repeat(32), { id: 9999, name: 'deleted long ago' }, w.users.techstart, 4),
      };
      await registry.write(() => Object.values(s).forEach((r) => registry.sessions.put(r)));
    });

    const sessions = async (query = '', who: keyof World['as'] = 'admin') => {
      const res = await w.as[who].get(`${SESSIONS}${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return (res.body as { id: string }[]).map((r) => r.id[0]).join('');
    };

    it('lists sessions newest first with ISO times', async () => {
      assert.equal(await sessions(), 'dcba');
      const res = await w.as.admin.get(`${SESSIONS}?jump_client_id=${c.g2.id}`);
      assert.deepEqual(res.body, [
        { ...s.b, started_at: '2020-01-01T02:00:00.000Z', ended_at: '2020-01-01T02:01:00.000Z' },
      ]);
    });

    it('filters by time, client and username', async () => {
      assert.equal(await sessions('?from=2020-01-01T02:00:00Z'), 'dcb');
      assert.equal(await sessions('?to=2020-01-01T02:00:00Z'), 'ba');
      assert.equal(await sessions('?from=2020-01-01T02:00:00Z&to=2020-01-01T03:00:00Z'), 'cb');
      assert.equal(await sessions(`?jump_client_id=${c.g1.id}`), 'ca');
      assert.equal(await sessions('?username=TechStart'), 'da');
      assert.equal(await sessions('?username=nobody'), '');
    });

    it('refuses bad query values with a 400 naming the field', async () => {
      for (const [query, field] of [['from=soon', 'from'], ['jump_client_id=x', 'jump_client_id'], ['jump_client_id=0', 'jump_client_id'], ['username=', 'username'], ['per_page=5000', 'per_page'], ['user=x', 'user']]) {
        const res = await w.as.admin.get(`${SESSIONS}?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.field, field, query);
      }
    });

    it('pages with the X-Pagination headers', async () => {
      const res = await w.as.admin.get(`${SESSIONS}?per_page=3&current_page=2`);
      assert.deepEqual(res.body.map((r: SessionRecord) => r.id), [s.a.id]);
      assert.equal(res.headers.get('x-pagination-total'), '4');
      assert.equal(res.headers.get('x-pagination-last-page'), '2');
    });

    it('shows others their own sessions and those on clients they may view reports of', async () => {
      assert.equal(await sessions('', 'techaud'), 'ca', 'reports over g1');
      assert.equal(await sessions('', 'techadm'), 'ca');
      assert.equal(await sessions('', 'techstart'), 'da', 'only their own, including one on a deleted client');
      assert.equal(await sessions('', 'techout'), 'b');
      assert.equal(await sessions('', 'owner'), '');
      assert.equal((await t.anonymous().get(SESSIONS)).status, 401);
    });
  });
});
