/**
 * Local control by the person at the machine (SPEC A4): `disable` writes `DIR/state/disabled`, `enable`
 * removes it, and the running agent notices within about a second. In service mode other accounts
 * ask through `DIR/requests/` (`init-script disable|enable`), which the running agent takes. Also
 * the pid file of the running agent and the `status` report.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
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

/** A request's file name: the action, the asking account's uid and a number of its own (unchecked). */
const REQUEST = /^(disable|enable)\.\d{1,10}\.\d{1,10}$/;
/** Requests taken per look: the folder is writable by every account at the machine. */
const MAX_REQUESTS = 64;

export interface LocalRequest {
  disabled: boolean;
  /** The account that asked: the file's owner, whatever its name says. */
  uid: number;
}

/**
 * Takes the requests other accounts left in `DIR/requests/`: every entry is removed, and the
 * regular files named as a request are applied oldest first (the last one wins). Nothing is read
 * from the files, and no link is followed. Returns what was applied.
 */
export function takeRequests(dir: string): LocalRequest[] {
  const folder = layoutOf(dir).requestsDir;
  let names: string[];
  try {
    names = readdirSync(folder).slice(0, MAX_REQUESTS);
  } catch {
    return []; // no folder: a user-mode client, or one installed before requests existed
  }
  const taken: { disabled: boolean; uid: number; at: number }[] = [];
  for (const name of names) {
    const path = join(folder, name);
    let st: Stats;
    try {
      st = lstatSync(path);
      if (st.isDirectory()) rmdirSync(path);
      else rmSync(path, { force: true });
    } catch {
      continue; // gone meanwhile, or a folder with something in it: left as it is
    }
    const m = REQUEST.exec(name);
    if (m && st.isFile()) taken.push({ disabled: m[1] === 'disable', uid: st.uid, at: st.mtimeMs });
  }
  taken.sort((a, b) => a.at - b.at);
  const last = taken.at(-1);
  if (last) setDisabled(dir, last.disabled);
  return taken.map(({ disabled, uid }) => ({ disabled, uid }));
}

/**
 * Calls `onChange` when the disabled flag changes, with the requests that changed it when other
 * accounts asked; returns a stop function.
 */
export function watchDisabled(dir: string, onChange: (disabled: boolean, requests: LocalRequest[]) => void, intervalMs = 1000): () => void {
  let current = isDisabled(dir);
  const timer = setInterval(() => {
    const requests = takeRequests(dir);
    const now = isDisabled(dir);
    if (now !== current) {
      current = now;
      onChange(now, requests);
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
