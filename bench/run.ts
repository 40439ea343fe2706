/**
 * `npm run bench`: every benchmark of the hub on this machine, a table on stdout and the figures
 * in bench/results/<timestamp>.json. Loopback only; every process it starts is ended by its PID.
 * `--quick` runs smaller sizes (for trying the harness), `--only connect,search,jump` a subset.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applianceHub, connectRun, referenceHub, type ConnectResult } from './connect.ts';
import { jumpRun } from './jump.ts';
import { killAll, REPO } from './lib/proc.ts';
import { searchRun } from './search.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const only = new Set((values.only ?? 'connect,reference,search,jump').split(','));
const sizes = values.quick ? [200, 1000] : [1000, 5000, 15000];
const TARGETS = { agents: 15000, rss_per_agent_kb: 4, storm_s: 20, storm_api_p99_ms: 100, messages_per_second: 50_000, search_p95_ms: 15, jump_p99_ms_at_20: 150 };

const log = (s: string) => process.stdout.write(s + '\n');
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));

async function main() {
  const results: Record<string, unknown> = {
    started_at: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version },
    targets: TARGETS,
  };
  const started = Date.now();
  if (only.has('connect')) {
    const runs: ConnectResult[] = [];
    for (const n of sizes) {
      log(`connect: ${n} agents against the appliance…`);
      runs.push(await connectRun(applianceHub, n, { steady: n === sizes.at(-1), storm: n === sizes.at(-1) }));
      log(JSON.stringify(runs.at(-1)));
    }
    results.connect = runs;
  }
  if (only.has('reference')) {
    const runs: ConnectResult[] = [];
    for (const n of sizes) {
      log(`reference hub: ${n} agents…`);
      runs.push(await connectRun(referenceHub, n, { steady: n === sizes.at(-1), storm: false }));
      log(JSON.stringify(runs.at(-1)));
    }
    results.reference = runs;
  }
  if (only.has('search')) {
    log('search: 100,000 rows…');
    results.search = await searchRun(values.quick ? 20_000 : 100_000, values.quick ? 10 : 60);
    log(JSON.stringify(results.search));
  }
  if (only.has('jump')) {
    log('jump: 1, 20 and 100 technicians…');
    results.jump = await jumpRun(values.quick ? [1, 20] : [1, 20, 100]);
    log(JSON.stringify(results.jump));
  }
  results.duration_s = Math.round((Date.now() - started) / 1000);
  results.verdicts = verdicts(results);
  results.ratios_to_reference = ratios(results);
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  log('');
  log(table(results));
  log('');
  for (const v of results.verdicts as Verdict[]) {
    log(`${v.met ? 'met   ' : 'MISSED'}  ${v.figure}: ${v.value ?? '—'} (target ${v.target}${v.met || v.ratio === null ? '' : `; ${v.ratio}× the target`})`);
  }
  log(`\nwritten to ${file}`);
}

interface Ratio {
  agents: number;
  figure: string;
  appliance: number;
  reference: number;
  /** appliance ÷ reference: below 1 is better for times, memory and CPU; above 1 for messages. */
  ratio: number;
}

/** The side-by-side loads as ratios, appliance over the reference hub, at each size both ran. */
function ratios(r: Record<string, any>): Ratio[] {
  const out: Ratio[] = [];
  const add = (agents: number, figure: string, a: number | null | undefined, b: number | null | undefined) => {
    if (a === null || a === undefined || b === null || b === undefined || b === 0) return;
    out.push({ agents, figure, appliance: a, reference: b, ratio: Math.round((a / b) * 100) / 100 });
  };
  for (const c of (r.connect as ConnectResult[] | undefined) ?? []) {
    const ref = (r.reference as ConnectResult[] | undefined)?.find((x) => x.agents === c.agents);
    if (!ref) continue;
    add(c.agents, 'enrol + online (ms)', c.enrol_and_online_ms, ref.enrol_and_online_ms);
    add(c.agents, 'all online (ms)', c.all_online_ms, ref.all_online_ms);
    add(c.agents, 'RSS per agent (KB)', c.rss_per_agent_kb, ref.rss_per_agent_kb);
    add(c.agents, 'messages/s ingested', c.steady?.messages_per_second, ref.steady?.messages_per_second);
    add(c.agents, 'CPU ms per 1k messages', c.steady?.cpu_ms_per_1k_messages, ref.steady?.cpu_ms_per_1k_messages);
  }
  return out;
}

