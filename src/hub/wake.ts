/**
 * Reaching a passive Jump Client (SPEC A6): the hub connects to the client's listening port on each
 * of its addresses at once, answers the client's challenge with a proven wake
 * (`src/shared/wake.ts`), and the first acknowledgement wins. Until then every address is tried
 * again a second after each round (a round waits at most 3 s for an address that stays silent),
 * so a client that is restarting, or a network that drops the first packets, still counts. Ends
 * when acknowledged or when `signal` aborts (the Jump's deadline); the caller waits for the link.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, connect, isIP, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseWakeLine, readOneLine, WakeChallenge, wakeProof, WakeReply } from '../shared/wake.ts';

export interface WakeTarget {
  host: string;
  port: number;
  /** The client runs on the appliance's machine: its loopback and own addresses are fair game. */
  local: boolean;
}

const RETRY_MS = 1_000;
const ATTEMPT_MS = 3_000;

/** Where a wake never goes: nowhere (unspecified), link-local, multicast, broadcast. */
const UNROUTABLE = new BlockList();
UNROUTABLE.addSubnet('0.0.0.0', 8, 'ipv4');
UNROUTABLE.addSubnet('169.254.0.0', 16, 'ipv4');
UNROUTABLE.addSubnet('224.0.0.0', 3, 'ipv4');
UNROUTABLE.addAddress('::', 'ipv6');
UNROUTABLE.addSubnet('fe80::', 10, 'ipv6');
UNROUTABLE.addSubnet('ff00::', 8, 'ipv6');
UNROUTABLE.addSubnet('::ffff:0.0.0.0', 104, 'ipv6');
UNROUTABLE.addSubnet('::ffff:169.254.0.0', 112, 'ipv6');
UNROUTABLE.addSubnet('::ffff:224.0.0.0', 99, 'ipv6');
/** The appliance's own machine: loopback. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

const family = (ip: string): 'ipv4' | 'ipv6' => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');
const ownAddresses = (): Set<string> =>
  new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase())));

/**
 * Whether the hub may knock at `ip`: a routable address, and one of the appliance's own machine
 * (loopback or an address of its interfaces) only for a client that connected from loopback.
 */
export function mayKnock(ip: string, local: boolean): boolean {
  if (isIP(ip) === 0 || UNROUTABLE.check(ip, family(ip))) return false;
  return local || (!LOOPBACK.check(ip, family(ip)) && !ownAddresses().has(ip.toLowerCase()));
}

/** A DNS name with a letter in its last label (`127.1` or `2130706433` are addresses in disguise). */
const HOST_NAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*$/;
const LOCAL_NAME = /(^|\.)(localhost|localdomain)$/i;

/**
 * The addresses to try for a client: the one it is bound to, else every IP and name it reported,
 * and the public IP the hub saw. What the agent reports counts only as an IP address the hub may
 * knock at (`mayKnock`) or a DNS name, whose addresses pass the same test when it is resolved.
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
  const local = isIP(client.public_ip) !== 0 && LOOPBACK.check(client.public_ip, family(client.public_ip));
  const reported = (h: string): boolean => (isIP(h) !== 0 ? mayKnock(h, local) : HOST_NAME.test(h) && !LOCAL_NAME.test(h));
  const hosts = listen.address
    ? [listen.address].filter(reported)
    : [...client.private_ips.filter(reported), ...[client.fqdn, client.hostname].filter(reported), ...(isIP(client.public_ip) ? [client.public_ip] : [])];
  return [...new Set(hosts)].map((host) => ({ host, port: listen.port, local }));
}

/** The address to connect to for a target: itself, or the first of its name's that may be knocked at. */
async function addressOf(target: WakeTarget): Promise<string | undefined> {
  if (isIP(target.host) !== 0) return target.host;
  const found = await lookup(target.host, { all: true }).catch(() => []);
  return found.map((a) => a.address).find((ip) => mayKnock(ip, target.local));
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
    /** The client's challenge, our proven wake, its answer. */
    const converse = (link: Socket): void =>
      readOneLine(link, (err, line) => {
        const challenge = err || line === undefined ? undefined : parseWakeLine(WakeChallenge, line);
        if (!challenge?.ok) return done(false);
        link.write(JSON.stringify({ type: 'wake', client_id: clientId, proof: wakeProof(secretHash, clientId, challenge.value.nonce) }) + '\n');
        readOneLine(link, (err2, reply) => {
          const parsed = err2 || reply === undefined ? undefined : parseWakeLine(WakeReply, reply);
          done(parsed?.ok === true && parsed.value.type === 'wake_ack');
        });
      });
    void addressOf(target).then((address) => {
      if (address === undefined || signal.aborted) return done(false);
      socket = connect({ host: address, port: target.port });
      socket.on('error', () => done(false));
      converse(socket);
    });
  });
}

/** Why a round's attempts are called off: a reason given builds no DOMException with a stack. */
const ROUND_OVER = Symbol('wake round over');

/** Wakes the client; resolves true once one address acknowledged, false when aborted first. */
export async function wake(targets: readonly WakeTarget[], clientId: number, secretHash: string, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    const round = new AbortController();
    const onAbort = (): void => round.abort(ROUND_OVER);
    signal.addEventListener('abort', onAbort, { once: true });
    const attempts = targets.map((t) => tryOnce(t, clientId, secretHash, round.signal).then((ok) => (ok ? true : Promise.reject(new Error('no')))));
    const acked = attempts.length > 0 && (await Promise.any(attempts).catch(() => false));
    round.abort(ROUND_OVER);
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
