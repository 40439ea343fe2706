/**
 * One session on the agent's side: the second WebSocket the hub asked for (`session_open`), the
 * terminal, file transfers and system information, with the protocol's credit-based flow control.
 * Transport-neutral about the machine: the backends decide what a terminal or a file is, so the
 * load simulator runs this same code with stand-ins.
 */
import WebSocket from 'ws';
import {
  CHANNEL_WINDOW,
  MAX_DATA_FRAME,
  SESSION_HEADER,
  SESSION_PATH,
  TERMINAL_CHANNEL,
  agentCredentials,
  dataFrame,
  decodeSessionHubMessage,
  listingMessages,
  type SessionAgentMessage,
  type SessionHubMessage,
} from '../../shared/protocol.ts';
import { FileError, type SessionBackends, type Terminal, type Upload } from './backends.ts';

export type { SessionBackends } from './backends.ts';

export interface SessionLink {
  /** `ws://…` or `wss://…` of the appliance, without a path. */
  origin: string;
  clientId: number;
  secret: string;
  /** The local address to connect from (the load simulator). */
  localAddress?: string;
  /** TLS options for wss (the pinned certificate). */
  tls?: { ca: string; checkServerIdentity: (host: string, cert: import('node:tls').PeerCertificate) => Error | undefined };
}

export interface SessionRequest {
  session_id: string;
  token: string;
  cols: number;
  rows: number;
}

export interface RunningSession {
  /** Resolves when the session is over, whichever side ended it. */
  done: Promise<void>;
  end(): void;
}

const PAYLOAD = MAX_DATA_FRAME - 1;

