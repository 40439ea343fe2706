/**
 * The agent hub: the WebSocket route Jump Clients hold open. Authenticates at the upgrade (before
 * any socket is accepted), paces admissions, caps connections below the process's file-descriptor
 * limit, decodes every message exactly once with the shared protocol, and reports presence to the
 * fleet. One connection per identity: a newer one replaces the older.
 */
import { PROTOCOL_VERSION, CLOSE, decodeAgentMessage, parseAgentCredentials, type AgentMessage, type HubMessage } from '../shared/protocol.ts';
import type { FleetPort } from '../fleet/index.ts';
import type { Logger } from '../shared/log.ts';
import { createAdmission, type AdmissionOptions } from './admission.ts';
import type { WsRoute } from './listener.ts';
import type { HttpResponse, WebSocket } from './uws.ts';

export interface AgentHubOptions {
  fleet: FleetPort;
  log: Logger;
  maxConnections: number;
  admission: AdmissionOptions;
  heartbeatSeconds: number;
  /** Agents silent for this long are dropped (uWS rounds to multiples of 4 s). */
  idleTimeoutSeconds: number;
  maxPayloadBytes: number;
  /** Session bookkeeping told about refusals and lost agents. */
  sessionEvents?: {
    refused(clientId: number, sessionId: string, reason: string, message: string): void;
    agentGone(clientId: number): void;
  };
}

interface AgentData {
  clientId: number;
  publicIp: string;
  hello: boolean;
  /** The welcome went out: the agent takes session requests. */
  welcomed: boolean;
  /** The hello said the agent runs passive: its link closing leaves its status (SPEC A6). */
  passive: boolean;
  /** The hello had a connection type: the agent reads the newer welcome and settings. */
  knowsTypes: boolean;
  closing: boolean;
  /** Set when the hub closes the socket itself, so `close` records why. */
  closeReason?: string;
}

export interface AgentHub {
  readonly route: WsRoute;
  connectedCount(): number;
  isConnected(clientId: number): boolean;
  /** Resolves once the client's agent is welcomed (at once when it is), or rejects when `signal` aborts. */
  whenLinked(clientId: number, signal: AbortSignal): Promise<void>;
  send(clientId: number, message: HubMessage): boolean;
  /** Tells a linked agent that knows connection types the settings that concern it now. */
  sendSettings(clientId: number, settings: { statistics_interval_seconds: number; max_offline_minutes: number; connection_type: 'active' | 'passive' }): boolean;
  /** The clients whose agents are welcomed now. */
  linkedIds(): number[];
  /** Tells a connected agent to uninstall and closes it (the Jump Client was removed). */
  revoke(clientId: number, reason: string): void;
  /** Closes every agent connection (shutdown). */
  closeAll(): void;
  /** Counters since start: messages by type, upgrades refused by reason. */
  counters(): { messages: Record<string, number>; refused: Record<string, number> };
}

const CLOSE_REASONS: Record<number, string> = {
  [CLOSE.normal]: 'closed by the agent',
  [CLOSE.goingAway]: 'the agent stopped',
  1006: 'connection lost',
  [CLOSE.tooLarge]: 'message too large',
};

function writeRefusal(res: HttpResponse, status: string, retryAfter?: number): void {
  res.cork(() => {
    res.writeStatus(status);
    if (retryAfter !== undefined) res.writeHeader('Retry-After', String(retryAfter));
    res.end();
  });
}

