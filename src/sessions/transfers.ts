/**
 * File transfers over a session socket: each download or upload takes a channel (1..255) and moves
 * its bytes in credit-limited binary frames, so neither side holds more than one window per
 * transfer in memory however large the file.
 */
import { AppError } from '../shared/errors.ts';
import { CHANNEL_WINDOW, MAX_DATA_FRAME, MAX_LISTING_ENTRIES, dataFrame, type SessionAgentMessage, type SessionHubMessage, type SystemInfo } from '../shared/protocol.ts';

type FileError = Extract<SessionAgentMessage, { type: 'file_error' }>;
type Listing = Extract<SessionAgentMessage, { type: 'dir_listing' }>;

export type DownloadResult =
  | { kind: 'file'; size: number; mtime: number; stream: ReadableStream<Uint8Array> }
  | { kind: 'directory'; path: string; entries: Listing['entries']; truncated: boolean };

/** How a session sends to its agent; false when the socket is gone. */
export interface AgentSender {
  control(message: SessionHubMessage): boolean;
  data(frame: Uint8Array): boolean;
}

interface Transfer {
  onMessage(m: SessionAgentMessage): void;
  onData(bytes: Uint8Array): void;
  fail(err: AppError): void;
}

const PAYLOAD = MAX_DATA_FRAME - 1;
/**
 * Uploads at once in one session. Each may have a window (1 MiB) on its way to the agent: with the
 * terminal's input, what can wait in the agent socket stays under its send buffer (set in
 * hub/sessions.ts), past which frames would be dropped.
 */
export const MAX_UPLOADS = 8;
const MAX_LISTING_PARTS = 1000;

export function fileErrorToAppError(e: FileError): AppError {
  const status = { not_found: 'not_found', forbidden: 'forbidden', exists: 'conflict' } as const;
  const code = status[e.code as keyof typeof status];
  if (code) return new AppError(code, { message: e.message, details: { reason: e.code } });
  if (e.code === 'io_error') return new AppError('internal_error', { message: e.message, details: { reason: e.code } });
  return new AppError('invalid_request', { message: e.message, details: { field: 'path', reason: e.code } });
}

export interface Transfers {
  download(path: string): Promise<DownloadResult>;
  upload(path: string, body: ReadableStream<Uint8Array>): Promise<{ bytes: number }>;
  sysinfo(timeoutMs: number): Promise<SystemInfo>;
  onMessage(m: SessionAgentMessage): boolean;
  onData(channel: number, bytes: Uint8Array): void;
  failAll(err: AppError): void;
}

