import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLOSE, MAX_MESSAGE_BYTES } from '../src/shared/protocol.ts';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { connectAgent, enrolledClient, eventually } from './helpers/hub-client.ts';

describe('the agent hub', () => {
  let t: TestAppliance;
  before(async () => {
    t = await startTestAppliance();
  });
  after(() => t.stop());
  const row = (id: number) => t.appliance.registry.clients.get(id)!;

  it('welcomes an enrolled agent and records presence with every statistic and the public IP', async () => {
    const { id, secret } = await enrolledClient(t.appliance.registry);
    const agent = await connectAgent(t.url, id, secret);
    agent.hello({ hostname: 'db-7', console_user: 'bob', private_ips: ['192.168.7.7'] });
    const welcome = await agent.next('welcome');
    assert.equal(welcome.client_id, id);
    assert.equal(welcome.statistics_interval_seconds, 300);
    const online = await eventually(() => row(id).status === 'online' && row(id), 3000, 'online');
    assert.equal(online.hostname, 'db-7');
    assert.equal(online.console_user, 'bob');
    assert.equal(online.private_ip, '192.168.7.7');
    assert.equal(online.public_ip, '127.0.0.1');
    assert.equal(online.statistics?.kernel, '6.1.0');
    assert.ok(online.last_connect_timestamp);
    const metrics = await (await fetch(t.url + '/metrics')).text();
    assert.match(metrics, /^jumpgate_agents_connected [1-9]\d*$/m);
    agent.ws.close(1000);
    const offline = await eventually(() => row(id).status === 'offline' && row(id), 3000, 'offline');
    assert.equal(offline.last_disconnect_reason, 'closed by the agent');
    assert.ok(offline.last_disconnect_timestamp);
  });

  it('refuses bad credentials at the upgrade with 401, and a removed client with 410', async () => {
    const { id, secret } = await enrolledClient(t.appliance.registry);
    await assert.rejects(connectAgent(t.url, id, 'x'.repeat(43)), { status: 401 });
    await assert.rejects(connectAgent(t.url, id + 1000, secret), { status: 401 });
    await t.appliance.registry.write(() => t.appliance.registry.clients.remove(id));
    await assert.rejects(connectAgent(t.url, id, secret), { status: 410 });
  });

  it('closes malformed, oversized and out-of-order messages with their codes and keeps serving others', async () => {
    const bystanderIds = await enrolledClient(t.appliance.registry);
    const bystander = await connectAgent(t.url, bystanderIds.id, bystanderIds.secret);
    bystander.hello();
    await bystander.next('welcome');

    const cases: [string, (a: Awaited<ReturnType<typeof connectAgent>>) => void, number][] = [
      ['not JSON', (a) => a.ws.send('{nope'), CLOSE.malformed],
      ['unknown type', (a) => a.ws.send(JSON.stringify({ type: 'launch' })), CLOSE.malformed],
      ['stats before hello', (a) => a.ws.send(JSON.stringify({ type: 'heartbeat' })), CLOSE.outOfOrder],
      ['a bad field', (a) => a.hello({ hostname: 42 as unknown as string }), CLOSE.malformed],
      ['oversized', (a) => a.ws.send('x'.repeat(MAX_MESSAGE_BYTES + 1000)), CLOSE.tooLarge],
      // Past the socket's frame limit the connection is cut without a close frame.
      ['far oversized', (a) => a.ws.send('x'.repeat(4 * MAX_MESSAGE_BYTES)), 1006],
      ['another protocol', (a) => a.hello({}, { protocol: 99 }), CLOSE.unsupportedVersion],
      ['a binary frame', (a) => a.ws.send(Buffer.from([1, 2, 3])), CLOSE.outOfOrder],
    ];
    for (const [what, send, code] of cases) {
      const { id, secret } = await enrolledClient(t.appliance.registry);
      const agent = await connectAgent(t.url, id, secret);
      send(agent);
      const closed = await agent.closed;
      assert.equal(closed.code, code, what);
    }
    const twice = await enrolledClient(t.appliance.registry);
    const agent = await connectAgent(t.url, twice.id, twice.secret);
    agent.hello();
    await agent.next('welcome');
    agent.hello();
    assert.equal((await agent.closed).code, CLOSE.outOfOrder);

    bystander.ws.send(JSON.stringify({ type: 'state', disabled: true }));
    await eventually(() => row(bystanderIds.id).status === 'disabled', 3000, 'bystander disabled');
    bystander.ws.send(JSON.stringify({ type: 'state', disabled: false }));
    await eventually(() => row(bystanderIds.id).status === 'online', 3000, 'bystander enabled');
    bystander.ws.close();
  });

  it('replaces an older connection of the same identity, closing it with a reason', async () => {
    const { id, secret } = await enrolledClient(t.appliance.registry);
    const first = await connectAgent(t.url, id, secret);
    first.hello();
    await first.next('welcome');
    const second = await connectAgent(t.url, id, secret);
    const closed = await first.closed;
    assert.equal(closed.code, CLOSE.replaced);
    assert.match(closed.reason, /replaced/);
    second.hello();
    await second.next('welcome');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(row(id).status, 'online', 'the replaced socket must not mark the client offline');
    second.ws.close();
  });

  it('records an uninstall from the machine and keeps the row with its statistics', async () => {
    const { id, secret } = await enrolledClient(t.appliance.registry);
    const agent = await connectAgent(t.url, id, secret);
    agent.hello({ hostname: 'leaving' });
    await agent.next('welcome');
    agent.ws.send(JSON.stringify({ type: 'uninstalling' }));
    agent.ws.close();
    const gone = await eventually(() => row(id).status === 'uninstalled' && row(id), 3000, 'uninstalled');
    assert.equal(gone.hostname, 'leaving');
    const events = t.appliance.registry.audit.query({ item_id: String(id), event_type: 'uninstalled' });
    assert.equal(events.length, 1);
  });
});

describe('hub limits', () => {
  it('caps connections with 503 at the upgrade', async () => {
    const t = await startTestAppliance({}, { maxAgentConnections: 2 });
    try {
      const agents = [];
      for (let i = 0; i < 2; i++) {
        const c = await enrolledClient(t.appliance.registry);
        agents.push(await connectAgent(t.url, c.id, c.secret));
      }
      const extra = await enrolledClient(t.appliance.registry);
      await assert.rejects(connectAgent(t.url, extra.id, extra.secret), { status: 503 });
      agents[0].ws.close();
      await agents[0].closed;
      const ok = await connectAgent(t.url, extra.id, extra.secret);
      ok.ws.close();
      agents[1].ws.close();
    } finally {
      await t.stop();
    }
  });

  it('paces admissions above the configured rate with Retry-After', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jumpgate-test-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const t = await startTestAppliance({ dataDir });
    try {
      await t.appliance.registry.write(() =>
        t.appliance.registry.settings.put({ ...t.appliance.registry.settings.get(), agent_admission_per_second: 3 }),
      );
    } finally {
      await t.stop();
    }
    const again = await startTestAppliance({ dataDir });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, async () => {
          const c = await enrolledClient(again.appliance.registry);
          return connectAgent(again.url, c.id, c.secret);
        }),
      );
      const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      assert.ok(refused.length >= 4, `expected most of 8 refused at 3/s, got ${refused.length}`);
      for (const r of refused) {
        assert.equal(r.reason.status, 503);
        assert.ok(Number(r.reason.retryAfter) >= 1);
      }
      for (const r of results) if (r.status === 'fulfilled') r.value.ws.close();
    } finally {
      await again.stop();
    }
  });
});
