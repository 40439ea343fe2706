/**
 * Jumps against simulated clients: T technicians at once, each jumping again and again (or all in
 * bursts); the Jump's answer time and the time to the first terminal output are recorded, busy
 * refusals counted.
 */
import { startBenchAppliance } from './lib/appliance.ts';
import { availableParallelism } from 'node:os';
import { childrenCpuSeconds, cpuSeconds, machineCpu, sleep } from './lib/proc.ts';
import { startSimulator } from './lib/simulator.ts';
import { summary } from './lib/stats.ts';
import { firstTerminalOutput } from './lib/terminal.ts';

export interface JumpResult {
  technicians: number;
  /** `closed`: each technician jumps again at once; `burst`: all in one instant, then a rest. */
  mode: 'closed' | 'burst';
  jumps: number;
  refused_busy: number;
  errors: number;
  jump_ms: ReturnType<typeof summary>;
  first_output_ms: ReturnType<typeof summary>;
  spawns_in_flight_max: number;
  /**
   * CPU per completed Jump, in ms, by process: the appliance, the Jump Clients' process, the shells
   * it started (0 with stand-ins), this technician, and the whole machine.
   */
  cpu_ms_per_jump: { appliance: number; client: number; shells: number; technician: number; machine: number };
  /**
   * The mean time from one Jump to the next that the CPU alone imposes on each technician: machine
   * CPU per Jump × technicians ÷ cores. No latency at this concurrency can average below it
   * (minus the share of the cycle spent ending the session).
   */
  cpu_bound_cycle_ms: number;
}

/** The pause between bursts: every Jump of the last one has ended and the machine is idle. */
const BURST_REST_MS = 300;

/**
 * `jumps` Jumps at each level (at least 5 per technician): the p99 of 200 is their second slowest,
 * so a run that reports p99 as its figure wants more. `levels` run as closed loops (each technician
 * jumps again at once); `burstLevels` as bursts (all technicians in the same instant, then a rest).
 */
export async function jumpRun(levels = [1, 20, 100], agents = 200, realShells?: string, jumps = 200, burstLevels: number[] = []): Promise<JumpResult[]> {
  const app = await startBenchAppliance();
  const sim = startSimulator({ url: app.url, key: await app.installerKey(), agents, rate: 2000, duration: 600, seed: `jump-${Date.now()}`, realShells });
  try {
    while ((await app.metric('jumpgate_agents_connected')) < agents) await sleep(100);
    const ids: number[] = [];
    for (let page = 1; ids.length < agents; page++) {
      const rows = (await (await app.api(`/api/config/v1/jump-client?per_page=1000&current_page=${page}`)).json()) as { id: number }[];
      if (rows.length === 0) break;
      ids.push(...rows.map((r) => r.id));
    }
    const results: JumpResult[] = [];
    const runs = [...levels.map((t) => ({ technicians: t, mode: 'closed' as const })), ...burstLevels.map((t) => ({ technicians: t, mode: 'burst' as const }))];
    for (const { technicians, mode } of runs) {
      const perTech = Math.max(5, Math.ceil(jumps / technicians));
      const jumpTimes: number[] = [];
      const outputTimes: number[] = [];
      let busy = 0;
      let errors = 0;
      let next = 0;
      /** One technician's Jump: the answer, the terminal's first output, closing it. */
      const oneJump = async (): Promise<void> => {
        const id = ids[next++ % ids.length];
        const t0 = performance.now();
        const res = await app.call('POST', '/api/command/v1/jump', { jump_client_id: id });
        const body = res.body as { session_id?: string };
        const t1 = performance.now();
        if (res.status === 503) return void busy++;
        if (res.status !== 201 || !body.session_id) return void errors++;
        jumpTimes.push(t1 - t0);
        // Closing the terminal ends the session, as in the console; DELETE only when it failed.
        const seen = await firstTerminalOutput(app.url, body.session_id, app.token).then(
          () => true,
          () => false,
        );
        if (seen) outputTimes.push(performance.now() - t0);
        else {
          errors++;
          await app.call('DELETE', `/api/session/v1/${body.session_id}`);
        }
      };
      const cpu0 = { app: cpuSeconds(app.child.pid), sim: cpuSeconds(sim.child.pid), shells: childrenCpuSeconds(sim.child.pid), own: process.cpuUsage(), machine: machineCpu().busy };
      if (mode === 'closed') {
        // Each technician jumps again as soon as the last Jump's terminal is closed.
        await Promise.all(Array.from({ length: technicians }, async () => {
          for (let k = 0; k < perTech; k++) await oneJump();
        }));
      } else {
        // All technicians jump in the same instant, wait for every Jump, then the machine rests.
        for (let round = 0; round < perTech; round++) {
          await Promise.all(Array.from({ length: technicians }, oneJump));
          await sleep(BURST_REST_MS);
        }
      }
      const own = process.cpuUsage(cpu0.own);
      const per = (seconds: number) => Math.round((seconds * 1000 * 100) / Math.max(1, jumpTimes.length)) / 100;
      const cpu = {
        appliance: per(cpuSeconds(app.child.pid) - cpu0.app),
        client: per(cpuSeconds(sim.child.pid) - cpu0.sim),
        shells: per(childrenCpuSeconds(sim.child.pid) - cpu0.shells),
        technician: per((own.user + own.system) / 1e6),
        machine: per(machineCpu().busy - cpu0.machine),
      };
      results.push({
        technicians,
        mode,
        jumps: jumpTimes.length,
        refused_busy: busy,
        errors,
        jump_ms: summary(jumpTimes),
        first_output_ms: summary(outputTimes),
        spawns_in_flight_max: await app.metric('jumpgate_spawns_in_flight_max'),
        cpu_ms_per_jump: cpu,
        cpu_bound_cycle_ms: Math.round((cpu.machine * technicians * 10) / availableParallelism()) / 10,
      });
    }
    return results;
  } finally {
    await sim.stop();
    await app.stop();
  }
}
