/**
 * Self-update (SPEC A5): download the offered executable with the client's credentials into
 * `bin/jumpgate-agent.new`, check its size and SHA-256 while streaming, make it executable, rename
 * it over the running one, then hand over to it. A download that fails any check is deleted and the
 * old version keeps running.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { agentCredentials, type UpdateOffer } from '../shared/protocol.ts';
import type { Identity } from './identity.ts';
import { layoutOf, writeFileAtomic } from './layout.ts';
import { request, type Appliance } from './transport.ts';

export class UpdateError extends Error {
  override name = 'UpdateError';
}

/** Tells the new agent which pid it replaces, so it waits for it instead of refusing to start. */
export const SUCCESSOR_ENV = 'JUMPGATE_AGENT_REPLACES';

/** The most an agent executable may weigh; anything larger is refused before download. */
const MAX_AGENT_BYTES = 512 * 1024 * 1024;

/** Downloads and verifies an update and moves it in place. Throws UpdateError, leaving no file. */
export async function installUpdate(dir: string, appliance: Appliance, identity: Identity, offer: UpdateOffer): Promise<void> {
  const layout = layoutOf(dir);
  if (!offer.path.startsWith('/')) throw new UpdateError(`the update path ${offer.path} is not a path on the appliance`);
  if (offer.size > MAX_AGENT_BYTES) throw new UpdateError(`the update is too large (${offer.size} bytes)`);
  const res = await request(appliance, offer.path, {
    method: 'GET',
    headers: { authorization: agentCredentials(identity.client_id, identity.secret) },
    timeoutMs: 60_000,
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw new UpdateError(`the appliance answered ${res.statusCode} to the update download`);
  }
  const fd = openSync(layout.agentNew, 'w', 0o700);
  const hash = createHash('sha256');
  let size = 0;
  let ok = false;
  try {
    for await (const chunk of res) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > offer.size) {
        res.destroy();
        throw new UpdateError(`the update is larger than the announced ${offer.size} bytes`);
      }
      hash.update(buf);
      writeSync(fd, buf);
    }
    if (size !== offer.size) throw new UpdateError(`the update has ${size} bytes, not the announced ${offer.size}`);
    const digest = hash.digest('hex');
    if (digest !== offer.sha256) throw new UpdateError(`the update's SHA-256 ${digest} is not the announced ${offer.sha256}`);
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(layout.agentNew, { force: true });
  }
  chmodSync(layout.agentNew, 0o755);
  renameSync(layout.agentNew, layout.agent);
}

/**
 * Starts the new executable as this client's agent and lets the caller exit. Under systemd
 * (`--supervised`) the service manager restarts it instead.
 */
export function handOver(dir: string, logFd: number | 'ignore'): void {
  const layout = layoutOf(dir);
  const child = spawn(layout.agent, ['run', '--dir', dir], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    cwd: dir,
    env: { ...process.env, [SUCCESSOR_ENV]: String(process.pid) },
  });
  child.unref();
  if (child.pid !== undefined) writeFileAtomic(layout.pidFile, `${child.pid}\n`, 0o644);
}
