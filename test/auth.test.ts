/**
 * Authentication against the real appliance in-process (SPEC P1, API.md "Authentication"): login and
 * the session cookie, the catalog's 401, throttling per username and per address, logout, token
 * expiry, CSRF on cookie-authenticated changes, OAuth2 client credentials, disabled principals.
 * The shared appliance throttles 5 failures per username within 60 s, so every test that fails
 * logins on purpose uses a username of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_ROLES, type ApiAccount, type User } from '../src/registry/index.ts';
import { sha256Hex } from '../src/shared/ids.ts';
import { hashPassword } from '../src/shared/passwords.ts';
import { ADMIN_PASSWORD, apiClient, startTestAppliance, type TestAppliance } from './helpers/appliance.ts';

const SESSION_COOKIE = 'jumpgate_session';

/** A user put straight into the registry (the user routes are not what is under test here). */
async function addUser(t: TestAppliance, username: string, password: string, extra: Partial<User> = {}): Promise<User> {
  const { registry } = t.appliance;
  const password_hash = await hashPassword(password);
  return registry.write(() => {
    const user: User = {
      id: registry.users.nextId(),
      username,
      display_name: `User ${username}`,
      email: '',
      is_admin: false,
      enabled: true,
      password_hash,
      personal_jump_item_role_id: BUILTIN_ROLES.startSessionsOnly,
      created_at: Date.now(),
      updated_at: Date.now(),
      last_login_at: null,
      ...extra,
    };
    registry.users.put(user);
    return user;
  });
}

/** Puts a changed copy of a user row. */
async function updateUser(t: TestAppliance, id: number, change: Partial<User>): Promise<void> {
  const { registry } = t.appliance;
  await registry.write(() => registry.users.put({ ...registry.users.get(id)!, ...change }));
}

interface LoginAnswer {
  status: number;
  body: any;
  headers: Headers;
  /** The raw Set-Cookie line of the session cookie, if any. */
  setCookie: string | undefined;
  /** `jumpgate_session=<value>`, ready for a Cookie header. */
  cookie: string | undefined;
}

