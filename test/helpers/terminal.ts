/** A technician's terminal in tests: the session's terminal WebSocket, with its output collected. */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { eventually } from './hub-client.ts';

export interface TestTerminal {
  ws: WebSocket;
  output(): string;
  exit: Promise<number>;
  type(text: string): void;
  /** Types `command`, then waits for `marker` in the output; returns the output since typing. */
  run(command: string, marker: RegExp, timeoutMs?: number): Promise<string>;
  resize(cols: number, rows: number): void;
  close(): Promise<void>;
}

/** `wsOptions`: extra socket options, e.g. `{ ca, checkServerIdentity }` for an appliance over TLS. */
export async function openTerminal(url: string, sessionId: string, token: string, wsOptions: WebSocket.ClientOptions = {}): Promise<TestTerminal> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/session/v1/${sessionId}/terminal`, {
    ...wsOptions,
    headers: { authorization: `Bearer ${token}` },
  });
  const chunks: Buffer[] = [];
  let text = '';
  let dirty = false;
  const output = () => {
    if (dirty) {
      text = Buffer.concat(chunks).toString('utf8');
      dirty = false;
    }
    return text;
  };
  let onExit!: (code: number) => void;
  const exit = new Promise<number>((r) => (onExit = r));
  ws.on('message', (data, binary) => {
    if (binary) {
      chunks.push(data as Buffer);
      dirty = true;
    } else {
      const m = JSON.parse(data.toString());
      if (m.type === 'exit') onExit(m.code);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`terminal refused: ${res.statusCode}`)));
  });
  const t: TestTerminal = {
    ws,
    output,
    exit,
    type: (s) => ws.send(Buffer.from(s)),
    async run(command, marker, timeoutMs = 10_000) {
      const start = output().length;
      t.type(command);
      await eventually(() => marker.test(output().slice(start)), timeoutMs, `output matching ${marker}`).catch((err: Error) => {
        throw new Error(`${err.message}; the terminal showed ${JSON.stringify(output().slice(-400))}`);
      });
      return output().slice(start);
    },
    resize: (cols, rows) => ws.send(JSON.stringify({ type: 'resize', cols, rows })),
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
  return t;
}

/**
 * What every real-shell test checks first: a command runs, the terminal is a pts, the shell is
 * `account`, a resize reaches the PTY, and UTF-8 comes back intact.
 */
export async function checkShellBasics(term: TestTerminal, account: string): Promise<void> {
  assert.match(await term.run('echo shell-$((6*7))\n', /shell-42/), /shell-42/);
  assert.match(await term.run('tty\n', /\/dev\/pts\/\d+/), /\/dev\/pts\/\d+/);
  const me = new RegExp(`[\\r\\n]${account}\\r?\\n`);
  assert.match(await term.run('whoami\n', me), me);
  term.resize(132, 43);
  assert.match(await term.run('stty size\n', /43 132/), /43 132/);
  const utf8 = 'žluťoučký kůň — 日本語 ✓ 🚀';
  assert.ok((await term.run(`printf '%s\\n' '${utf8}'\n`, /🚀\r?\n/)).includes(utf8));
}
