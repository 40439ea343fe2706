/**
 * Removing the client from the machine (SPEC D5, S5): tell the appliance over a short connection
 * (best effort, bounded), stop the running agent, remove the systemd unit when allowed, and remove
 * the install directory. Used by `jumpgate-agent uninstall`, by `DIR/uninstall`, and by the agent
 * itself when the appliance removed it or could not be reached for too long.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, rmSync, rmdirSync, truncateSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../shared/protocol.ts';
import type { Logger } from '../shared/log.ts';
import { VERSION } from '../shared/version.ts';
import { connectOnce } from './connection.ts';
import { readIdentity } from './identity.ts';
import type { AgentConfig } from './layout.ts';
import { collectStatistics } from './stats.ts';
import { isDisabled, processGone, runningPid } from './state.ts';
import { applianceOf } from './transport.ts';

/** Sends `uninstalling` over a short connection; false when the appliance could not be told. */
export async function notifyUninstalling(dir: string, config: AgentConfig, log: Logger, timeoutMs = 5000): Promise<boolean> {
  const identity = readIdentity(dir);
  if (!identity) return false;
  const statistics = await collectStatistics(config.install_mode);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let told = false;
  const end = await connectOnce({
    appliance: applianceOf(config.installer),
    identity,
    log,
    signal: controller.signal,
    handshakeTimeoutMs: timeoutMs,
    handlers: {
      hello: () => ({ type: 'hello', protocol: PROTOCOL_VERSION, agent_version: VERSION, disabled: isDisabled(dir), statistics }),
      contact: () => undefined,
      message(message, send) {
        if (message.type !== 'welcome') return;
        told = send({ type: 'uninstalling' });
        controller.abort();
      },
    },
  });
  clearTimeout(timer);
  if (!told) log.warn('could not tell the appliance about the uninstall', { end: end.kind });
  return told || end.kind === 'removed';
}

/** Stops the running agent of `dir` (not this process), waiting up to `waitMs`. */
export async function stopAgent(dir: string, waitMs = 10_000): Promise<void> {
  const pid = runningPid(dir);
  if (pid === undefined || pid === process.pid) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < waitMs; waited += 100) {
    if (processGone(pid)) return;
    await sleep(100);
  }
  if (!processGone(pid)) process.kill(pid, 'SIGKILL');
}

const denied = (err: unknown): boolean => ['EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Removes one entry of the install directory; false when it has to stay. Installed by root, the
 * directory, init-script and uninstall are root's and stay for root's uninstall: of what the
 * account cannot unlink there, it empties its own folders and its own files (agent.json holds the
 * installer key).
 */
function removeEntry(path: string): boolean {
  try {
    rmSync(path, { recursive: true, force: true });
    return true;
  } catch (err) {
    if (!denied(err)) throw err;
  }
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) for (const child of readdirSync(path)) rmSync(join(path, child), { recursive: true, force: true });
    else if (st.isFile() && st.uid === process.getuid?.()) truncateSync(path, 0);
  } catch (err) {
    if (!denied(err)) throw err;
  }
  return false;
}

/** Removes the systemd unit (root only) and everything in the install directory the caller may. */
export function removeInstallation(dir: string, config: AgentConfig, log: Logger): void {
  if (config.unit && process.getuid?.() === 0) {
    spawnSync('systemctl', ['disable', config.unit], { stdio: 'ignore', timeout: 15_000 });
    rmSync(join('/etc/systemd/system', config.unit), { force: true });
    spawnSync('systemctl', ['daemon-reload'], { stdio: 'ignore', timeout: 15_000 });
  }
  const left: string[] = [];
  for (const entry of readdirSync(dir)) if (!removeEntry(join(dir, entry))) left.push(entry);
  try {
    rmdirSync(dir);
  } catch (err) {
    // A root-owned directory, or a parent (e.g. /opt) that belongs to root: root's uninstall finishes.
    log.warn('the install directory could not be removed completely; run its uninstall as root', { dir, left, error: (err as Error).message });
  }
}
