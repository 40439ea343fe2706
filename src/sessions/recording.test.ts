import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startRecording } from './recording.ts';

describe('terminal recording (asciicast v2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-rec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const parse = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l));
  const lines = (file: string) => parse(readFileSync(file, 'utf8'));
  const untilFile = async (file: string, text: string) => {
    for (let i = 0; i < 100 && !(existsSync(file) && readFileSync(file, 'utf8').includes(text)); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('writes a header, output events with a character split across chunks intact, and resizes', async () => {
    let clock = 1_000_000;
    const file = join(dir, 'a.cast');
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', now: () => clock });
    const euro = Buffer.from('€ ok');
    rec.output(euro.subarray(0, 2));
    rec.output(euro.subarray(2));
    clock += 1500;
    rec.resize(100, 30);
    const { kept } = rec.close();
    const [header, out, resize] = parse(kept!);
    assert.deepEqual(header, { version: 2, width: 80, height: 24, timestamp: 1000, title: 't' });
    assert.deepEqual(out, [0, 'o', '€ ok']);
    assert.deepEqual(resize, [1.5, 'r', '100x30']);
  });

  it('a session that ends before its first batch is due gets no file: its recording comes back whole', async () => {
    const file = join(dir, 'short.cast');
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', flushMs: 60_000 });
    rec.output(Buffer.from('$ '));
    const { kept, done } = rec.close();
    await done;
    assert.equal(existsSync(file), false);
    assert.deepEqual(parse(kept!)[1].slice(1), ['o', '$ ']);
  });

  it('stops at its size limit with a marker and records nothing after it', async () => {
    const file = join(dir, 'b.cast');
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', maxBytes: 1000 });
    for (let i = 0; i < 40; i++) rec.output(Buffer.from('x'.repeat(100)));
    rec.resize(90, 20); // ends the pending event: past the limit now
    rec.output(Buffer.from('after the limit'));
    const { kept } = rec.close();
    const events = parse(kept!).slice(1);
    assert.match(events.at(-1)[2], /recording stopped: size limit reached/);
    assert.ok(!kept!.includes('after the limit'));
  });

  it('reaches the file while the session goes on, at most flushMs behind, readable only by the appliance', async () => {
    const file = join(dir, 'c.cast');
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', flushMs: 20 });
    rec.output(Buffer.from('$ '));
    assert.equal(existsSync(file), false); // nothing is opened on the Jump's path
    await untilFile(file, '$ ');
    assert.deepEqual(lines(file)[1].slice(1), ['o', '$ ']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    rec.output(Buffer.from('ls\r\n'));
    const { kept, done } = rec.close();
    await done;
    assert.equal(kept, undefined);
    assert.deepEqual(lines(file).slice(1).map((e) => e[2]), ['$ ', 'ls\r\n']);
  });

  it('makes its folder again when it was removed while the appliance ran', async () => {
    const folder = join(dir, 'gone');
    const file = join(folder, 'd.cast');
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', flushMs: 5 });
    rmSync(folder, { recursive: true, force: true });
    rec.output(Buffer.from('still recorded'));
    await untilFile(file, 'still recorded');
    await rec.close().done;
    assert.equal(lines(file)[1][2], 'still recorded');
  });

  it('a recording that cannot be written ends quietly: no throw, close resolves', async () => {
    const file = join(dir, 'taken');
    mkdirSync(file); // a directory where the file should go: open fails
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', flushMs: 1 });
    rec.output(Buffer.from('hello'));
    await new Promise((r) => setTimeout(r, 80));
    rec.output(Buffer.from('more'));
    const { kept, done } = rec.close();
    await done;
    assert.equal(kept, undefined);
    assert.ok(statSync(file).isDirectory());
  });
});
