/**
 * Terminal recording in asciicast v2: a JSON header line, then one `[seconds, "o", text]` line per
 * output chunk. Bounded: past `maxBytes` the recording stops with a marker, the session goes on.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface Recording {
  output(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  close(): Promise<void>;
}

export interface RecordingOptions {
  file: string;
  cols: number;
  rows: number;
  title: string;
  maxBytes?: number;
  now?: () => number;
}

export function startRecording(options: RecordingOptions): Recording {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
  let written = 0;
  let stopped = false;
  const out: WriteStream = createWriteStream(options.file, { mode: 0o600 });
  out.on('error', () => (stopped = true)); // a full disk ends the recording, not the session
  const started = now();
  const decoder = new TextDecoder('utf-8');
  const line = (value: unknown): void => {
    const text = JSON.stringify(value) + '\n';
    written += text.length;
    out.write(text);
  };
  line({
    version: 2,
    width: options.cols,
    height: options.rows,
    timestamp: Math.floor(started / 1000),
    title: options.title,
  });
  const event = (kind: string, data: string): void => {
    if (stopped) return;
    if (written > maxBytes) {
      stopped = true;
      line([(now() - started) / 1000, 'o', '\r\n[recording stopped: size limit reached]\r\n']);
      return;
    }
    line([(now() - started) / 1000, kind, data]);
  };
  // Output within 50 ms goes into one event: a fast producer writes a line per batch, not per read.
  let pendingText = '';
  let pendingAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (!pendingText) return;
    const text = pendingText;
    pendingText = '';
    if (stopped) return;
    if (written > maxBytes) {
      stopped = true;
      line([(now() - started) / 1000, 'o', '\r\n[recording stopped: size limit reached]\r\n']);
      return;
    }
    line([(pendingAt - started) / 1000, 'o', text]);
  };
  return {
    output(bytes) {
      if (stopped) return; // past the limit the output costs nothing more
      const text = decoder.decode(bytes, { stream: true });
      if (!text) return;
      if (!pendingText) pendingAt = now();
      pendingText += text;
      if (pendingText.length >= 64 * 1024) flush();
      else timer ??= setTimeout(flush, 50);
    },
    resize(cols, rows) {
      flush();
      event('r', `${cols}x${rows}`);
    },
    close() {
      flush();
      stopped = true;
      return new Promise((resolve) => out.end(resolve));
    },
  };
}
