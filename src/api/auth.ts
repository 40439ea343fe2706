/**
 * Authentication: password login with throttling, bearer tokens and the session cookie, logout,
 * OAuth2 client credentials for API accounts, and the CSRF check for cookie-authenticated changes.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { setCookie, deleteCookie } from 'hono/cookie';
import * as v from 'valibot';
import type { Principal } from '../access/index.ts';
import { rawToken, resolveToken, SESSION_COOKIE } from '../access/credentials.ts';
import type { Registry, Token } from '../registry/index.ts';
import { AppError } from '../shared/errors.ts';
import { randomToken, safeEqual, sha256Hex } from '../shared/ids.ts';
import { DUMMY_HASH, verifyPassword } from '../shared/passwords.ts';
import type { ApiEnv } from './env.ts';
import { createThrottle, type Throttle } from './throttle.ts';
import { readJson } from './validate.ts';
import { publicUser } from './views.ts';

export { SESSION_COOKIE };
export const CSRF_HEADER = 'x-csrf-token';
const OAUTH_TOKEN_SECONDS = 3600;

export interface AuthOptions {
  registry: Registry;
  secureCookies: boolean;
  now?: () => number;
  /** Failed logins allowed per username and per address within the window. */
  throttle?: { perUser: number; perAddress: number; windowMs: number };
  /** Called after a logout, to end what the principal had open (sessions). */
  onLogout?: (principal: Principal) => void;
}

const LoginBody = v.strictObject({
  username: v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters')),
  password: v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(1024, 'must be at most 1024 characters')),
});

/** Resolves the caller from a bearer token or the session cookie; enforces CSRF on cookie changes. */
export function authenticate(options: AuthOptions): MiddlewareHandler<ApiEnv> {
  const now = options.now ?? Date.now;
  return async (c, next) => {
    c.set('auth', undefined);
    const sent = rawToken(c.req.header('authorization'), c.req.header('cookie'));
    const resolved = sent && resolveToken(options.registry, sent.raw, now());
    if (sent && resolved) {
      c.set('auth', { principal: resolved.principal, via: sent.via, tokenHash: resolved.tokenHash, csrf: resolved.token.csrf });
    }
    const auth = c.get('auth');
    if (auth?.via === 'cookie' && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      const sent = c.req.header(CSRF_HEADER) ?? '';
      if (!safeEqual(sent, auth.csrf)) {
        throw new AppError('forbidden', { message: 'The CSRF token is missing or wrong.', details: { field: CSRF_HEADER } });
      }
    }
    await next();
  };
}

/** 401 unless the caller is authenticated. */
export const requireAuth: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (!c.get('auth')) throw new AppError('unauthorized');
  await next();
};

/** The authenticated principal (after requireAuth). */
export function principalOf(c: { get(key: 'auth'): ApiEnv['Variables']['auth'] }): Principal {
  const auth = c.get('auth');
  if (!auth) throw new AppError('unauthorized');
  return auth.principal;
}

export function createAuthRoutes(options: AuthOptions): Hono<ApiEnv> {
  const { registry } = options;
  const now = options.now ?? Date.now;
  const limits = options.throttle ?? { perUser: 5, perAddress: 20, windowMs: 15 * 60_000 };
  const byUser: Throttle = createThrottle({ limit: limits.perUser, windowMs: limits.windowMs, now });
  const byAddress: Throttle = createThrottle({ limit: limits.perAddress, windowMs: limits.windowMs, now });
  const app = new Hono<ApiEnv>();

  const refuseIfThrottled = (userKey: string, addressKey: string): void => {
    const wait = Math.max(byUser.retryAfter(userKey), byAddress.retryAfter(addressKey));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new AppError('too_many_requests', {
        message: 'Too many failed login attempts. Try again later.',
        headers: { 'Retry-After': String(seconds) },
        details: { retry_after_seconds: seconds },
      });
    }
  };

  app.post('/api/auth/login', async (c) => {
    const body = await readJson(c, LoginBody);
    const userKey = body.username.toLowerCase();
    const addressKey = c.env.remoteAddress;
    refuseIfThrottled(userKey, addressKey);
    const user = registry.users.byUsername(body.username);
    const ok = await verifyPassword(body.password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok || !user.enabled) {
      byUser.fail(userKey);
      byAddress.fail(addressKey);
      throw new AppError('unauthorized', { message: 'The username or password is wrong, or the account is disabled.' });
    }
    byUser.reset(userKey);
    const raw = randomToken();
    const ttlMs = registry.settings.get().login_session_minutes * 60_000;
    const token: Token = {
      hash: sha256Hex(raw),
      principal: { kind: 'user', id: user.id },
      csrf: randomToken(24),
      created_at: now(),
      expires_at: now() + ttlMs,
    };
    const loggedIn = { ...user, last_login_at: now() };
    await registry.write(() => {
      registry.tokens.put(token);
      registry.users.put(loggedIn);
    });
    setCookie(c, SESSION_COOKIE, raw, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: options.secureCookies,
      path: '/',
      maxAge: Math.floor(ttlMs / 1000),
    });
    return c.json({
      token: raw,
      token_type: 'Bearer',
      csrf_token: token.csrf,
      expires_at: new Date(token.expires_at).toISOString(),
      user: publicUser(loggedIn),
    });
  });

  app.post('/api/auth/logout', async (c) => {
    const auth = c.get('auth');
    if (auth) {
      await registry.write(() => registry.tokens.remove(auth.tokenHash));
      options.onLogout?.(auth.principal);
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: options.secureCookies, sameSite: 'Strict', httpOnly: true });
    return c.body(null, 204);
  });

  app.get('/api/auth/me', requireAuth, (c) => {
    const auth = c.get('auth')!;
    const p = auth.principal;
    return c.json({
      kind: p.kind,
      user: p.kind === 'user' ? publicUser(p.user) : null,
      api_account: p.kind === 'api' ? { id: p.account.id, name: p.account.name, is_admin: p.account.is_admin } : null,
      csrf_token: auth.csrf,
    });
  });

  app.post('/oauth2/token', async (c) => {
    const basic = c.req.header('authorization')?.match(/^Basic\s+(\S+)$/i)?.[1];
    const [clientId, secret] = basic ? Buffer.from(basic, 'base64').toString().split(/:(.*)/s) : [];
    const form = new URLSearchParams(await c.req.text());
    if (form.get('grant_type') !== 'client_credentials') {
      return c.json({ error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' }, 400);
    }
    const addressKey = c.env.remoteAddress;
    refuseIfThrottled(`api:${clientId ?? ''}`, addressKey);
    const account = clientId ? registry.apiAccounts.byClientId(clientId) : undefined;
    if (!account || !secret || !account.enabled || !safeEqual(sha256Hex(secret), account.secret_hash)) {
      byUser.fail(`api:${clientId ?? ''}`);
      byAddress.fail(addressKey);
      return c.json({ error: 'invalid_client', error_description: 'The client credentials are wrong or disabled.' }, 401);
    }
    const raw = randomToken();
    await registry.write(() =>
      registry.tokens.put({
        hash: sha256Hex(raw),
        principal: { kind: 'api', id: account.id },
        csrf: randomToken(24),
        created_at: now(),
        expires_at: now() + OAUTH_TOKEN_SECONDS * 1000,
      }),
    );
    c.header('Cache-Control', 'no-store');
    return c.json({ access_token: raw, token_type: 'Bearer', expires_in: OAUTH_TOKEN_SECONDS });
  });

  return app;
}
