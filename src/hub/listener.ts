/**
 * The appliance's one listener: a uWebSockets.js app on one port whose WebSocket routes are the
 * agent hub and the session channels, and whose every other request goes to the HTTP handler.
 * The port is taken exclusively, so a second appliance on the same port fails instead of silently
 * sharing it.
 */
import type { Logger } from '../shared/log.ts';
import { createHttpAdapter, type FetchHandler } from './http.ts';
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

export function startListener(options: ListenerOptions): Promise<Listener> {
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
  for (const route of options.wsRoutes) app.ws(route.pattern, route.behavior);
  const scheme = options.tls ? 'https' : 'http';
  const originHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  return new Promise((resolve, reject) => {
    let origin = options.origin ?? '';
    app.any(
      '/*',
      createHttpAdapter({
        fetch: options.fetch,
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
    // Exclusive listen (LIBUS_LISTEN_EXCLUSIVE_PORT): the typings only offer it without a host.
    (app.listen as unknown as (h: string, p: number, o: number, cb: typeof onListen) => void)(
      options.host,
      options.port,
      (uws as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT?: number }).LIBUS_LISTEN_EXCLUSIVE_PORT ?? 1,
      onListen,
    );
  });
}
