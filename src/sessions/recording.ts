/**
 * Terminal recording. On the live path the output is kept as it came, in a compact raw form; it is
 * made into asciicast v2 (`asciicast.ts`) only when someone downloads it. Bounded: past `maxBytes`
 * of output the recording stops with a marker, the session goes on.
 *
 * The raw form: the asciicast header as one JSON line, then one record per chunk — 8 bytes of
 * seconds since the start (float64, little-endian), 1 byte of kind (`o` output, `r` resize), 4 bytes
 * of length (uint32, little-endian) and the bytes themselves. Decoding UTF-8 and JSON-encoding every
 * chunk while a session runs cost the appliance about 0.6 s of CPU per 256 MB of output on the two
 * cores that also carry the output; copying it into a batch costs next to nothing.
 *
 * Records are written to the file in batches, at most `flushMs` (1 s) or 256 KiB behind the
 * terminal, and the file is opened with the first batch. A session that ends before its first
 * batch is due never gets a file: `close` hands its recording back whole, and the session keeps it
 * in the registry with its record (making, writing and closing a small file cost about 0.2 ms of CPU
 * through the thread pool here; the registry's write happens anyway). Either way the recording is
 * never more than `flushMs` behind.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Recording {
  output(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  /**
   * Ends the recording. One that never reached its file comes back whole as `kept` (the raw form)
   * for the caller to keep; otherwise what is left goes to the file, which is then closed (`done`).
   * When the file could not be opened or took no whole batch (a full disk), `done` resolves to
   * what was recorded until then (at most a batch, 256 KiB, and a marker) for the caller to keep
   * instead, and the file is removed. Never throws or rejects: a recording that fails ends there.
   */
  close(): { kept: Uint8Array | undefined; done: Promise<Uint8Array | undefined> };
}

export interface RecordingOptions {
  file: string;
  cols: number;
  rows: number;
  title: string;
  /** Bytes of records at most (output, resizes and their heads); then a marker, and nothing more. */
  maxBytes?: number;
  /** How long recorded output may wait before it is written to the file. */
  flushMs?: number;
  /** Free bytes its file system must keep; below, the recording stops (1 GiB; tests set their own). */
  minFreeBytes?: number;
  now?: () => number;
}

/** The bytes before each record's payload: seconds (f64), kind (u8), length (u32). */
export const RECORD_HEAD = 13;
export const STOPPED_MARKER = '\r\n[recording stopped: size limit reached]\r\n';
export const FAILED_MARKER = '\r\n[recording stopped: its file could not be written]\r\n';
export const LOW_DISK_MARKER = "\r\n[recording stopped: the appliance's disk is nearly full]\r\n";
/** The registry shares the disk and needs the room more: recordings stop below this much free. */
const MIN_FREE_BYTES = 1024 ** 3;

/** Recordings stopped because the disk was nearly full, since start (a metric). */
export const recordingStops = { lowDisk: 0 };

