import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';

describe('the appliance on one port', () => {
  let t: TestAppliance;
  before(async () => {
    t = await startTestAppliance();
  });
  after(() => t.stop());

  it('answers /healthz', async () => {
    const res = await fetch(t.url + '/healthz');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  });

  it('serves the console page at /', async () => {
    const res = await fetch(t.url + '/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });

  it('answers unknown API paths with the catalog shape', async () => {
    const res = await t.anonymous().get('/api/nothing-here');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body.error.code, 'not_found');
  });

  it('refuses configuration routes without authentication', async () => {
    const res = await t.anonymous().get('/api/config/v1/settings');
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'unauthorized');
  });

  it('refuses an oversized body with 413 and changes nothing', async () => {
    const admin = await t.login();
    const before = (await admin.get('/api/config/v1/settings')).body;
    const res = await admin.request('PATCH', '/api/config/v1/settings', JSON.stringify({ audit_retention_days: 5, pad: 'x'.repeat(2 * 1024 * 1024) }), {
      'content-type': 'application/json',
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'payload_too_large');
    assert.deepEqual((await admin.get('/api/config/v1/settings')).body, before);
  });

  it('exposes Prometheus metrics', async () => {
    const text = await (await fetch(t.url + '/metrics')).text();
    assert.match(text, /^jumpgate_http_requests_total\{.*route="\/healthz".*\} \d+$/m);
    assert.match(text, /^jumpgate_registry_entries \d+$/m);
  });
});
