/**
 * What every WebSocket upgrade of a technician (terminal, console feed) does first: copy the
 * handshake headers out of the request, authenticate by bearer token or session cookie, and refuse
 * a cookie sent by another site's page (cross-site WebSocket hijacking). Also the one way the hub
 * refuses an upgrade.
 */
import { AppError } from '../shared/errors.ts';
import type { HttpRequest, HttpResponse, us_socket_context_t } from './uws.ts';

export function refuseUpgrade(res: HttpResponse, status: string, err?: AppError): void {
  res.cork(() => {
    res.writeStatus(status);
    if (err) res.writeHeader('content-type', 'application/json').end(JSON.stringify(err.toJSON()));
    else res.end();
  });
}

export interface Handshake {
  /** Completes the upgrade with the socket's user data. */
  accept<T>(data: T): void;
}

/**
 * Authenticates a technician's upgrade. Returns the caller and a way to accept, or undefined after
 * refusing (401 unauthenticated, 403 cross-origin cookie).
 */
export function technicianUpgrade<A extends { via: 'bearer' | 'cookie' }>(
  res: HttpResponse,
  req: HttpRequest,
  context: us_socket_context_t,
  authenticate: (authorization: string, cookie: string) => A | undefined,
): { auth: A; handshake: Handshake } | undefined {
  const auth = authenticate(req.getHeader('authorization'), req.getHeader('cookie'));
  const origin = req.getHeader('origin');
  const host = req.getHeader('host');
  const key = req.getHeader('sec-websocket-key');
  const protocol = req.getHeader('sec-websocket-protocol');
  const extensions = req.getHeader('sec-websocket-extensions');
  if (!auth) {
    refuseUpgrade(res, '401 Unauthorized', new AppError('unauthorized'));
    return undefined;
  }
  // A cookie rides along with any page's request: only our own pages may use it here.
  if (auth.via === 'cookie' && origin && origin.replace(/^https?:\/\//, '') !== host) {
    refuseUpgrade(res, '403 Forbidden', new AppError('forbidden', { message: 'Cross-origin requests are refused.' }));
    return undefined;
  }
  return { auth, handshake: { accept: (data) => res.upgrade(data, key, protocol, extensions, context) } };
}
