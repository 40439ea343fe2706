import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openRegistry } from './index.ts';

describe('registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-registry-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('changes nothing when a write throws halfway', async () => {
    const registry = await openRegistry(dir);
    const before = registry.settings.get();
    await assert.rejects(
      registry.write(() => {
        registry.settings.put({ ...before, audit_retention_days: 7 });
        throw new Error('refused after the first put');
      }),
      /refused after the first put/,
    );
    assert.equal(registry.settings.get().audit_retention_days, before.audit_retention_days);
    await registry.close();
    const reopened = await openRegistry(dir);
    assert.equal(reopened.settings.get().audit_retention_days, before.audit_retention_days);
    await reopened.close();
  });

  it('serialises concurrent read-modify-write transactions without losing any', async () => {
    const registry = await openRegistry(dir);
    await Promise.all(
      Array.from({ length: 100 }, () =>
        registry.write(() => {
          const s = registry.settings.get();
          registry.settings.put({ ...s, lost_after_days: s.lost_after_days + 1 });
        }),
      ),
    );
    assert.equal(registry.settings.get().lost_after_days, 30 + 100);
    await registry.close();
  });

  it('refuses a registry written by a newer schema', async () => {
    const other = mkdtempSync(join(tmpdir(), 'jumpgate-registry-'));
    try {
      const { open } = await import('lmdb');
      const db = open({ path: join(other, 'registry') });
      await db.put(['meta', 'schema'], 99);
      await db.close();
      await assert.rejects(openRegistry(other), /schema version 99 is newer/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
