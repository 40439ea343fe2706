import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../src/shared/ids.ts';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';
import { apiAccountClient, audit, CFG, createApiAccount, createTech, expectRefused, oauthToken } from './helpers/config.ts';

const ACCOUNTS = `${CFG}/api-account`;

describe('API accounts: /api/config/v1/api-account', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
  });
  after(() => t.stop());

  it('creates an account and shows its secret once; only the hash is stored', async () => {
    const res = await admin.post(ACCOUNTS, { name: 'backup script' });
    assert.equal(res.status, 201);
    assert.equal(res.body.is_admin, false);
    assert.equal(res.body.enabled, true);
    assert.match(res.body.client_id, /^[A-Za-z0-9_-]{20,}$/);
    assert.match(res.body.client_secret, /^[A-Za-z0-9_-]{40,}$/);
    const stored = t.appliance.registry.apiAccounts.get(res.body.id)!;
    assert.equal(stored.secret_hash, sha256Hex(res.body.client_secret));
    const shown = await admin.get(`${ACCOUNTS}/${res.body.id}`);
    assert.deepEqual(Object.keys(shown.body).sort(), ['client_id', 'created_at', 'enabled', 'id', 'is_admin', 'name']);
    const listed = await admin.get(`${ACCOUNTS}?name=BACKUP`);
    assert.deepEqual(listed.body, [shown.body]);
    assert.equal(listed.headers.get('x-pagination-total'), '1');
    assert.equal((await oauthToken(t, res.body.client_id, res.body.client_secret)).status, 200);
  });

  it('filters by is_admin and enabled', async () => {
    await createApiAccount(admin, { name: 'f-admin', is_admin: true });
    await createApiAccount(admin, { name: 'f-off', enabled: false });
    const names = async (q: string) => (await admin.get(`${ACCOUNTS}?name=f-&${q}`)).body.map((a: { name: string }) => a.name);
    assert.deepEqual(await names('is_admin=true'), ['f-admin']);
    assert.deepEqual(await names('enabled=false'), ['f-off']);
  });

  it('regenerates the secret: the old secret and its tokens stop working', async () => {
    const account = await createApiAccount(admin, { name: 'rotating', is_admin: true });
    const client = await apiAccountClient(t, account.client_id, account.client_secret);
    assert.equal((await client.get(ACCOUNTS)).status, 200);
    const res = await admin.patch(`${ACCOUNTS}/${account.id}`, { regenerate_secret: true });
    assert.equal(res.status, 200);
    assert.notEqual(res.body.client_secret, account.client_secret);
    assert.equal(res.body.client_id, account.client_id);
    assert.equal((await oauthToken(t, account.client_id, account.client_secret)).status, 401);
    assert.equal((await oauthToken(t, account.client_id, res.body.client_secret)).status, 200);
    assert.equal((await client.get(ACCOUNTS)).status, 401);
    const plain = await admin.patch(`${ACCOUNTS}/${account.id}`, { name: 'renamed' });
    assert.equal(plain.body.name, 'renamed');
    assert.equal('client_secret' in plain.body, false);
  });

  it('revokes tokens when an account is disabled or deleted', async () => {
    const account = await createApiAccount(admin, { name: 'short-lived' });
    const client = await apiAccountClient(t, account.client_id, account.client_secret);
    assert.equal((await client.get(`${CFG}/jump-item-role`)).status, 200);
    assert.equal((await admin.patch(`${ACCOUNTS}/${account.id}`, { enabled: false })).status, 200);
    assert.equal((await oauthToken(t, account.client_id, account.client_secret)).status, 401);
    assert.equal((await admin.patch(`${ACCOUNTS}/${account.id}`, { enabled: true })).status, 200);
    assert.equal((await client.get(`${CFG}/jump-item-role`)).status, 401, 'the old token stays revoked');
    const again = await apiAccountClient(t, account.client_id, account.client_secret);
    assert.equal((await admin.del(`${ACCOUNTS}/${account.id}`)).status, 204);
    assert.equal((await again.get(`${CFG}/jump-item-role`)).status, 401);
    assert.equal((await admin.get(`${ACCOUNTS}/${account.id}`)).status, 404);
    assert.equal(t.appliance.registry.apiAccounts.byClientId(account.client_id), undefined);
    assert.equal((await admin.del(`${ACCOUNTS}/${account.id}`)).status, 404);
  });

  it('refuses bad bodies, queries and ids naming the field, and changes nothing', async () => {
    const account = await createApiAccount(admin, { name: 'steady' });
    const p = `${ACCOUNTS}/${account.id}`;
    await expectRefused(t, admin, `${ACCOUNTS}?per_page=1000`, [
      { method: 'POST', path: ACCOUNTS, body: {}, field: 'name' },
      { method: 'POST', path: ACCOUNTS, body: { name: '' }, field: 'name' },
      { method: 'POST', path: ACCOUNTS, body: { name: 'n'.repeat(129) }, field: 'name' },
      { method: 'POST', path: ACCOUNTS, body: { name: 'ok', is_admin: 'true' }, field: 'is_admin' },
      { method: 'POST', path: ACCOUNTS, body: { name: 'ok', client_secret: 'mine' }, field: 'client_secret' },
      { method: 'POST', path: ACCOUNTS, body: { name: 'ok', client_id: 'mine' }, field: 'client_id' },
      { method: 'PATCH', path: p, body: { regenerate_secret: 'yes' }, field: 'regenerate_secret' },
      { method: 'PATCH', path: p, body: { enabled: 0 }, field: 'enabled' },
      { method: 'PATCH', path: p, body: { secret_hash: 'x' }, field: 'secret_hash' },
      { method: 'PATCH', path: `${ACCOUNTS}/x`, body: { name: 'x' }, field: 'id' },
      { method: 'DELETE', path: `${ACCOUNTS}/0`, field: 'id' },
      { method: 'GET', path: `${ACCOUNTS}?enabled=1`, field: 'enabled' },
      { method: 'GET', path: `${ACCOUNTS}?secret=1`, field: 'secret' },
    ]);
    assert.equal((await oauthToken(t, account.client_id, account.client_secret)).status, 200, 'the secret is unchanged');
  });

  it('lets only admins administer API accounts', async () => {
    const { client: tech } = await createTech(t, admin, 'tech');
    const reporting = await createApiAccount(admin, { name: 'reporting' });
    const api = await apiAccountClient(t, reporting.client_id, reporting.client_secret);
    const adminAccount = await createApiAccount(admin, { name: 'automation', is_admin: true });
    const adminApi = await apiAccountClient(t, adminAccount.client_id, adminAccount.client_secret);
    const target = `${ACCOUNTS}/${reporting.id}`;
    for (const c of [tech, api]) {
      assert.equal((await c.get(ACCOUNTS)).status, 403);
      assert.equal((await c.get(target)).status, 403);
      assert.equal((await c.post(ACCOUNTS, { name: 'x' })).status, 403);
      assert.equal((await c.patch(target, { is_admin: true })).status, 403);
      assert.equal((await c.del(target)).status, 403);
    }
    assert.equal(t.appliance.registry.apiAccounts.get(reporting.id)!.is_admin, false);
    assert.equal((await adminApi.get(target)).status, 200);
    assert.equal((await adminApi.post(ACCOUNTS, { name: 'made by script' })).status, 201);
  });

  it('audits accounts without secrets or hashes', async () => {
    const account = await createApiAccount(admin, { name: 'audited' });
    const regenerated = await admin.patch(`${ACCOUNTS}/${account.id}`, { regenerate_secret: true, name: 'audited 2' });
    await admin.del(`${ACCOUNTS}/${account.id}`);
    const events = audit(t, { item_type: 'api_account', item_id: String(account.id) });
    assert.deepEqual(events.map((e) => e.event_type), ['deleted', 'changed', 'created']);
    const [deleted, changed, created] = events as [any, any, any];
    assert.equal(created.after.name, 'audited');
    assert.equal(changed.before.name, 'audited');
    assert.equal(changed.after.name, 'audited 2');
    assert.equal(changed.after.secret_regenerated, true);
    assert.equal(deleted.before.name, 'audited 2');
    const text = JSON.stringify(events);
    for (const secret of [account.client_secret, regenerated.body.client_secret]) {
      assert.equal(text.includes(secret), false);
      assert.equal(text.includes(sha256Hex(secret)), false);
    }
    assert.doesNotMatch(text, /secret_hash/);
  });
});
