/** Waking a passive client: the hub's side against the agent's real listener, on loopback. */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { listenForWakes, type WakeListenerOptions } from '../agent/wake-listener.ts';
import { sha256Hex } from '../shared/ids.ts';
import type { Logger } from '../shared/log.ts';
import { NOT_FOR_THIS_CLIENT, wakeProof } from '../shared/wake.ts';
import { mayKnock, wake, wakeTargets } from './wake.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const KEY = sha256Hex('the-client-secret');
const listenAs = (clientId: number, onWake: () => void, extra: Partial<WakeListenerOptions> = {}) =>
  listenForWakes({ host: '127.0.0.1', port: 0, clientId, secretHash: KEY, log: quiet, onWake, ...extra });

/** A raw peer: the lines it received, and a way to send. `halfOpen`: never closes its side. */
function peer(port: number, halfOpen = false) {
  const lines: string[] = [];
  let buffered = '';
  let closed!: () => void;
  const gone = new Promise<void>((r) => (closed = r));
  const socket: Socket = connect({ host: '127.0.0.1', port, allowHalfOpen: halfOpen });
  socket.on('data', (d) => {
    buffered += d.toString();
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      lines.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => closed());
  const line = async (n: number): Promise<any> => {
    for (let waited = 0; lines.length < n && waited < 5_000 && !socket.destroyed; waited += 10) await new Promise((r) => setTimeout(r, 10));
    return lines[n - 1] === undefined ? undefined : JSON.parse(lines[n - 1]);
  };
  return { socket, line, gone, send: (s: string) => socket.write(s) };
}

const client = { fqdn: 'db-01.corp.test', hostname: 'db-01', public_ip: '198.51.100.7', private_ips: ['10.0.0.5', '10.0.0.5', '', '127.0.0.1', 'fe80::1', 'a b', '169.254.1.1'] };

describe('wake targets', () => {
  it('are the bound address alone, or every routable reported IP and name, and the public IP, once', () => {
    assert.deepEqual(wakeTargets({ ...client, passive_listen: { port: 5832, address: '10.1.2.3' } }), [{ host: '10.1.2.3', port: 5832, local: false }]);
    assert.deepEqual(
      wakeTargets({ ...client, passive_listen: { port: 6000 } }).map((t) => t.host),
      ['10.0.0.5', 'db-01.corp.test', 'db-01', '198.51.100.7'],
    );
    assert.deepEqual(wakeTargets({ ...client, passive_listen: null }), [], 'never checked in with a port: nowhere to knock');
  });

  it('never point a remote agent\'s wake at the appliance\'s own machine, however it is spelled', () => {
    const own = Object.values(networkInterfaces()).flatMap((l) => l ?? []).map((i) => i.address).find((a) => !a.startsWith('127.') && a !== '::1');
    for (const address of ['127.0.0.1', '127.1.2.3', '0:0:0:0:0:0:0:1', '::ffff:7f00:1', '::ffff:127.0.0.1', '0.0.0.0', 'fe80::1', ...(own ? [own] : [])]) {
      assert.deepEqual(wakeTargets({ ...client, passive_listen: { port: 1, address } }), [], address);
    }
    const names = { ...client, private_ips: ['127.1', '2130706433'], fqdn: 'localhost.localdomain', hostname: 'localhost', passive_listen: { port: 1 } };
    assert.deepEqual(wakeTargets(names).map((t) => t.host), ['198.51.100.7'], 'numeric names and local names are not names');
    assert.equal(mayKnock('10.0.0.5', false), true);
    assert.deepEqual(wakeTargets({ ...client, public_ip: '127.0.0.1', passive_listen: { port: 1, address: '127.0.0.1' } }), [{ host: '127.0.0.1', port: 1, local: true }], 'an agent on the appliance\'s own machine');
  });
});

describe('waking', () => {
  it('is acknowledged by the client it is for, which is told once', async () => {
    let woken = 0;
    const listener = await listenAs(7, () => woken++);
    try {
      assert.equal(await wake([{ host: '127.0.0.1', port: listener.port, local: true }], 7, KEY, AbortSignal.timeout(5_000)), true);
      assert.equal(woken, 1);
    } finally {
      await listener.close();
    }
  });

  it('keeps knocking until the deadline when only another client answers, or nobody', async () => {
    let woken = 0;
    const listener = await listenAs(8, () => woken++);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    try {
      const started = Date.now();
      const targets = [{ host: '127.0.0.1', port: listener.port, local: true }, { host: '127.0.0.1', port: closedPort, local: true }];
      assert.equal(await wake(targets, 9, KEY, AbortSignal.timeout(1_500)), false);
      assert.ok(Date.now() - started >= 1_400, 'tried until the deadline');
      assert.equal(await wake([{ host: '127.0.0.1', port: listener.port, local: true }], 8, sha256Hex('another secret'), AbortSignal.timeout(1_500)), false, 'without the credential');
      assert.equal(woken, 0, 'neither woke the client');
      assert.equal(await wake([], 8, KEY, AbortSignal.timeout(300)), false);
    } finally {
      await listener.close();
    }
  });

  it('refuses an unproven, replayed or malformed wake with one answer, and cuts oversized lines', async () => {
    let woken = 0;
    const listener = await listenAs(7, () => woken++);
    try {
      const first = peer(listener.port);
      const { nonce } = await first.line(1);
      assert.match(nonce, /^[0-9a-f]{32}$/);
      first.send(JSON.stringify({ type: 'wake', client_id: 7, proof: wakeProof(KEY, 7, nonce) }) + '\n');
      assert.deepEqual(await first.line(2), { type: 'wake_ack' });

      const replay = peer(listener.port);
      const second = await replay.line(1);
      assert.notEqual(second.nonce, nonce, 'a fresh challenge each time');
      replay.send(JSON.stringify({ type: 'wake', client_id: 7, proof: wakeProof(KEY, 7, nonce) }) + '\n');
      assert.deepEqual(await replay.line(2), { type: 'wake_refused', reason: NOT_FOR_THIS_CLIENT });

      const other = peer(listener.port);
      const third = await other.line(1);
      other.send(JSON.stringify({ type: 'wake', client_id: 8, proof: wakeProof(KEY, 8, third.nonce) }) + '\n');
      assert.deepEqual(await other.line(2), { type: 'wake_refused', reason: NOT_FOR_THIS_CLIENT }, 'the same answer: the port names no client');

      const malformed = peer(listener.port);
      await malformed.line(1);
      malformed.send('{"type":"wake","client_id":-1,"proof":"00"}\n');
      assert.match((await malformed.line(2)).reason, /^malformed: client_id/);

      const long = peer(listener.port);
      await long.line(1);
      long.send('x'.repeat(300));
      await long.gone;
      assert.equal(await long.line(2), undefined, 'no newline within 256 bytes: cut without an answer');
      assert.equal(woken, 1);
    } finally {
      await listener.close();
    }
  });

  it('is not blocked by peers that never close, and closes with them still there', async () => {
    const listener = await listenAs(7, () => undefined);
    const stuck = Array.from({ length: 8 }, () => peer(listener.port, true));
    for (const p of stuck) {
      const { nonce } = await p.line(1);
      p.send(JSON.stringify({ type: 'wake', client_id: 99, proof: wakeProof(KEY, 99, nonce) }) + '\n');
      await p.line(2);
    }
    // Cut by the listener a second after its answer, though they keep their side open.
    assert.equal(await wake([{ host: '127.0.0.1', port: listener.port, local: true }], 7, KEY, AbortSignal.timeout(5_000)), true);
    const silent = Array.from({ length: 8 }, () => peer(listener.port, true));
    await Promise.all(silent.map((p) => p.line(1)));
    const closed = await Promise.race([listener.close().then(() => true), new Promise((r) => setTimeout(() => r(false), 3_000))]);
    assert.equal(closed, true, 'closing does not wait for peers that keep quiet');
    for (const p of [...stuck, ...silent]) p.socket.destroy();
  });

  it('takes a free port when the one asked for is taken, and reports it', async () => {
    const first = await listenAs(1, () => undefined);
    const second = await listenAs(2, () => undefined, { port: first.port });
    try {
      assert.notEqual(second.port, first.port);
      assert.equal(second.address, '127.0.0.1');
      assert.equal(await wake([{ host: '127.0.0.1', port: second.port, local: true }], 2, KEY, AbortSignal.timeout(5_000)), true);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
