/**
 * The technician's open sessions (SPEC C4), kept across pages so switching to the Jump interface
 * or administration never closes a shell: each has its terminal, its terminal socket
 * (`/api/session/v1/{id}/terminal`: binary frames are raw bytes both ways, text frames are
 * `resize` and `exit`), and its state. A `server_busy` answer keeps the tab with the catalog
 * message and a Retry that becomes available once Retry-After has passed.
 */
import { del, post } from '../api.js';
import { t } from '../i18n.js';
import { createTerminal } from './terminal.js';

/**
 * @typedef {{ key: number, client: any, state: 'starting'|'active'|'busy'|'failed'|'ended',
 *   error: any, retryAt: number, sessionId: string|null, terminal: ReturnType<typeof createTerminal>,
 *   ws: WebSocket|null, files: any, exitCode: number|null }} SessionEntry
 */

/** @type {SessionEntry[]} */
const entries = [];
let activeKey = 0;
let nextKey = 1;
const listeners = new Set();
const encoder = new TextEncoder();

const changed = () => {
  for (const l of listeners) l();
};

export const sessions = () => entries;
export const activeSession = () => entries.find((e) => e.key === activeKey) ?? entries[entries.length - 1] ?? null;
export function setActive(key) {
  activeKey = key;
  changed();
}
export function onSessions(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Opens a tab for the client and starts the Jump; the sessions page shows it. */
export function openSession(client) {
  /** @type {SessionEntry} */
  const entry = {
    key: nextKey++,
    client,
    state: 'starting',
    error: null,
    retryAt: 0,
    sessionId: null,
    terminal: createTerminal({ label: t('session.terminalLabel', { name: client.name }) }),
    ws: null,
    files: { path: '~', listing: null, error: null, uploads: [] }, // '~': the agent's home folder
    exitCode: null,
  };
  entries.push(entry);
  activeKey = entry.key;
  changed();
  location.hash = '#/sessions';
  // The terminal is sized once the sessions page has put it in the page.
  requestAnimationFrame(() => requestAnimationFrame(() => jump(entry)));
  return entry;
}

/** POST /api/command/v1/jump with the terminal's size, then attaches the terminal socket. */
export async function jump(entry) {
  entry.state = 'starting';
  entry.error = null;
  changed();
  entry.terminal.attach();
  const { cols, rows } = entry.terminal.size();
  try {
    const answer = await post('/api/command/v1/jump', { jump_client_id: entry.client.id, cols, rows });
    entry.sessionId = answer.session_id;
    connect(entry);
  } catch (error) {
    entry.error = error;
    entry.state = error.code === 'server_busy' ? 'busy' : 'failed';
    entry.retryAt = Date.now() + (error.retryAfter ?? 5) * 1000;
    changed();
  }
}

function connect(entry) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/api/session/v1/${entry.sessionId}/terminal`);
  ws.binaryType = 'arraybuffer';
  entry.ws = ws;
  const { term } = entry.terminal;
  const input = term.onData((data) => ws.readyState === WebSocket.OPEN && ws.send(encoder.encode(data)));
  const resize = term.onResize(({ cols, rows }) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  });
  ws.addEventListener('open', () => {
    entry.state = 'active';
    ws.send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
    changed();
    term.focus();
  });
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return term.write(new Uint8Array(e.data));
    try {
      const message = JSON.parse(e.data);
      if (message.type === 'exit') entry.exitCode = message.code;
    } catch (err) {
      console.warn('the terminal sent something that is not JSON', err);
    }
  });
  ws.addEventListener('close', () => {
    input.dispose();
    resize.dispose();
    entry.ws = null;
    if (entry.state === 'ended') return;
    entry.state = 'ended';
    term.write(`\r\n\x1b[2m${t('session.endedLine')}\x1b[0m\r\n`);
    changed();
  });
}

/** Ends the session on the remote machine (DELETE); the tab stays to read the output. */
export async function endSession(entry) {
  if (entry.sessionId && entry.state === 'active') {
    try {
      await del(`/api/session/v1/${entry.sessionId}`);
    } catch (error) {
      console.warn('ending the session failed; closing the terminal ends it too', error);
      entry.ws?.close();
    }
  }
}

/** Ends the session if needed and closes its tab. */
export async function closeSession(entry) {
  await endSession(entry);
  entry.state = 'ended';
  entry.ws?.close();
  entry.terminal.dispose();
  entries.splice(entries.indexOf(entry), 1);
  if (activeKey === entry.key) activeKey = entries[entries.length - 1]?.key ?? 0;
  changed();
}

/** Logout: forget every session (the appliance ends them itself). */
export function forgetSessions() {
  for (const entry of [...entries]) {
    entry.state = 'ended';
    entry.ws?.close();
    entry.terminal.dispose();
  }
  entries.length = 0;
  changed();
}
