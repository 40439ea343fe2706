/**
 * The console's live feed (`/api/console/v1/events`): batches of changed and removed Jump Clients,
 * so status changes and new clients show without Refresh, and `resync` when the console fell
 * behind and must reload. Reconnects with a growing delay after a loss; stops on logout.
 */

/** @typedef {'connecting'|'live'|'offline'} FeedState */

let socket = null;
let stopped = true;
let retryMs = 1000;
let timer = 0;
/** @type {Set<(m: any) => void>} */
const listeners = new Set();
/** @type {Set<(s: FeedState) => void>} */
const stateListeners = new Set();
/** @type {FeedState} */
let state = 'offline';
let reconnected = false;

function setState(next) {
  state = next;
  for (const l of stateListeners) l(state);
}

function connect() {
  if (stopped) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  setState('connecting');
  const ws = new WebSocket(`${scheme}://${location.host}/api/console/v1/events`);
  socket = ws;
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return;
    let message;
    try {
      message = JSON.parse(e.data);
    } catch (err) {
      console.warn('the live feed sent something that is not JSON', err);
      return;
    }
    if (message.type === 'hello') {
      retryMs = 1000;
      setState('live');
    }
    for (const l of listeners) l(message);
    // After a reconnection changes may have been missed while away: reload once.
    if (message.type === 'hello' && reconnected) for (const l of listeners) l({ type: 'resync' });
    if (message.type === 'hello') reconnected = true;
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    socket = null;
    setState('offline');
    if (stopped) return;
    timer = window.setTimeout(connect, retryMs + Math.random() * 500);
    retryMs = Math.min(retryMs * 2, 30_000);
  });
}

/** Starts the feed (idempotent). */
export function startFeed() {
  if (!stopped) return;
  stopped = false;
  reconnected = false;
  connect();
}

/** Stops the feed (logout). */
export function stopFeed() {
  stopped = true;
  clearTimeout(timer);
  socket?.close();
  socket = null;
  setState('offline');
}

/** Listens to the feed's messages; returns the function that stops listening. */
export function onFeed(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Listens to the connection state; called at once with the current one. */
export function onFeedState(listener) {
  stateListeners.add(listener);
  listener(state);
  return () => stateListeners.delete(listener);
}