async function login(url: string, username: string, password: string): Promise<LoginAnswer> {
  const res = await fetch(url + '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const body = await res.json();
  return { status: res.status, body, headers: res.headers, setCookie, cookie: setCookie?.split(';')[0] };
}

/** A request carrying only the session cookie (and whatever headers are given). */
async function withCookie(url: string, cookie: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

function assertUnauthorized(res: { status: number; body: any }, message?: string): void {
  assert.equal(res.status, 401);
  assert.equal(res.body.error.code, 'unauthorized');
  assert.equal(typeof res.body.error.message, 'string');
  if (message) assert.equal(res.body.error.message, message);
}

describe('authentication', () => {
  let t: TestAppliance;
  before(async () => {
    t = await startTestAppliance();
  });
  after(() => t.stop());

  describe('password login', () => {
    it('returns a token and sets an HttpOnly, SameSite=Strict cookie (not Secure over plain HTTP)', async () => {
      const res = await login(t.url, 'admin', ADMIN_PASSWORD);
      assert.equal(res.status, 200);
      assert.match(res.body.token, /^[\w-]{40,}$/);
      assert.equal(res.body.token_type, 'Bearer');
      assert.match(res.body.csrf_token, /^[\w-]{20,}$/);
      assert.equal(res.body.user.username, 'admin');
      assert.equal(res.body.user.is_admin, true);
      assert.equal(res.body.user.password_hash, undefined, 'the hash never leaves the appliance');
      assert.ok(Date.parse(res.body.expires_at) > Date.now());

      assert.ok(res.setCookie, 'a session cookie is set');
      const flags = res.setCookie.split(';').map((s) => s.trim().toLowerCase());
      assert.equal(res.cookie, `${SESSION_COOKIE}=${res.body.token}`);
      assert.ok(flags.includes('httponly'), res.setCookie);
      assert.ok(flags.includes('samesite=strict'), res.setCookie);
      assert.ok(flags.includes('path=/'), res.setCookie);
      assert.ok(!flags.includes('secure'), 'no Secure flag over plain HTTP');
      assert.ok(flags.includes(`max-age=${480 * 60}`), res.setCookie);
    });

    it('/api/auth/me answers with the bearer token and with the cookie', async () => {
      const res = await login(t.url, 'admin', ADMIN_PASSWORD);
      const byBearer = await apiClient(t.url, res.body.token).get('/api/auth/me');
      assert.equal(byBearer.status, 200);
      assert.equal(byBearer.body.kind, 'user');
      assert.equal(byBearer.body.user.username, 'admin');
      assert.equal(byBearer.body.api_account, null);
      assert.equal(byBearer.body.csrf_token, res.body.csrf_token);

      const byCookie = await withCookie(t.url, res.cookie!, 'GET', '/api/auth/me');
      assert.equal(byCookie.status, 200);
      assert.equal(byCookie.body.user.username, 'admin');
      assert.equal(byCookie.body.csrf_token, res.body.csrf_token);
    });

    it('/api/auth/me without credentials, or with a made-up token, is 401', async () => {
      assertUnauthorized(await t.anonymous().get('/api/auth/me'));
      assertUnauthorized(await apiClient(t.url, 'not-a-real-token').get('/api/auth/me'));
      assertUnauthorized(await withCookie(t.url, `${SESSION_COOKIE}=forged`, 'GET', '/api/auth/me'));
    });

    it('a wrong password and an unknown user get the same 401 in the catalog shape', async () => {
      await addUser(t, 'wrongpw', 'right-password-1');
      const wrong = await login(t.url, 'wrongpw', 'not-the-password');
      assertUnauthorized(wrong);
      assert.equal(wrong.setCookie, undefined, 'no cookie on failure');
      assert.deepEqual(Object.keys(wrong.body), ['error']);
      const unknown = await login(t.url, 'nobody-by-this-name', 'not-the-password');
      assertUnauthorized(unknown, wrong.body.error.message);
      assert.match(wrong.body.error.message, /username or password is wrong/);
    });

    it('a disabled user cannot log in, with the same message', async () => {
      await addUser(t, 'disabled-at-login', 'right-password-2', { enabled: false });
      const res = await login(t.url, 'disabled-at-login', 'right-password-2');
      assertUnauthorized(res, 'The username or password is wrong, or the account is disabled.');
    });

    it('a malformed login body is a 400 naming the field', async () => {
      const res = await t.anonymous().post('/api/auth/login', { username: 'admin' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.equal(res.body.error.field, 'password');
    });

    it('records the time of the last login', async () => {
      const user = await addUser(t, 'lastlogin', 'right-password-3');
      assert.equal(user.last_login_at, null);
      const res = await login(t.url, 'lastlogin', 'right-password-3');
      assert.equal(res.status, 200);
      assert.ok(t.appliance.registry.users.get(user.id)!.last_login_at! > 0);
    });
  });

  describe('throttling', () => {
    it('locks a username after 5 failures: 429 with Retry-After, even for the right password', async () => {
      await addUser(t, 'locked', 'right-password-4');
      for (let i = 0; i < 5; i++) {
        // The key is the lower-cased username: changing the case does not buy more attempts.
        assertUnauthorized(await login(t.url, i % 2 ? 'LOCKED' : 'locked', `wrong-${i}`));
      }
      const refused = await login(t.url, 'locked', 'wrong-again');
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error.code, 'too_many_requests');
      assert.equal(typeof refused.body.error.message, 'string');
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal(refused.body.error.retry_after_seconds, retryAfter);

      const right = await login(t.url, 'locked', 'right-password-4');
      assert.equal(right.status, 429, 'the right password is refused while locked');
      assert.equal(right.setCookie, undefined);
    });

    it('the lock is per username: other users still log in from the same address', async () => {
      await addUser(t, 'locked-2', 'right-password-5');
      for (let i = 0; i < 5; i++) assertUnauthorized(await login(t.url, 'locked-2', `wrong-${i}`));
      assert.equal((await login(t.url, 'locked-2', 'right-password-5')).status, 429);
      assert.equal((await login(t.url, 'admin', ADMIN_PASSWORD)).status, 200);
    });

    it('a success before the limit resets the count for that username', async () => {
      await addUser(t, 'resets', 'right-password-6');
      for (let i = 0; i < 4; i++) assertUnauthorized(await login(t.url, 'resets', `wrong-${i}`));
      assert.equal((await login(t.url, 'resets', 'right-password-6')).status, 200);
      for (let i = 0; i < 4; i++) assertUnauthorized(await login(t.url, 'resets', `wrong-${i}`));
      assert.equal((await login(t.url, 'resets', 'right-password-6')).status, 200);
    });

    it('locks an address after its limit of failures, whatever the usernames', async () => {
      const t2 = await startTestAppliance({}, { throttle: { perUser: 100, perAddress: 3, windowMs: 60_000 } });
      try {
        for (const name of ['spray-1', 'spray-2', 'admin']) assertUnauthorized(await login(t2.url, name, 'wrong'));
        const refused = await login(t2.url, 'admin', ADMIN_PASSWORD);
        assert.equal(refused.status, 429, 'the right password is refused from a locked address');
        assert.equal(refused.body.error.code, 'too_many_requests');
        const retryAfter = Number(refused.headers.get('retry-after'));
        assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        assert.equal((await login(t2.url, 'someone-new', 'whatever')).status, 429);
      } finally {
        await t2.stop();
      }
    });
  });

  describe('logout and expiry', () => {
    it('logout revokes the token and clears the cookie', async () => {
      const res = await login(t.url, 'admin', ADMIN_PASSWORD);
      const client = apiClient(t.url, res.body.token);
      assert.equal((await client.get('/api/auth/me')).status, 200);

      const out = await fetch(t.url + '/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${res.body.token}` } });
      assert.equal(out.status, 204);
      const cleared = out.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
      assert.ok(cleared, 'the cookie is overwritten');
      assert.match(cleared, new RegExp(`^${SESSION_COOKIE}=;`));
      assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/i);

      assertUnauthorized(await client.get('/api/auth/me'));
      assertUnauthorized(await withCookie(t.url, res.cookie!, 'GET', '/api/auth/me'));
      assert.equal(t.appliance.registry.tokens.get(sha256Hex(res.body.token)), undefined);
    });

    it('a cookie-authenticated logout needs the CSRF token', async () => {
      const res = await login(t.url, 'admin', ADMIN_PASSWORD);
      const forged = await withCookie(t.url, res.cookie!, 'POST', '/api/auth/logout');
      assert.equal(forged.status, 403);
      assert.equal((await withCookie(t.url, res.cookie!, 'GET', '/api/auth/me')).status, 200, 'still logged in');
      const out = await withCookie(t.url, res.cookie!, 'POST', '/api/auth/logout', undefined, { 'x-csrf-token': res.body.csrf_token });
      assert.equal(out.status, 204);
      assertUnauthorized(await withCookie(t.url, res.cookie!, 'GET', '/api/auth/me'));
    });

    it('a session lasts login_session_minutes and is refused once expired', async () => {
      const admin = await t.login();
      const set = await admin.patch('/api/config/v1/settings', { login_session_minutes: 5 });
      assert.equal(set.status, 200);
      assert.equal(set.body.login_session_minutes, 5);
      try {
        const before = Date.now();
        const res = await login(t.url, 'admin', ADMIN_PASSWORD);
        assert.match(res.setCookie!, /Max-Age=300(;|$)/);
        const expires = Date.parse(res.body.expires_at);
        assert.ok(expires >= before + 5 * 60_000 && expires <= Date.now() + 5 * 60_000, res.body.expires_at);

        const client = apiClient(t.url, res.body.token);
        assert.equal((await client.get('/api/auth/me')).status, 200);
        const { registry } = t.appliance;
        const hash = sha256Hex(res.body.token);
        const row = registry.tokens.get(hash)!;
        assert.equal(row.expires_at, expires);
        await registry.write(() => registry.tokens.put({ ...row, expires_at: Date.now() - 1 }));

        assertUnauthorized(await client.get('/api/auth/me'));
        assertUnauthorized(await withCookie(t.url, res.cookie!, 'GET', '/api/auth/me'));
        assertUnauthorized(await client.get('/api/config/v1/settings'));
      } finally {
        assert.equal((await admin.patch('/api/config/v1/settings', { login_session_minutes: 480 })).status, 200);
      }
    });
  });

  describe('CSRF', () => {
    it('a cookie-authenticated change needs the x-csrf-token header; a bearer one does not', async () => {
      const res = await login(t.url, 'admin', ADMIN_PASSWORD);
      const before = (await withCookie(t.url, res.cookie!, 'GET', '/api/config/v1/settings')).body;
      const next = before.audit_retention_days === 91 ? 92 : 91;

      const missing = await withCookie(t.url, res.cookie!, 'PATCH', '/api/config/v1/settings', { audit_retention_days: next });
      assert.equal(missing.status, 403);
      assert.equal(missing.body.error.code, 'forbidden');
      assert.equal(missing.body.error.field, 'x-csrf-token');
      const wrong = await withCookie(t.url, res.cookie!, 'PATCH', '/api/config/v1/settings', { audit_retention_days: next }, {
        'x-csrf-token': 'x'.repeat(res.body.csrf_token.length),
      });
      assert.equal(wrong.status, 403);
      assert.deepEqual((await withCookie(t.url, res.cookie!, 'GET', '/api/config/v1/settings')).body, before, 'unchanged');

      const right = await withCookie(t.url, res.cookie!, 'PATCH', '/api/config/v1/settings', { audit_retention_days: next }, {
        'x-csrf-token': res.body.csrf_token,
      });
      assert.equal(right.status, 200);
      assert.equal(right.body.audit_retention_days, next);

      const bearer = await apiClient(t.url, res.body.token).patch('/api/config/v1/settings', { audit_retention_days: before.audit_retention_days });
      assert.equal(bearer.status, 200, 'no CSRF token needed with a bearer token');
      assert.equal(bearer.body.audit_retention_days, before.audit_retention_days);
    });

    it('the CSRF token of one session does not work for another', async () => {
      const a = await login(t.url, 'admin', ADMIN_PASSWORD);
      const b = await login(t.url, 'admin', ADMIN_PASSWORD);
      assert.notEqual(a.body.csrf_token, b.body.csrf_token);
      const crossed = await withCookie(t.url, a.cookie!, 'PATCH', '/api/config/v1/settings', {}, { 'x-csrf-token': b.body.csrf_token });
      assert.equal(crossed.status, 403);
    });
  });

  describe('OAuth2 client credentials', () => {
    const secret = 'api-secret-0123456789abcdef';
    let account: ApiAccount;
    before(async () => {
      const { registry } = t.appliance;
      account = await registry.write(() => {
        const row: ApiAccount = {
          id: registry.apiAccounts.nextId(),
          name: 'reporting-script',
          client_id: 'client-reporting',
          secret_hash: sha256Hex(secret),
          is_admin: false,
          enabled: true,
          created_at: Date.now(),
        };
        registry.apiAccounts.put(row);
        return row;
      });
    });

    async function tokenRequest(clientId: string, clientSecret: string, body = 'grant_type=client_credentials') {
      const res = await fetch(t.url + '/oauth2/token', {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
      return { status: res.status, headers: res.headers, body: await res.json() };
    }

    it('issues a bearer token that works on /api/auth/me', async () => {
      const res = await tokenRequest(account.client_id, secret);
      assert.equal(res.status, 200);
      assert.equal(res.body.token_type, 'Bearer');
      assert.equal(res.body.expires_in, 3600);
      assert.match(res.body.access_token, /^[\w-]{40,}$/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const me = await apiClient(t.url, res.body.access_token).get('/api/auth/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.kind, 'api');
      assert.equal(me.body.user, null);
      assert.deepEqual(me.body.api_account, { id: account.id, name: 'reporting-script', is_admin: false });
    });

    it('refuses a wrong secret or an unknown client with 401 invalid_client', async () => {
      const wrong = await tokenRequest(account.client_id, 'not-the-secret');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error, 'invalid_client');
      const unknown = await tokenRequest('no-such-client', secret);
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.error, 'invalid_client');
      const none = await fetch(t.url + '/oauth2/token', { method: 'POST', body: 'grant_type=client_credentials' });
      assert.equal(none.status, 401);
    });

    it('refuses another grant_type with 400', async () => {
      const res = await tokenRequest(account.client_id, secret, 'grant_type=password&username=admin&password=x');
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'unsupported_grant_type');
    });

    it('a disabled API account gets no token, and its tokens stop working', async () => {
      const { registry } = t.appliance;
      const issued = await tokenRequest(account.client_id, secret);
      const client = apiClient(t.url, issued.body.access_token);
      assert.equal((await client.get('/api/auth/me')).status, 200);
      await registry.write(() => registry.apiAccounts.put({ ...account, enabled: false }));
      try {
        assertUnauthorized(await client.get('/api/auth/me'));
        assert.equal((await tokenRequest(account.client_id, secret)).status, 401);
      } finally {
        await registry.write(() => registry.apiAccounts.put(account));
      }
    });
  });

  describe('disabled users', () => {
    it("a disabled user's token and cookie stop working at once", async () => {
      const user = await addUser(t, 'soon-disabled', 'right-password-7');
      const res = await login(t.url, 'soon-disabled', 'right-password-7');
      assert.equal(res.status, 200);
      const client = apiClient(t.url, res.body.token);
      assert.equal((await client.get('/api/auth/me')).status, 200);
      assert.equal(res.body.user.is_admin, false);

      await updateUser(t, user.id, { enabled: false });
      assertUnauthorized(await client.get('/api/auth/me'));
      assertUnauthorized(await withCookie(t.url, res.cookie!, 'GET', '/api/auth/me'));
    });

    it('a deleted user\'s token stops working', async () => {
      const user = await addUser(t, 'soon-deleted', 'right-password-8');
      const res = await login(t.url, 'soon-deleted', 'right-password-8');
      const client = apiClient(t.url, res.body.token);
      assert.equal((await client.get('/api/auth/me')).status, 200);
      await t.appliance.registry.write(() => t.appliance.registry.users.remove(user.id));
      assertUnauthorized(await client.get('/api/auth/me'));
    });

    it('a technician gets 403 on admin-only settings', async () => {
      await addUser(t, 'technician', 'right-password-9');
      const res = await login(t.url, 'technician', 'right-password-9');
      const settings = await apiClient(t.url, res.body.token).get('/api/config/v1/settings');
      assert.equal(settings.status, 403);
      assert.equal(settings.body.error.code, 'forbidden');
    });
  });
});
