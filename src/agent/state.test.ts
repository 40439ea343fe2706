/**
 * Requests left by other accounts at the machine (SPEC A4, service mode): answered truthfully,
 * applied by their rules, bounded, and nothing in the folder is believed.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layoutOf } from './layout.ts';
import { disabledBy, isDisabled, REQUEST_COOL_DOWN_MS, requestTaker, setDisabled, type RequestTakerOptions } from './state.ts';

describe('requests at the machine', () => {
  const root = mkdtempSync(join(tmpdir(), 'jumpgate-requests-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const uid = process.getuid?.() ?? 0;
  let n = 0;
  const install = (options: RequestTakerOptions = {}) => {
    const dir = join(root, `jc-${++n}`);
    mkdirSync(join(dir, 'state'), { recursive: true });
    mkdirSync(layoutOf(dir).requestsDir);
    const clock = { now: 0 };
    const taker = requestTaker(dir, { clock: () => clock.now, ...options });
    return { dir, folder: layoutOf(dir).requestsDir, taker, clock };
  };
  let serial = 0;
  /** A request as init-script leaves it (mktemp's random part); its path. */
  const ask = (folder: string, action: string, nameUid = uid) => {
    const file = join(folder, `${action}.${nameUid}.Rq${String(++serial).padStart(8, '0')}`);
    writeFileSync(file, '', { mode: 0o600 });
    return file;
  };

  it('claims a request by renaming it to its answer, marks who asked, and enables once its asker withdraws', () => {
    const { dir, folder, taker, clock } = install();
    const off = ask(folder, 'disable', 4242); // the name's uid is not believed: the owner is
    assert.deepEqual(taker.take(), [{ action: 'disable', uid, outcome: 'done' }]);
    assert.equal(existsSync(`${off}.taken`), false, 'taken, then answered');
    assert.equal(isDisabled(dir), true);
    assert.deepEqual(disabledBy(dir), { local: false, uids: [uid] });
    assert.deepEqual(readdirSync(folder), [`${off.split('/').pop()}.done`]);
    ask(folder, 'disable');
    assert.deepEqual(taker.take(), [{ action: 'disable', uid, outcome: 'done' }], 'already so: answered at once');
    const on = ask(folder, 'enable');
    clock.now = 1;
    assert.deepEqual(taker.take(), [], 'within the cool-down: left for a later look');
    assert.ok(existsSync(on));
    clock.now = REQUEST_COOL_DOWN_MS + 1;
    assert.deepEqual(taker.take(), [{ action: 'enable', uid, outcome: 'done' }]);
    assert.equal(isDisabled(dir), false);
    assert.ok(existsSync(`${on}.done`));
  });

  it('keeps the client disabled while anyone else holds it so: an enable withdraws only its own asker', () => {
    const { dir, folder, taker } = install();
    setDisabled(dir, true); // root or the client's account, with the command
    assert.deepEqual(disabledBy(dir), { local: true, uids: [] });
    const on = ask(folder, 'enable');
    assert.deepEqual(taker.take(), [{ action: 'enable', uid, outcome: 'refused' }]);
    assert.ok(existsSync(`${on}.refused`));
    // This account also asks for the disable; its enable then withdraws its part alone.
    ask(folder, 'disable');
    taker.take();
    assert.deepEqual(disabledBy(dir), { local: true, uids: [uid] });
    ask(folder, 'enable');
    assert.deepEqual(taker.take(), [{ action: 'enable', uid, outcome: 'held' }]);
    assert.deepEqual(disabledBy(dir), { local: true, uids: [] });
    assert.equal(isDisabled(dir), true);
    // Root's disable keeps the accounts that asked too; root's enable clears every disable.
    ask(folder, 'disable');
    taker.take();
    setDisabled(dir, true);
    assert.deepEqual(disabledBy(dir), { local: true, uids: [uid] });
    setDisabled(dir, false);
    assert.equal(disabledBy(dir), undefined);
  });

  it('takes only a file made in place: not another\'s file moved in, nor one with content or open modes', async () => {
    const { dir, folder, taker } = install();
    const elsewhere = join(root, `victim-${n}`);
    writeFileSync(elsewhere, '', { mode: 0o600 });
    await new Promise((r) => setTimeout(r, 30)); // older than the clock's tick: a victim's file was made before
    renameSync(elsewhere, join(folder, `disable.${uid}.Moved00001`)); // keeps its birth, gets a new change time
    writeFileSync(join(folder, `disable.${uid}.Full000001`), 'x', { mode: 0o600 });
    const open = join(folder, `disable.${uid}.Open000001`);
    writeFileSync(open, '');
    chmodSync(open, 0o644);
    assert.deepEqual(taker.take(), []);
    assert.equal(isDisabled(dir), false);
    assert.deepEqual(readdirSync(folder), []);
  });

  it('decides a look in memory: one write, one change a cool-down, an account\'s later requests wait behind its waiting one', () => {
    const { dir, folder, taker, clock } = install();
    setDisabled(dir, true); // held by root: the accounts' requests change the mark only
    for (let i = 0; i < 50; i++) ask(folder, 'disable');
    assert.deepEqual(new Set(taker.take().map((a) => a.outcome)), new Set(['done']));
    assert.deepEqual(disabledBy(dir), { local: true, uids: [uid] }, 'one account, once');
    setDisabled(dir, false);
    // Enabled now: a disable changes the state; the same account's enable waits (cool-down), and
    // so does its disable after it, rather than being answered out of order.
    ask(folder, 'disable');
    clock.now = 100_000;
    assert.deepEqual(taker.take().map((a) => a.outcome), ['done']);
    ask(folder, 'enable');
    ask(folder, 'disable');
    assert.deepEqual(taker.take(), []);
    clock.now += REQUEST_COOL_DOWN_MS;
    assert.deepEqual(taker.take().map((a) => [a.action, a.outcome]), [['enable', 'done']], 'one change a cool-down');
    assert.equal(isDisabled(dir), false);
    clock.now += REQUEST_COOL_DOWN_MS;
    assert.deepEqual(taker.take().map((a) => [a.action, a.outcome]), [['disable', 'done']]);
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
    writeFileSync(hard, '', { mode: 0o600 });
    linkSync(hard, join(folder, `disable.${uid}.Hard000001`)); // two links: not a request
    assert.deepEqual(taker.take(), []);
    assert.equal(isDisabled(dir), false);
    assert.deepEqual(readdirSync(folder), []);
    assert.ok(existsSync('/etc/passwd') && existsSync(hard), 'links are removed, never followed');
  });

  it('removes a request it cannot take (the name it is taken under is a folder), logging nothing', () => {
    const { dir, folder, taker } = install();
    const off = ask(folder, 'disable');
    mkdirSync(`${off}.taken`);
    writeFileSync(join(`${off}.taken`, 'x'), '');
    assert.deepEqual(taker.take(), []);
    assert.equal(isDisabled(dir), false);
    assert.equal(existsSync(off), false);
  });

  it('looks at 4096 entries at a time, going on from there, past entries it cannot remove', () => {
    const { dir, folder, taker } = install();
    for (let i = 0; i < 6000; i++) writeFileSync(join(folder, `junk-${i}`), '');
    taker.take();
    assert.equal(readdirSync(folder).length, 6000 - 4096, 'one look: 4096 entries');
    taker.take();
    assert.deepEqual(readdirSync(folder), [], 'the next look goes on from there');
    for (let i = 0; i < 5000; i++) {
      mkdirSync(join(folder, `full-${i}`));
      writeFileSync(join(folder, `full-${i}`, 'x'), ''); // a folder with something in it stays
    }
    ask(folder, 'disable');
    for (let look = 0; look < 3 && !isDisabled(dir); look++) taker.take();
    assert.equal(isDisabled(dir), true, 'the request behind them is taken within three looks');
    taker.close();
  });

  it('does nothing without the folder (user mode, or installed before requests existed)', () => {
    const dir = join(root, 'user-mode');
    mkdirSync(join(dir, 'state'), { recursive: true });
    assert.deepEqual(requestTaker(dir).take(), []);
  });
});
