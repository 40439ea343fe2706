/**
 * Without --public-url, installers tell Jump Clients the address the administrator reached the
 * appliance at (the Host header), not the address it listens on (0.0.0.0, localhost).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';

function createWithHost(t: TestAppliance, token: string, host: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.url + '/api/config/v1/jump-client/installer');
    const req = http.request(url, {
      method: 'POST',
      setHost: false,
      headers: { host, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.end(JSON.stringify({ jump_group_id: 1, jump_group_type: 'personal' }));
  });
}

describe('the address installers give Jump Clients', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
  });
  after(() => t.stop());

  it('is the Host the administrator used when no public URL is configured', async () => {
    const res = await createWithHost(t, admin.token!, 'support.example.test:8443');
    assert.equal(res.status, 201);
    assert.match(res.body.download_url, /^http:\/\/support\.example\.test:8443\/download\/jump-client\/[0-9a-f]{32}\/linux-64$/);
  });

  it('falls back to the listening address for a Host that is not a host name', async () => {
    const res = await createWithHost(t, admin.token!, 'evil.example/"><x');
    assert.equal(res.status, 201);
    assert.ok(res.body.download_url.startsWith(t.url + '/download/'), res.body.download_url);
  });

  it('is the configured public URL when there is one', async () => {
    const other = await startTestAppliance({ publicUrl: 'https://support.example.com' });
    try {
      const token = (await other.login()).token!;
      const res = await createWithHost(other, token, 'somewhere.else:1234');
      assert.match(res.body.download_url, /^https:\/\/support\.example\.com\/download\//);
    } finally {
      await other.stop();
    }
  });
});
