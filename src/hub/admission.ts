/**
 * Admission pacing for agent connections: a token bucket. After an appliance restart thousands of
 * agents come back at once; above `ratePerSecond` (with `burst` in reserve) the hub answers 503
 * with a Retry-After spread over the backlog, so reconnections arrive at a pace it can take.
 * Pure, with an injected clock.
 */
export interface AdmissionOptions {
  ratePerSecond: number;
  burst: number;
  now?: () => number;
  random?: () => number;
}

export interface Admission {
  /** 0 when admitted now; otherwise seconds the caller should wait before trying again. */
  admit(): number;
}

export function createAdmission(options: AdmissionOptions): Admission {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let tokens = options.burst;
  let last = now();
  let refused = 0;
  let refusedWindowStart = now();
  return {
    admit() {
      const t = now();
      tokens = Math.min(options.burst, tokens + ((t - last) / 1000) * options.ratePerSecond);
      last = t;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      // Spread the ones refused in the last few seconds over the time the bucket needs for them.
      if (t - refusedWindowStart > 5_000) {
        refused = 0;
        refusedWindowStart = t;
      }
      refused++;
      const backlogSeconds = refused / options.ratePerSecond;
      return Math.max(1, Math.ceil(1 + backlogSeconds * (0.5 + random())));
    },
  };
}