export function createAgentHub(options: AgentHubOptions): AgentHub {
  const { fleet, log } = options;
  const sockets = new Map<number, WebSocket<AgentData>>();
  /** Jumps waiting for a passive client's link, by client. */
  const waiters = new Map<number, Set<() => void>>();
  const linked = (clientId: number): boolean => sockets.get(clientId)?.getUserData().welcomed === true;
  let open = 0;
  let stopping = false;
  const admission = createAdmission(options.admission);
  const messages: Record<string, number> = {};
  const refused: Record<string, number> = { unauthorized: 0, revoked: 0, connection_cap: 0, admission: 0, stopping: 0 };
  const refuse = (res: HttpResponse, reason: keyof typeof refused, status: string, retryAfter?: number): void => {
    refused[reason]++;
    writeRefusal(res, status, retryAfter);
  };

  const sendTo = (ws: WebSocket<AgentData>, message: HubMessage): boolean => {
    if (ws.getUserData().closing) return false;
    return ws.send(JSON.stringify(message), false) !== 2;
  };
  const closeWith = (ws: WebSocket<AgentData>, code: number, reason: string): void => {
    const data = ws.getUserData();
    if (data.closing) return;
    data.closing = true;
    data.closeReason = reason;
    ws.end(code, reason);
  };

  const handle = async (ws: WebSocket<AgentData>, message: AgentMessage): Promise<void> => {
    const data = ws.getUserData();
    if (message.type === 'hello') {
      if (data.hello) return closeWith(ws, CLOSE.outOfOrder, 'hello sent twice');
      if (message.protocol !== PROTOCOL_VERSION) {
        return closeWith(ws, CLOSE.unsupportedVersion, `protocol ${message.protocol} is not supported`);
      }
      data.hello = true;
      data.passive = message.connection_type === 'passive';
      data.knowsTypes = message.connection_type !== undefined;
      const welcome = await fleet.connected(data.clientId, message, data.publicIp);
      if (data.closing) return;
      if (!welcome) return closeWith(ws, CLOSE.revoked, 'the Jump Client was removed');
      const { connection_type, ...older } = welcome;
      sendTo(ws, {
        type: 'welcome',
        protocol: PROTOCOL_VERSION,
        client_id: data.clientId,
        heartbeat_seconds: options.heartbeatSeconds,
        ...older,
        ...(data.knowsTypes ? { connection_type } : {}),
      });
      data.welcomed = true;
      const waiting = waiters.get(data.clientId);
      waiters.delete(data.clientId);
      waiting?.forEach((resolve) => resolve());
      return;
    }
    if (!data.hello) return closeWith(ws, CLOSE.outOfOrder, `${message.type} before hello`);
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'stats':
        return fleet.statistics(data.clientId, message.statistics);
      case 'state':
        return fleet.stateChanged(data.clientId, message.disabled);
      case 'uninstalling':
        data.closeReason = 'uninstalled on the machine';
        return fleet.uninstalling(data.clientId);
      case 'session_refused':
        return options.sessionEvents?.refused(data.clientId, message.session_id, message.reason, message.message);
    }
  };

  const route: WsRoute = {
    pattern: '/agent/v1/connect',
    behavior: {
      maxPayloadLength: options.maxPayloadBytes,
      idleTimeout: options.idleTimeoutSeconds,
      maxBackpressure: 1024 * 1024,
      sendPingsAutomatically: true,
      upgrade(res, req, context) {
        const authorization = req.getHeader('authorization');
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        const publicIp = Buffer.from(res.getRemoteAddressAsText()).toString();
        if (stopping) return refuse(res, 'stopping', '503 Service Unavailable', 5);
        if (open >= options.maxConnections) return refuse(res, 'connection_cap', '503 Service Unavailable', 30);
        const credentials = parseAgentCredentials(authorization);
        if (!credentials) return refuse(res, 'unauthorized', '401 Unauthorized');
        const auth = fleet.authenticate(credentials.clientId, credentials.secret);
        if (!auth.ok) return auth.reason === 'revoked' ? refuse(res, 'revoked', '410 Gone') : refuse(res, 'unauthorized', '401 Unauthorized');
        const wait = admission.admit();
        if (wait > 0) return refuse(res, 'admission', '503 Service Unavailable', wait);
        const data: AgentData = { clientId: credentials.clientId, publicIp, hello: false, welcomed: false, passive: false, knowsTypes: false, closing: false };
        res.upgrade(data, key, protocol, extensions, context);
      },
      open(ws: WebSocket<AgentData>) {
        open++;
        const { clientId } = ws.getUserData();
        const previous = sockets.get(clientId);
        sockets.set(clientId, ws);
        if (previous) {
          closeWith(previous, CLOSE.replaced, 'replaced by a newer connection of the same Jump Client');
          // What was asked on the old link is lost with it (its close no longer speaks for the client).
          options.sessionEvents?.agentGone(clientId);
        }
      },
      message(ws: WebSocket<AgentData>, message: ArrayBuffer, isBinary: boolean) {
        if (ws.getUserData().closing) return;
        if (isBinary) return closeWith(ws, CLOSE.outOfOrder, 'binary frame without a session');
        const decoded = decodeAgentMessage(Buffer.from(message.slice(0)).toString('utf8'));
        if (!decoded.ok) return closeWith(ws, decoded.code, decoded.reason);
        messages[decoded.message.type] = (messages[decoded.message.type] ?? 0) + 1;
        handle(ws, decoded.message).catch((err: unknown) => {
          log.error('agent message failed', { module: 'hub', agentId: ws.getUserData().clientId, err });
        });
      },
      close(ws: WebSocket<AgentData>, code: number) {
        open--;
        const data = ws.getUserData();
        data.closing = true;
        if (sockets.get(data.clientId) !== ws) return; // replaced: the newer socket owns presence
        sockets.delete(data.clientId);
        options.sessionEvents?.agentGone(data.clientId);
        const reason = data.closeReason ?? CLOSE_REASONS[code] ?? `closed (${code})`;
        fleet.disconnected(data.clientId, reason, data.passive).catch((err: unknown) => {
          log.error('presence update failed', { module: 'hub', agentId: data.clientId, err });
        });
      },
    },
  };

  return {
    route,
    connectedCount: () => sockets.size,
    isConnected: (id) => sockets.has(id),
    linkedIds: () => [...sockets.keys()].filter(linked),
    whenLinked(clientId, signal) {
      if (linked(clientId)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const set = waiters.get(clientId) ?? new Set<() => void>();
        waiters.set(clientId, set);
        const onAbort = (): void => {
          set.delete(done);
          if (set.size === 0 && waiters.get(clientId) === set) waiters.delete(clientId);
          reject(signal.reason ?? new Error('aborted'));
        };
        const done = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        set.add(done);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    send(clientId, message) {
      const ws = sockets.get(clientId);
      return ws ? sendTo(ws, message) : false;
    },
    sendSettings(clientId, settings) {
      const ws = sockets.get(clientId);
      if (!ws || !ws.getUserData().welcomed) return false;
      const { connection_type, ...older } = settings;
      return sendTo(ws, { type: 'settings', ...older, ...(ws.getUserData().knowsTypes ? { connection_type } : {}) });
    },
    revoke(clientId, reason) {
      const ws = sockets.get(clientId);
      if (!ws) return;
      sendTo(ws, { type: 'uninstall', reason });
      closeWith(ws, CLOSE.revoked, reason);
    },
    counters: () => ({ messages: { ...messages }, refused: { ...refused } }),
    closeAll() {
      stopping = true;
      for (const ws of [...sockets.values()]) closeWith(ws, CLOSE.shuttingDown, 'the appliance is shutting down');
    },
  };
}
