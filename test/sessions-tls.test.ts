/**
 * Terminal output over TLS end to end (agent → appliance → technician, both hops TLS): 15 MB of
 * output arrives whole. Writes relayed from inside a TLS read must not lose the rest of that read.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { runSession, type RunningSession } from '../src/agent/session/index.ts';
import { realBackends } from '../src/agent/session/real.ts';
import { ADMIN_PASSWORD, startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { connectAgent, enrolledClient, type RawAgent } from './helpers/hub-client.ts';

describe('terminal output over TLS', () => {
  let t: TestAppliance;
  let ca: string;
  let token: string;
  let clientId: number;
  let control: RawAgent;
  const sessions: RunningSession[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-tls-'));
  const file = join(dir, 'output.txt');
  // The certificate names localhost, not 127.0.0.1: trust exactly it and skip the name check.
  const skipName = (() => undefined) as unknown as NonNullable<WebSocket.ClientOptions['checkServerIdentity']>;
  const skipNameTls = (() => undefined) as () => undefined;

  const call = (method: string, path: string, json: unknown, bearer?: string) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = https.request(new URL(t.url + path), {
        method,
        ca,
        checkServerIdentity: skipNameTls,
        agent: false,
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      });
      req.end(JSON.stringify(json));
    });

  before(async () => {
    execFileSync('sh', ['-c', `head -c 11M /dev/urandom | base64 > ${file}`]);
    t = await startTestAppliance({ tls: 'self-signed' });
    ca = readFileSync(t.appliance.tls!.certFile, 'utf8');
    token = (await call('POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).body.token;
    const c = await enrolledClient(t.appliance.registry);
    clientId = c.id;
    control = await connectAgent(t.url, c.id, c.secret, { ca, checkServerIdentity: skipName });
    control.ws.on('message', (raw, binary) => {
      if (binary) return;
      const m = JSON.parse(raw.toString());
      if (m.type !== 'session_open') return;
      const link = { origin: t.url.replace(/^https/, 'wss'), clientId: c.id, secret: c.secret, tls: { ca, checkServerIdentity: skipNameTls } };
      sessions.push(runSession(link, m, realBackends(dir)));
    });
    control.hello();
    await control.next('welcome');
  });
  after(async () => {
    for (const s of sessions) s.end();
    control?.ws.terminate();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries 15 MB of shell output whole', async () => {
    const jump = await call('POST', '/api/command/v1/jump', { jump_client_id: clientId }, token);
    assert.equal(jump.status, 201, JSON.stringify(jump.body));
    const ws = new WebSocket(`${t.url.replace(/^https/, 'wss')}/api/session/v1/${jump.body.session_id}/terminal`, {
      headers: { authorization: `Bearer ${token}` },
      ca,
      checkServerIdentity: skipName,
    });
    await new Promise((r) => ws.once('open', r));
    let bytes = 0;
    let tail = '';
    const outcome = new Promise<string>((resolve) => {
      ws.on('message', (d: Buffer, binary) => {
        if (!binary) return;
        bytes += d.length;
        tail = (tail + d.toString('latin1')).slice(-64);
        if (tail.includes('END_OF_OUTPUT\r\n')) resolve('complete');
      });
      ws.on('close', (code) => resolve(`closed ${code}`));
      setTimeout(() => resolve('timeout'), 60_000).unref();
    });
    ws.send(Buffer.from(`cat ${file}; echo END_OF_''OUTPUT\n`));
    assert.equal(await outcome, 'complete');
    // Every line of the file came through, each newline as CR LF in the terminal.
    const size = statSync(file).size;
    const lines = readFileSync(file, 'latin1').split('\n').length - 1;
    assert.ok(bytes >= size + lines, `${bytes} bytes for a ${size}-byte file`);
    ws.close();
  });
});
