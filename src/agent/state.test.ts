/** Requests left by other accounts at the machine (SPEC A4, service mode): taken, applied, bounded. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layoutOf } from './layout.ts';
import { isDisabled, takeRequests } from './state.ts';

describe('requests at the machine', () => {
  const root = mkdtempSync(join(tmpdir(), 'jumpgate-requests-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const install = () => {
    const dir = join(root, `jc-${++n}`);
    mkdirSync(join(dir, 'state'), { recursive: true });
    mkdirSync(layoutOf(dir).requestsDir);
    return dir;
  };
  const leave = (dir: string, name: string, secondsAgo = 0) => {
    const file = join(layoutOf(dir).requestsDir, name);
    writeFileSync(file, '');
    const at = Date.now() / 1000 - secondsAgo;
    utimesSync(file, at, at);
  };
  const uid = process.getuid?.() ?? 0;

  it('applies the newest request, names its owner, and takes every entry', () => {
    const dir = install();
    leave(dir, 'disable.1000.1', 30);
    leave(dir, 'enable.1000.2', 20);
    leave(dir, 'disable.4242.3', 10); // the name's uid is not believed: the owner is
    assert.deepEqual(takeRequests(dir), [
      { disabled: true, uid },
      { disabled: false, uid },
      { disabled: true, uid },
    ]);
    assert.equal(isDisabled(dir), true);
    assert.deepEqual(readdirSync(layoutOf(dir).requestsDir), []);
    leave(dir, 'enable.1000.4');
    takeRequests(dir);
    assert.equal(isDisabled(dir), false);
  });

  it('removes what is not a request without applying it: other names, links, folders', () => {
    const dir = install();
    const folder = layoutOf(dir).requestsDir;
    leave(dir, 'disable');
    leave(dir, 'disable.1.2.3');
    symlinkSync('/etc/passwd', join(folder, 'disable.1000.9'));
    mkdirSync(join(folder, 'enable.1000.10'));
    assert.deepEqual(takeRequests(dir), []);
    assert.equal(isDisabled(dir), false);
    assert.deepEqual(readdirSync(folder), []);
    assert.ok(existsSync('/etc/passwd'), 'a link is removed, never followed');
  });

  it('takes a bounded number per look, and does nothing without the folder (user mode)', () => {
    const dir = install();
    for (let i = 0; i < 100; i++) leave(dir, `enable.1000.${i}`);
    assert.equal(takeRequests(dir).length, 64);
    assert.equal(readdirSync(layoutOf(dir).requestsDir).length, 36);
    const userMode = join(root, 'user-mode');
    mkdirSync(join(userMode, 'state'), { recursive: true });
    assert.deepEqual(takeRequests(userMode), []);
  });
});
