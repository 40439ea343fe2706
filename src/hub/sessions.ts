/**
 * The session WebSockets: the agent's per-session socket (`SESSION_PATH`, opened by the agent on
 * demand) and the technician's terminal (`/api/session/v1/:id/terminal`). The hub only moves frames
 * and authenticates; the relay, flow control and recording live in `src/sessions`.
 */
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import {
  CHANNEL_WINDOW,
  CLOSE,
  MAX_DATA_FRAME,
  MAX_MESSAGE_BYTES,
  SESSION_HEADER,
  SESSION_PATH,
  decodeSessionAgentMessage,
  parseAgentCredentials,
} from '../shared/protocol.ts';
import type { FleetPort } from '../fleet/index.ts';
import { MAX_UPLOADS, decodeTerminalControl, type AgentSessionHandlers, type Session, type SessionManager, type SessionOwner, type SocketPort } from '../sessions/index.ts';
import type { WsRoute } from './listener.ts';
import { refuseUpgrade, technicianUpgrade } from './upgrade.ts';
import type { WebSocket } from './uws.ts';

export interface SessionRoutesOptions {
  sessions: SessionManager;
  fleet: FleetPort;
  log: Logger;
  /** The technician behind an Authorization or Cookie header, if any. */
  authenticate(authorization: string, cookie: string): { owner: SessionOwner; via: 'bearer' | 'cookie' } | undefined;
}

interface AgentSocketData {
  clientId: number;
  sessionId: string;
  token: string;
  handlers?: AgentSessionHandlers;
}

interface TerminalData {
  session: Session;
  port?: SocketPort;
  /** Malformed control messages answered; the first is logged, the count when the socket closes. */
  malformed?: number;
}

function portOf(ws: WebSocket<unknown>, closed: { value: boolean }): SocketPort {
  return {
    send: (data, binary) => !closed.value && ws.send(data, binary) !== 2,
    bufferedAmount: () => (closed.value ? 0 : ws.getBufferedAmount()),
    close(code, reason) {
      if (closed.value) return;
      closed.value = true;
      ws.end(code, reason);
    },
  };
}

export function createSessionRoutes(options: SessionRoutesOptions): WsRoute[] {
  const { sessions, fleet, log } = options;
  const closedFlags = new WeakMap<object, { value: boolean }>();
  const flag = (ws: object) => {
    let f = closedFlags.get(ws);
    if (!f) closedFlags.set(ws, (f = { value: false }));
    return f;
  };

  const agentRoute: WsRoute = {
    pattern: SESSION_PATH,
    behavior: {
      maxPayloadLength: Math.max(MAX_DATA_FRAME, MAX_MESSAGE_BYTES) + 1024,
      idleTimeout: 120,
      // Credit bounds what can wait here: the terminal's input window, MAX_UPLOADS upload windows
      // and small control messages. A frame past this limit would be dropped, never queued.
      maxBackpressure: (MAX_UPLOADS + 1) * CHANNEL_WINDOW + 4 * 1024 * 1024,
      sendPingsAutomatically: true,
      upgrade(res, req, context) {
        const credentials = parseAgentCredentials(req.getHeader('authorization'));
        const session = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{32,64})$/.exec(req.getHeader(SESSION_HEADER));
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        if (!credentials || !session) return refuseUpgrade(res, '401 Unauthorized');
        if (!fleet.authenticate(credentials.clientId, credentials.secret).ok) return refuseUpgrade(res, '401 Unauthorized');
        const data: AgentSocketData = { clientId: credentials.clientId, sessionId: session[1], token: session[2] };
        res.upgrade(data, key, protocol, extensions, context);
      },
      open(ws: WebSocket<AgentSocketData>) {
        const data = ws.getUserData();
        data.handlers = sessions.attachAgent(data.clientId, data.sessionId, data.token, portOf(ws, flag(ws)));
        if (!data.handlers) {
          flag(ws).value = true;
          ws.end(CLOSE.unauthorized, 'no such session');
        }
      },
      message(ws: WebSocket<AgentSocketData>, message: ArrayBuffer, isBinary: boolean) {
        const { handlers } = ws.getUserData();
        if (!handlers || flag(ws).value) return;
        // A view of uWS's buffer, valid during this call only: what is kept is copied there.
        if (isBinary) return handlers.data(new Uint8Array(message));
        const decoded = decodeSessionAgentMessage(Buffer.from(message).toString('utf8'));
        if (!decoded.ok) {
          flag(ws).value = true;
          ws.end(decoded.code, decoded.reason);
          handlers.closed();
          return;
        }
        handlers.message(decoded.message);
      },
      close(ws: WebSocket<AgentSocketData>) {
        flag(ws).value = true;
        ws.getUserData().handlers?.closed();
      },
    },
  };

  const terminalRoute: WsRoute = {
    pattern: '/api/session/v1/:id/terminal',
    behavior: {
      maxPayloadLength: 1024 * 1024,
      idleTimeout: 120,
      maxBackpressure: 8 * 1024 * 1024,
      sendPingsAutomatically: true,
      upgrade(res, req, context) {
        const sessionId = req.getParameter(0);
        const up = technicianUpgrade(res, req, context, options.authenticate);
        if (!up) return;
        let session: Session;
        try {
          session = sessions.find(sessionId, up.auth.owner);
        } catch (err) {
          return refuseUpgrade(res, '404 Not Found', err as AppError);
        }
        up.handshake.accept<TerminalData>({ session });
      },
      open(ws: WebSocket<TerminalData>) {
        const data = ws.getUserData();
        data.port = portOf(ws, flag(ws));
        if (data.session.phase !== 'active') return data.port.close(CLOSE.normal, 'the session has ended');
        data.session.attachTerminal(data.port);
      },
      message(ws: WebSocket<TerminalData>, message: ArrayBuffer, isBinary: boolean) {
        const { session } = ws.getUserData();
        if (flag(ws).value) return;
        if (isBinary) return session.terminalInput(new Uint8Array(message.slice(0)));
        const decoded = decodeTerminalControl(Buffer.from(message).toString('utf8'));
        if (!decoded.ok) {
          // Answered with the error, naming the field; the session goes on as it was.
          const data = ws.getUserData();
          data.malformed = (data.malformed ?? 0) + 1;
          if (data.malformed === 1) log.warn('malformed terminal control message', { module: 'hub', sessionId: session.id, problem: decoded.error.message });
          return void ws.send(JSON.stringify({ type: 'error', ...decoded.error.toJSON() }), false);
        }
        session.resize(decoded.control.cols, decoded.control.rows);
      },
      drain(ws: WebSocket<TerminalData>) {
        ws.getUserData().session.terminalDrained();
      },
      close(ws: WebSocket<TerminalData>) {
        flag(ws).value = true;
        const { session, port, malformed } = ws.getUserData();
        if (malformed && malformed > 1) log.warn('malformed terminal control messages', { module: 'hub', sessionId: session.id, count: malformed });
        if (port) session.terminalClosed(port);
      },
    },
  };

  return [agentRoute, terminalRoute];
}
