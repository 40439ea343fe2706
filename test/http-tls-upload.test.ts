/**
 * Large request bodies through the appliance over TLS: a 50 MB upload (`PUT …/files`, raw body)
 * reaches a scripted agent whole and answers 201 with the byte count, as it does over plain HTTP;
 * and a 50 MB download to a client that reads in fits and starts (the socket backs up again and
 * again, so the response waits on onWritable many times) arrives whole.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';
import { startFakeAgent, type FakeAgent } from './helpers/fake-agent.ts';
import { enrolledClient, eventually } from './helpers/hub-client.ts';

interface RawAnswer {
  status: number;
  body: string;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('large uploads over TLS', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  let ca: string;
  let agent: FakeAgent;
  let clientId: number;

  /** A raw https request trusting only the appliance's self-signed certificate. */
  const put = (path: string, body: Buffer, token: string): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const url = new URL(t.url + path);
      const req = https.request(url, {
        method: 'PUT',
        ca,
        checkServerIdentity: () => undefined,
        agent: false,
        headers: { authorization: `Bearer ${token}`, 'content-length': String(body.byteLength) },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(body);
    });

  /** The API client of the helpers uses `fetch`, which cannot be told a CA: JSON calls over https here. */
  const call = (method: string, path: string, token: string, json?: unknown): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const body = json === undefined ? undefined : JSON.stringify(json);
      const req = https.request(new URL(t.url + path), {
        method,
        ca,
        checkServerIdentity: () => undefined,
        agent: false,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(body);
    });

  before(async () => {
    t = await startTestAppliance({ tls: 'self-signed' });
    assert.match(t.url, /^https:/);
    ca = readFileSync(t.appliance.tls!.certFile, 'utf8');
    const login = await new Promise<RawAnswer>((resolve, reject) => {
      const req = https.request(new URL(t.url + '/api/auth/login'), {
        method: 'POST',
        ca,
        checkServerIdentity: () => undefined,
        agent: false,
        headers: { 'content-type': 'application/json' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(JSON.stringify({ username: 'admin', password: 'admin-password-1' }));
    });
    assert.equal(login.status, 200, login.body);
    admin = { token: JSON.parse(login.body).token } as ApiClient;
    const c = await enrolledClient(t.appliance.registry);
    clientId = c.id;
    // The certificate names localhost, not 127.0.0.1: trust exactly it and skip the name check.
    const skipName = (() => undefined) as unknown as NonNullable<WebSocket.ClientOptions['checkServerIdentity']>;
    agent = await startFakeAgent(t.url, c.id, c.secret, 'echo', { ca, checkServerIdentity: skipName });
    await eventually(() => t.appliance.registry.clients.get(c.id)?.status !== 'offline', 5000, 'online');
  });
  after(async () => {
    agent?.close();
    await t?.stop();
  });

  it('a 50 MB PUT reaches the agent whole and answers 201 with the byte count', async () => {
    const jump = await call('POST', '/api/command/v1/jump', admin.token!, { jump_client_id: clientId });
    assert.equal(jump.status, 201, jump.body);
    const sessionId = JSON.parse(jump.body).session_id as string;
    const data = randomBytes(50 * 1024 * 1024);
    const target = '/home/tech/upload.bin';
    const res = await put(`/api/session/v1/${sessionId}/files?path=${encodeURIComponent(target)}`, data, admin.token!);
    assert.equal(res.status, 201, res.body);
    assert.deepEqual(JSON.parse(res.body), { path: target, bytes: data.byteLength });
    const stored = agent.files.get(target);
    assert.ok(stored, 'the agent stored the file');
    assert.equal(sha256(stored.data), sha256(data));
    assert.equal((await call('DELETE', `/api/session/v1/${sessionId}`, admin.token!)).status, 204);
  });

  it('answers an error given while a large body is still arriving, instead of cutting the connection', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const missing = await put(`/api/session/v1/${'0'.repeat(32)}/files?path=%2Ftmp%2Fx`, data, admin.token!);
    assert.equal(missing.status, 404, missing.body);
    const tooLarge = await put('/api/auth/login', data, admin.token!);
    assert.equal(tooLarge.status, 413, tooLarge.body);
  });
});

describe('a large download to a slow reader', () => {
  let t: TestAppliance;
  let agent: FakeAgent;
  before(async () => {
    t = await startTestAppliance();
  });
  after(async () => {
    agent?.close();
    await t?.stop();
  });

  it('arrives whole with its Content-Length however often the socket backs up', async () => {
    const admin = await t.login();
    const c = await enrolledClient(t.appliance.registry);
    agent = await startFakeAgent(t.url, c.id, c.secret);
    await eventually(() => t.appliance.registry.clients.get(c.id)?.status !== 'offline', 5000, 'online');
    const data = randomBytes(50 * 1024 * 1024);
    agent.files.set('/home/tech/big.bin', { data, mtime: Date.now() });
    const jump = await admin.post('/api/command/v1/jump', { jump_client_id: c.id });
    assert.equal(jump.status, 201, JSON.stringify(jump.body));
    let received = 0;
    const got = await new Promise<{ status: number; length: string | undefined; body: Buffer }>((resolve, reject) => {
      const url = new URL(`${t.url}/api/session/v1/${jump.body.session_id}/files?path=${encodeURIComponent('/home/tech/big.bin')}`);
      const req = http.get(url, { agent: false, headers: { authorization: `Bearer ${admin.token}` } }, (res) => {
        const chunks: Buffer[] = [];
        let sinceStop = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.byteLength;
          sinceStop += chunk.byteLength;
          // Stop reading every few megabytes for a moment: the kernel buffers fill, uWS backs up.
          if (sinceStop > 4 * 1024 * 1024) {
            sinceStop = 0;
            res.pause();
            setTimeout(() => res.resume(), 30);
          }
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, length: res.headers['content-length'], body: Buffer.concat(chunks) }));
      });
      req.setTimeout(15_000, () => req.destroy(new Error(`the download stalled after ${received} bytes`)));
      req.on('error', reject);
    });
    assert.equal(got.status, 200);
    assert.equal(got.length, String(data.byteLength));
    assert.equal(got.body.byteLength, data.byteLength);
    assert.equal(sha256(got.body), sha256(data));
    assert.equal((await admin.del(`/api/session/v1/${jump.body.session_id}`)).status, 204);
  });
});
