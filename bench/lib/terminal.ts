/**
 * The measuring technician's terminal: a WebSocket client on a plain TCP socket. It upgrades,
 * hands each binary frame's payload (terminal output) on as it comes, sends input as masked frames
 * (the key is zero) and closes the terminal as the console does, which ends the session. It costs
 * about a third of the CPU of the `ws` package's client — CPU that a real technician's browser, whose
 * WebSocket is native code, spends on its own machine, not on the two cores that run the appliance,
 * the Jump Clients and their shells here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A masked close frame with code 1000 (a client's frames are masked; the key is zero). */
const CLOSE_1000 = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

export interface TerminalClient {
  /** Sends terminal input. */
  send(bytes: Uint8Array): void;
  /** Closes the terminal (a close frame, then the end of the socket). */
  close(): void;
  /** Drops the connection at once. */
  destroy(): void;
}

/**
 * Opens the session's terminal; every binary frame's payload goes to `onOutput` as a view that is
 * only valid during the call. Rejects when the upgrade is refused or the socket fails first.
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
        const n = bytes.byteLength;
        const head = n < 126 ? Buffer.from([0x82, 0x80 | n, 0, 0, 0, 0]) : Buffer.from([0x82, 0xfe, n >> 8, n & 0xff, 0, 0, 0, 0]);
        socket.write(Buffer.concat([head, bytes]));
      },
      close: () => void socket.end(CLOSE_1000),
      destroy: () => void socket.destroy(),
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
      // Frames from the server are unmasked: opcode, length (7, 16 or 64 bits), payload.
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

/** Resolves once the session's terminal sends its first output, then closes it; rejects on a refused upgrade or after `timeoutMs`. */
export async function firstTerminalOutput(url: string, sessionId: string, token: string, timeoutMs = 10_000): Promise<void> {
  let seen!: () => void;
  const output = new Promise<void>((resolve) => (seen = resolve));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no terminal output')), timeoutMs)));
  let terminal: TerminalClient | undefined;
  try {
    terminal = await Promise.race([openTerminal(url, sessionId, token, () => seen()), deadline]);
    await Promise.race([output, deadline]);
    terminal.close();
  } catch (err) {
    terminal?.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
