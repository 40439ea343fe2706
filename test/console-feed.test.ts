import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { hashPassword } from '../src/shared/passwords.ts';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { connectAgent, enrolledClient, eventually } from './helpers/hub-client.ts';

function openFeed(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket; events: any[] }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/console/v1/events', { headers });
  const events: any[] = [];
  ws.on('message', (d) => events.push(JSON.parse(d.toString())));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, events }));
    ws.once('unexpected-response', (_q, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
  });
}

describe('the console live feed', () => {
  let t: TestAppliance;
  before(async () => {
    t = await startTestAppliance();
    const registry = t.appliance.registry;
    const hash = await hashPassword('tech-password-1');
    await registry.write(() =>
      registry.users.put({
        id: registry.users.nextId(), username: 'tech', display_name: 'Tech', email: '', is_admin: false, enabled: true,
        password_hash: hash, personal_jump_item_role_id: 1, created_at: 0, updated_at: 0, last_login_at: null,
      }),
    );
  });
  after(() => t.stop());

  it('pushes status changes and new clients to viewers who may see them, and only to them', async () => {
    const admin = await t.login();
    const tech = await t.login('tech', 'tech-password-1');
    const adminFeed = await openFeed(t.url, { authorization: `Bearer ${admin.token}` });
    const techFeed = await openFeed(t.url, { authorization: `Bearer ${tech.token}` });
    const { id, secret } = await enrolledClient(t.appliance.registry, { name: 'live-one', jump_group_type: 'personal', jump_group_id: 1 });
    const agent = await connectAgent(t.url, id, secret);
    agent.hello();
    await agent.next('welcome');
    const seen = await eventually(
      () => adminFeed.events.find((e) => e.type === 'jump_clients' && e.upserts.some((u: any) => u.id === id && u.status === 'online')),
      3000,
      'online pushed to admin',
    );
    assert.equal(seen.upserts.find((u: any) => u.id === id).name, 'live-one');
    assert.equal(seen.upserts[0].install_fingerprint, undefined, 'no internal fields');
    agent.ws.close();
    await eventually(
      () => adminFeed.events.find((e) => e.type === 'jump_clients' && e.upserts.some((u: any) => u.id === id && u.status === 'offline')),
      3000,
      'offline pushed',
    );
    assert.ok(!techFeed.events.some((e) => e.type === 'jump_clients' && e.upserts.length), "the admin's personal item is not shown to a technician");
    adminFeed.ws.close();
    techFeed.ws.close();
  });

  it('refuses the unauthenticated and cross-origin cookie requests', async () => {
    await assert.rejects(openFeed(t.url, {}), { status: 401 });
    const login = await fetch(t.url + '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
    });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    await assert.rejects(openFeed(t.url, { cookie, origin: 'https://evil.example' }), { status: 403 });
    const ok = await openFeed(t.url, { cookie, origin: t.url });
    ok.ws.close();
  });

  it('refuses a session cookie with broken percent-encoding as unauthenticated, on every technician socket, and stays up', async () => {
    for (const bad of ['%', '%E0%A4%A']) {
      const cookie = `jumpgate_session=${bad}`;
      await assert.rejects(openFeed(t.url, { cookie }), { status: 401 });
      const terminal = new WebSocket(`${t.url.replace(/^http/, 'ws')}/api/session/v1/${'0'.repeat(32)}/terminal`, { headers: { cookie } });
      const status = await new Promise<number>((resolve) => {
        terminal.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
        terminal.once('open', () => resolve(101));
        terminal.once('error', () => resolve(0));
      });
      assert.equal(status, 401);
      assert.equal((await fetch(t.url + '/api/auth/me', { headers: { cookie } })).status, 401);
    }
    assert.equal((await fetch(t.url + '/healthz')).status, 200, 'the appliance is still up');
  });
});
