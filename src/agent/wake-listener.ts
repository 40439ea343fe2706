/**
 * A passive client's listening port (SPEC A6): takes wakes from the hub (`src/shared/wake.ts`).
 * Each connection gets a fresh challenge; a wake that proves it comes from this client's appliance
 * is acknowledged and reported with `onWake`. Anything else is refused with one and the same
 * answer, or cut, and changes nothing. Bounded: a few connections at once, one short line each,
 * and every connection is gone a few seconds after it came, whatever the peer does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { safeEqual } from '../shared/ids.ts';
import type { Logger } from '../shared/log.ts';
import { NOT_FOR_THIS_CLIENT, parseWakeLine, readOneLine, WAKE_LINE_TIMEOUT_MS, wakeProof, WakeRequest, type WakeReply } from '../shared/wake.ts';

export interface WakeListenerOptions {
  /** The address to bind; `0.0.0.0` (or `::`) is every interface. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  clientId: number;
  /** The SHA-256 (hex) of the client's secret: the key of the wake's proof. */
  secretHash: string;
  onWake(): void;
  log: Logger;
}

export interface WakeListener {
  /** The port bound (the one asked for, or a free one when that was taken). */
  readonly port: number;
  /** The address bound, unless it is every interface. */
  readonly address: string | undefined;
  close(): Promise<void>;
}

const MAX_CONNECTIONS = 8;
/** How long a connection may live in all: the peer's line, and our answer on its way out. */
const CONNECTION_MS = WAKE_LINE_TIMEOUT_MS + 1_000;

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';

function bind(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function listenForWakes(options: WakeListenerOptions): Promise<WakeListener> {
  const { log } = options;
  const open = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    open.add(socket);
    const deadline = setTimeout(() => socket.destroy(), CONNECTION_MS);
    socket.once('close', () => {
      clearTimeout(deadline);
      open.delete(socket);
    });
    socket.on('error', () => undefined); // a peer that resets is no concern of the agent's
    const nonce = randomBytes(16).toString('hex');
    // The answer is the last word: a peer that keeps its side open is cut a second later.
    const reply = (message: WakeReply): void => {
      socket.end(JSON.stringify(message) + '\n');
      deadline.refresh();
      setTimeout(() => socket.destroy(), 1_000).unref();
    };
    socket.write(JSON.stringify({ type: 'challenge', nonce }) + '\n');
    readOneLine(socket, (err, line) => {
      if (err || line === undefined) return socket.destroy();
      const parsed = parseWakeLine(WakeRequest, line);
      if (!parsed.ok) {
        log.warn('malformed wake refused', { from: socket.remoteAddress, reason: parsed.reason });
        return reply({ type: 'wake_refused', reason: `malformed: ${parsed.reason}` });
      }
      const wake = parsed.value;
      if (wake.client_id !== options.clientId || !safeEqual(wake.proof, wakeProof(options.secretHash, options.clientId, nonce))) {
        log.warn('unproven wake refused', { from: socket.remoteAddress });
        return reply({ type: 'wake_refused', reason: NOT_FOR_THIS_CLIENT });
      }
      reply({ type: 'wake_ack' });
      options.onWake();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  try {
    await bind(server, options.host, options.port);
  } catch (err) {
    // Several clients may share a machine (SPEC A1b): the second takes a free port and reports it.
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) throw err;
    log.warn('wake port taken, listening on a free one', { port: options.port });
    await bind(server, options.host, 0);
  }
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : options.port;
  log.info('listening for wakes', { host: options.host, port });
  return {
    port,
    address: isWildcard(options.host) ? undefined : options.host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}
