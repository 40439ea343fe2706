/**
 * A stand-in appliance for the agent's own tests: enrolment, the agent WebSocket with credential
 * checks and welcome, refusals on demand (410, 503 + Retry-After), and an update download. The
 * real appliance is exercised by the end-to-end tests; this one lets the agent be tested alone.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeInstallerConfig, type InstallerConfig } from '../../src/shared/installer-config.ts';
import {
  AGENT_PATH,
  ENROLL_PATH,
  EnrollRequest,
  PROTOCOL_VERSION,
  decodeAgentMessage,
  parseAgentCredentials,
  type AgentMessage,
  type HubMessage,
  type UpdateOffer,
} from '../../src/shared/protocol.ts';

export interface StandIn {
  url: string;
  port: number;
  enrolments: v.InferOutput<typeof EnrollRequest>[];
  messages: { clientId: number; message: AgentMessage }[];
  upgrades: { clientId: number | undefined; status: number }[];
  sockets: Map<number, WebSocket>;
  /** Answer the next enrolments with this error instead. */
  refuseEnrolment?: { status: number; code: string; message: string };
  /** Client ids answered 410 Gone at the upgrade. */
  gone: Set<number>;
  /** Answer upgrades 503 with this Retry-After. */
  busySeconds?: number;
  update: UpdateOffer | null;
  updateBody?: Buffer;
  send(clientId: number, message: HubMessage): void;
  waitFor<T>(what: () => T | undefined, timeoutMs?: number, label?: string): Promise<T>;
  close(): Promise<void>;
}

export interface StandInOptions {
  tls?: { key: string; cert: string };
  heartbeatSeconds?: number;
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const secrets = new Map<number, string>();
  let nextId = 1;
  const wss = new WebSocketServer({ noServer: true });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method === 'POST' && req.url === ENROLL_PATH) {
        if (s.refuseEnrolment) {
          const r = s.refuseEnrolment;
          return json(r.status, { error: { code: r.code, message: r.message } });
        }
        const parsed = v.safeParse(EnrollRequest, JSON.parse(Buffer.concat(chunks).toString() || 'null'));
        if (!parsed.success) return json(400, { error: { code: 'invalid_request', message: v.getDotPath(parsed.issues[0]) ?? 'body' } });
        s.enrolments.push(parsed.output);
        const id = nextId++;
        const secret = randomBytes(32).toString('base64url');
        secrets.set(id, secret);
        return json(201, { client_id: id, secret });
      }
      if (req.method === 'GET' && s.update && req.url === s.update.path && s.updateBody) {
        const creds = parseAgentCredentials(req.headers.authorization ?? '');
        if (!creds || secrets.get(creds.clientId) !== creds.secret) return json(401, { error: { code: 'unauthorized', message: 'no' } });
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(s.updateBody);
        return;
      }
      json(404, { error: { code: 'not_found', message: 'The resource does not exist.' } });
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, clientId: number | undefined, extra = ''): void => {
      s.upgrades.push({ clientId, status });
      socket.end(`HTTP/1.1 ${status} Refused\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    const creds = parseAgentCredentials(req.headers.authorization ?? '');
    if (req.url !== AGENT_PATH) return refuse(404, undefined);
    if (!creds || secrets.get(creds.clientId) !== creds.secret) return refuse(401, creds?.clientId);
    if (s.gone.has(creds.clientId)) return refuse(410, creds.clientId);
    if (s.busySeconds !== undefined) return refuse(503, creds.clientId, `Retry-After: ${s.busySeconds}\r\n`);
    s.upgrades.push({ clientId: creds.clientId, status: 101 });
    wss.handleUpgrade(req, socket, head, (ws) => {
      s.sockets.set(creds.clientId, ws);
      ws.on('message', (data) => {
        const decoded = decodeAgentMessage(data as Buffer);
        if (!decoded.ok) return ws.close(decoded.code, decoded.reason);
        s.messages.push({ clientId: creds.clientId, message: decoded.message });
        if (decoded.message.type === 'hello') {
          s.send(creds.clientId, {
            type: 'welcome',
            protocol: PROTOCOL_VERSION,
            client_id: creds.clientId,
            statistics_interval_seconds: 60,
            heartbeat_seconds: options.heartbeatSeconds ?? 15,
            max_offline_minutes: 60,
            update: s.update,
          });
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const s: StandIn = {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    enrolments: [],
    messages: [],
    upgrades: [],
    sockets: new Map(),
    gone: new Set(),
    update: null,
    send(clientId, message) {
      s.sockets.get(clientId)?.send(JSON.stringify(message));
    },
    async waitFor(what, timeoutMs = 15_000, label = 'condition') {
      for (let waited = 0; waited <= timeoutMs; waited += 50) {
        const value = what();
        if (value !== undefined && value !== false) return value;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${label}`);
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return s;
}

export function testInstallerConfig(applianceUrl: string, fields: Partial<InstallerConfig> = {}): InstallerConfig {
  return {
    format: 1,
    installer_id: randomBytes(16).toString('hex'),
    appliance_url: applianceUrl,
    certificate_pem: null,
    certificate_sha256: null,
    installer_key: randomBytes(24).toString('base64url'),
    expiration_timestamp: Date.now() + 3_600_000,
    install_mode: 'service',
    connection_type: 'active',
    jump_group: 'user:admin',
    name: '',
    tag: '',
    comments: '',
    max_offline_minutes: null,
    allow_override: { jump_group: true, name: true, tag: true, comments: true, max_offline_minutes: true },
    agent_version: '0.1.0',
    ...fields,
  };
}

export const installerEnv = (config: InstallerConfig): Record<string, string> => ({ JUMPGATE_INSTALLER_CONFIG_B64: encodeInstallerConfig(config) });

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A self-signed appliance certificate (the appliance's own maker) in `dir`: PEM texts and fingerprint. */
export async function selfSignedCertificate(dir: string): Promise<{ key: string; cert: string; fingerprint: string }> {
  const { ensureSelfSigned } = await import('../../src/tls/index.ts');
  const { readFileSync } = await import('node:fs');
  const files = await ensureSelfSigned(dir, ['127.0.0.1']);
  return { key: readFileSync(files.keyFile, 'utf8'), cert: readFileSync(files.certFile, 'utf8'), fingerprint: files.fingerprint };
}
