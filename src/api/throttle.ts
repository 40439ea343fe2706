/**
 * Login throttling: failures are counted per key (username, address) in a sliding window; past the
 * limit the key is locked until its oldest failure leaves the window. Pure, with an injected clock.
 */
export interface ThrottleOptions {
  limit: number;
  windowMs: number;
  now?: () => number;
  /** Bound on the keys kept, so a spray of usernames cannot grow memory without end. */
  maxKeys?: number;
}

export interface Throttle {
  /** Milliseconds until `key` may try again, 0 when it may now. */
  retryAfter(key: string): number;
  fail(key: string): void;
  reset(key: string): void;
}

export function createThrottle(options: ThrottleOptions): Throttle {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const failures = new Map<string, number[]>();
  const live = (key: string): number[] => {
    const cutoff = now() - options.windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    retryAfter(key) {
      const list = live(key);
      if (list.length < options.limit) return 0;
      return list[list.length - options.limit] + options.windowMs - now();
    },
    fail(key) {
      const list = live(key);
      list.push(now());
      failures.delete(key);
      failures.set(key, list.slice(-options.limit));
      if (failures.size > maxKeys) failures.delete(failures.keys().next().value as string);
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
