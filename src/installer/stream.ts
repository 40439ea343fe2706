/**
 * Web streams of bytes and files for download responses: read chunk by chunk as the client takes
 * them (pull), never whole into memory. A file is opened at the first read of it and closed at its
 * end or when the download is cancelled, so a response whose body is never read (HEAD) holds no file.
 */
import { open, stat } from 'node:fs/promises';

export type StreamPart = Uint8Array | { path: string };

const CHUNK = 64 * 1024;

async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    let position = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

async function* chunksOf(parts: readonly StreamPart[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Uint8Array) yield part;
    else yield* fileChunks(part.path);
  }
}

/** One stream of `parts` in order. */
export function streamParts(parts: readonly StreamPart[]): ReadableStream<Uint8Array> {
  const it = chunksOf(parts);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await it.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A stream of the regular file at `path` with its size (a missing file fails here, not mid-stream). */
export async function streamFile(path: string): Promise<{ size: number; body: ReadableStream<Uint8Array> }> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file`);
  return { size: info.size, body: streamParts([{ path }]) };
}
