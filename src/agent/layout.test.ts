import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layoutOf, migrateLayout } from './layout.ts';

describe('the install directory across versions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-layout-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("moves an older client's identity, state and disabled mark into state/, once, and keeps newer files", () => {
    writeFileSync(join(dir, 'identity.json'), '{"client_id":7}\n');
    writeFileSync(join(dir, 'state.json'), '{"old":true}\n');
    writeFileSync(join(dir, 'disabled'), 'disabled\n');
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'state', 'state.json'), '{"new":true}\n'); // already there: it wins
    assert.deepEqual(migrateLayout(dir), ['identity.json', 'disabled']);
    const layout = layoutOf(dir);
    assert.equal(readFileSync(layout.identity, 'utf8'), '{"client_id":7}\n');
    assert.equal(readFileSync(layout.state, 'utf8'), '{"new":true}\n');
    assert.ok(existsSync(layout.disabled), 'a client disabled at the machine stays disabled');
    assert.equal(existsSync(join(dir, 'identity.json')), false);
    assert.deepEqual(migrateLayout(dir), [], 'nothing the second time');
  });
});
