/**
 * The spawn cap with a real fleet (issue 4): FLEET real Jump Clients, each installed from the real
 * `.bin` and running as its own agent process under the second account, all jumped at once. Every
 * answer is 201 or `503 server_busy` with the catalog message and Retry-After, and the metric's
 * maximum stays within the cap; with the cap at 3 the busy path is certain.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startE2eAppliance, stopAll, type E2eAppliance } from '../helpers/e2e-appliance.ts';
import { createInstaller, createInstalls, downloadBin, ensureTestUser, installClient, installParent, pidOf } from '../helpers/e2e-clients.ts';
import { eventually } from '../helpers/hub-client.ts';

const FLEET = 32;
/** Installs at once: each unpacks a 100 MB program, so a few at a time on a small machine. */
const PARALLEL_INSTALLS = 4;
const BUSY = { code: 'server_busy', message: 'The server is currently too busy. Try again later.' };

const installs = createInstalls();
let a: E2eAppliance;
let ids: number[] = [];

const metric = async (name: string): Promise<number> => {
  const text = (await a.anonymous().raw('GET', '/metrics')).body.toString();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
};

const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

before(async () => {
  ensureTestUser();
  a = await startE2eAppliance();
  const parent = installs.track(installParent());
  const installer = await createInstaller(a, { name: 'e2e-fleet', allow_override_name: true });
  const bin = await downloadBin(a, installer.installer_id, parent);
  const names = Array.from({ length: FLEET }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
  for (let i = 0; i < names.length; i += PARALLEL_INSTALLS) {
    await Promise.all(names.slice(i, i + PARALLEL_INSTALLS).map((n) => installClient(bin, parent, n, ['--jc-name', n])));
  }
  const rows = await eventually(async () => {
    const list: any[] = (await a.admin.get('/api/config/v1/jump-client?per_page=1000')).body;
    const online = list.filter((r) => r.name.startsWith('fleet-') && r.status === 'online');
    return online.length === FLEET && online;
  }, 30_000, `${FLEET} clients online`);
  ids = rows.map((r: any) => r.id);
  for (const n of names) installs.pid(pidOf(`${parent}/${n}`));
});
after(async () => {
  await installs.cleanup();
  await stopAll();
});

/** Jumps every client at once; ends the sessions that started; returns the answers. */
async function jumpAll(): Promise<{ status: number; headers: Headers; body: any }[]> {
  const answers = await Promise.all(ids.map((id) => a.admin.post('/api/command/v1/jump', { jump_client_id: id })));
  await Promise.all(answers.filter((r) => r.status === 201).map((r) => a.admin.del(`/api/session/v1/${r.body.session_id}`)));
  return answers;
}

function checkAnswers(answers: { status: number; headers: Headers; body: any }[]): { ok: number; busy: number } {
  let ok = 0;
  let busy = 0;
  for (const r of answers) {
    if (r.status === 201) {
      assert.match(r.body.session_id, /^[0-9a-f]{32}$/);
      ok++;
      continue;
    }
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.deepEqual({ code: r.body.error.code, message: r.body.error.message }, BUSY);
    assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    busy++;
  }
  return { ok, busy };
}

describe(`the spawn cap with ${FLEET} real installed clients`, () => {
  it('jumped at once: every answer is 201 or 503 server_busy, and at most 20 spawn at once', async (t) => {
    const { ok, busy } = checkAnswers(await jumpAll());
    t.diagnostic(`cap 20: ${ok} started, ${busy} busy`);
    assert.equal(ok + busy, FLEET);
    assert.ok(ok >= 20, 'at least the cap started');
    const max = await metric('jumpgate_spawns_in_flight_max');
    assert.ok(max >= 1 && max <= 20, `jumpgate_spawns_in_flight_max ${max}`);
    assert.equal(await metric('jumpgate_spawns_refused_busy_total'), busy);
  });

  it('with the cap at 3, the busy path is certain; the slots are all released', async (t) => {
    const before = await metric('jumpgate_spawns_refused_busy_total');
    assert.equal((await a.admin.patch('/api/config/v1/settings', { max_concurrent_spawns: 3 })).status, 200);
    const { ok, busy } = checkAnswers(await jumpAll());
    t.diagnostic(`cap 3: ${ok} started, ${busy} busy`);
    assert.ok(busy > 0, 'some jumps are refused as busy');
    assert.ok(ok >= 3, 'the cap started');
    assert.equal((await metric('jumpgate_spawns_refused_busy_total')) - before, busy);
    assert.ok((await metric('jumpgate_spawns_in_flight_max')) <= 20);
    await eventually(async () => (await metric('jumpgate_spawns_in_flight')) === 0, 5000, 'no spawn left in flight');
    await eventually(async () => (await metric('jumpgate_sessions_live')) === 0, 10_000, 'every session ended');
  });

  it('the fleet is real: one agent process per client, each of bounded size', async (t) => {
    const list: any[] = (await a.admin.get('/api/config/v1/jump-client?per_page=1000')).body;
    assert.equal(list.filter((r) => r.name.startsWith('fleet-') && r.status === 'online').length, FLEET);
    const agentPids = installs.pids().filter(isAgent);
    assert.equal(new Set(agentPids).size, FLEET);
    const kb = agentPids.map(rssKb);
    t.diagnostic(`agent RSS: mean ${Math.round(kb.reduce((x, y) => x + y, 0) / kb.length / 1024)} MB, max ${Math.round(Math.max(...kb) / 1024)} MB`);
    assert.ok(Math.max(...kb) < 200 * 1024, 'each agent stays under 200 MB');
  });
});

function isAgent(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('run\0--dir');
  } catch {
    return false; // the process is gone
  }
}
