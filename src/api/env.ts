import type { Principal } from '../access/index.ts';

export interface AuthInfo {
  principal: Principal;
  /** How the caller authenticated; cookie-authenticated state changes need the CSRF token. */
  via: 'cookie' | 'bearer';
  tokenHash: string;
  csrf: string;
}

/** The Hono environment of the API. `remoteAddress` is handed in by the listener. */
export interface ApiEnv {
  Bindings: { remoteAddress: string };
  Variables: {
    reqId: string;
    auth: AuthInfo | undefined;
  };
}
