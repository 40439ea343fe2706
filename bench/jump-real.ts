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
import { startBenchAppliance } from './lib/appliance.ts';
import { cpuSeconds, killAll, machineCpu, REPO, rssBytes, sleep } from './lib/proc.ts';
import { startSimulator } from './lib/simulator.ts';
import { round, summary } from './lib/stats.ts';
import { jumpRun, type JumpResult } from './jump.ts';
import { startSshd, type Sshd } from './ssh.ts';
import { openTerminal } from './lib/terminal.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, 'file-mb': { type: 'string', default: '256' }, 'throughput-only': { type: 'boolean', default: false }, rounds: { type: 'string', default: '5' }, jumps: { type: 'string', default: '600' } },
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

interface SshCat {
  bytes: number;
  /** From the first byte of output to the end; `seconds_with_login` from the start of `ssh`. */
  seconds: number;
  seconds_with_login: number;
  cpu_s: { technician: number; machine: number; wall_cores: number };
}

async function sshCat(sshd: Sshd, command: string): Promise<SshCat> {
  const m0 = machineCpu();
  const own = process.cpuUsage();
  const run = await sshd.run(command);
  const m1 = machineCpu();
  return { ...run, cpu_s: { technician: round(cpuTotal(process.cpuUsage(own)), 2), machine: round(m1.busy - m0.busy, 2), wall_cores: round(m1.total - m0.total, 2) } };
}

