/**
 * A scripted stand-in for the agent's session side, for tests of the appliance's session logic
 * (the real agent, with real shells, is exercised in the end-to-end tests). It speaks the real
 * protocol from src/shared/protocol.ts over real sockets.
 */
import WebSocket from 'ws';
import { CHANNEL_WINDOW, SESSION_HEADER, SESSION_PATH, agentCredentials, dataFrame, type SystemInfo } from '../../src/shared/protocol.ts';
import { connectAgent, type RawAgent } from './hub-client.ts';

/** 'shell' echoes like 'echo' and also answers `echo <text>` lines (ended by Enter) with `<text>`. */
export type SessionBehaviour = 'echo' | 'shell' | 'never-ready' | 'refuse' | 'refuse-busy' | 'spawn-error' | 'drop-control';

/** A file the fake agent keeps in memory: uploads land here, downloads and listings read it. */
export interface FakeFile {
  data: Buffer;
  mtime: number;
}

export interface FakeAgent {
  control: RawAgent;
  sessions: WebSocket[];
  behaviour: SessionBehaviour;
  /** Sessions opened, by id. */
  opened: string[];
  /** The remote file system, by absolute path (shared by the agent's sessions). */
  files: Map<string, FakeFile>;
  /** Sends downloads whole without waiting for credit, as a broken or hostile agent would. */
  ignoreCredit: boolean;
  /** Every terminal size the hub asked for (`resize`), oldest first. */
  resizes: { cols: number; rows: number }[];
  close(): void;
}

export const SAMPLE_SYSINFO: SystemInfo = {
  os: { name: 'Debian GNU/Linux', version: '12', kernel: '6.1.0', arch: 'x64', hostname: 'fake' },
  uptime_seconds: 10,
  cpu: { model: 'test cpu', cores: 2, load: [0, 0, 0] },
  memory: { total_bytes: 1000, free_bytes: 500, available_bytes: 600 },
  disks: [{ mount: '/', filesystem: 'ext4', total_bytes: 100, free_bytes: 50 }],
  network: [{ name: 'lo', addresses: ['127.0.0.1'], mac: '00:00:00:00:00:00' }],
  users: [],
  processes: [],
};

/**
 * `wsOptions` adds WebSocket client options to both sockets, e.g. the `ca` to trust over TLS;
 * `hello` adds fields to the hello (a passive client's `connection_type` and `listen`).
 */
export async function startFakeAgent(
  url: string,
  id: number,
  secret: string,
  behaviour: SessionBehaviour = 'echo',
  wsOptions: WebSocket.ClientOptions = {},
  hello: Record<string, unknown> = {},
): Promise<FakeAgent> {
  const control = await connectAgent(url, id, secret, wsOptions);
  const agent: FakeAgent = {
    control,
    sessions: [],
    behaviour,
    opened: [],
    resizes: [],
    files: new Map([['/home/tech/readme.txt', { data: Buffer.from('hello from the fake agent\n'), mtime: Date.now() }]]),
    ignoreCredit: false,
    close() {
      for (const s of agent.sessions) s.terminate();
      control.ws.terminate();
    },
  };
  control.ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(raw.toString());
    if (m.type !== 'session_open') return;
    agent.opened.push(m.session_id);
    if (agent.behaviour === 'refuse-busy') {
      // As the real agent words it (src/agent/sessions.ts).
      control.ws.send(JSON.stringify({ type: 'session_refused', session_id: m.session_id, reason: 'busy', message: 'This Jump Client already runs 16 sessions.' }));
      return;
    }
    if (agent.behaviour === 'refuse') {
      control.ws.send(JSON.stringify({ type: 'session_refused', session_id: m.session_id, reason: 'spawn_failed', message: 'no shell' }));
      return;
    }
    if (agent.behaviour === 'drop-control') {
      control.ws.terminate();
      return;
    }
    const ws = new WebSocket(url.replace(/^http/, 'ws') + SESSION_PATH, {
      ...wsOptions,
      headers: { authorization: agentCredentials(id, secret), [SESSION_HEADER]: `${m.session_id}.${m.token}` },
    });
    agent.sessions.push(ws);
    ws.on('open', () => {
      if (agent.behaviour === 'never-ready') return;
      if (agent.behaviour === 'spawn-error') return ws.send(JSON.stringify({ type: 'spawn_error', message: 'cannot start' }));
      ws.send(JSON.stringify({ type: 'ready', shell: '/bin/fake', pid: 1 }));
      ws.send(dataFrame(0, Buffer.from('fake$ ')));
    });
    const files = serveFiles(ws, agent);
    let line = '';
    ws.on('message', (data, binary) => {
      const buf = data as Buffer;
      if (binary) {
        if (buf[0] === 0) {
          const input = buf.subarray(1);
          ws.send(JSON.stringify({ type: 'credit', channel: 0, bytes: input.byteLength }));
          ws.send(dataFrame(0, input));
          if (agent.behaviour === 'shell') line = answerLine(ws, line + input.toString());
        } else files.data(buf[0], buf.subarray(1));
        return;
      }
      const msg = JSON.parse(buf.toString());
      if (msg.type === 'sysinfo_get') ws.send(JSON.stringify({ type: 'sysinfo', request_id: msg.request_id, info: SAMPLE_SYSINFO }));
      if (msg.type === 'end') ws.close(1000);
      if (msg.type === 'resize') agent.resizes.push({ cols: msg.cols, rows: msg.rows });
      files.control(msg);
    });
  });
  // The hub may send a session_open in the same packet as the welcome (a passive client woken for a
  // Jump): the listener above is in place before the hello.
  control.hello({}, hello);
  await control.next('welcome');
  return agent;
}

