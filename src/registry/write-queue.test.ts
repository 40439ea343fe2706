import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openRegistry } from './index.ts';

describe('registry writes under a burst', () => {
  it('runs thousands of concurrent writes in call order, none lost, a throwing one changing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jumpgate-writes-'));
    const registry = await openRegistry(dir);
    try {
      const start = await registry.write(() => registry.clients.nextId());
      const writes = Array.from({ length: 3000 }, (_, i) =>
        registry.write(() => {
          const id = registry.clients.nextId();
          if (i === 1500) throw new Error('refused');
          return id;
        }),
      );
      const settled = await Promise.allSettled(writes);
      assert.equal(settled[1500].status, 'rejected');
      const ids = settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<number>).value);
      // In call order, one after another; the refused write took no number.
      assert.deepEqual(ids, Array.from({ length: 2999 }, (_, k) => start + 1 + k));
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close waits for every write already asked for (the presence writes of a shutdown land)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jumpgate-writes-'));
    try {
      const registry = await openRegistry(dir);
      const start = await registry.write(() => registry.clients.nextId());
      const writes = Array.from({ length: 1000 }, () => registry.write(() => registry.clients.nextId()));
      await registry.close();
      await Promise.all(writes);
      const again = await openRegistry(dir);
      assert.equal(await again.write(() => again.clients.nextId()), start + 1001);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
