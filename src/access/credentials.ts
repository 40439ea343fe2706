/** Resolving a bearer token or session cookie value to the principal behind it. */
import type { Registry, Token } from '../registry/index.ts';
import { sha256Hex } from '../shared/ids.ts';
import { isEnabled, loadPrincipal, type Principal } from './index.ts';

export const SESSION_COOKIE = 'jumpgate_session';

export interface Resolved {
  principal: Principal;
  token: Token;
  tokenHash: string;
}

/** The live, enabled principal a raw token stands for, if any. */
export function resolveToken(registry: Registry, raw: string, now: number): Resolved | undefined {
  const tokenHash = sha256Hex(raw);
  const token = registry.tokens.get(tokenHash);
  if (!token || token.expires_at <= now) return undefined;
  const principal = loadPrincipal(registry, token.principal);
  return principal && isEnabled(principal) ? { principal, token, tokenHash } : undefined;
}

/** The raw token from an Authorization header or a Cookie header. */
export function rawToken(authorization: string | undefined, cookieHeader: string | undefined): { raw: string; via: 'bearer' | 'cookie' } | undefined {
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return { raw: bearer, via: 'bearer' };
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE && rest.length) {
      const raw = decodeCookie(rest.join('='));
      return raw === undefined ? undefined : { raw, via: 'cookie' };
    }
  }
  return undefined;
}

/** A cookie value as it was set, or undefined when its percent-encoding is broken (no token of ours). */
function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
