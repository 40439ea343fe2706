/**
 * A minimal reference hub for the benchmarks, NOT part of the product: the same agent protocol
 * (enrolment, hello/welcome, statistics) on Node's http server and the `ws` package, with the
 * statistics persisted to LMDB one put per message. The appliance is compared against it.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { open } from 'lmdb';
import { WebSocketServer, type WebSocket } from 'ws';
import { randomToken, sha256Hex } from '../../src/shared/ids.ts';
import { AGENT_PATH, ENROLL_PATH, PROTOCOL_VERSION, decodeAgentMessage, parseAgentCredentials } from '../../src/shared/protocol.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, data: { type: 'string' } } });
const dir = values.data ?? mkdtempSync(join(tmpdir(), 'jumpgate-reference-'));
const db = open({ path: dir });
// Identities survive a restart, as the appliance's do, so both are measured the same way.
const secrets = new Map<number, string>();
for (const { key, value } of db.getRange({ start: ['secret'], end: ['secret', '\uffff'] })) secrets.set((key as [string, number])[1], value as string);
let nextId = secrets.size + 1;
const counts = { stats: 0, hello: 0, heartbeat: 0 };
let connected = 0;

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === ENROLL_PATH) {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = nextId++;
      const secret = randomToken(32);
      secrets.set(id, sha256Hex(secret));
      db.putSync(['secret', id], sha256Hex(secret));
      db.put(['client', id], { id, enrolled: JSON.parse(body).install_fingerprint });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: id, secret }));
    });
    return;
  }
  if (req.url === '/metrics') {
    const lines = [`jumpgate_agents_connected ${connected}`, ...Object.entries(counts).map(([t, n]) => `jumpgate_agent_messages_total{type="${t}"} ${n}`)];
    res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\n') + '\n');
    return;
  }
  res.writeHead(404).end();
});

const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
server.on('upgrade', (req, socket, head) => {
  const creds = parseAgentCredentials(req.headers.authorization ?? '');
  if (req.url !== AGENT_PATH || !creds || secrets.get(creds.clientId) !== sha256Hex(creds.secret)) {
    socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => serve(ws, creds.clientId));
});

function serve(ws: WebSocket, id: number): void {
  connected++;
  ws.on('close', () => connected--);
  ws.on('message', (data) => {
    const decoded = decodeAgentMessage(data as Buffer);
    if (!decoded.ok) return ws.close(decoded.code, decoded.reason);
    const m = decoded.message;
    if (m.type in counts) counts[m.type as keyof typeof counts]++;
    if (m.type === 'hello') {
      db.put(['stats', id], m.statistics);
      ws.send(JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION, client_id: id, statistics_interval_seconds: 300, heartbeat_seconds: 30, max_offline_minutes: 1440, update: null }));
    } else if (m.type === 'stats') db.put(['stats', id], m.statistics);
  });
}

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`reference hub listening on http://127.0.0.1:${port}\n`);
});
const stop = () => {
  wss.close();
  server.close();
  void db.close().then(() => {
    // Only a directory of its own: one given with --data outlives a restart (the identities in it).
    if (!values.data) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