async function jumpgateCat(file: string, home: string): Promise<CatResult> {
  const app = await startBenchAppliance();
  const sim = startSimulator({ url: app.url, key: await app.installerKey(), agents: 1, duration: 600, seed: `cat-${Date.now()}`, realShells: home });
  try {
    while ((await app.metric('jumpgate_agents_connected')) < 1) await sleep(100);
    const [client] = (await (await app.api('/api/config/v1/jump-client')).json()) as { id: number }[];
    /** A Jump with its terminal open; `run` types `command; echo MARKER` and awaits the marker. */
    const openSession = async () => {
      const jump = (await (await app.api('/api/command/v1/jump', { method: 'POST', body: JSON.stringify({ jump_client_id: client.id }) })).json()) as { session_id: string };
      const state = { bytes: 0 };
      let tail = '';
      let waiting: { marker: string; resolve(t: number): void } | undefined;
      const terminal = await openTerminal(app.url, jump.session_id, app.token, (d) => {
        state.bytes += d.length;
        tail = (tail + d.subarray(-200).toString('latin1')).slice(-200); // only the end matters: the marker
        if (waiting && tail.includes(waiting.marker + '\r\n')) waiting.resolve(performance.now());
      });
      await sleep(500); // the prompt
      const run = (command: string): Promise<number> => {
        const marker = `__jumpgate_done_${Date.now()}_${Math.random().toString(36).slice(2)}__`;
        const done = new Promise<number>((resolve) => (waiting = { marker, resolve }));
        // The marker is split so that the echo of the command line does not match.
        terminal.send(Buffer.from(`${command}; echo ${marker.slice(0, 10)}''${marker.slice(10)}\n`));
        return done;
      };
      return { state, run, close: () => terminal.close() };
    };
    // A warm-up first, in a session of its own: the appliance and the client were started for this
    // round, and what is measured is a running appliance's throughput, not its code being
    // compiled. The measured session is a new one, with new connections, as OpenSSH's is.
    const warm = await openSession();
    await Promise.race([warm.run(`head -c 16000000 ${file}`), sleep(60_000)]);
    warm.close();
    await sleep(300);
    const session = await openSession();
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
    const t1 = await Promise.race([session.run(`cat ${file}`), sleep(300_000).then(() => NaN)]);
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
    session.close();
    const h = summary(health);
    return {
      bytes: session.state.bytes,
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

/**
 * The same question asked of OpenSSH: `ssh -tt` to sshd on loopback running a login shell with the
 * same clean home, T at once, time to the first output. Key exchange and authentication are part
 * of its cost, as the Jump's authentication and spawn are part of ours.
 */
async function sshLogins(levels: number[], total: number, home: string): Promise<{ technicians: number; logins: number; first_output_ms: ReturnType<typeof summary> }[]> {
  const sshd = await startSshd(userInfo().username);
  const out = [];
  try {
    for (const technicians of levels) {
      const times: number[] = [];
      const perTech = Math.max(2, Math.ceil(total / technicians));
      await Promise.all(
        Array.from({ length: technicians }, async () => {
          for (let k = 0; k < perTech; k++) times.push(await sshd.firstOutput(`exec env HOME=${home} bash -l`));
        }),
      );
      out.push({ technicians, logins: times.length, first_output_ms: summary(times) });
      await sleep(500);
    }
  } finally {
    sshd.stop();
  }
  return out;
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
      results.jump = await jumpRun(values.quick ? [1, 20] : [1, 20, 100], values.quick ? 40 : 200, home, values.quick ? 100 : Number(values.jumps), [20]);
      log(JSON.stringify(results.jump));
      log('OpenSSH login → first shell output, side by side…');
      results.openssh_login = await sshLogins(values.quick ? [1, 20] : [1, 20, 100], values.quick ? 40 : 100, home);
      log(JSON.stringify(results.openssh_login));
    }
    // The two take turns, `rounds` times each, and the medians are compared: on a shared two-core
    // machine one run of either can be 20 % off its neighbour.
    const rounds = values.quick ? 1 : Number(values.rounds);
    const jg: CatResult[] = [];
    const ssh: SshCat[] = [];
    const sshd = await startSshd(userInfo().username);
    try {
      for (let r = 0; r < rounds; r++) {
        log(`terminal throughput, round ${r + 1}/${rounds}: jumpgate…`);
        jg.push(await jumpgateCat(file, home));
        log(`terminal throughput, round ${r + 1}/${rounds}: OpenSSH…`);
        ssh.push(await sshCat(sshd, `HOME=${home} cat ${file}`));
      }
    } finally {
      sshd.stop();
    }
    const mbs = (x: { bytes: number; seconds: number }) => round(x.bytes / 2 ** 20 / x.seconds, 1);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    results.throughput = {
      jumpgate_mb_s: median(jg.map(mbs)),
      openssh_mb_s: median(ssh.map(mbs)),
      rounds: { jumpgate_mb_s: jg.map(mbs), openssh_mb_s: ssh.map(mbs) },
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
  for (const j of (results.jump ?? []) as JumpResult[]) {
    log(`jump → first output, ${String(j.technicians).padStart(3)} ${j.mode === 'burst' ? 'in bursts' : 'at once  '} p50 ${j.first_output_ms.p50} / p95 ${j.first_output_ms.p95} / p99 ${j.first_output_ms.p99} ms, ${j.refused_busy} busy`);
    const c = j.cpu_ms_per_jump;
    log(`  CPU per Jump                            ${c.machine} ms on the machine (shell ${c.shells}, client ${c.client}, appliance ${c.appliance}, technician ${c.technician}); CPU-bound cycle ${j.cpu_bound_cycle_ms} ms`);
  }
  for (const j of (results.openssh_login ?? []) as { technicians: number; first_output_ms: { p50: number; p95: number; p99: number } }[]) {
    log(`OpenSSH login → first output, ${String(j.technicians).padStart(3)} at once   p50 ${j.first_output_ms.p50} / p95 ${j.first_output_ms.p95} / p99 ${j.first_output_ms.p99} ms`);
  }
  log(`terminal throughput                       jumpgate ${t.jumpgate_mb_s} MB/s, OpenSSH ${t.openssh_mb_s} MB/s`);
  const cats = (results.throughput as { jumpgate: CatResult[]; rounds: { jumpgate_mb_s: number[]; openssh_mb_s: number[] } });
  log(`  rounds                                  jumpgate ${cats.rounds.jumpgate_mb_s.join(', ')}; OpenSSH ${cats.rounds.openssh_mb_s.join(', ')} MB/s`);
  const rssMax = Math.max(...cats.jumpgate.map((c) => c.appliance_rss_mb.max));
  const healthP99 = Math.max(...cats.jumpgate.map((c) => c.healthz_ms.p99));
  log(`during the cats                           appliance RSS ${cats.jumpgate[0].appliance_rss_mb.before} → max ${rssMax} MB; /healthz p99 (worst round) ${healthP99} ms`);
  log(`\nwritten to ${path}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  killAll();
  process.exit(1);
});
