/**
 * The measuring technician's terminal: a WebSocket client on a plain TCP socket that upgrades,
 * waits for the first binary frame (terminal output), and closes the terminal as the console does,
 * which ends the session. It does the same as the `ws` package's client for this one question at
 * about a third of the CPU, CPU that a real technician's browser spends on its own machine, not on
 * the two cores that run the appliance, the Jump Clients and their shells here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A masked close frame with code 1000 (a client's frames are masked; the key is zero). */
const CLOSE_1000 = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

/** Resolves once the session's terminal sends its first output; rejects on a refused upgrade or after `timeoutMs`. */
export function firstTerminalOutput(url: string, sessionId: string, token: string, timeoutMs = 10_000): Promise<void> {
  const { hostname, port } = new URL(url);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let upgraded = false;
    const settle = (err?: Error): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        socket.end(CLOSE_1000);
        resolve();
      }
    };
    const timer = setTimeout(() => settle(new Error('no terminal output')), timeoutMs);
    socket.on('error', (err) => settle(err));
    socket.once('connect', () =>
      socket.write(
        `GET /api/session/v1/${sessionId}/terminal HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) return settle(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        upgraded = true;
        buffered = buffered.subarray(end + 4);
      }
      // Frames from the server are unmasked: opcode, length (7, 16 or 64 bits), payload.
      while (buffered.length >= 2) {
        const opcode = buffered[0] & 0x0f;
        let length = buffered[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffered.length < 10) return;
          length = Number(buffered.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffered.length < offset + length) return;
        if (opcode === 0x2) return settle();
        if (opcode === 0x8) return settle(new Error('the terminal closed before any output'));
        buffered = buffered.subarray(offset + length);
      }
    });
  });
}

export interface TerminalClient {
  /** Sends terminal input (a masked binary frame; the key is zero). */
  send(bytes: Uint8Array): void;
  close(): void;
}

/**
 * An open terminal for the throughput figure: every binary frame's payload goes to `onOutput` as a
 * view that is only valid during the call. Like `firstTerminalOutput`, a plain socket in place of
 * the `ws` package's client, so that the technician's side costs what a browser's native client
 * would, not a JavaScript frame parser's per 4 KB frame.
 */
export function openTerminal(url: string, sessionId: string, token: string, onOutput: (bytes: Buffer) => void): Promise<TerminalClient> {
  const { hostname, port } = new URL(url);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let upgraded = false;
    const client: TerminalClient = {
      send(bytes) {
        const head = bytes.byteLength < 126 ? Buffer.from([0x82, 0x80 | bytes.byteLength, 0, 0, 0, 0]) : Buffer.from([0x82, 0xfe, bytes.byteLength >> 8, bytes.byteLength & 0xff, 0, 0, 0, 0]);
        socket.write(Buffer.concat([head, bytes]));
      },
      close: () => void socket.end(CLOSE_1000),
    };
    socket.on('error', reject);
    socket.once('connect', () =>
      socket.write(
        `GET /api/session/v1/${sessionId}/terminal HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) {
          socket.destroy();
          return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        buffered = buffered.subarray(end + 4);
        resolve(client);
      }
      let off = 0;
      while (buffered.length - off >= 2) {
        const opcode = buffered[off] & 0x0f;
        let length = buffered[off + 1] & 0x7f;
        let start = off + 2;
        if (length === 126) {
          if (buffered.length - off < 4) break;
          length = buffered.readUInt16BE(off + 2);
          start = off + 4;
        } else if (length === 127) {
          if (buffered.length - off < 10) break;
          length = Number(buffered.readBigUInt64BE(off + 2));
          start = off + 10;
        }
        if (buffered.length < start + length) break;
        if (opcode === 0x2) onOutput(buffered.subarray(start, start + length));
        off = start + length;
      }
      // What is left is part of a frame: kept (copied, so the chunk it came in is not held whole).
      buffered = off === buffered.length ? Buffer.alloc(0) : off === 0 ? buffered : Buffer.from(buffered.subarray(off));
    });
  });
}
