/**
 * One connection to the appliance's agent hub (SPEC A2): a WebSocket at `AGENT_PATH` with the
 * client's credentials, TLS pinned before any protocol byte, `hello` first, `welcome` expected,
 * heartbeats every `heartbeat_seconds`, and a link without any frame from the hub for three
 * heartbeat intervals treated as dead. Resolves with how it ended; the caller decides what next.
 * Nothing is queued while offline: a message that cannot be sent now is dropped (all of them are
 * re-sent in full state at the next hello).
 */
import WebSocket from 'ws';
import {
  AGENT_PATH,
  CLOSE,
  MAX_MESSAGE_BYTES,
  agentCredentials,
  decodeHubMessage,
  type AgentMessage,
  type HubMessage,
} from '../shared/protocol.ts';
import type { Logger } from '../shared/log.ts';
import { parseRetryAfter } from './backoff.ts';
import type { Identity } from './identity.ts';
import { applianceUrl, type Appliance } from './transport.ts';

/** The most a socket may hold unsent before further messages are dropped. */
const MAX_BUFFERED_BYTES = 256 * 1024;

export type LinkEnd =
  /** Lost after (or before) the welcome; `upMs` is how long it was up after the welcome. */
  | { kind: 'lost'; reason: string; upMs: number; welcomed: boolean }
  /** The upgrade was refused with 503 (or the hub said try later), maybe with Retry-After. */
  | { kind: 'busy'; retryAfterSeconds?: number }
  /** 401 or close 4001: credentials not accepted now. */
  | { kind: 'unauthorized' }
  /** 410, close 4003/4010, or an `uninstall` message: this identity was removed. */
  | { kind: 'removed'; reason: string }
  | { kind: 'stopped' };

export interface LinkHandlers {
  /** The hello to send; built fresh for each connection. */
  hello(): AgentMessage;
  /** The hub said welcome (or sent another message after it). `send` works until the link ends. */
  message(message: HubMessage, send: (m: AgentMessage) => boolean): void;
  /** A frame arrived from the hub (any kind): the appliance was reached. */
  contact(): void;
  /** The link ended (after or before a welcome). */
  closed?(end: LinkEnd): void;
}

export interface LinkOptions {
  appliance: Appliance;
  identity: Identity;
  handlers: LinkHandlers;
  log: Logger;
  signal: AbortSignal;
  handshakeTimeoutMs?: number;
}

export function connectOnce(options: LinkOptions): Promise<LinkEnd> {
  const { appliance, identity, handlers, log, signal } = options;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ kind: 'stopped' });
    const url = applianceUrl(appliance, AGENT_PATH, 'ws');
    const ws = new WebSocket(url, {
      headers: { authorization: agentCredentials(identity.client_id, identity.secret) },
      handshakeTimeout: options.handshakeTimeoutMs ?? 15_000,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      followRedirects: false,
      localAddress: appliance.localAddress,
      ...(appliance.tls ?? {}),
    });
    let welcomedAt: number | undefined;
    let lastFrame = Date.now();
    let heartbeat: NodeJS.Timeout | undefined;
    let ended: LinkEnd | undefined;
    const helloTimer = setTimeout(() => finish({ kind: 'lost', reason: 'no welcome within 30 s', upMs: 0, welcomed: false }), 30_000);

    const send = (message: AgentMessage): boolean => {
      if (ended || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) return false;
      ws.send(JSON.stringify(message));
      return true;
    };
    const onAbort = (): void => finish({ kind: 'stopped' }, CLOSE.goingAway, 'the agent stopped');
    function finish(end: LinkEnd, code?: number, reason?: string): void {
      if (ended) return;
      ended = end;
      clearTimeout(helloTimer);
      clearInterval(heartbeat);
      signal.removeEventListener('abort', onAbort);
      if (code !== undefined && ws.readyState === WebSocket.OPEN) {
        ws.close(code, reason);
        setTimeout(() => ws.terminate(), 2000).unref();
      } else {
        ws.terminate();
      }
      handlers.closed?.(end);
      resolve(end);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const upMs = (): number => (welcomedAt === undefined ? 0 : Date.now() - welcomedAt);
    const seen = (): void => {
      lastFrame = Date.now();
      handlers.contact();
    };

    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      const retryAfterSeconds = parseRetryAfter(res.headers['retry-after']);
      res.resume();
      if (status === 410) return finish({ kind: 'removed', reason: 'the appliance answered 410 Gone' });
      if (status === 401 || status === 403) return finish({ kind: 'unauthorized' });
      if (status === 503 || status === 429) return finish({ kind: 'busy', retryAfterSeconds });
      finish({ kind: 'lost', reason: `the appliance answered ${status} to the upgrade`, upMs: 0, welcomed: false });
    });
    ws.on('open', () => {
      if (!send(handlers.hello())) finish({ kind: 'lost', reason: 'could not send hello', upMs: 0, welcomed: false });
    });
    ws.on('ping', seen);
    ws.on('pong', seen);
    ws.on('message', (data, isBinary) => {
      seen();
      if (isBinary) return log.warn('binary frame on the control socket ignored');
      const decoded = decodeHubMessage(data as Buffer);
      if (!decoded.ok) return log.warn('unreadable message from the appliance ignored', { reason: decoded.reason });
      const message = decoded.message;
      if (message.type === 'welcome' && welcomedAt === undefined) {
        welcomedAt = Date.now();
        clearTimeout(helloTimer);
        const intervalMs = message.heartbeat_seconds * 1000;
        heartbeat = setInterval(() => {
          if (Date.now() - lastFrame > 3 * intervalMs) {
            return finish({ kind: 'lost', reason: 'no frame from the appliance for three heartbeats', upMs: upMs(), welcomed: true });
          }
          send({ type: 'heartbeat' });
          if (ws.readyState === WebSocket.OPEN) ws.ping();
        }, intervalMs);
      }
      if (message.type === 'uninstall') return finish({ kind: 'removed', reason: message.reason }, CLOSE.normal, 'uninstalling');
      handlers.message(message, send);
    });
    ws.on('close', (code, reasonBuffer) => {
      const reason = reasonBuffer.toString('utf8');
      if (code === CLOSE.revoked || code === CLOSE.uninstalled) return finish({ kind: 'removed', reason: reason || `closed with ${code}` });
      if (code === CLOSE.unauthorized) return finish({ kind: 'unauthorized' });
      if (code === CLOSE.tryLater || code === CLOSE.shuttingDown) return finish({ kind: 'busy' });
      finish({ kind: 'lost', reason: `closed with ${code}${reason ? `: ${reason}` : ''}`, upMs: upMs(), welcomed: welcomedAt !== undefined });
    });
    ws.on('error', (err) => {
      finish({ kind: 'lost', reason: err.message, upMs: upMs(), welcomed: welcomedAt !== undefined });
    });
  });
}
