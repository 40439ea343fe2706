import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:net';
import { ADMIN_PASSWORD, startTestAppliance, type TestAppliance } from './helpers/appliance.ts';

/** Sends a raw HTTP/1.1 request in pieces, a little apart; resolves with the status and body. */
function rawRequest(url: string, head: string, pieces: string[]): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headers, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1] ?? 0), body: rest.join('\r\n\r\n') });
    });
    socket.on('connect', async () => {
      socket.write(head);
      for (const piece of pieces) {
        await new Promise((r) => setTimeout(r, 30));
        socket.write(piece);
      }
    });
  });
}

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

  it('takes a small body that arrives in pieces, and a chunked one, whole', async () => {
    const json = JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD });
    const thirds = [json.slice(0, 10), json.slice(10, 20), json.slice(20)];
    const sized = await rawRequest(
      t.url,
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n`,
      thirds,
    );
    assert.equal(sized.status, 200, sized.body);
    assert.match(sized.body, /"token":"[^"]+"/);
    const chunked = await rawRequest(
      t.url,
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      [...thirds.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`), '0\r\n\r\n'],
    );
    assert.equal(chunked.status, 200, chunked.body);
    assert.match(chunked.body, /"token":"[^"]+"/);
  });

  it('survives a client that declares a body and leaves halfway', async () => {
    const { port } = new URL(t.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"username":');
        setTimeout(() => socket.destroy(), 30);
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    assert.equal((await fetch(t.url + '/healthz')).status, 200);
  });

  it('exposes Prometheus metrics', async () => {
    const text = await (await fetch(t.url + '/metrics')).text();
    assert.match(text, /^jumpgate_http_requests_total\{.*route="\/healthz".*\} \d+$/m);
    assert.match(text, /^jumpgate_registry_entries \d+$/m);
  });
});
