/**
 * Reconnection delays (SPEC A2): exponential backoff with FULL jitter — a random delay between 0
 * and min(cap, base·2^attempt) — so thousands of agents that lost the appliance at the same moment
 * come back spread over time instead of as a herd. A connection that stayed up long enough resets
 * the attempt counter. A `Retry-After` from the appliance is honoured, with jitter on top.
 */

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** A connection that lasted at least this long resets the attempts. */
  resetAfterMs?: number;
  /** The longest Retry-After taken at its word. */
  maxRetryAfterMs?: number;
  random?: () => number;
}

export interface Backoff {
  /** The delay before the next attempt after a failure or a loss; counts the attempt. */
  next(): number;
  /** The delay after a refusal carrying Retry-After (seconds); counts the attempt. */
  retryAfter(seconds: number): number;
  /** A connection was established at `atMs`. */
  connected(atMs: number): void;
  /** The connection established earlier ended at `atMs`. */
  disconnected(atMs: number): void;
  readonly attempt: number;
}

/** The full-jitter delay for one attempt (attempt 0 is the first retry). */
export function fullJitterDelay(attempt: number, random: () => number, baseMs = 1000, capMs = 60_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export function createBackoff(options: BackoffOptions = {}): Backoff {
  const baseMs = options.baseMs ?? 1000;
  const capMs = options.capMs ?? 60_000;
  const resetAfterMs = options.resetAfterMs ?? 30_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 3_600_000;
  const random = options.random ?? Math.random;
  let attempt = 0;
  let connectedAt: number | undefined;
  return {
    get attempt() {
      return attempt;
    },
    next() {
      const delay = fullJitterDelay(attempt, random, baseMs, capMs);
      attempt++;
      return delay;
    },
    retryAfter(seconds) {
      const wanted = Math.min(Math.max(0, seconds) * 1000, maxRetryAfterMs);
      // Spread the agents told the same Retry-After over up to a fifth of it (at least a second).
      const jitter = Math.floor(random() * Math.max(1000, wanted / 5));
      attempt++;
      return wanted + jitter;
    },
    connected(atMs) {
      connectedAt = atMs;
    },
    disconnected(atMs) {
      if (connectedAt !== undefined && atMs - connectedAt >= resetAfterMs) attempt = 0;
      connectedAt = undefined;
    },
  };
}

/** Parses a Retry-After header given in seconds; undefined when absent or not a number. */
export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\s*\d{1,9}\s*$/.test(value)) return undefined;
  return Number(value);
}
