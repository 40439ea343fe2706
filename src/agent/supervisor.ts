/**
 * Keeps the client connected (SPEC A2): connects, and after any loss waits a full-jitter backoff
 * (or the appliance's Retry-After plus jitter) before the next attempt. Ends only when the
 * identity was removed (the caller uninstalls) or when stopped. Each attempt holds at most one
 * socket, so memory stays flat however long the appliance is away.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../shared/log.ts';
import { createBackoff, type Backoff } from './backoff.ts';
import { connectOnce, type LinkHandlers } from './connection.ts';
import type { Identity } from './identity.ts';
import type { Appliance } from './transport.ts';

export type SupervisorEnd = { kind: 'removed'; reason: string } | { kind: 'stopped' };

export interface SupervisorOptions {
  appliance: Appliance;
  identity: Identity;
  handlers: LinkHandlers;
  log: Logger;
  signal: AbortSignal;
  backoff?: Backoff;
}

export async function superviseLink(options: SupervisorOptions): Promise<SupervisorEnd> {
  const { log, signal } = options;
  const backoff = options.backoff ?? createBackoff();
  while (!signal.aborted) {
    const end = await connectOnce(options);
    const now = Date.now();
    let delay: number;
    switch (end.kind) {
      case 'stopped':
        return { kind: 'stopped' };
      case 'removed':
        log.warn('the appliance removed this Jump Client', { reason: end.reason });
        return end;
      case 'busy':
        delay = end.retryAfterSeconds === undefined ? backoff.next() : backoff.retryAfter(end.retryAfterSeconds);
        log.info('the appliance asked to come back later', { retryAfterSeconds: end.retryAfterSeconds, delayMs: delay });
        break;
      case 'unauthorized':
        delay = backoff.next();
        log.warn('the appliance did not accept this client\'s credentials', { delayMs: delay });
        break;
      case 'lost':
        if (end.welcomed) {
          backoff.connected(now - end.upMs);
          backoff.disconnected(now);
        }
        delay = backoff.next();
        log.info(end.welcomed ? 'connection lost' : 'could not connect', { reason: end.reason, delayMs: delay, attempt: backoff.attempt });
        break;
    }
    try {
      await sleep(delay, undefined, { signal });
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  }
  return { kind: 'stopped' };
}
