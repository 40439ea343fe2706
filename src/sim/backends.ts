/**
 * Stand-in machines for simulated Jump Clients: a terminal that prints a prompt and echoes what it
 * is sent, a small in-memory file system, and fixed system information. They plug into the same
 * session code as the real agent (src/agent/session).
 */
import { Readable } from 'node:stream';
import type { SystemInfo } from '../shared/protocol.ts';
import { FileError, type SessionBackends, type Terminal } from '../agent/session/backends.ts';

const INFO: SystemInfo = {
  os: { name: 'Simulated Linux', version: '1', kernel: '6.1.0-sim', arch: 'x64', hostname: 'sim' },
  uptime_seconds: 1000,
  cpu: { model: 'simulated', cores: 2, load: [0, 0, 0] },
  memory: { total_bytes: 2 ** 31, free_bytes: 2 ** 30, available_bytes: 2 ** 30 },
  disks: [{ mount: '/', filesystem: 'ext4', total_bytes: 2 ** 34, free_bytes: 2 ** 33 }],
  network: [{ name: 'eth0', addresses: ['10.0.0.2'], mac: '02:00:00:00:00:02' }],
  users: [],
  processes: [],
};

function echoTerminal(prompt: string): Terminal {
  let onData: ((d: Uint8Array) => void) | undefined;
  let onExit: ((e: { code: number | null; signal: string | null }) => void) | undefined;
  let alive = true;
  setImmediate(() => onData?.(Buffer.from(prompt)));
  return {
    pid: 1,
    shell: '/bin/sim',
    onData: (l) => void (onData = l),
    onExit: (l) => void (onExit = l),
    write(data, written) {
      if (!alive) return;
      written(data.byteLength);
      const text = Buffer.from(data).toString('utf8');
      if (/^exit\r?\n?$/.test(text)) {
        alive = false;
        onExit?.({ code: 0, signal: null });
        return;
      }
      onData?.(Buffer.from(text.replace(/\r?\n|\r/g, '\r\n') + (/[\r\n]$/.test(text) ? prompt : '')));
    },
    resize: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    kill() {
      alive = false;
    },
  };
}

export function simulatedBackends(name: string): SessionBackends {
  const files = new Map<string, Buffer>();
  return {
    spawnTerminal: () => echoTerminal(`${name}$ `),
    systemInfo: async () => ({ ...INFO, os: { ...INFO.os, hostname: name } }),
    files: {
      async open(path) {
        if (path === '/' || path === '~' || path === '.') {
          const entries = [...files.entries()].map(([n, b]) => ({ name: n, kind: 'file' as const, size: b.length, mode: 0o644, mtime: 0 }));
          return { kind: 'directory', listing: { path, entries, truncated: false } };
        }
        const body = files.get(path.replace(/^\/+/, ''));
        if (!body) throw new FileError('not_found', `${path} does not exist`);
        return { kind: 'file', size: body.length, mode: 0o644, mtime: 0, stream: Readable.from([body]) };
      },
      async create(path) {
        const chunks: Buffer[] = [];
        return {
          write: async (chunk) => void chunks.push(Buffer.from(chunk)),
          async commit() {
            const body = Buffer.concat(chunks);
            files.set(path.replace(/^\/+/, ''), body);
            return body.length;
          },
          abort: async () => undefined,
        };
      },
    },
  };
}
