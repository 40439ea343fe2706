import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBackoff, fullJitterDelay, parseRetryAfter } from './backoff.ts';

describe('reconnection backoff', () => {
  it('draws between 0 and min(cap, base·2^attempt)', () => {
    assert.equal(fullJitterDelay(0, () => 0.999999, 1000, 60_000), 999);
    assert.equal(fullJitterDelay(3, () => 0.5, 1000, 60_000), 4000);
    assert.equal(fullJitterDelay(6, () => 0.999999, 1000, 60_000), 59_999);
    assert.equal(fullJitterDelay(100, () => 0.999999, 1000, 60_000), 59_999);
    assert.equal(fullJitterDelay(5, () => 0, 1000, 60_000), 0);
  });

  it('grows the ceiling with each attempt and stays under the cap', () => {
    const b = createBackoff({ random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => b.next());
    assert.deepEqual(delays.slice(0, 6), [999, 1999, 3999, 7999, 15_999, 31_999]);
    for (const d of delays.slice(6)) assert.equal(d, 59_999);
    assert.equal(b.attempt, 10);
  });

  it('spreads a herd: many agents on the same attempt do not pick the same delay', () => {
    const delays = new Set(Array.from({ length: 1000 }, () => createBackoff().next() + createBackoff().next()));
    assert.ok(delays.size > 500);
  });

  it('resets after a connection that stayed up long enough, not after a short one', () => {
    const b = createBackoff({ random: () => 0.999999 });
    b.next();
    b.next();
    b.next();
    b.connected(0);
    b.disconnected(29_999);
    assert.equal(b.attempt, 3);
    b.connected(100_000);
    b.disconnected(130_000);
    assert.equal(b.attempt, 0);
    assert.equal(b.next(), 999);
  });

  it('honours Retry-After with jitter on top, and bounds it', () => {
    const low = createBackoff({ random: () => 0 });
    assert.equal(low.retryAfter(30), 30_000);
    const high = createBackoff({ random: () => 0.999999 });
    const d = high.retryAfter(30);
    assert.ok(d >= 30_000 && d < 36_000, String(d));
    assert.ok(createBackoff({ random: () => 0 }).retryAfter(1e9) <= 3_600_000);
  });

  it('parses Retry-After seconds only', () => {
    assert.equal(parseRetryAfter('5'), 5);
    assert.equal(parseRetryAfter([' 12 ']), 12);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT'), undefined);
    assert.equal(parseRetryAfter('-1'), undefined);
  });
});
