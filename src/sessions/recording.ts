/**
 * Terminal recording in asciicast v2: a JSON header line, then one `[seconds, "o", text]` line per
 * output chunk. Bounded: past `maxBytes` the recording stops with a marker, the session goes on.
 *
 * Lines are written to the file in batches, at most `flushMs` (1 s) or 256 KiB behind the
 * terminal, and the file is opened with the first batch. A session that ends before its first
 * batch is due never gets a file: its recording is handed back whole by `close`, and the session
 * keeps it in the registry with its record. Making, writing and closing a small file cost about
 * 0.2 ms of CPU through the thread pool here, and done in place it waited behind the registry's
 * commits on the file system's journal; the registry's write happens anyway. Either way the
 * recording is never more than `flushMs` behind.
 */
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Recording {
  output(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  /**
   * Ends the recording. One that never reached its file comes back whole as `kept` (asciicast
   * text) for the caller to keep; otherwise what is left goes to the file, which is then closed
   * (`done`). Never throws or rejects: a failed recording just ends.
   */
  close(): { kept: string | undefined; done: Promise<void> };
}

export interface RecordingOptions {
  file: string;
  cols: number;
  rows: number;
  title: string;
  maxBytes?: number;
  /** How long recorded lines may wait before they are written to the file. */
  flushMs?: number;
  now?: () => number;
}

/** Output within this long goes into one event: a fast producer writes a line per batch, not per read. */
const EVENT_MS = 50;
/** Written lines are handed to the file once this many characters wait, whatever the time. */
const FLUSH_CHARS = 256 * 1024;

const directories = new Set<string>();
function ensureDirectory(dir: string): void {
  if (directories.has(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  directories.add(dir);
}

/** Opens a recording's file; a recordings folder removed meanwhile is made again. */
async function openFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'w', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    directories.delete(dirname(file));
    ensureDirectory(dirname(file));
    return open(file, 'w', 0o600);
  }
}

export function startRecording(options: RecordingOptions): Recording {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const flushMs = options.flushMs ?? 1000;
  ensureDirectory(dirname(options.file));
  let written = 0;
  let stopped = false;
  let failed = false; // the file could not be opened or written (a full disk): the recording ends
  let queue: string[] = [];
  let queuedChars = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let file: Promise<FileHandle | undefined> | undefined;
  let writing: Promise<void> = Promise.resolve();

  const writeOut = (): void => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (queue.length === 0 || failed) return;
    const data = Buffer.from(queue.join(''));
    queue = [];
    queuedChars = 0;
    file ??= openFile(options.file).catch(() => {
      failed = true;
      return undefined;
    });
    const opened = file;
    writing = writing.then(async () => {
      const handle = await opened;
      if (!handle || failed) return;
      try {
        for (let off = 0; off < data.byteLength; ) off += (await handle.write(data, off)).bytesWritten;
      } catch {
        failed = true;
      }
    });
  };

  const started = now();
  const decoder = new TextDecoder('utf-8');
  const line = (value: unknown): void => {
    const text = JSON.stringify(value) + '\n';
    written += text.length;
    queue.push(text);
    queuedChars += text.length;
    if (queuedChars >= FLUSH_CHARS) writeOut();
    else flushTimer ??= setTimeout(writeOut, flushMs);
  };
  line({
    version: 2,
    width: options.cols,
    height: options.rows,
    timestamp: Math.floor(started / 1000),
    title: options.title,
  });
  /** Ends the recording with a marker once it has reached its size; true when it has. */
  const full = (): boolean => {
    if (stopped) return true;
    if (written <= maxBytes) return false;
    stopped = true;
    line([(now() - started) / 1000, 'o', '\r\n[recording stopped: size limit reached]\r\n']);
    return true;
  };
  const event = (kind: string, data: string): void => {
    if (!full()) line([(now() - started) / 1000, kind, data]);
  };
  let pendingText = '';
  let pendingAt = 0;
  let eventTimer: NodeJS.Timeout | undefined;
  const endEvent = (): void => {
    clearTimeout(eventTimer);
    eventTimer = undefined;
    if (!pendingText) return;
    const text = pendingText;
    pendingText = '';
    if (!full()) line([(pendingAt - started) / 1000, 'o', text]);
  };
  return {
    output(bytes) {
      if (stopped) return; // past the limit the output costs nothing more
      const text = decoder.decode(bytes, { stream: true });
      if (!text) return;
      if (!pendingText) pendingAt = now();
      pendingText += text;
      if (pendingText.length >= 64 * 1024) endEvent();
      else eventTimer ??= setTimeout(endEvent, EVENT_MS);
    },
    resize(cols, rows) {
      endEvent();
      event('r', `${cols}x${rows}`);
    },
    close() {
      endEvent();
      stopped = true;
      if (!file) {
        clearTimeout(flushTimer);
        const kept = queue.join('');
        queue = [];
        return { kept, done: Promise.resolve() };
      }
      writeOut();
      const opened = file;
      const done = writing.then(async () => {
        const handle = await opened;
        await handle?.close().catch(() => undefined);
      });
      return { kept: undefined, done };
    },
  };
}
