/**
 * A passive Jump Client (SPEC A6) holds no standing link. It listens for wakes on its port and
 * checks in once every check-in period (the statistics interval the appliance sets): it links,
 * says hello with its statistics and its port, takes the welcome and what follows, and closes
 * again once nothing needs the link. A proven wake makes it link at once; that link stays while
 * sessions run and for a minute after the last, since a technician often jumps again. A check-in
 * that fails is tried again sooner, with backoff (which a wake does not cut short), but never later
 * than the next period. A change at the machine (the person there disables the client) is
 * reported by checking in at once. When its port cannot be bound (an address gone, a port it may
 * not use) it goes on checking in without one, tries again at each check-in, and the appliance
 * learns that it cannot be woken.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '../shared/ids.ts';
import type { PassiveListen } from '../shared/protocol.ts';
import { createBackoff } from './backoff.ts';
import { connectOnce } from './connection.ts';
import type { PassiveListenAt } from './layout.ts';
import type { SupervisorEnd, SupervisorOptions } from './supervisor.ts';
import { listenForWakes, type WakeListener } from './wake-listener.ts';

export interface CheckInOptions extends SupervisorOptions {
  listenAt: PassiveListenAt;
  /** The time between check-ins. */
  checkInMs(): number;
  /** Sessions are running: the link must stay. */
  busy(): boolean;
  /** The port (and address) bound, or undefined when none could be: the next hello reports it. */
  onListening(listen: PassiveListen | undefined): void;
  /** Hands over a function that checks in now (a change at the machine the appliance should know). */
  onReady?(checkInNow: () => void): void;
}

/** How long a check-in's link stays after the welcome: an update offer or a Jump racing it. */
const HOLD_AFTER_CHECK_IN_MS = 5_000;
/** How long a woken link waits for its session request. */
const HOLD_AFTER_WAKE_MS = 15_000;
/** How long a link stays after its last session: a technician often jumps again. */
const HOLD_AFTER_SESSION_MS = 60_000;

export async function superviseCheckIns(options: CheckInOptions): Promise<SupervisorEnd> {
  const { log, signal } = options;
  let backoff = options.backoff ?? createBackoff();
  let woken = false;
  let wakeUp: (() => void) | undefined;
  let listener: WakeListener | undefined;
  const listen = async (): Promise<void> => {
    if (listener) return;
    try {
      listener = await listenForWakes({
        host: options.listenAt.host,
        port: options.listenAt.port,
        clientId: options.identity.client_id,
        secretHash: sha256Hex(options.identity.secret),
        log,
        onWake() {
          woken = true;
          wakeUp?.();
        },
      });
      options.onListening({ port: listener.port, ...(listener.address ? { address: listener.address } : {}) });
    } catch (err) {
      log.error('cannot listen for wakes; checking in without', { host: options.listenAt.host, port: options.listenAt.port, error: (err as Error).message });
      options.onListening(undefined);
    }
  };
  // Cuts the wait for the next check-in short (not a failure's backoff); a no-op while linked.
  options.onReady?.(() => wakeUp?.());
  try {
    let delay = 0;
    let retrying = false; // the last attempt failed: a wake does not cut its backoff short
    while (!signal.aborted) {
      if (delay > 0 && (!woken || retrying)) {
        const waiting = new AbortController();
        const onStop = (): void => waiting.abort();
        signal.addEventListener('abort', onStop, { once: true });
        if (!retrying) wakeUp = onStop;
        await sleep(delay, undefined, { signal: waiting.signal }).catch(() => undefined);
        wakeUp = undefined;
        signal.removeEventListener('abort', onStop);
        if (signal.aborted) break;
      }
      await listen();
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
          hold = Math.max(hold, HOLD_AFTER_WAKE_MS);
          lastBusy = Date.now();
        }
        if (options.busy()) {
          hold = HOLD_AFTER_SESSION_MS;
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
      retrying = false;
      switch (end.kind) {
        case 'stopped':
          delay = options.checkInMs();
          break;
        case 'removed':
          log.warn('the appliance removed this Jump Client', { reason: end.reason });
          return end;
        case 'busy':
          retrying = true;
          delay = Math.min(options.checkInMs(), end.retryAfterSeconds === undefined ? backoff.next() : backoff.retryAfter(end.retryAfterSeconds));
          break;
        case 'unauthorized':
        case 'lost':
          retrying = welcomedAt === undefined;
          delay = retrying ? Math.min(options.checkInMs(), backoff.next()) : options.checkInMs();
          log.info('check-in failed', { reason: end.kind === 'lost' ? end.reason : 'credentials not accepted', delayMs: delay });
          break;
      }
    }
    return { kind: 'stopped' };
  } finally {
    await listener?.close();
  }
}
