/**
 * The spawn limiter (SPEC S4): at most `max` Jump spawns in progress at once. `tryAcquire` answers
 * at once — a slot, or a refusal with a Retry-After hint — never queues. Every slot is released
 * exactly once, whichever way the spawn ends (success, error, timeout, client abort); a slot held
 * past its deadline is released by the timeout path. Pure logic with an injected clock and timer.
 */
export type SpawnOutcome = 'ready' | 'error' | 'timeout' | 'aborted';

export interface SpawnSlot {
  readonly id: number;
  /** Fires once, when the deadline passes before release. */
  readonly timedOut: Promise<void>;
  release(outcome: SpawnOutcome): void;
}

export interface LimiterStats {
  inFlight: number;
  maxInFlight: number;
  refusedBusy: number;
  released: Record<SpawnOutcome, number>;
}

export interface SpawnLimiter {
  tryAcquire(): SpawnSlot | { busy: true; retryAfterSeconds: number };
  stats(): LimiterStats;
  setMax(max: number): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { clear(): void };
}

export const realClock: Clock = {
  now: Date.now,
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { clear: () => clearTimeout(t) };
  },
};

export function createSpawnLimiter(options: { max: number | (() => number); timeoutMs: () => number; clock?: Clock }): SpawnLimiter {
  const clock = options.clock ?? realClock;
  let max = options.max;
  const currentMax = (): number => (typeof max === 'function' ? max() : max);
  let inFlight = 0;
  let nextId = 1;
  const s: LimiterStats = {
    inFlight: 0,
    maxInFlight: 0,
    refusedBusy: 0,
    released: { ready: 0, error: 0, timeout: 0, aborted: 0 },
  };
  // Recent spawn durations, to suggest a sensible Retry-After.
  const recent: number[] = [];

  return {
    tryAcquire() {
      if (inFlight >= currentMax()) {
        s.refusedBusy++;
        const typical = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 1000;
        return { busy: true, retryAfterSeconds: Math.max(1, Math.ceil(typical / 1000)) };
      }
      inFlight++;
      s.inFlight = inFlight;
      s.maxInFlight = Math.max(s.maxInFlight, inFlight);
      const started = clock.now();
      let released = false;
      let fireTimeout!: () => void;
      const timedOut = new Promise<void>((resolve) => (fireTimeout = resolve));
      const release = (outcome: SpawnOutcome): void => {
        if (released) return;
        released = true;
        timer.clear();
        inFlight--;
        s.inFlight = inFlight;
        s.released[outcome]++;
        recent.push(clock.now() - started);
        if (recent.length > 50) recent.shift();
      };
      const timer = clock.setTimeout(() => {
        if (released) return;
        release('timeout');
        fireTimeout();
      }, options.timeoutMs());
      return { id: nextId++, timedOut, release };
    },
    stats: () => ({ ...s, released: { ...s.released } }),
    setMax(value) {
      max = value;
    },
  };
}
