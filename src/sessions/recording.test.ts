import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startRecording } from './recording.ts';

describe('terminal recording (asciicast v2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-rec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  it('writes a header, output events with a character split across chunks intact, and resizes', async () => {
    let clock = 1_000_000;
    const file = join(dir, 'a.cast');
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', now: () => clock });
    const euro = Buffer.from('€ ok');
    rec.output(euro.subarray(0, 2));
    rec.output(euro.subarray(2));
    clock += 1500;
    rec.resize(100, 30);
    await rec.close();
    const [header, out, resize] = lines(file);
    assert.deepEqual(header, { version: 2, width: 80, height: 24, timestamp: 1000, title: 't' });
    assert.deepEqual(out, [0, 'o', '€ ok']);
    assert.deepEqual(resize, [1.5, 'r', '100x30']);
  });

  it('stops at its size limit with a marker and records nothing after it', async () => {
    const file = join(dir, 'b.cast');
    const rec = startRecording({ file, cols: 80, rows: 24, title: 't', maxBytes: 1000 });
    for (let i = 0; i < 40; i++) rec.output(Buffer.from('x'.repeat(100)));
    rec.resize(90, 20); // flushes the batch: past the limit now
    rec.output(Buffer.from('after the limit'));
    await rec.close();
    const events = lines(file).slice(1);
    assert.match(events.at(-1)[2], /recording stopped: size limit reached/);
    assert.ok(!readFileSync(file, 'utf8').includes('after the limit'));
  });
});