export function runSession(link: SessionLink, request: SessionRequest, backends: SessionBackends): RunningSession {
  const ws = new WebSocket(link.origin + SESSION_PATH, {
    headers: { authorization: agentCredentials(link.clientId, link.secret), [SESSION_HEADER]: `${request.session_id}.${request.token}` },
    maxPayload: Math.max(MAX_DATA_FRAME, 64 * 1024) + 1024,
    // A zero masking key: frames go out as they are instead of XOR-copied byte by byte. Masking
    // protects browsers' intermediaries from script-chosen bytes; the agent is no browser, and in
    // production the link is TLS. The terminal's output is the bulk of what the agent sends.
    generateMask: (mask: Buffer) => void mask.fill(0),
    localAddress: link.localAddress,
    ...(link.tls ? { ca: link.tls.ca, checkServerIdentity: link.tls.checkServerIdentity } : {}),
  });
  let terminal: Terminal | undefined;
  let outstanding = 0; // terminal bytes sent and not yet credited
  let paused = false;
  const downloads = new Map<number, { stream: NodeJS.ReadableStream & { destroy(): void }; outstanding: number; paused: boolean }>();
  const uploads = new Map<number, { upload: Promise<Upload>; chain: Promise<unknown> }>();
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const send = (m: SessionAgentMessage): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  };
  const sendData = (channel: number, bytes: Uint8Array): void => {
    for (let off = 0; off < bytes.byteLength; off += PAYLOAD) {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(dataFrame(channel, bytes.subarray(off, off + PAYLOAD)));
    }
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    terminal?.kill();
    for (const d of downloads.values()) d.stream.destroy();
    for (const u of uploads.values()) void u.upload.then((up) => up.abort(), () => undefined);
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    resolveDone();
  };

  ws.on('open', () => {
    try {
      terminal = backends.spawnTerminal(request.cols, request.rows);
    } catch (err) {
      send({ type: 'spawn_error', message: String((err as Error).message).slice(0, 500) });
      return finish();
    }
    // A PTY hands out output a few KB at a time; what arrives within one turn of the event loop
    // goes out as one frame, so a fast producer costs a frame per 64 KB, not per read.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let scheduled = false;
    const flushOutput = (): void => {
      scheduled = false;
      if (pendingBytes === 0) return;
      const out = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      sendData(TERMINAL_CHANNEL, out);
    };
    terminal.onData((data) => {
      outstanding += data.byteLength;
      pending.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      pendingBytes += data.byteLength;
      if (pendingBytes >= PAYLOAD) flushOutput();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flushOutput);
      }
      if (outstanding >= CHANNEL_WINDOW && !paused) {
        paused = true;
        terminal?.pause();
      }
    });
    terminal.onExit(({ code, signal }) => {
      flushOutput();
      send({ type: 'exit', code, signal });
      finish();
    });
    send({ type: 'ready', shell: terminal.shell, pid: terminal.pid });
  });

  ws.on('message', (raw, isBinary) => {
    const buf = raw as Buffer;
    if (isBinary) {
      const channel = buf[0];
      const bytes = buf.subarray(1);
      if (channel === TERMINAL_CHANNEL) {
        terminal?.write(bytes, (written) => send({ type: 'credit', channel: TERMINAL_CHANNEL, bytes: written }));
      } else receiveUpload(channel, new Uint8Array(bytes));
      return;
    }
    const decoded = decodeSessionHubMessage(buf.toString('utf8'));
    if (!decoded.ok) {
      ws.close(decoded.code, decoded.reason);
      return finish();
    }
    handle(decoded.message);
  });
  ws.on('close', finish);
  ws.on('error', finish);

  function handle(m: SessionHubMessage): void {
    switch (m.type) {
      case 'resize':
        return terminal?.resize(m.cols, m.rows);
      case 'credit':
        if (m.channel === TERMINAL_CHANNEL) {
          outstanding = Math.max(0, outstanding - m.bytes);
          if (paused && outstanding < CHANNEL_WINDOW) {
            paused = false;
            terminal?.resume();
          }
        } else creditDownload(m.channel, m.bytes);
        return;
      case 'file_get':
        return void startDownload(m.channel, m.path);
      case 'file_put':
        return startUpload(m.channel, m.path);
      case 'file_put_end':
        return endUpload(m.channel);
      case 'file_cancel':
        return cancel(m.channel);
      case 'sysinfo_get':
        backends.systemInfo().then(
          (info) => send({ type: 'sysinfo', request_id: m.request_id, info }),
          () => send({ type: 'sysinfo', request_id: m.request_id, info: emptyInfo() }),
        );
        return;
      case 'end':
        return finish();
    }
  }

  function fileFailure(channel: number, err: unknown): void {
    const e = err instanceof FileError ? err : new FileError('io_error', String((err as Error)?.message ?? err));
    send({ type: 'file_error', channel, code: e.code, message: e.message.slice(0, 500) });
  }

  async function startDownload(channel: number, path: string): Promise<void> {
    cancel(channel); // a channel is one transfer at a time: a new request replaces what was there
    try {
      const opened = await backends.files.open(path);
      if (opened.kind === 'directory') return listingMessages(channel, opened.listing).forEach(send);
      const entry = { stream: opened.stream, outstanding: 0, paused: false };
      downloads.set(channel, entry);
      send({ type: 'file_meta', channel, size: opened.size, mode: opened.mode, mtime: opened.mtime });
      opened.stream.on('data', (chunk: Buffer) => {
        entry.outstanding += chunk.byteLength;
        sendData(channel, chunk);
        if (entry.outstanding >= CHANNEL_WINDOW && !entry.paused) {
          entry.paused = true;
          opened.stream.pause();
        }
      });
      opened.stream.on('end', () => {
        downloads.delete(channel);
        send({ type: 'file_end', channel });
      });
      opened.stream.on('error', (err) => {
        downloads.delete(channel);
        fileFailure(channel, err);
      });
    } catch (err) {
      fileFailure(channel, err);
    }
  }

  function creditDownload(channel: number, bytes: number): void {
    const entry = downloads.get(channel);
    if (!entry) return;
    entry.outstanding = Math.max(0, entry.outstanding - bytes);
    if (entry.paused && entry.outstanding < CHANNEL_WINDOW) {
      entry.paused = false;
      entry.stream.resume();
    }
  }

  function startUpload(channel: number, path: string): void {
    cancel(channel); // a channel is one transfer at a time: a new request replaces what was there
    const upload = backends.files.create(path);
    const entry = { upload, chain: upload as Promise<unknown> };
    uploads.set(channel, entry);
    upload.then(
      () => send({ type: 'upload_ready', channel }),
      (err) => {
        uploads.delete(channel);
        fileFailure(channel, err);
      },
    );
  }

  function receiveUpload(channel: number, bytes: Uint8Array): void {
    const entry = uploads.get(channel);
    if (!entry) return;
    // Writes run in order; credit returns once the bytes are on disk, which paces the sender.
    entry.chain = entry.chain
      .then(() => entry.upload)
      .then((up) => up.write(bytes))
      .then(() => send({ type: 'credit', channel, bytes: bytes.byteLength }));
    entry.chain.catch((err) => {
      if (!uploads.has(channel)) return;
      uploads.delete(channel);
      void entry.upload.then((up) => up.abort());
      fileFailure(channel, err);
    });
  }

  function endUpload(channel: number): void {
    const entry = uploads.get(channel);
    if (!entry) return;
    entry.chain
      .then(() => entry.upload)
      .then((up) => up.commit())
      .then(
        (bytes) => {
          uploads.delete(channel);
          send({ type: 'upload_done', channel, bytes });
        },
        (err) => {
          if (!uploads.delete(channel)) return;
          fileFailure(channel, err);
        },
      );
  }

  function cancel(channel: number): void {
    downloads.get(channel)?.stream.destroy();
    downloads.delete(channel);
    const entry = uploads.get(channel);
    if (entry) {
      uploads.delete(channel);
      void entry.upload.then((up) => up.abort(), () => undefined);
    }
  }

  return { done, end: finish };
}

function emptyInfo() {
  return {
    os: { name: '', version: '', kernel: '', arch: '', hostname: '' },
    uptime_seconds: 0,
    cpu: { model: '', cores: 0, load: [] },
    memory: { total_bytes: 0, free_bytes: 0, available_bytes: 0 },
    disks: [],
    network: [],
    users: [],
    processes: [],
  };
}
