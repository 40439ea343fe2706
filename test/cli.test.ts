/**
 * The `jumpgate` command as a real process (S1, S2): flags and their environment twins, the first
 * start, an occupied port, graceful SIGTERM, and the self-signed certificate kept across restarts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { after, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { killAll, login, REPO, runJumpgate, serve, startJumpgate, tempDir } from './helpers/cli.ts';

after(killAll);

describe('jumpgate command line', () => {
  test('--version and --help', async () => {
    const pkg = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string };
    const [version, help] = await Promise.all([runJumpgate(['--version']), runJumpgate(['--help'])]);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), `jumpgate ${pkg.version}`);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /jumpgate serve/);
    assert.match(help.stdout, /jumpgate backup <file>/);
    assert.match(help.stdout, /JUMPGATE_PORT/);
  });

  test('bad flags and values exit non-zero naming the flag', async () => {
    const cases: { args: string[]; env?: Record<string, string>; names: string }[] = [
      { args: ['serve', '--bogus'], names: '--bogus' },
      { args: ['--bogus'], names: '--bogus' },
      { args: ['serve', '--port', '99999'], names: '--port' },
      { args: ['serve', '--tls-cert', 'cert.pem'], names: '--tls-key' },
      { args: ['serve'], env: { JUMPGATE_PORT: 'abc' }, names: 'JUMPGATE_PORT' },
    ];
    const results = await Promise.all(cases.map((c) => runJumpgate(c.args, c.env)));
    results.forEach((result, i) => {
      const c = cases[i]!;
      assert.notEqual(result.code, 0, `${c.args.join(' ')} should fail`);
      assert.ok(result.stderr.includes(c.names), `${c.args.join(' ')}: stderr names ${c.names}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace for a configuration error');
      assert.doesNotMatch(result.stdout, /listening/);
    });
  });

  test('refuses to start on the fallback shim of uWebSockets.js', async () => {
    const data = tempDir();
    const result = await runJumpgate(['serve', '--port', '0', '--insecure-http', '--host', '127.0.0.1', '--data', data], {
      UWS_USE_FALLBACK: '1',
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /refuses to run on the fallback shim/);
    assert.doesNotMatch(result.stdout, /listening/);
  });

  test('first start prints the admin password once; it logs in; a restart prints none', async () => {
    const data = tempDir();
    const first = await serve(data);
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const password = first.proc.stdout().match(/admin password \(shown once\): (\S+)/)?.[1];
    assert.ok(password, `password line in: ${first.proc.stdout()}`);
    assert.ok((await login(first.url, password)).length > 10);
    first.proc.child.kill('SIGTERM');
    assert.deepEqual(await first.proc.exit(), { code: 0, signal: null });

    const second = await serve(data);
    assert.doesNotMatch(second.proc.stdout(), /password/);
    assert.ok((await login(second.url, password)).length > 10);
    second.proc.child.kill('SIGTERM');
    assert.deepEqual(await second.proc.exit(), { code: 0, signal: null });
  });

  test('a second appliance on the same port fails while the first keeps serving', async () => {
    const first = await serve(tempDir());
    const port = new URL(first.url).port;
    const second = await runJumpgate(['serve', '--host', '127.0.0.1', '--port', port, '--insecure-http', '--data', tempDir()]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}.*in use`));
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${first.url}/healthz`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'ok');
    }
    first.proc.child.kill('SIGTERM');
    assert.deepEqual(await first.proc.exit(), { code: 0, signal: null });
  });

  test('SIGTERM stops accepting, answers the request in flight, exits 0', async () => {
    const password = 'admin-password-1';
    const { proc, url } = await serve(tempDir(), ['--insecure-http'], { JUMPGATE_ADMIN_PASSWORD: password });
    const token = await login(url, password);
    const { port } = new URL(url);
    const body = JSON.stringify({ lost_after_days: 42 });
    const socket = netConnect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    await new Promise<void>((done) => socket.once('connect', () => done()));
    // Headers and half the body: the request has started and waits for the rest.
    socket.write(
      `PATCH /api/config/v1/settings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    proc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(connectOnce(Number(port)), /ECONNREFUSED/, 'no new connection is accepted while stopping');
    socket.write(body.slice(10));
    await closed;
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /"lost_after_days":42/);
    assert.deepEqual(await proc.exit(), { code: 0, signal: null });
  });

  test('TLS by default: the served certificate is the one announced, and it survives a restart', async () => {
    const data = tempDir();
    const fingerprints: string[] = [];
    for (let round = 0; round < 2; round++) {
      const proc = startJumpgate(['serve', '--host', '127.0.0.1', '--port', '0', '--data', data, '--log-level', 'warn']);
      const [, url] = await proc.waitFor(/jumpgate listening on (\S+)/);
      assert.match(url!, /^https:\/\/127\.0\.0\.1:\d+$/);
      const printed = proc.stdout().match(/certificate sha256 ([0-9A-F:]{95})/)?.[1];
      assert.ok(printed, proc.stdout());
      const { port } = new URL(url!);
      const peer = await peerFingerprint(Number(port));
      const ca = readFileSync(`${data}/tls-cert.pem`, 'utf8');
      const info = JSON.parse(await httpsGet(`${url}/api/server-info`, ca)) as { certificate_sha256: string; tls: boolean };
      assert.equal(info.tls, true);
      assert.equal(info.certificate_sha256, peer);
      assert.equal(printed, peer);
      fingerprints.push(peer);
      proc.child.kill('SIGTERM');
      assert.deepEqual(await proc.exit(), { code: 0, signal: null });
    }
    assert.equal(fingerprints[0], fingerprints[1]);
  });
});

function connectOnce(port: number): Promise<void> {
  return new Promise((done, fail) => {
    const socket = netConnect(port, '127.0.0.1', () => {
      socket.destroy();
      done();
    });
    socket.once('error', fail);
  });
}

function peerFingerprint(port: number): Promise<string> {
  return new Promise((done, fail) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      done(fingerprint);
    });
    socket.once('error', fail);
  });
}

/** GET over HTTPS trusting only `ca` (the appliance's own certificate: full verification). */
function httpsGet(url: string, ca: string): Promise<string> {
  return new Promise((done, fail) => {
    const req = httpsRequest(url, { ca }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? done(text) : fail(new Error(`${res.statusCode}: ${text}`))));
    });
    req.once('error', fail);
    req.end();
  });
}
