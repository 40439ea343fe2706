/**
 * A passive Jump Client (SPEC A6) holds no standing link. It listens for wakes on its port and
 * checks in once every check-in period (the statistics interval the appliance sets): it links,
 * says hello with its statistics and its port, takes the welcome and what follows, and closes
 * again once nothing needs the link. A wake makes it link at once; that link stays while sessions
 * run and for a minute after the last, since a technician often jumps again. A check-in that
 * fails is tried again sooner, with backoff, but never later than the next period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PassiveListen } from '../shared/protocol.ts';
import { createBackoff } from './backoff.ts';
import { connectOnce } from './connection.ts';
import type { PassiveListenAt } from './layout.ts';
import type { SupervisorEnd, SupervisorOptions } from './supervisor.ts';
import { listenForWakes } from './wake-listener.ts';

export interface CheckInOptions extends SupervisorOptions {
  listenAt: PassiveListenAt;
  /** The time between check-ins. */
  checkInMs(): number;
  /** Sessions are running: the link must stay. */
  busy(): boolean;
  /** The port (and address) bound, before the first check-in: the hello reports them. */
  onListening(listen: PassiveListen): void;
}

/** How long a check-in's link stays after the welcome: an update offer or a Jump racing it. */
const HOLD_AFTER_CHECK_IN_MS = 5_000;
/** How long a woken link stays after its last session. */
const HOLD_AFTER_WAKE_MS = 60_000;

export async function superviseCheckIns(options: CheckInOptions): Promise<SupervisorEnd> {
  const { log, signal } = options;
  let backoff = options.backoff ?? createBackoff();
  let woken = false;
  let wakeUp: (() => void) | undefined;
  const listener = await listenForWakes({
    host: options.listenAt.host,
    port: options.listenAt.port,
    clientId: options.identity.client_id,
    log,
    onWake() {
      woken = true;
      wakeUp?.();
    },
  });
  options.onListening({ port: listener.port, ...(listener.address ? { address: listener.address } : {}) });
  try {
    let delay = 0;
    while (!signal.aborted) {
      if (!woken && delay > 0) {
        const waiting = new AbortController();
        const onStop = (): void => waiting.abort();
        signal.addEventListener('abort', onStop, { once: true });
        wakeUp = onStop;
        await sleep(delay, undefined, { signal: waiting.signal }).catch(() => undefined);
        wakeUp = undefined;
        signal.removeEventListener('abort', onStop);
        if (signal.aborted) break;
      }
      let hold = woken ? HOLD_AFTER_WAKE_MS : HOLD_AFTER_CHECK_IN_MS;
      if (woken) log.info('woken for a Jump');
      woken = false;
      const link = new AbortController();
      const onStop = (): void => link.abort();
      signal.addEventListener('abort', onStop, { once: true });
      let welcomedAt: number | undefined;
      let lastBusy = 0;
      const idle = setInterval(() => {
        if (woken) {
          woken = false; // woken again while linked: the link is what was asked for
          hold = HOLD_AFTER_WAKE_MS;
          lastBusy = Date.now();
        }
        if (options.busy()) {
          hold = HOLD_AFTER_WAKE_MS;
          lastBusy = Date.now();
        } else if (welcomedAt !== undefined && Date.now() - Math.max(lastBusy, welcomedAt) >= hold) {
          link.abort();
        }
      }, 1_000);
      const end = await connectOnce({
        ...options,
        signal: link.signal,
        handlers: {
          ...options.handlers,
          message(message, send) {
            if (message.type === 'welcome') welcomedAt = Date.now();
            // A session starting counts as busy from its request: the link must not close under a spawn.
            if (message.type === 'session_open') lastBusy = Date.now();
            options.handlers.message(message, send);
          },
        },
      });
      clearInterval(idle);
      signal.removeEventListener('abort', onStop);
      if (welcomedAt !== undefined) backoff = options.backoff ?? createBackoff();
      switch (end.kind) {
        case 'stopped':
          delay = options.checkInMs();
          break;
        case 'removed':
          log.warn('the appliance removed this Jump Client', { reason: end.reason });
          return end;
        case 'busy':
          delay = Math.min(options.checkInMs(), end.retryAfterSeconds === undefined ? backoff.next() : backoff.retryAfter(end.retryAfterSeconds));
          break;
        case 'unauthorized':
        case 'lost':
          delay = welcomedAt !== undefined ? options.checkInMs() : Math.min(options.checkInMs(), backoff.next());
          log.info('check-in failed', { reason: end.kind === 'lost' ? end.reason : 'credentials not accepted', delayMs: delay });
          break;
      }
    }
    return { kind: 'stopped' };
  } finally {
    await listener.close();
  }
}
