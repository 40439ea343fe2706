/**
 * Requests left by other accounts at the machine (SPEC A4, service mode): answered, applied by
 * their rules, bounded, and nothing in the folder is believed.
 */
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layoutOf } from './layout.ts';
import { disabledBy, isDisabled, REQUEST_COOL_DOWN_MS, requestTaker, setDisabled } from './state.ts';

describe('requests at the machine', () => {
  const root = mkdtempSync(join(tmpdir(), 'jumpgate-requests-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const uid = process.getuid?.() ?? 0;
  let n = 0;
  const install = () => {
    const dir = join(root, `jc-${++n}`);
    mkdirSync(join(dir, 'state'), { recursive: true });
    mkdirSync(layoutOf(dir).requestsDir);
    return { dir, folder: layoutOf(dir).requestsDir, taker: requestTaker(dir) };
  };
  let serial = 0;
  /** A request as init-script leaves it (mktemp's random part); its path. */
  const ask = (folder: string, action: string, nameUid = uid) => {
    const file = join(folder, `${action}.${nameUid}.Rq${String(++serial).padStart(8, '0')}`);
    writeFileSync(file, '');
    return file;
  };

  it('answers a disable with .done, marks who asked, and lets only that account enable again', () => {
    const { dir, folder, taker } = install();
    const off = ask(folder, 'disable', 4242); // the name's uid is not believed: the owner is
    assert.deepEqual(taker.take(0), [{ action: 'disable', uid, outcome: 'applied' }]);
    assert.equal(isDisabled(dir), true);
    assert.equal(disabledBy(dir), uid);
    assert.deepEqual(readdirSync(folder), [`${off.split('/').pop()}.done`]);
    // A second disable changes nothing; an enable waits out the cool-down, then is applied.
    ask(folder, 'disable');
    assert.deepEqual(taker.take(1), [{ action: 'disable', uid, outcome: 'unchanged' }]);
    const on = ask(folder, 'enable');
    assert.deepEqual(taker.take(2), [], 'within the cool-down: left for later');
    assert.ok(existsSync(on));
    assert.deepEqual(taker.take(REQUEST_COOL_DOWN_MS + 1), [{ action: 'enable', uid, outcome: 'applied' }]);
    assert.equal(isDisabled(dir), false);
    assert.ok(existsSync(`${on}.done`));
  });

  it('refuses an enable of a disable made by root, the client\'s account or another account', () => {
    const { dir, folder, taker } = install();
    setDisabled(dir, true); // root or the account, with the command
    const on = ask(folder, 'enable');
    assert.deepEqual(taker.take(0), [{ action: 'enable', uid, outcome: 'refused' }]);
    assert.ok(existsSync(`${on}.refused`));
    assert.equal(disabledBy(dir), 'local');
    setDisabled(dir, true, uid + 1); // another account's request
    ask(folder, 'enable');
    assert.equal(taker.take(REQUEST_COOL_DOWN_MS * 2)[0].outcome, 'refused');
    assert.equal(isDisabled(dir), true);
  });

  it('removes what is not a request, unapplied: other names, bytes that are not UTF-8, links, folders, stale answers', () => {
    const { dir, folder, taker } = install();
    writeFileSync(join(folder, 'disable'), '');
    writeFileSync(join(folder, 'disable.1.2.3'), '');
    writeFileSync(Buffer.concat([Buffer.from(folder + '/disable.1.'), Buffer.from([0xff, 0xfe, 0x41, 0x42, 0x43, 0x44])]), '');
    symlinkSync('/etc/passwd', join(folder, `disable.${uid}.Link000001`));
    mkdirSync(join(folder, `enable.${uid}.Folder0001`));
    const hard = join(root, `outside-${n}`);
    writeFileSync(hard, '');
    linkSync(hard, join(folder, `disable.${uid}.Hard000001`)); // two links: not a request
    writeFileSync(join(folder, `disable.${uid}.Old0000001.done`), '');
    assert.deepEqual(taker.take(Date.now() + 120_000), []);
    assert.equal(isDisabled(dir), false);
    assert.deepEqual(readdirSync(folder), []);
    assert.ok(existsSync('/etc/passwd') && existsSync(hard), 'links are removed, never followed');
  });

  it('looks at 4096 entries at a time, going on from there, and is not jammed by entries it cannot remove', () => {
    const { dir, folder, taker } = install();
    for (let i = 0; i < 6000; i++) writeFileSync(join(folder, `junk-${i}`), '');
    taker.take(0);
    assert.equal(readdirSync(folder).length, 6000 - 4096, 'one look: 4096 entries');
    taker.take(1);
    assert.deepEqual(readdirSync(folder), [], 'the next look goes on from there');
    for (let i = 0; i < 5000; i++) {
      mkdirSync(join(folder, `full-${i}`));
      writeFileSync(join(folder, `full-${i}`, 'x'), ''); // a folder with something in it stays
    }
    ask(folder, 'disable');
    for (let look = 0; look < 3 && !isDisabled(dir); look++) taker.take(2 + look);
    assert.equal(isDisabled(dir), true, 'the request behind them is taken within three looks');
    taker.close();
  });

  it('does nothing without the folder (user mode, or installed before requests existed)', () => {
    const dir = join(root, 'user-mode');
    mkdirSync(join(dir, 'state'), { recursive: true });
    assert.deepEqual(requestTaker(dir).take(), []);
  });
});
