/**
 * `npm run bench:jump`: Jumps with real shells, and terminal throughput next to OpenSSH.
 *
 * - jump request → first shell output, p50/p95/p99, with 1, 20 and 100 technicians at once, against
 *   clients whose sessions are real login shells in PTYs (the agent's own session code);
 * - terminal throughput: `cat` of a large text file through a jumpgate session and through
 *   `ssh -tt` to sshd on loopback, in the same run, MB/s.
 * Prints a table and writes bench/results/jump-<timestamp>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startBenchAppliance } from './lib/appliance.ts';
import { cpuSeconds, killAll, machineCpu, REPO, rssBytes, sleep } from './lib/proc.ts';
import { startSimulator } from './lib/simulator.ts';
import { round, summary } from './lib/stats.ts';
import { jumpRun } from './jump.ts';
import { startSshd } from './ssh.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, 'file-mb': { type: 'string', default: '256' }, 'throughput-only': { type: 'boolean', default: false } },
});
const log = (s: string) => process.stdout.write(s + '\n');
process.on('exit', killAll);

interface CatResult {
  bytes: number;
  seconds: number;
  /** The appliance's largest RSS while the output streamed, and its RSS before. */
  appliance_rss_mb: { before: number; max: number };
  /** Latency of /healthz polled meanwhile: the hub keeps answering others. */
  healthz_ms: { p50: number; p99: number; max: number };
  /** CPU seconds used meanwhile: the appliance, the Jump Client, and the whole machine (of `cores`). */
  cpu_s: { appliance: number; client: number; technician: number; machine: number; wall_cores: number };
}

const cpuTotal = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

async function jumpgateCat(file: string, home: string): Promise<CatResult> {
  const app = await startBenchAppliance();
  const sim = startSimulator({ url: app.url, key: await app.installerKey(), agents: 1, duration: 600, seed: `cat-${Date.now()}`, realShells: home });
  try {
    while ((await app.metric('jumpgate_agents_connected')) < 1) await sleep(100);
    const [client] = (await (await app.api('/api/config/v1/jump-client')).json()) as { id: number }[];
    const jump = (await (await app.api('/api/command/v1/jump', { method: 'POST', body: JSON.stringify({ jump_client_id: client.id }) })).json()) as { session_id: string };
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/api/session/v1/${jump.session_id}/terminal`, { headers: { authorization: `Bearer ${app.token}` } });
    await new Promise((r) => ws.once('open', r));
    await sleep(500); // the prompt
    let bytes = 0;
    let tail = '';
    const marker = `__jumpgate_done_${Date.now()}__`;
    const done = new Promise<number>((resolve) => {
      ws.on('message', (d: Buffer, binary) => {
        if (!binary) return;
        bytes += d.length;
        tail = (tail + d.subarray(-200).toString('latin1')).slice(-200); // only the end matters: the marker
        if (tail.includes(marker + '\r\n')) resolve(performance.now());
      });
    });
    const before = rssBytes(app.child.pid);
    let maxRss = before;
    const health: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        maxRss = Math.max(maxRss, rssBytes(app.child.pid));
        const h0 = performance.now();
        await fetch(app.url + '/healthz').then((r) => r.arrayBuffer());
        health.push(performance.now() - h0);
        await sleep(50);
      }
    })();
    const cpu0 = { appliance: cpuSeconds(app.child.pid), client: cpuSeconds(sim.child.pid), technician: process.cpuUsage(), machine: machineCpu() };
    const t0 = performance.now();
    ws.send(Buffer.from(`cat ${file}; echo ${marker.slice(0, 10)}''${marker.slice(10)}\n`));
    const t1 = await Promise.race([done, sleep(300_000).then(() => NaN)]);
    const machine = machineCpu();
    const cpu_s = {
      appliance: round(cpuSeconds(app.child.pid) - cpu0.appliance, 2),
      client: round(cpuSeconds(sim.child.pid) - cpu0.client, 2),
      technician: round(cpuTotal(process.cpuUsage(cpu0.technician)), 2),
      machine: round(machine.busy - cpu0.machine.busy, 2),
      wall_cores: round(machine.total - cpu0.machine.total, 2),
    };
    watching = false;
    await watcher;
    ws.close();
    const h = summary(health);
    return {
      bytes,
      seconds: (t1 - t0) / 1000,
      appliance_rss_mb: { before: round(before / 2 ** 20, 1), max: round(maxRss / 2 ** 20, 1) },
      healthz_ms: { p50: h.p50, p99: h.p99, max: h.max },
      cpu_s,
    };
  } finally {
    await sim.stop();
    await app.stop();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-bench-jump-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const file = join(dir, 'large.txt');
  const mb = values.quick ? 32 : Number(values['file-mb']);
  execFileSync('sh', ['-c', `head -c ${Math.round((mb * 3) / 4)}M /dev/urandom | base64 > ${file}`]);
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  const results: Record<string, unknown> = { started_at: new Date().toISOString(), file_bytes: statSync(file).size };
  try {
    if (!values['throughput-only']) {
      log('jump → first shell output with real shells…');
      results.jump = await jumpRun(values.quick ? [1, 20] : [1, 20, 100], values.quick ? 40 : 200, home);
      log(JSON.stringify(results.jump));
    }
    log('terminal throughput: jumpgate…');
    const jg = await jumpgateCat(file, home);
    log('terminal throughput: OpenSSH…');
    const sshd = await startSshd(userInfo().username);
    let ssh;
    try {
      const m0 = machineCpu();
      const own = process.cpuUsage();
      ssh = { ...(await sshd.run(`HOME=${home} cat ${file}`)), cpu_s: { technician: 0, machine: 0, wall_cores: 0 } };
      const m1 = machineCpu();
      ssh.cpu_s = { technician: round(cpuTotal(process.cpuUsage(own)), 2), machine: round(m1.busy - m0.busy, 2), wall_cores: round(m1.total - m0.total, 2) };
    } finally {
      sshd.stop();
    }
    results.throughput = {
      jumpgate_mb_s: round(jg.bytes / 2 ** 20 / jg.seconds, 1),
      openssh_mb_s: round(ssh.bytes / 2 ** 20 / ssh.seconds, 1),
      jumpgate: jg,
      openssh: ssh,
    };
    log(JSON.stringify(results.throughput));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = join(REPO, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const path = join(out, `jump-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  const t = results.throughput as { jumpgate_mb_s: number; openssh_mb_s: number };
  log('\nfigure                                    value');
  for (const j of (results.jump ?? []) as { technicians: number; first_output_ms: { p50: number; p95: number; p99: number }; refused_busy: number }[]) {
    log(`jump → first output, ${String(j.technicians).padStart(3)} at once   p50 ${j.first_output_ms.p50} / p95 ${j.first_output_ms.p95} / p99 ${j.first_output_ms.p99} ms, ${j.refused_busy} busy`);
  }
  log(`terminal throughput                       jumpgate ${t.jumpgate_mb_s} MB/s, OpenSSH ${t.openssh_mb_s} MB/s`);
  const cat = (results.throughput as { jumpgate: CatResult }).jumpgate;
  log(`during the cat                            appliance RSS ${cat.appliance_rss_mb.before} → max ${cat.appliance_rss_mb.max} MB; /healthz p99 ${cat.healthz_ms.p99} ms`);
  log(`\nwritten to ${path}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  killAll();
  process.exit(1);
});
