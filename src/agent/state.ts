/**
 * Local control by the person at the machine (SPEC A4): `disable` writes `DIR/state/disabled`, `enable`
 * removes it, and the running agent notices within about a second. Also the pid file of the running
 * agent and the `status` report.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { layoutOf, readAgentConfig, writeFileAtomic } from './layout.ts';
import { readIdentity } from './identity.ts';

export function isDisabled(dir: string): boolean {
  return existsSync(layoutOf(dir).disabled);
}

export function setDisabled(dir: string, disabled: boolean): void {
  const file = layoutOf(dir).disabled;
  if (disabled) writeFileAtomic(file, `disabled at ${new Date().toISOString()}\n`, 0o600);
  else rmSync(file, { force: true });
}

/** Calls `onChange` when the disabled flag changes; returns a stop function. */
export function watchDisabled(dir: string, onChange: (disabled: boolean) => void, intervalMs = 1000): () => void {
  let current = isDisabled(dir);
  const timer = setInterval(() => {
    const now = isDisabled(dir);
    if (now !== current) {
      current = now;
      onChange(now);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The pid in the pid file when that process is alive and is this client's agent. */
export function runningPid(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(layoutOf(dir).pidFile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const pid = Number(text);
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
  return cmdline.includes(`run --dir ${dir} `) ? pid : undefined;
}

/** Whether a process has exited (a zombie not yet reaped counts as exited). */
export function processGone(pid: number): boolean {
  try {
    return /^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
}

export function writePidFile(dir: string): void {
  writeFileAtomic(layoutOf(dir).pidFile, `${process.pid}\n`, 0o644);
}

/** Removes the pid file only if it is still ours (a self-update's successor may own it already). */
export function removePidFile(dir: string): void {
  const file = layoutOf(dir).pidFile;
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The `status` report; the exit code follows LSB (0 running, 3 stopped). */
export function statusReport(dir: string): { text: string; exitCode: number } {
  const config = readAgentConfig(dir);
  const pid = runningPid(dir);
  const identity = readIdentity(dir);
  const lines = [
    `state:         ${pid ? `running (pid ${pid})` : 'stopped'}`,
    `local setting: ${isDisabled(dir) ? 'disabled' : 'enabled'}`,
    `client id:     ${identity ? identity.client_id : 'not enrolled yet'}`,
    `appliance:     ${config.installer.appliance_url}`,
    `install dir:   ${dir}`,
    `runs as:       ${config.run_as} (${config.install_mode} mode)`,
  ];
  return { text: lines.join('\n') + '\n', exitCode: pid ? 0 : 3 };
}
