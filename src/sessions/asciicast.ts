/**
 * Asciicast v2 made from a recording's raw form (`recording.ts`) as it is downloaded: the header
 * line as it was written, then one `[seconds, kind, text]` line per event. Output within 50 ms of an
 * event's first chunk joins that event (a fast producer makes a line per burst, not per read), a
 * character split across chunks is joined, and a record cut short (a recording still being written,
 * or a stop in the middle of a write) ends the cast where the whole records end.
 */
import { RECORD_HEAD } from './recording.ts';

const EVENT_SECONDS = 0.05;
const EVENT_CHARS = 64 * 1024;
/** Lines are handed on in pieces of about this many characters. */
const PIECE_CHARS = 256 * 1024;
const OUTPUT = 0x6f; // 'o'
const RESIZE = 0x72; // 'r'

export async function* asciicast(raw: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8');
  let rest: Buffer = Buffer.alloc(0);
  let headerDone = false;
  let lines: string[] = [];
  let chars = 0;
  let pending = '';
  let pendingAt = 0;
  let lastAt = 0;
  const line = (text: string): void => {
    lines.push(text);
    chars += text.length;
  };
  const endEvent = (): void => {
    if (!pending) return;
    line(JSON.stringify([pendingAt, 'o', pending]) + '\n');
    pending = '';
  };
  for await (const chunk of raw) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = rest.byteLength ? Buffer.concat([rest, bytes]) : bytes;
    let off = 0;
    if (!headerDone) {
      const end = data.indexOf(0x0a);
      if (end < 0) {
        rest = Buffer.from(data);
        continue;
      }
      line(data.toString('utf8', 0, end + 1));
      headerDone = true;
      off = end + 1;
    }
    while (data.byteLength - off >= RECORD_HEAD) {
      const length = data.readUInt32LE(off + 9);
      if (data.byteLength - off < RECORD_HEAD + length) break;
      const at = data.readDoubleLE(off);
      lastAt = at;
      const kind = data[off + 8];
      const payload = data.subarray(off + RECORD_HEAD, off + RECORD_HEAD + length);
      off += RECORD_HEAD + length;
      if (kind === OUTPUT) {
        if (pending && (at - pendingAt >= EVENT_SECONDS || pending.length >= EVENT_CHARS)) endEvent();
        const text = decoder.decode(payload, { stream: true });
        if (!text) continue;
        if (!pending) pendingAt = at;
        pending += text;
      } else if (kind === RESIZE) {
        endEvent();
        line(JSON.stringify([at, 'r', payload.toString('latin1')]) + '\n');
      }
    }
    rest = Buffer.from(data.subarray(off)); // a copy: the part of a record still to come
    if (chars >= PIECE_CHARS) {
      yield Buffer.from(lines.join(''));
      lines = [];
      chars = 0;
    }
  }
  const tail = decoder.decode(); // an unfinished character at the very end
  if (tail) {
    if (!pending) pendingAt = lastAt;
    pending += tail;
  }
  endEvent();
  if (lines.length > 0) yield Buffer.from(lines.join(''));
}