/** Free bytes of the folder's file system, read at most once a second for all recordings. */
const freeSpace = { dir: '', at: Number.NEGATIVE_INFINITY, bytes: Number.POSITIVE_INFINITY };
function freeBytes(dir: string): number {
  const now = Date.now();
  if (freeSpace.dir === dir && now - freeSpace.at < 1000) return freeSpace.bytes;
  try {
    const fs = statfsSync(dir);
    freeSpace.bytes = fs.bavail * fs.bsize;
  } catch {
    freeSpace.bytes = Number.POSITIVE_INFINITY; // not knowable here: the writes will tell
  }
  freeSpace.dir = dir;
  freeSpace.at = now;
  return freeSpace.bytes;
}
/** A batch is written once it holds this much, whatever the time. */
const BATCH_BYTES = 256 * 1024;
/** A new recording's batch; it grows as output comes (most sessions are short). */
const FIRST_BATCH = 2048;

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
  const minFree = options.minFreeBytes ?? MIN_FREE_BYTES;
  const folder = dirname(options.file);
  ensureDirectory(folder);
  const started = now();
  let recorded = 0; // bytes of records
  let stopped = false;
  // The disk's free space is read as the recording starts and as each batch goes out, not for
  // every chunk of output: a batch is at most a second or 256 KiB.
  let lowDisk = freeBytes(folder) < minFree;
  let failed = false; // the file could not be opened or written (a full disk): the recording ends
  let batch = Buffer.allocUnsafe(FIRST_BATCH);
  let used = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let file: Promise<FileHandle | undefined> | undefined;
  let writing: Promise<void> = Promise.resolve();
  /** Batches whose file failed before it took one, kept for the registry up to one batch's worth. */
  const unwritten: Buffer[] = [];
  let unwrittenBytes = 0;
  let keeping = true; // until a batch does not fit: what is kept is the start, with no gap
  let wroteBatch = false; // a whole batch reached the file
  const keep = (data: Buffer): void => {
    if (!keeping || unwrittenBytes + data.byteLength > BATCH_BYTES) {
      keeping = false;
      return;
    }
    unwritten.push(data);
    unwrittenBytes += data.byteLength;
  };

  const writeOut = (): void => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (failed) {
      stopped = true; // nothing more is kept for a file that cannot be written
      used = 0;
      return;
    }
    if (used === 0) return;
    lowDisk ||= freeBytes(folder) < minFree;
    const data = batch.subarray(0, used);
    // The old one is the write's until it is done; the next starts the size this one reached.
    batch = Buffer.allocUnsafe(Math.max(FIRST_BATCH, data.byteLength));
    used = 0;
    file ??= openFile(options.file).catch(() => {
      failed = true;
      return undefined;
    });
    const opened = file;
    writing = writing.then(async () => {
      const handle = await opened;
      // A file that never took a whole batch (it could not be opened, or its first write failed:
      // a full disk) is given up, and the batches are kept instead, as far as they fit.
      if (!handle || (failed && !wroteBatch)) return keep(data);
      if (failed) return;
      try {
        for (let off = 0; off < data.byteLength; ) off += (await handle.write(data, off)).bytesWritten;
        wroteBatch = true;
      } catch {
        failed = true;
        if (!wroteBatch) keep(data);
      }
    });
  };
  /** Makes room for `n` more bytes in the batch: writes a full one out first, or grows it. */
  const room = (n: number): void => {
    if (used + n <= batch.byteLength) return;
    if (used > 0 && used + n > BATCH_BYTES) writeOut();
    if (used + n <= batch.byteLength) return;
    const bigger = Buffer.allocUnsafe(Math.max(used + n, Math.min(BATCH_BYTES, batch.byteLength * 2)));
    batch.copy(bigger, 0, 0, used);
    batch = bigger;
  };
  const record = (kind: 'o' | 'r', payload: Uint8Array): void => {
    room(RECORD_HEAD + payload.byteLength);
    used = putRecord(batch, used, (now() - started) / 1000, kind, payload);
    if (used >= BATCH_BYTES) writeOut();
    else flushTimer ??= setTimeout(writeOut, flushMs);
  };

  /** A record within the limit; the one that would pass it is the marker, and then nothing more. */
  const limited = (kind: 'o' | 'r', payload: Uint8Array): void => {
    if (stopped) return; // past the limit the output costs nothing more
    recorded += RECORD_HEAD + payload.byteLength;
    if (recorded <= maxBytes && !lowDisk) return record(kind, payload);
    stopped = true;
    if (lowDisk) recordingStops.lowDisk++;
    record('o', Buffer.from(lowDisk ? LOW_DISK_MARKER : STOPPED_MARKER));
  };

  const header = Buffer.from(JSON.stringify({ version: 2, width: options.cols, height: options.rows, timestamp: Math.floor(started / 1000), title: options.title }) + '\n');
  room(header.byteLength);
  batch.set(header, 0);
  used = header.byteLength;
  flushTimer = setTimeout(writeOut, flushMs);

  return {
    output(bytes) {
      if (bytes.byteLength > 0) limited('o', bytes);
    },
    resize(cols, rows) {
      limited('r', Buffer.from(`${cols}x${rows}`));
    },
    close() {
      stopped = true;
      clearTimeout(flushTimer);
      flushTimer = undefined;
      if (!file) {
        const kept = Buffer.from(batch.subarray(0, used));
        used = 0;
        return { kept, done: Promise.resolve(undefined) };
      }
      writeOut();
      const opened = file;
      const closedAt = (now() - started) / 1000;
      const done = writing.then(async () => {
        const handle = await opened;
        await handle?.close().catch(() => undefined);
        if (unwritten.length === 0) return undefined;
        // Whatever part of a batch reached the file is in the copy kept instead.
        if (handle) await unlink(options.file).catch(() => undefined);
        const marker = Buffer.allocUnsafe(RECORD_HEAD + FAILED_MARKER.length);
        putRecord(marker, 0, closedAt, 'o', Buffer.from(FAILED_MARKER));
        return Buffer.concat([...unwritten, marker]);
      });
      return { kept: undefined, done };
    },
  };
}

/** Writes one record at `at` in `into` (which has room); returns where the next one goes. */
function putRecord(into: Buffer, at: number, seconds: number, kind: 'o' | 'r', payload: Uint8Array): number {
  into.writeDoubleLE(seconds, at);
  into[at + 8] = kind.charCodeAt(0);
  into.writeUInt32LE(payload.byteLength, at + 9);
  into.set(payload, at + RECORD_HEAD);
  return at + RECORD_HEAD + payload.byteLength;
}