function table(r: Record<string, any>): string {
  const rows: string[][] = [['figure', 'appliance', 'reference', 'ratio', 'target']];
  const ref = (n: number) => (r.reference as ConnectResult[] | undefined)?.find((x) => x.agents === n);
  const ratio = (n: number, figure: string) => {
    const found = (r.ratios_to_reference as Ratio[] | undefined)?.find((x) => x.agents === n && x.figure === figure);
    return found ? `${found.ratio}×` : '';
  };
  for (const c of (r.connect as ConnectResult[] | undefined) ?? []) {
    rows.push([`${c.agents} agents: enrol + online (s)`, fmt(c.enrol_and_online_ms, 1000), fmt(ref(c.agents)?.enrol_and_online_ms, 1000), ratio(c.agents, 'enrol + online (ms)'), '']);
    rows.push([`${c.agents} agents: all online (s)`, fmt(c.all_online_ms, 1000), fmt(ref(c.agents)?.all_online_ms, 1000), ratio(c.agents, 'all online (ms)'), '']);
    rows.push([`${c.agents} agents: RSS per agent (KB)`, String(c.rss_per_agent_kb), String(ref(c.agents)?.rss_per_agent_kb ?? ''), ratio(c.agents, 'RSS per agent (KB)'), `≤ ${TARGETS.rss_per_agent_kb}`]);
    if (c.steady) {
      rows.push(['steady: messages/s ingested', String(c.steady.messages_per_second), String(ref(c.agents)?.steady?.messages_per_second ?? ''), ratio(c.agents, 'messages/s ingested'), `≥ ${TARGETS.messages_per_second}`]);
      rows.push(['steady: CPU ms per 1k messages', String(c.steady.cpu_ms_per_1k_messages), String(ref(c.agents)?.steady?.cpu_ms_per_1k_messages ?? ''), ratio(c.agents, 'CPU ms per 1k messages'), '']);
    }
    if (c.storm) {
      rows.push(['storm: all back online (s)', fmt(c.storm.all_back_online_ms, 1000), '', '', `≤ ${TARGETS.storm_s}`]);
      rows.push(['storm: console API p99 (ms)', String(c.storm.api.p99), '', '', `≤ ${TARGETS.storm_api_p99_ms}`]);
    }
  }
  if (r.search) {
    rows.push([`search ${r.search.rows} rows: free text p50/p95 (ms)`, `${r.search.free_text.p50} / ${r.search.free_text.p95}`, '', '', `p95 ≤ ${TARGETS.search_p95_ms}`]);
    rows.push([`search ${r.search.rows} rows: filtered p50/p95 (ms)`, `${r.search.filtered.p50} / ${r.search.filtered.p95}`, '', '', `p95 ≤ ${TARGETS.search_p95_ms}`]);
  }
  for (const j of (r.jump as any[] | undefined) ?? []) {
    rows.push([`jump, ${j.technicians} at once: p50/p95/p99 (ms)`, `${j.jump_ms.p50} / ${j.jump_ms.p95} / ${j.jump_ms.p99}`, '', '', j.technicians === 20 ? `p99 ≤ ${TARGETS.jump_p99_ms_at_20}` : '']);
    rows.push([`  first output p50/p99 (ms); busy refusals`, `${j.first_output_ms.p50} / ${j.first_output_ms.p99}; ${j.refused_busy}`, '', '', '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n');
}

interface Verdict {
  figure: string;
  value: number | null;
  target: string;
  met: boolean;
  /** How far from the target, as the value over the target (for a ceiling) or under it (a floor). */
  ratio: number | null;
}

/** Each target of the issue against this run's figure: met or not, and by how much. */
function verdicts(r: Record<string, any>): Verdict[] {
  const big = ((r.connect as ConnectResult[] | undefined) ?? []).find((c) => c.agents === TARGETS.agents);
  const jump20 = ((r.jump as any[] | undefined) ?? []).find((j) => j.technicians === 20);
  const out: Verdict[] = [];
  const ceiling = (figure: string, value: number | null | undefined, target: number, unit: string) => {
    if (value === undefined) return;
    out.push({ figure, value, target: `≤ ${target} ${unit}`, met: value !== null && value <= target, ratio: value === null ? null : Math.round((value / target) * 100) / 100 });
  };
  const floor = (figure: string, value: number | null | undefined, target: number, unit: string) => {
    if (value === undefined) return;
    out.push({ figure, value, target: `≥ ${target} ${unit}`, met: value !== null && value >= target, ratio: value === null ? null : Math.round((value / target) * 100) / 100 });
  };
  if (big) {
    floor('agents online', big.all_online_ms === null ? 0 : big.agents, TARGETS.agents, 'agents');
    ceiling('RSS per online agent', big.rss_per_agent_kb, TARGETS.rss_per_agent_kb, 'KB');
    floor('messages ingested per second', big.steady?.messages_per_second, TARGETS.messages_per_second, 'msg/s');
    ceiling('storm: all back online', big.storm ? (big.storm.all_back_online_ms === null ? null : big.storm.all_back_online_ms / 1000) : undefined, TARGETS.storm_s, 's');
    ceiling('storm: console API p99', big.storm?.api.p99, TARGETS.storm_api_p99_ms, 'ms');
  }
  ceiling('search free text p95', r.search?.free_text.p95, TARGETS.search_p95_ms, 'ms');
  ceiling('search filtered p95', r.search?.filtered.p95, TARGETS.search_p95_ms, 'ms');
  ceiling('jump p99 at 20 at once', jump20?.jump_ms.p99, TARGETS.jump_p99_ms_at_20, 'ms');
  return out;
}

function fmt(ms: number | null | undefined, div: number): string {
  return ms === null || ms === undefined ? '—' : String(Math.round((ms / div) * 10) / 10);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  killAll();
  process.exit(1);
});
