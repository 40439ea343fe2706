import assert from 'node:assert/strict';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';

const lstatExists = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { asciicast } from './asciicast.ts';
import { FAILED_MARKER, LOW_DISK_MARKER, RECORD_HEAD, recordingStops, startRecording } from './recording.ts';

/** The asciicast lines made from a raw recording, parsed. */
async function castOf(raw: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<unknown[]> {
  let text = '';
  for await (const piece of asciicast(raw)) text += piece.toString('utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l));
}

/** A recording that ignores how full the disk running the tests is, unless the test says otherwise. */
const record = (options: Parameters<typeof startRecording>[0]) => startRecording({ minFreeBytes: 0, ...options });

describe('terminal recording (raw while live, asciicast v2 when read)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-rec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const untilFile = async (file: string, bytes: number) => {
    for (let i = 0; i < 100 && !(existsSync(file) && statSync(file).size >= bytes); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('records a header, output with a character split across chunks intact, and resizes', async () => {
    let clock = 1_000_000;
    const rec = record({ file: join(dir, 'a.rec'), cols: 80, rows: 24, title: 't', now: () => clock });
    const euro = Buffer.from('€ ok');
    rec.output(euro.subarray(0, 2));
    clock += 10;
    rec.output(euro.subarray(2));
    clock += 1500;
    rec.resize(100, 30);
    rec.output(Buffer.from('later'));
    const [header, out, resize, later] = await castOf([rec.close().kept!]);
    assert.deepEqual(header, { version: 2, width: 80, height: 24, timestamp: 1000, title: 't' });
    assert.deepEqual(out, [0.01, 'o', '€ ok']); // within 50 ms: one event, at the time its first character was whole
    assert.deepEqual(resize, [1.51, 'r', '100x30']);
    assert.deepEqual(later, [1.51, 'o', 'later']);
  });

  it('makes output 50 ms or more apart separate events, and escapes what JSON must', async () => {
    let clock = 0;
    const rec = record({ file: join(dir, 'e.rec'), cols: 80, rows: 24, title: 't', now: () => clock });
    rec.output(Buffer.from('a"\\\x1b[0m'));
    clock += 49;
    rec.output(Buffer.from('b'));
    clock += 1;
    rec.output(Buffer.from('c\r\n'));
    const events = (await castOf([rec.close().kept!])).slice(1);
    assert.deepEqual(events, [
      [0, 'o', 'a"\\\x1b[0mb'],
      [0.05, 'o', 'c\r\n'],
    ]);
  });

  it('a session that ends before its first batch is due gets no file: its recording comes back whole', async () => {
    const file = join(dir, 'short.rec');
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 60_000, now: () => 0 });
    rec.output(Buffer.from('$ '));
    const { kept, done } = rec.close();
    await done;
    assert.equal(existsSync(file), false);
    assert.deepEqual((await castOf([kept!]))[1], [0, 'o', '$ ']);
  });

  it('stops at its size limit with a marker and records nothing after it', async () => {
    const rec = record({ file: join(dir, 'b.rec'), cols: 80, rows: 24, title: 't', maxBytes: 1000, now: () => 0 });
    for (let i = 0; i < 40; i++) rec.output(Buffer.from('x'.repeat(100)));
    rec.output(Buffer.from('after the limit'));
    rec.resize(90, 20);
    const { kept } = rec.close();
    const events = (await castOf([kept!])).slice(1) as [number, string, string][];
    assert.equal(events.length, 1);
    assert.match(events[0][2], /\[recording stopped: size limit reached\]\r\n$/);
    assert.equal(events[0][2].split('x').length - 1, 8 * 100); // 8 records of 113 bytes fit in 1000
    assert.ok(!Buffer.from(kept!).includes('after the limit'));
  });

  it('stops with a marker while its disk has less free space than it must keep', async () => {
    const before = recordingStops.lowDisk;
    const rec = record({ file: join(dir, 'low.rec'), cols: 80, rows: 24, title: 't', minFreeBytes: Number.MAX_SAFE_INTEGER, now: () => 0 });
    rec.output(Buffer.from('not kept'));
    rec.output(Buffer.from('nor this'));
    const events = (await castOf([rec.close().kept!])).slice(1) as [number, string, string][];
    assert.deepEqual(events.map((e) => e[2]), [LOW_DISK_MARKER]);
    assert.equal(recordingStops.lowDisk, before + 1);
  });

  it('counts resizes and record heads toward the limit: a stream of resizes cannot grow it past', async () => {
    const rec = record({ file: join(dir, 'g.rec'), cols: 80, rows: 24, title: 't', maxBytes: 10_000, flushMs: 60_000 });
    for (let i = 0; i < 5000; i++) rec.resize(80 + (i % 50), 24);
    for (let i = 0; i < 5000; i++) rec.output(Buffer.from('y'));
    const { kept } = rec.close();
    assert.ok(kept!.byteLength < 10_000 + 200, `${kept!.byteLength} bytes`);
    const events = (await castOf([kept!])).slice(1) as [number, string, string][];
    assert.match(events.at(-1)![2], /size limit reached/);
    assert.ok(!events.some((e) => e[2].includes('y')));
  });

  it('writes batches of 256 KiB and grows for a large record: the cast holds every byte in order', async () => {
    const file = join(dir, 'h.rec');
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 60_000, now: () => 0 });
    const sizes = [1, 70_000, 3, 4096, 200_000, 17, 65_536, 300_000, 5];
    let expected = '';
    sizes.forEach((n, i) => {
      const chunk = String.fromCharCode(97 + i).repeat(n);
      expected += chunk;
      rec.output(Buffer.from(chunk));
    });
    const { kept, done } = rec.close();
    await done;
    assert.equal(kept, undefined); // past 256 KiB: it went to its file
    const texts = (await castOf(createReadStream(file, { highWaterMark: 1000 }))).slice(1).map((e) => (e as string[])[2]);
    assert.equal(texts.join(''), expected);
  });

  it('reaches its file while the session goes on, at most flushMs behind, readable only by the appliance', async () => {
    const file = join(dir, 'c.rec');
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 20 });
    rec.output(Buffer.from('$ '));
    assert.equal(existsSync(file), false); // nothing is opened on the Jump's path
    await untilFile(file, RECORD_HEAD + 2);
    assert.deepEqual(((await castOf(createReadStream(file)))[1] as unknown[]).slice(1), ['o', '$ ']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    rec.output(Buffer.from('ls\r\n'));
    const { kept, done } = rec.close();
    await done;
    assert.equal(kept, undefined);
    const texts = (await castOf(createReadStream(file))).slice(1).map((e) => (e as string[])[2]);
    assert.equal(texts.join(''), '$ ls\r\n');
  });

  it('a cast is made of the whole records only: a record still being written is left out', async () => {
    const rec = record({ file: join(dir, 'f.rec'), cols: 80, rows: 24, title: 't', now: () => 0 });
    rec.output(Buffer.from('whole'));
    rec.output(Buffer.from('cut short'));
    const raw = Buffer.from(rec.close().kept!);
    // Read in small pieces, and without the last 3 bytes.
    const pieces = [];
    for (let off = 0; off < raw.byteLength - 3; off += 7) pieces.push(raw.subarray(off, Math.min(off + 7, raw.byteLength - 3)));
    const events = (await castOf(pieces)).slice(1);
    assert.deepEqual(events, [[0, 'o', 'whole']]);
  });

  it('makes its folder again when it was removed while the appliance ran', async () => {
    const folder = join(dir, 'gone');
    const file = join(folder, 'd.rec');
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 5 });
    rmSync(folder, { recursive: true, force: true });
    rec.output(Buffer.from('still recorded'));
    await untilFile(file, RECORD_HEAD + 14);
    await rec.close().done;
    assert.equal(((await castOf([readFileSync(file)]))[1] as string[])[2], 'still recorded');
  });

  it('a recording whose file cannot be opened is handed back with a marker, the session unharmed', async () => {
    const file = join(dir, 'taken');
    mkdirSync(file); // a directory where the file should go: open fails
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 1 });
    rec.output(Buffer.from('hello'));
    await new Promise((r) => setTimeout(r, 80));
    rec.output(Buffer.from('more')); // after the failure: not kept
    const { kept, done } = rec.close();
    const instead = await done;
    assert.equal(kept, undefined);
    assert.ok(statSync(file).isDirectory());
    const events = (await castOf([instead!])).slice(1) as [number, string, string][];
    assert.deepEqual(
      events.map((e) => e[2]),
      ['hello', FAILED_MARKER],
    );
  });

  it('a full disk at the first write is handled the same way, and the file is removed', async () => {
    const file = join(dir, 'full.rec');
    symlinkSync('/dev/full', file); // opens, and every write fails with ENOSPC
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 1 });
    rec.output(Buffer.from('hello'));
    await new Promise((r) => setTimeout(r, 80));
    const instead = await rec.close().done;
    const events = (await castOf([instead!])).slice(1) as [number, string, string][];
    assert.deepEqual(events.map((e) => e[2]), ['hello', FAILED_MARKER]);
    assert.equal(lstatExists(file), false, 'the file (here a link) is removed');
  });

  it('keeps the start of a failed recording with no gap: a batch that does not fit ends what is kept', async () => {
    const file = join(dir, 'taken-gap');
    mkdirSync(file);
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 60_000 });
    for (const [letter, kib] of [['A', 200], ['B', 100], ['C', 200], ['D', 50], ['E', 10]] as const) rec.output(Buffer.alloc(kib * 1024, letter));
    const instead = await rec.close().done;
    const events = (await castOf([instead!])).slice(1) as [number, string, string][];
    assert.equal(events.at(-1)![2], FAILED_MARKER);
    assert.equal(events.slice(0, -1).map((e) => e[2]).join(''), 'A'.repeat(200 * 1024));
  });

  it('keeps at most one batch of a recording whose file cannot be opened', async () => {
    const file = join(dir, 'taken-big');
    mkdirSync(file);
    const rec = record({ file, cols: 80, rows: 24, title: 't', flushMs: 60_000 });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 40; i++) rec.output(chunk); // 2.5 MB: ten batches, written as they fill
    const instead = await rec.close().done;
    assert.ok(instead && instead.byteLength <= 256 * 1024 + RECORD_HEAD + FAILED_MARKER.length, String(instead?.byteLength));
    const events = (await castOf([instead])).slice(1) as [number, string, string][];
    assert.equal(events.at(-1)![2], FAILED_MARKER);
    assert.ok(events.slice(0, -1).every((e) => /^a+$/.test(e[2])));
  });
});
