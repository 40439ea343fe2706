/**
 * A minimal ustar writer: one regular file per archive, which is all an installer payload holds.
 * `writeTarGz` streams the file through gzip to disk, so a 100 MB program never sits in memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export const BLOCK = 512;

export interface TarEntry {
  /** A plain file name (no directories), ASCII, at most 100 bytes. */
  name: string;
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

/** `value` as a zero-padded octal field of `width` bytes (width-1 digits and a NUL). */
function octal(value: number, width: number): string {
  const digits = Math.floor(value).toString(8);
  if (digits.length > width - 1) throw new RangeError(`tar field too large: ${value}`);
  return digits.padStart(width - 1, '0') + '\0';
}

/** The 512-byte ustar header of one regular file, owned by root. */
export function ustarHeader(entry: TarEntry): Buffer {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(entry.name)) throw new RangeError(`tar entry name not supported: ${entry.name}`);
  const header = Buffer.alloc(BLOCK, 0);
  const put = (offset: number, text: string) => header.write(text, offset, 'ascii');
  put(0, entry.name);
  put(100, octal(entry.mode & 0o7777, 8));
  put(108, octal(0, 8)); // uid
  put(116, octal(0, 8)); // gid
  put(124, octal(entry.size, 12));
  put(136, octal(entry.mtime, 12));
  put(148, ' '.repeat(8)); // checksum placeholder: spaces while summing
  put(156, '0'); // regular file
  put(257, 'ustar\0');
  put(263, '00');
  put(265, 'root');
  put(297, 'root');
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  return header;
}

/** Zero bytes after a file of `size` bytes up to the block boundary, then the two-block trailer. */
export function tarTrailer(size: number): Buffer {
  const padding = (BLOCK - (size % BLOCK)) % BLOCK;
  return Buffer.alloc(padding + 2 * BLOCK, 0);
}

async function* tarChunks(source: string, entry: TarEntry): AsyncGenerator<Buffer> {
  yield ustarHeader(entry);
  let written = 0;
  for await (const chunk of createReadStream(source)) {
    written += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (written !== entry.size) throw new Error(`${source} changed size while being archived`);
  yield tarTrailer(entry.size);
}

/** Writes `dest`: a gzip'ed tar holding `source` as `name` with `mode`. */
export async function writeTarGz(source: string, name: string, mode: number, dest: string): Promise<void> {
  const info = await stat(source);
  if (!info.isFile()) throw new Error(`${source} is not a regular file`);
  const entry: TarEntry = { name, size: info.size, mode, mtime: Math.floor(info.mtimeMs / 1000) };
  await pipeline(Readable.from(tarChunks(source, entry)), createGzip({ level: 6 }), createWriteStream(dest, { mode: 0o600 }));
}
