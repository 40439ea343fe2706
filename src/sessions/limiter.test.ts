import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSpawnLimiter, type Clock, type SpawnSlot } from './limiter.ts';

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void; cleared: boolean }[] = [];
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn, cleared: false };
      timers.push(t);
      return { clear: () => void (t.cleared = true) };
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => !t.cleared && t.at <= now);
      timers = timers.filter((t) => !due.includes(t));
      for (const t of due) t.fn();
    },
  };
}

const slot = (x: ReturnType<ReturnType<typeof createSpawnLimiter>['tryAcquire']>): SpawnSlot => {
  assert.ok(!('busy' in x), 'expected a slot');
  return x as SpawnSlot;
};

describe('spawn limiter', () => {
  it('grants up to max and refuses the next at once with a Retry-After', () => {
    const limiter = createSpawnLimiter({ max: 3, timeoutMs: () => 1000, clock: fakeClock() });
    const slots = [1, 2, 3].map(() => slot(limiter.tryAcquire()));
    const refused = limiter.tryAcquire();
    assert.ok('busy' in refused);
    assert.ok(refused.retryAfterSeconds >= 1);
    assert.deepEqual({ ...limiter.stats(), released: undefined }, { inFlight: 3, maxInFlight: 3, refusedBusy: 1, released: undefined });
    slots[0].release('ready');
    assert.ok(!('busy' in limiter.tryAcquire()));
  });

  for (const outcome of ['ready', 'error', 'aborted'] as const) {
    it(`frees the slot on ${outcome}, once even if released twice`, () => {
      const limiter = createSpawnLimiter({ max: 1, timeoutMs: () => 1000, clock: fakeClock() });
      const s = slot(limiter.tryAcquire());
      s.release(outcome);
      s.release(outcome);
      assert.equal(limiter.stats().inFlight, 0);
      assert.equal(limiter.stats().released[outcome], 1);
      slot(limiter.tryAcquire());
      assert.equal(limiter.stats().inFlight, 1);
    });
  }

  it('frees the slot on timeout and signals it; a late release changes nothing', async () => {
    const clock = fakeClock();
    const limiter = createSpawnLimiter({ max: 1, timeoutMs: () => 500, clock });
    const s = slot(limiter.tryAcquire());
    let fired = false;
    s.timedOut.then(() => (fired = true));
    clock.advance(499);
    await Promise.resolve();
    assert.equal(fired, false);
    assert.equal(limiter.stats().inFlight, 1);
    clock.advance(1);
    await Promise.resolve();
    assert.equal(fired, true);
    assert.equal(limiter.stats().inFlight, 0);
    assert.equal(limiter.stats().released.timeout, 1);
    s.release('ready');
    assert.equal(limiter.stats().released.ready, 0);
    assert.equal(limiter.stats().inFlight, 0);
  });

  it('never exceeds max under a burst of acquires and releases', () => {
    const limiter = createSpawnLimiter({ max: 20, timeoutMs: () => 1000, clock: fakeClock() });
    const held: SpawnSlot[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = limiter.tryAcquire();
      if (!('busy' in r)) held.push(r);
      if (i % 3 === 0 && held.length) held.shift()!.release('ready');
      assert.ok(limiter.stats().inFlight <= 20);
    }
    assert.equal(limiter.stats().maxInFlight, 20);
    assert.ok(limiter.stats().refusedBusy > 0);
  });

  it('takes a new maximum at once', () => {
    const limiter = createSpawnLimiter({ max: 1, timeoutMs: () => 1000, clock: fakeClock() });
    slot(limiter.tryAcquire());
    assert.ok('busy' in limiter.tryAcquire());
    limiter.setMax(2);
    slot(limiter.tryAcquire());
  });
});
