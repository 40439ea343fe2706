/**
 * Reaching a passive Jump Client (SPEC A6): the hub connects to the client's listening port on each
 * of its addresses at once and sends a wake (`src/shared/wake.ts`); the first acknowledgement wins.
 * Until then every address is tried again each second, so a client that is restarting or a
 * network that drops the first packets still counts. Ends when acknowledged or when `signal`
 * aborts (the Jump's deadline); the caller waits for the link itself.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseWakeLine, readOneLine, WakeReply } from '../shared/wake.ts';

export interface WakeTarget {
  host: string;
  port: number;
}

const RETRY_MS = 1_000;

/** The addresses to try for a client: the one it is bound to, else every name and IP it reported. */
export function wakeTargets(client: {
  passive_listen?: { port: number; address?: string } | null;
  fqdn: string;
  hostname: string;
  public_ip: string;
  private_ips: readonly string[];
}): WakeTarget[] {
  const listen = client.passive_listen;
  if (!listen) return [];
  const hosts = listen.address ? [listen.address] : [...client.private_ips, client.fqdn, client.hostname, client.public_ip];
  return [...new Set(hosts.filter((h) => h.length > 0))].map((host) => ({ host, port: listen.port }));
}

/** One attempt at one address: resolves true on an acknowledgement, false otherwise. */
function tryOnce(target: WakeTarget, clientId: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    const done = (acked: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(acked);
    };
    const onAbort = (): void => done(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket = connect({ host: target.host, port: target.port, timeout: RETRY_MS * 3 });
    socket.on('error', () => done(false));
    socket.on('timeout', () => done(false));
    socket.once('connect', () => {
      socket?.setTimeout(0);
      socket?.write(JSON.stringify({ type: 'wake', client_id: clientId }) + '\n');
      readOneLine(socket!, (err, line) => {
        if (err || line === undefined) return done(false);
        const reply = parseWakeLine(WakeReply, line);
        done(reply.ok && reply.value.type === 'wake_ack');
      });
    });
  });
}

/** Wakes the client; resolves true once one address acknowledged, false when aborted first. */
export async function wake(targets: readonly WakeTarget[], clientId: number, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    const round = new AbortController();
    const onAbort = (): void => round.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const attempts = targets.map((t) => tryOnce(t, clientId, round.signal).then((ok) => (ok ? true : Promise.reject(new Error('no')))));
    const acked = attempts.length > 0 && (await Promise.any(attempts).catch(() => false));
    round.abort();
    signal.removeEventListener('abort', onAbort);
    if (acked) return true;
    try {
      await sleep(RETRY_MS, undefined, { signal });
    } catch {
      return false;
    }
  }
  return false;
}
