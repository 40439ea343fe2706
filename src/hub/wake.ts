/**
 * Reaching a passive Jump Client (SPEC A6): the hub connects to the client's listening port on each
 * of its addresses at once, answers the client's challenge with a proven wake
 * (`src/shared/wake.ts`), and the first acknowledgement wins. Until then every address is tried
 * again a second after each round (a round waits at most 3 s for an address that stays silent),
 * so a client that is restarting, or a network that drops the first packets, still counts. Ends
 * when acknowledged or when `signal` aborts (the Jump's deadline); the caller waits for the link.
 */
import { connect, isIP, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseWakeLine, readOneLine, WakeChallenge, wakeProof, WakeReply } from '../shared/wake.ts';

export interface WakeTarget {
  host: string;
  port: number;
}

const RETRY_MS = 1_000;
const ATTEMPT_MS = 3_000;

const loopback = (ip: string): boolean => /^127\./.test(ip) || ip === '::1' || /^::ffff:127\./i.test(ip);
/** Addresses no other machine can be reached at: unspecified, link-local, multicast. */
const unroutable = (ip: string): boolean => /^(0\.|169\.254\.|22[4-9]\.|2[3-5]\d\.)/.test(ip) || /^(::$|fe[89ab]|ff)/i.test(ip);
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The addresses to try for a client: the one it is bound to, else every IP and name it reported,
 * and the public IP the hub saw. What the agent reports is taken only as an IP address or a host
 * name, never an unroutable address, and a loopback one only when the agent connected from
 * loopback (it runs on the appliance's machine): an agent cannot point the hub at the hub's host.
 */
export function wakeTargets(client: {
  passive_listen?: { port: number; address?: string } | null;
  fqdn: string;
  hostname: string;
  public_ip: string;
  private_ips: readonly string[];
}): WakeTarget[] {
  const listen = client.passive_listen;
  if (!listen) return [];
  const local = isIP(client.public_ip) !== 0 && loopback(client.public_ip);
  const reported = (h: string): boolean =>
    isIP(h) !== 0 ? !unroutable(h) && (local || !loopback(h)) : HOST_NAME.test(h) && h.toLowerCase() !== 'localhost';
  const hosts = listen.address
    ? [listen.address].filter(reported)
    : [...client.private_ips.filter(reported), ...[client.fqdn, client.hostname].filter(reported), ...(isIP(client.public_ip) ? [client.public_ip] : [])];
  return [...new Set(hosts)].map((host) => ({ host, port: listen.port }));
}

/** One attempt at one address: resolves true on an acknowledgement, false otherwise. */
function tryOnce(target: WakeTarget, clientId: number, secretHash: string, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    const done = (acked: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(limit);
      socket?.destroy();
      resolve(acked);
    };
    const onAbort = (): void => done(false);
    const limit = setTimeout(() => done(false), ATTEMPT_MS);
    signal.addEventListener('abort', onAbort, { once: true });
    socket = connect({ host: target.host, port: target.port });
    socket.on('error', () => done(false));
    readOneLine(socket, (err, line) => {
      const challenge = err || line === undefined ? undefined : parseWakeLine(WakeChallenge, line);
      if (!challenge?.ok) return done(false);
      const proof = wakeProof(secretHash, clientId, challenge.value.nonce);
      socket?.write(JSON.stringify({ type: 'wake', client_id: clientId, proof }) + '\n');
      readOneLine(socket!, (err2, reply) => {
        const parsed = err2 || reply === undefined ? undefined : parseWakeLine(WakeReply, reply);
        done(parsed?.ok === true && parsed.value.type === 'wake_ack');
      });
    });
  });
}

/** Wakes the client; resolves true once one address acknowledged, false when aborted first. */
export async function wake(targets: readonly WakeTarget[], clientId: number, secretHash: string, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    const round = new AbortController();
    const onAbort = (): void => round.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const attempts = targets.map((t) => tryOnce(t, clientId, secretHash, round.signal).then((ok) => (ok ? true : Promise.reject(new Error('no')))));
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