export function createTransfers(agent: AgentSender): Transfers {
  const active = new Map<number, Transfer>();
  const sysinfoWaiters = new Map<number, { resolve(info: SystemInfo): void; reject(err: AppError): void }>();
  const creditSinks = new Map<number, (bytes: number) => void>();
  let nextRequest = 1;
  let uploading = 0;

  const allocate = (): number => {
    for (let ch = 1; ch <= 255; ch++) if (!active.has(ch)) return ch;
    throw new AppError('conflict', { message: 'Too many file transfers in this session at once.' });
  };
  const send = (m: SessionHubMessage): void => {
    if (!agent.control(m)) throw new AppError('active_not_connected');
  };

  const download = (path: string): Promise<DownloadResult> =>
    new Promise((resolve, reject) => {
      const channel = allocate();
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      let owed = 0;
      let settled = false;
      const listed: Listing['entries'] = [];
      let overflowed = false;
      let parts = 0;
      const finish = (): void => void active.delete(channel);
      active.set(channel, {
        onMessage(m) {
          if (m.type === 'file_error') {
            finish();
            const err = fileErrorToAppError(m);
            if (!settled) reject(err);
            else controller?.error(err);
            settled = true;
          } else if (m.type === 'dir_listing') {
            // A listing comes in parts (`listingMessages`); together they hold at most a listing's
            // entries, in at most MAX_LISTING_PARTS messages (the worst, 5,000 of the longest names
            // under the longest path, all characters escaped, takes 834).
            if (++parts > MAX_LISTING_PARTS) {
              finish();
              settled = true;
              return reject(new AppError('session_internal_error', { cause: new Error('a directory listing in too many parts') }));
            }
            const room = MAX_LISTING_ENTRIES - listed.length;
            for (let i = 0; i < Math.min(room, m.entries.length); i++) listed.push(m.entries[i]);
            overflowed ||= m.entries.length > room;
            if (m.more) return;
            finish();
            settled = true;
            resolve({ kind: 'directory', path: m.path, entries: listed, truncated: m.truncated || overflowed });
          } else if (m.type === 'file_meta') {
            settled = true;
            const stream = new ReadableStream<Uint8Array>(
              {
                start: (c) => void (controller = c),
                pull() {
                  if (owed > 0) {
                    agent.control({ type: 'credit', channel, bytes: owed });
                    owed = 0;
                  }
                },
                cancel() {
                  finish();
                  agent.control({ type: 'file_cancel', channel });
                },
              },
              { highWaterMark: CHANNEL_WINDOW / 2, size: (c) => c.byteLength },
            );
            resolve({ kind: 'file', size: m.size, mtime: m.mtime, stream });
          } else if (m.type === 'file_end') {
            finish();
            controller?.close();
          }
        },
        onData(bytes) {
          // Frames before this download's file_meta are a cancelled one's on the same channel,
          // still on their way: neither this download's bytes nor its credit.
          if (!controller) return;
          owed += bytes.byteLength;
          // An agent sending past the credit it was given would fill the appliance's memory as
          // fast as it can send: the transfer ends instead. An agent checks its window after each
          // frame it sends, so one frame may pass it.
          if (owed > CHANNEL_WINDOW + PAYLOAD) {
            finish();
            agent.control({ type: 'file_cancel', channel });
            controller.error(new AppError('session_internal_error', { cause: new Error('the Jump Client sent past its credit') }));
            return;
          }
          controller.enqueue(bytes.slice()); // the frame is the socket's, and only for this call
        },
        fail(err) {
          finish();
          if (!settled) reject(err);
          else controller?.error(err);
          settled = true;
        },
      });
      try {
        send({ type: 'file_get', channel, path });
      } catch (err) {
        finish();
        reject(err);
      }
    });

  const upload = async (path: string, body: ReadableStream<Uint8Array>): Promise<{ bytes: number }> => {
    if (uploading >= MAX_UPLOADS) throw new AppError('conflict', { message: `At most ${MAX_UPLOADS} uploads run in a session at once.` });
    const reader = body.getReader(); // first: nothing is taken yet if the body cannot be read
    const channel = allocate();
    uploading++;
    let window = CHANNEL_WINDOW;
    let wake: (() => void) | undefined;
    let failure: AppError | undefined;
    let onReady!: () => void;
    let onDone!: (bytes: number) => void;
    const ready = new Promise<void>((r) => (onReady = r));
    const done = new Promise<number>((r) => (onDone = r));
    const fail = (err: AppError): void => {
      failure ??= err;
      active.delete(channel);
      onReady();
      onDone(-1);
      wake?.();
    };
    active.set(channel, {
      onMessage(m) {
        if (m.type === 'upload_ready') onReady();
        else if (m.type === 'file_error') fail(fileErrorToAppError(m));
        else if (m.type === 'upload_done') {
          active.delete(channel);
          onDone(m.bytes);
        }
      },
      onData() {
        // Uploads carry no data from the agent.
      },
      fail,
    });
    // Credits for this channel arrive through onMessage of the session (see `credit` below).
    creditSinks.set(channel, (bytes) => {
      window += bytes;
      wake?.();
    });
    try {
      send({ type: 'file_put', channel, path });
      await ready;
      if (failure) throw failure;
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        for (let off = 0; off < value.byteLength; off += PAYLOAD) {
          const chunk = value.subarray(off, Math.min(value.byteLength, off + PAYLOAD));
          while (window < chunk.byteLength && !failure) await new Promise<void>((r) => (wake = r));
          if (failure) throw failure;
          window -= chunk.byteLength;
          if (!agent.data(dataFrame(channel, chunk))) throw new AppError('active_not_connected');
        }
      }
      send({ type: 'file_put_end', channel });
      const bytes = await done;
      if (failure) throw failure;
      return { bytes };
    } catch (err) {
      if (active.has(channel)) agent.control({ type: 'file_cancel', channel });
      active.delete(channel);
      await reader.cancel().catch(() => undefined); // the body may already be broken; nothing to add
      throw err;
    } finally {
      creditSinks.delete(channel);
      uploading--;
    }
  };
  return {
    download,
    upload,
    sysinfo(timeoutMs) {
      const id = nextRequest++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          sysinfoWaiters.delete(id);
          // The Jump Client did not answer in time: the catalog's timeout for reaching it.
          reject(new AppError('connect_timeout', { cause: new Error('no system information in time') }));
        }, timeoutMs);
        sysinfoWaiters.set(id, {
          resolve: (info) => (clearTimeout(timer), resolve(info)),
          reject: (err) => (clearTimeout(timer), reject(err)),
        });
        if (!agent.control({ type: 'sysinfo_get', request_id: id })) {
          sysinfoWaiters.get(id)?.reject(new AppError('active_not_connected'));
          sysinfoWaiters.delete(id);
        }
      });
    },
    onMessage(m) {
      if (m.type === 'sysinfo') {
        sysinfoWaiters.get(m.request_id)?.resolve(m.info);
        sysinfoWaiters.delete(m.request_id);
        return true;
      }
      if (m.type === 'credit' && m.channel > 0) {
        creditSinks.get(m.channel)?.(m.bytes);
        return true;
      }
      if ('channel' in m && m.channel > 0) {
        active.get(m.channel)?.onMessage(m);
        return true;
      }
      return false;
    },
    onData(channel, bytes) {
      active.get(channel)?.onData(bytes);
    },
    failAll(err) {
      for (const t of [...active.values()]) t.fail(err);
      for (const w of sysinfoWaiters.values()) w.reject(err);
      sysinfoWaiters.clear();
    },
  };
}
