/**
 * A passive client's listening port (SPEC A6): takes wakes from the hub, one JSON line each way
 * (`src/shared/wake.ts`). A wake for this client is acknowledged and reported with `onWake`; one for
 * another client, or anything malformed, is refused and changes nothing. Bounded: a few
 * connections at once, one short line each, a few seconds each.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../shared/log.ts';
import { parseWakeLine, readOneLine, WakeRequest, type WakeReply } from '../shared/wake.ts';

export interface WakeListenerOptions {
  /** The address to bind; `0.0.0.0` (or `::`) is every interface. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  clientId: number;
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
  const server = createServer((socket: Socket) => {
    const reply = (message: WakeReply): void => void socket.end(JSON.stringify(message) + '\n');
    socket.on('error', () => undefined); // a peer that resets is no concern of the agent's
    readOneLine(socket, (err, line) => {
      if (err || line === undefined) return socket.destroy();
      const parsed = parseWakeLine(WakeRequest, line);
      if (!parsed.ok) {
        log.warn('malformed wake refused', { from: socket.remoteAddress, reason: parsed.reason });
        return reply({ type: 'wake_refused', reason: `malformed: ${parsed.reason}` });
      }
      if (parsed.value.client_id !== options.clientId) {
        return reply({ type: 'wake_refused', reason: 'not this Jump Client' });
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