/** The 'shell' behaviour: on Enter, `echo <text>` prints `<text>`, then a new prompt. */
function answerLine(ws: WebSocket, pending: string): string {
  let rest = pending;
  for (let end = rest.indexOf('\r'); end >= 0; end = rest.indexOf('\r')) {
    const command = rest.slice(0, end).trim();
    rest = rest.slice(end + 1);
    const output = command.startsWith('echo ') ? `${command.slice(5)}\r\n` : command ? `${command.split(' ')[0]}: command not found\r\n` : '';
    ws.send(dataFrame(0, Buffer.from(`\r\n${output}fake$ `)));
  }
  return rest;
}

/**
 * The file channels of the protocol over an in-memory file system (`~` is `/home/tech`, as a real
 * agent resolves it to its user's home): `file_get` of a folder answers
 * `dir_listing` (folders are the prefixes of the stored paths), of a file `file_meta`, the bytes and
 * `file_end`; `file_put` answers `upload_ready`, returns credit for the bytes and stores them on
 * `file_put_end` with `upload_done`.
 */
function serveFiles(ws: WebSocket, agent: FakeAgent) {
  const files = agent.files;
  const uploads = new Map<number, { path: string; chunks: Buffer[] }>();
  /** Downloads under way: what is left to send, and how much is sent and not yet credited. */
  const downloads = new Map<number, { data: Buffer; off: number; outstanding: number }>();
  const pump = (channel: number): void => {
    const d = downloads.get(channel);
    if (!d) return;
    while (d.off < d.data.byteLength && (agent.ignoreCredit || d.outstanding < CHANNEL_WINDOW)) {
      const chunk = d.data.subarray(d.off, d.off + 64 * 1024);
      ws.send(dataFrame(channel, chunk));
      d.off += chunk.byteLength;
      d.outstanding += chunk.byteLength;
    }
    if (d.off >= d.data.byteLength) {
      downloads.delete(channel);
      send({ type: 'file_end', channel });
    }
  };
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  const clean = (path: string) => '/' + path.replace(/^~(?=\/|$)/, '/home/tech').split('/').filter(Boolean).join('/');
  const listing = (dir: string) => {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const entries = new Map<string, { name: string; kind: 'file' | 'directory'; size: number; mode: number; mtime: number }>();
    for (const [path, file] of files) {
      if (!path.startsWith(prefix)) continue;
      const [name, ...deeper] = path.slice(prefix.length).split('/');
      if (deeper.length) entries.set(name, { name, kind: 'directory', size: 0, mode: 0o755, mtime: file.mtime });
      else entries.set(name, { name, kind: 'file', size: file.data.byteLength, mode: 0o644, mtime: file.mtime });
    }
    return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  };
  return {
    control(msg: { type: string; channel?: number; path?: string; bytes?: number }) {
      const channel = msg.channel ?? 0;
      if (msg.type === 'file_get') {
        const path = clean(msg.path ?? '/');
        const file = files.get(path);
        if (file) {
          send({ type: 'file_meta', channel, size: file.data.byteLength, mode: 0o644, mtime: file.mtime });
          downloads.set(channel, { data: file.data, off: 0, outstanding: 0 });
          return pump(channel);
        }
        const entries = listing(path);
        if (path !== '/' && entries.length === 0) return send({ type: 'file_error', channel, code: 'not_found', message: `${path} does not exist` });
        send({ type: 'dir_listing', channel, path, entries, truncated: false });
      } else if (msg.type === 'file_put') {
        uploads.set(channel, { path: clean(msg.path ?? '/upload'), chunks: [] });
        send({ type: 'upload_ready', channel });
      } else if (msg.type === 'file_put_end') {
        const upload = uploads.get(channel);
        if (!upload) return;
        uploads.delete(channel);
        const data = Buffer.concat(upload.chunks);
        files.set(upload.path, { data, mtime: Date.now() });
        send({ type: 'upload_done', channel, bytes: data.byteLength });
      } else if (msg.type === 'credit') {
        const d = downloads.get(channel);
        if (!d) return;
        d.outstanding = Math.max(0, d.outstanding - (msg.bytes ?? 0));
        pump(channel);
      } else if (msg.type === 'file_cancel') {
        uploads.delete(channel);
        downloads.delete(channel);
      }
    },
    data(channel: number, bytes: Buffer) {
      const upload = uploads.get(channel);
      if (!upload) return;
      upload.chunks.push(Buffer.from(bytes));
      send({ type: 'credit', channel, bytes: bytes.byteLength });
    },
  };
}
