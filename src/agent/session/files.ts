/**
 * Files on the machine, with the rights of the account the Jump Client runs as: the operating
 * system decides what may be read or written. Uploads go to a temporary file beside the target
 * and are renamed into place at the end, so an interrupted upload leaves nothing half-written; an
 * existing target must be writable by the account (checked before the upload starts).
 */
import { constants, createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { access, lstat, open as openFile, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MAX_LISTING_ENTRIES as MAX_ENTRIES } from '../../shared/protocol.ts';
import { FileError, type FilesBackend, type Listing, type Upload } from './backends.ts';

function fileError(err: unknown, path: string): FileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileError('not_found', `${path} does not exist`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new FileError('forbidden', `${path}: permission denied`);
  if (code === 'EISDIR') return new FileError('is_directory', `${path} is a directory`);
  if (code === 'EEXIST') return new FileError('exists', `${path} already exists`);
  return new FileError('io_error', `${path}: ${(err as Error).message}`);
}

async function listDirectory(path: string): Promise<Listing> {
  const names = await readdir(path);
  const entries: Listing['entries'] = [];
  for (const name of names.sort().slice(0, MAX_ENTRIES)) {
    try {
      const s = await lstat(join(path, name));
      const kind = s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
      entries.push({ name, kind, size: s.size, mode: s.mode, mtime: Math.floor(s.mtimeMs) });
    } catch (err) {
      // An entry that vanished between readdir and lstat is simply not listed.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { path, entries, truncated: names.length > MAX_ENTRIES };
}

export function createFilesBackend(home: string): FilesBackend {
  // `~` and `~/…` are the account's home, as in a shell; a relative path is taken from there too.
  const absolute = (path: string) => resolve(home, path === '~' ? '.' : path.startsWith('~/') ? path.slice(2) : path);
  return {
    async open(requested) {
      const path = absolute(requested);
      try {
        const s = await stat(path);
        if (s.isDirectory()) return { kind: 'directory', listing: await listDirectory(path) };
        if (!s.isFile()) throw new FileError('not_a_file', `${path} is not a regular file`);
        // Open before answering, so a file we may not read fails now, not mid-stream.
        const handle = await openFile(path, 'r');
        const stream = createReadStream('', { fd: handle, highWaterMark: 64 * 1024, autoClose: true });
        return { kind: 'file', size: s.size, mode: s.mode, mtime: Math.floor(s.mtimeMs), stream };
      } catch (err) {
        throw err instanceof FileError ? err : fileError(err, path);
      }
    },

    async create(requested) {
      // An upload to a symbolic link writes the file it points to, as an editor would.
      const path = await realpath(absolute(requested)).catch(() => absolute(requested));
      const existing = await stat(path).catch(() => undefined); // absent is the usual case
      if (existing?.isDirectory()) throw new FileError('is_directory', `${path} is a directory`);
      if (existing && !existing.isFile()) throw new FileError('not_a_file', `${path} is not a regular file`);
      // The upload is renamed into place, which needs only the folder's write permission: a file
      // that exists must itself be writable by the account, as if it were written in place.
      if (existing) await access(path, constants.W_OK).catch((err: unknown) => Promise.reject(fileError(err, path)));
      const temp = join(dirname(path), `.${basename(path)}.upload-${randomBytes(6).toString('hex')}`);
      let out: WriteStream;
      try {
        const handle = await openFile(temp, 'wx', existing ? existing.mode & 0o777 : 0o644);
        out = createWriteStream('', { fd: handle, autoClose: true });
      } catch (err) {
        throw fileError(err, path);
      }
      let bytes = 0;
      let failed: unknown;
      out.on('error', (err) => (failed = err));
      const upload: Upload = {
        write(chunk) {
          if (failed) return Promise.reject(fileError(failed, path));
          bytes += chunk.byteLength;
          return new Promise((res, rej) => out.write(chunk, (err) => (err ? rej(fileError(err, path)) : res())));
        },
        async commit() {
          await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(fileError(err, path)) : res())));
          if (failed) throw fileError(failed, path);
          try {
            await rename(temp, path);
          } catch (err) {
            await unlink(temp).catch(() => undefined); // best effort: the rename error is the one to report
            throw fileError(err, path);
          }
          return bytes;
        },
        async abort() {
          out.destroy();
          await unlink(temp).catch(() => undefined); // it may never have been created
        },
      };
      return upload;
    },
  };
}
