/** Waking a passive client: the hub's side against the agent's real listener, on loopback. */
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { listenForWakes } from '../agent/wake-listener.ts';
import type { Logger } from '../shared/log.ts';
import { wake, wakeTargets } from './wake.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

const client = { fqdn: 'db-01.corp.test', hostname: 'db-01', public_ip: '198.51.100.7', private_ips: ['10.0.0.5', '10.0.0.5', ''] };

/** Sends raw bytes to a port; resolves with what came back before the peer closed. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    socket.on('close', () => resolve(got));
    socket.on('error', () => undefined);
  });
}

describe('wake targets', () => {
  it('are the bound address alone, or every reported name and IP once', () => {
    assert.deepEqual(wakeTargets({ ...client, passive_listen: { port: 5832, address: '127.0.0.1' } }), [{ host: '127.0.0.1', port: 5832 }]);
    assert.deepEqual(
      wakeTargets({ ...client, passive_listen: { port: 6000 } }).map((t) => t.host),
      ['10.0.0.5', 'db-01.corp.test', 'db-01', '198.51.100.7'],
    );
    assert.deepEqual(wakeTargets({ ...client, passive_listen: null }), [], 'never checked in with a port: nowhere to knock');
  });
});

describe('waking', () => {
  it('is acknowledged by the client it is for, which is told once', async () => {
    let woken = 0;
    const listener = await listenForWakes({ host: '127.0.0.1', port: 0, clientId: 7, log: quiet, onWake: () => woken++ });
    try {
      assert.equal(await wake([{ host: '127.0.0.1', port: listener.port }], 7, AbortSignal.timeout(5_000)), true);
      assert.equal(woken, 1);
    } finally {
      await listener.close();
    }
  });

  it('keeps knocking until the deadline when only another client answers, or nobody', async () => {
    let woken = 0;
    const listener = await listenForWakes({ host: '127.0.0.1', port: 0, clientId: 8, log: quiet, onWake: () => woken++ });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    try {
      const started = Date.now();
      const targets = [{ host: '127.0.0.1', port: listener.port }, { host: '127.0.0.1', port: closedPort }];
      assert.equal(await wake(targets, 9, AbortSignal.timeout(1_500)), false);
      assert.ok(Date.now() - started >= 1_400, 'tried until the deadline');
      assert.equal(woken, 0, 'a wake for another client changes nothing');
      assert.equal(await wake([], 8, AbortSignal.timeout(300)), false);
    } finally {
      await listener.close();
    }
  });

  it('refuses malformed and oversized lines without waking', async () => {
    let woken = 0;
    const listener = await listenForWakes({ host: '127.0.0.1', port: 0, clientId: 7, log: quiet, onWake: () => woken++ });
    try {
      const refusal = (s: string) => JSON.parse(s.trim()) as { type: string; reason: string };
      assert.deepEqual(refusal(await exchange(listener.port, '{"type":"wake","client_id":7,"x":1}\n')).type, 'wake_refused');
      assert.match(refusal(await exchange(listener.port, '{"type":"wake","client_id":-1}\n')).reason, /^malformed: client_id/);
      assert.match(refusal(await exchange(listener.port, 'GET / HTTP/1.1\r\n')).reason, /^malformed: not JSON/);
      assert.equal(await exchange(listener.port, 'x'.repeat(300)), '', 'no newline within 256 bytes: closed without an answer');
      assert.equal(woken, 0);
    } finally {
      await listener.close();
    }
  });

  it('takes a free port when the one asked for is taken, and reports it', async () => {
    const first = await listenForWakes({ host: '127.0.0.1', port: 0, clientId: 1, log: quiet, onWake: () => undefined });
    const second = await listenForWakes({ host: '127.0.0.1', port: first.port, clientId: 2, log: quiet, onWake: () => undefined });
    try {
      assert.notEqual(second.port, first.port);
      assert.equal(second.address, '127.0.0.1');
      assert.equal(await wake([{ host: '127.0.0.1', port: second.port }], 2, AbortSignal.timeout(5_000)), true);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
