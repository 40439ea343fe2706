import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AgentConfig } from './layout.ts';
import { openLifecycle } from './lifecycle.ts';

const MINUTE = 60_000;

function config(installedAt: number, maxOffline: number | null): AgentConfig {
  // Only the fields the lifecycle reads.
  return { installed_at: installedAt, overrides: {}, installer: { max_offline_minutes: maxOffline } } as unknown as AgentConfig;
}

describe('the offline clock (self-removal after the limit)', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'jumpgate-lifecycle-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('expires only past the limit, counted from the last contact', () => {
    const t0 = 1_000_000_000;
    const life = openLifecycle(dir(), config(t0, 60), t0);
    assert.equal(life.expired(t0 + 60 * MINUTE), false);
    assert.equal(life.expired(t0 + 60 * MINUTE + 1), true);
    life.contact(t0 + 30 * MINUTE);
    assert.equal(life.expired(t0 + 80 * MINUTE), false, 'a contact restarts the clock');
    life.setMaxOffline(10);
    assert.equal(life.expired(t0 + 41 * MINUTE), true, 'the appliance can shorten the limit');
  });

  it('keeps the clock across restarts: days without power do not reset it', () => {
    const d = dir();
    const t0 = 2_000_000_000;
    const first = openLifecycle(d, config(t0, 120), t0);
    first.contact(t0 + MINUTE, true);
    const later = t0 + 200 * MINUTE;
    const reopened = openLifecycle(d, config(t0, 120), later);
    assert.equal(reopened.state.last_contact_ms, t0 + MINUTE);
    assert.equal(reopened.expired(later), true);
  });

  it('defaults to the appliance deletion threshold of 180 days', () => {
    const t0 = 3_000_000_000;
    const life = openLifecycle(dir(), config(t0, null), t0);
    assert.equal(life.expired(t0 + 179 * 24 * 60 * MINUTE), false);
    assert.equal(life.expired(t0 + 181 * 24 * 60 * MINUTE), true);
  });
});
