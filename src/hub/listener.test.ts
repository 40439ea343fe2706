import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { createLogger } from '../shared/log.ts';
import { startListener, type Listener } from './listener.ts';

describe('the listener keeps a throwing WebSocket handler from ending the process', () => {
  let listener: Listener;
  const logged: string[] = [];
  before(async () => {
    const log = createLogger('error', {}, { write: (line: string) => void logged.push(line) });
    listener = await startListener({
      host: '127.0.0.1',
      port: 0,
      tls: undefined,
      fetch: async () => new Response('ok'),
      maxBodyBytes: () => 1024,
      log,
      wsRoutes: [
        {
          pattern: '/throws-at-upgrade',
          behavior: {
            upgrade() {
              throw new Error('upgrade broke');
            },
          },
        },
        {
          pattern: '/throws-on-message',
          behavior: {
            message() {
              throw new Error('message broke');
            },
          },
        },
      ],
    });
  });
  after(() => listener.close());

  it('refuses an upgrade whose handler threw with 500', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${listener.port}/throws-at-upgrade`);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(0));
    });
    assert.equal(status, 500);
    assert.ok(logged.some((l) => l.includes('upgrade broke')), logged.join('\n'));
  });

  it('closes a socket whose message handler threw with 1011, and goes on serving', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${listener.port}/throws-on-message`);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('hello');
    assert.equal(await closed, 1011);
    assert.ok(logged.some((l) => l.includes('message broke')), logged.join('\n'));
    assert.equal(await (await fetch(`http://127.0.0.1:${listener.port}/`)).text(), 'ok');
  });
});
