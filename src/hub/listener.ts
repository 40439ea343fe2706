/**
 * The appliance's one listener: a uWebSockets.js app on one port whose WebSocket routes are the
 * agent hub and the session channels, and whose every other request goes to the HTTP handler.
 * The port is taken exclusively, so a second appliance on the same port fails instead of silently
 * sharing it.
 */
import { createServer } from 'node:net';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import { createHttpAdapter, type FetchHandler } from './http.ts';
import { refuseUpgrade } from './upgrade.ts';
import { loadUws, type TemplatedApp, type us_listen_socket } from './uws.ts';
import type * as UWS from 'uWebSockets.js';

export interface WsRoute {
  pattern: string;
  // biome-ignore lint: the behavior's user data type is the route's own business.
  behavior: UWS.WebSocketBehavior<any>;
}

export interface ListenerOptions {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string } | undefined;
  fetch: FetchHandler;
  maxBodyBytes(method: string, path: string): number;
  wsRoutes: WsRoute[];
  log: Logger;
  /** The origin used in request URLs given to `fetch`; defaults to the listening address. */
  origin?: string;
}

export interface Listener {
  readonly port: number;
  readonly app: TemplatedApp;
  /** Stops accepting, then waits (up to `graceMs`) for in-flight HTTP requests to finish. */
  close(graceMs?: number): Promise<void>;
}

export class ListenError extends Error {
  override name = 'ListenError';
}

/**
 * Claims the port the way an ordinary server does (exclusive, but not blocked by connections of a
 * previous run lingering in TIME_WAIT) and lets it go again: EADDRINUSE here means another live
 * listener, most likely another appliance. uWS's own exclusive mode does not set SO_REUSEADDR, so
 * a restart right after a stop under load could not bind for a minute; its default mode shares
 * the port (SO_REUSEPORT) with anyone. This check gives the one without the other.
 */
function claimPort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ListenError(`cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the address is in use' : err.message}`)),
    );
    probe.listen({ host, port, exclusive: true }, () => {
      const address = probe.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      probe.close(() => resolve(bound));
    });
  });
}

export async function startListener(options: ListenerOptions): Promise<Listener> {
  const port = await claimPort(options.host, options.port);
  return listenOn({ ...options, port });
}

function listenOn(options: ListenerOptions): Promise<Listener> {
  const uws = loadUws();
  const app = options.tls
    ? uws.SSLApp({ key_file_name: options.tls.keyFile, cert_file_name: options.tls.certFile })
    : uws.App();
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const track = {
    begin: () => void inFlight++,
    end: () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    },
  };
  for (const route of options.wsRoutes) app.ws(route.pattern, guarded(route, options.log));
  const scheme = options.tls ? 'https' : 'http';
  const originHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  return new Promise((resolve, reject) => {
    let origin = options.origin ?? '';
    app.any(
      '/*',
      createHttpAdapter({
        fetch: options.fetch,
        tls: options.tls !== undefined,
        get origin() {
          return origin;
        },
        maxBodyBytes: options.maxBodyBytes,
        log: options.log,
        track,
      }),
    );
    const onListen = (token: us_listen_socket | false): void => {
      if (!token) {
        reject(new ListenError(`cannot listen on ${options.host}:${options.port}: the address is in use or not available`));
        return;
      }
      const port = uws.us_socket_local_port(token as unknown as UWS.us_socket);
      if (!origin) origin = `${scheme}://${originHost}:${port}`;
      resolve({
        port,
        app,
        close(graceMs = 10_000) {
          uws.us_listen_socket_close(token);
          return new Promise<void>((done) => {
            const finish = (): void => {
              clearTimeout(timer);
              (app as unknown as { close(): void }).close();
              done();
            };
            const timer = setTimeout(finish, graceMs);
            if (inFlight === 0) finish();
            else idle = finish;
          });
        },
      });
    };
    // The port was claimed just before (claimPort); the default mode binds despite TIME_WAIT.
    app.listen(options.host, options.port, onListen);
  });
}

/**
 * The route's behaviour with every callback guarded: an exception thrown in one would otherwise
 * end the process (uWS calls them outside Node's error handling). A failed upgrade is refused with
 * 500, a socket whose handler failed is closed with 1011, and the error is logged.
 */
// biome-ignore lint: the behavior's user data type is the route's own business.
function guarded(route: WsRoute, log: Logger): UWS.WebSocketBehavior<any> {
  const behavior = { ...route.behavior };
  const failed = (where: string, err: unknown): void => {
    try {
      log.error('WebSocket handler failed', { module: 'hub', route: route.pattern, where, err });
    } catch {
      // an error that cannot even be logged (a circular value): the socket is still dealt with
    }
  };
  const { upgrade, open, message, drain, close } = route.behavior;
  if (upgrade) {
    behavior.upgrade = guard(upgrade, (res, err) => {
      failed('upgrade', err);
      try {
        refuseUpgrade(res, '500 Internal Server Error', new AppError('internal_error'));
      } catch {
        // already answered (or upgraded) before the handler threw: nothing more to say
      }
    });
  }
  const closeOn = (ws: UWS.WebSocket<unknown>, where: string, err: unknown): void => {
    failed(where, err);
    try {
      ws.end(1011, 'internal error');
    } catch {
      // already closed
    }
  };
  if (open) behavior.open = guard(open, (ws, err) => closeOn(ws, 'open', err));
  if (message) behavior.message = guard(message, (ws, err) => closeOn(ws, 'message', err));
  if (drain) behavior.drain = guard(drain, (ws, err) => closeOn(ws, 'drain', err));
  if (close) behavior.close = guard(close, (_ws, err) => failed('close', err));
  return behavior;
}

/**
 * `handler` with its exceptions, and an async handler's rejection, handed to `onError`. Made once
 * per route: the message handler runs for every agent message and session frame, so the guard
 * allocates nothing per call.
 */
function guard<W, B, C>(handler: (ws: W, b: B, c: C) => unknown, onError: (ws: W, err: unknown) => void): (ws: W, b?: B, c?: C) => void {
  return (ws, b, c) => {
    try {
      const result = handler(ws, b as B, c as C);
      if (result instanceof Promise) result.catch((err: unknown) => onError(ws, err));
    } catch (err) {
      onError(ws, err);
    }
  };
}
