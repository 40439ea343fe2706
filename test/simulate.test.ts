/** `jumpgate simulate` against a real appliance: the clients enrol, come online, and answer a Jump. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';
import { eventually } from './helpers/hub-client.ts';
import { openTerminal } from './helpers/terminal.ts';
import { REPO } from './helpers/cli.ts';

describe('jumpgate simulate', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  let child: ReturnType<typeof spawn> | undefined;
  let output = '';
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
  });
  after(async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    await t.stop();
  });

  it('brings N clients online through the real agent code, they answer jumps, and SIGTERM ends the run', async () => {
    const installer = await admin.post('/api/config/v1/jump-client/installer', { jump_group_id: 1, jump_group_type: 'personal' });
    assert.equal(installer.status, 201);
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'simulate', '--url', t.url, '--installer', installer.body.key_info, '--agents', '200', '--rate', '400', '--duration', '20', '--stats-interval', '2'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await eventually(async () => {
      const res = await admin.get('/api/config/v1/jump-client?status=online&per_page=1');
      return Number(res.headers.get('x-pagination-total')) === 200;
    }, 15_000, '200 simulated clients online').catch((err: Error) => {
      throw new Error(`${err.message}; the simulator printed: ${output.slice(-1500)}`);
    });
    const one = (await admin.get('/api/config/v1/jump-client?search=sim-7&search_fields=name&per_page=5')).body;
    assert.ok(one.length >= 1);
    const jump = await admin.post('/api/command/v1/jump', { jump_client_id: one[0].id });
    assert.equal(jump.status, 201, JSON.stringify(jump.body));
    const term = await openTerminal(t.url, jump.body.session_id, admin.token!);
    await term.run('hello simulated\r', /hello simulated/);
    await term.close();
    const metrics = await (await fetch(t.url + '/metrics')).text();
    assert.match(metrics, /^jumpgate_agents_connected 200$/m);
    // A signal ends the run as its duration would: every client closes, the result is printed.
    const exited = new Promise((r) => child!.once('exit', r));
    process.kill(child.pid!, 'SIGTERM');
    assert.equal(await exited, 0, output.slice(-1500));
    assert.match(output, /^\{"result":\{.*"enrolled":200/m);
    await eventually(async () => /^jumpgate_agents_connected 0$/m.test(await (await fetch(t.url + '/metrics')).text()), 10_000, 'the clients gone');
  });
});
