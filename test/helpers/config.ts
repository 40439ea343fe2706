/**
 * Helpers for the configuration API tests: create users, groups, members and API accounts through
 * the API itself, and check that a refused request left the registry as it was.
 */
import assert from 'node:assert/strict';
import type { AuditQuery } from '../../src/registry/index.ts';
import { apiClient, type ApiClient, type ApiResult, type TestAppliance } from './appliance.ts';

export const CFG = '/api/config/v1';
export const TECH_PASSWORD = 'password';

export interface Created {
  id: number;
  [k: string]: unknown;
}

function expectStatus(res: ApiResult, status: number, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function createUser(admin: ApiClient, body: Record<string, unknown>): Promise<Created> {
  const res = await admin.post(`${CFG}/user`, { password: TECH_PASSWORD, ...body });
  expectStatus(res, 201, `create user ${String(body.username)}`);
  return res.body;
}

/** A technician (not admin) created through the API, and a client logged in as them. */
export async function createTech(
  t: TestAppliance,
  admin: ApiClient,
  username: string,
  extra: Record<string, unknown> = {},
): Promise<{ user: Created; client: ApiClient }> {
  const user = await createUser(admin, { username, ...extra });
  return { user, client: await t.login(username, TECH_PASSWORD) };
}

export async function createGroup(admin: ApiClient, body: Record<string, unknown>): Promise<Created> {
  const res = await admin.post(`${CFG}/jump-group`, body);
  expectStatus(res, 201, `create group ${String(body.name)}`);
  return res.body;
}

export async function addMember(admin: ApiClient, groupId: number, userId: number, roleId: number): Promise<void> {
  const res = await admin.post(`${CFG}/jump-group/${groupId}/user`, { user_id: userId, jump_item_role_id: roleId });
  expectStatus(res, 201, `add member ${userId} to ${groupId}`);
}

/** Creates an API account and returns it with its one-time secret. */
export async function createApiAccount(admin: ApiClient, body: Record<string, unknown>): Promise<Created & { client_id: string; client_secret: string }> {
  const res = await admin.post(`${CFG}/api-account`, body);
  expectStatus(res, 201, `create API account ${String(body.name)}`);
  return res.body;
}

/** The raw answer of the OAuth2 token endpoint. */
export async function oauthToken(t: TestAppliance, clientId: string, secret: string): Promise<Response> {
  return fetch(`${t.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
}

/** A client authenticated as an API account. */
export async function apiAccountClient(t: TestAppliance, clientId: string, secret: string): Promise<ApiClient> {
  const res = await oauthToken(t, clientId, secret);
  assert.equal(res.status, 200, 'oauth2 token');
  const body = (await res.json()) as { access_token: string };
  return apiClient(t.url, body.access_token);
}

export function audit(t: TestAppliance, q: AuditQuery = {}) {
  return t.appliance.registry.audit.query(q);
}

/**
 * Sends each bad request and checks it answers 400 naming `field`, and that neither the resource at
 * `snapshotPath` nor the audit log changed.
 */
export async function expectRefused(
  t: TestAppliance,
  client: ApiClient,
  snapshotPath: string,
  cases: { method: string; path: string; body?: unknown; field: string }[],
): Promise<void> {
  const before = (await client.get(snapshotPath)).body;
  const auditBefore = audit(t).length;
  for (const bad of cases) {
    const res = await client.request(bad.method, bad.path, bad.body);
    const what = `${bad.method} ${bad.path} ${JSON.stringify(bad.body)}`;
    assert.equal(res.status, 400, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'invalid_request', what);
    assert.equal(res.body.error.field, bad.field, `${what}: ${JSON.stringify(res.body)}`);
  }
  assert.deepEqual((await client.get(snapshotPath)).body, before, 'the resource is unchanged');
  assert.equal(audit(t).length, auditBefore, 'nothing was audited');
}
