/**
 * `jumpgate simulate --agents 1000` against a fresh appliance: the 1,000 simulated Jump Clients
 * are online in the API and in the console a technician sees (count, status cells, a search), in
 * Debian's Chromium. The simulator is a child process ended by its PID.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ApiClient } from '../helpers/appliance.ts';
import { REPO } from '../helpers/cli.ts';
import { eventually } from '../helpers/hub-client.ts';
import { CHROMIUM, logIn, startConsoleWorld, visibleNames, type ConsoleWorld } from './console-world.ts';

const AGENTS = 1000;

describe('1,000 simulated Jump Clients in the console', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed` }, () => {
  let w: ConsoleWorld;
  let admin: ApiClient;
  let sim: ChildProcess | undefined;
  let output = '';

  before(async () => {
    w = await startConsoleWorld();
    admin = await w.t.login();
  });
  after(async () => {
    if (sim?.pid && sim.exitCode === null && sim.signalCode === null) process.kill(sim.pid, 'SIGKILL');
    await w?.stop();
  });

  it('shows every simulated client online in the API and the console', async () => {
    const installer = await admin.post('/api/config/v1/jump-client/installer', { jump_group_id: 1, jump_group_type: 'personal' });
    assert.equal(installer.status, 201);
    sim = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'simulate', '--url', w.t.url, '--installer', installer.body.key_info, '--agents', String(AGENTS), '--rate', '2000', '--duration', '90'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    sim.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
    sim.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
    await eventually(async () => {
      const res = await admin.get('/api/config/v1/jump-client?status=online&per_page=1');
      return Number(res.headers.get('x-pagination-total')) === AGENTS;
    }, 30_000, `${AGENTS} simulated clients online in the API`).catch((err: Error) => {
      throw new Error(`${err.message}; the simulator printed: ${output.slice(-1500)}`);
    });

    const page = w.page;
    await logIn(page, w.t.url);
    await page.locator('#jc-count', { hasText: '1,000 Jump Clients' }).waitFor();
    const statuses = await page.locator('.grid-row:not([hidden]) .cell-status').evaluateAll((cells) => cells.map((c) => c.className));
    assert.ok(statuses.length > 10, `rows in view: ${statuses.length}`);
    assert.ok(statuses.every((c) => c.includes('status-online')), `every row in view is online: ${statuses.join(', ')}`);

    // A search narrows the 1,000 to the simulated client asked for.
    await page.getByLabel('Search Jump Clients').fill('sim-777');
    await page.getByLabel('Search Jump Clients').press('Enter');
    await page.locator('#jc-count', { hasText: /^1 Jump Client$/ }).waitFor();
    assert.deepEqual(await visibleNames(page), ['sim-777']);
    await w.shot('30-simulated-1000.png');
    assert.deepEqual(w.problems, []);
    assert.deepEqual(w.dialogs, []);

    const exited = new Promise((r) => sim!.once('exit', r));
    process.kill(sim.pid!, 'SIGTERM');
    assert.equal(await exited, 0);
  });
});
