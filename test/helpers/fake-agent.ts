/**
 * A scripted stand-in for the agent's session side, for tests of the appliance's session logic
 * (the real agent, with real shells, is exercised in the end-to-end tests). It speaks the real
 * protocol from src/shared/protocol.ts over real sockets.
 */
import WebSocket from 'ws';
import { SESSION_HEADER, SESSION_PATH, agentCredentials, dataFrame, type SystemInfo } from '../../src/shared/protocol.ts';
import { connectAgent, type RawAgent } from './hub-client.ts';

export type SessionBehaviour = 'echo' | 'never-ready' | 'refuse' | 'spawn-error' | 'drop-control';

export interface FakeAgent {
  control: RawAgent;
  sessions: WebSocket[];
  behaviour: SessionBehaviour;
  /** Sessions opened, by id. */
  opened: string[];
  close(): void;
}

export const SAMPLE_SYSINFO: SystemInfo = {
  os: { name: 'Debian GNU/Linux', version: '12', kernel: '6.1.0', arch: 'x64', hostname: 'fake' },
  uptime_seconds: 10,
  cpu: { model: 'test cpu', cores: 2, load: [0, 0, 0] },
  memory: { total_bytes: 1000, free_bytes: 500, available_bytes: 600 },
  disks: [{ mount: '/', filesystem: 'ext4', total_bytes: 100, free_bytes: 50 }],
  network: [{ name: 'lo', addresses: ['127.0.0.1'], mac: '00:00:00:00:00:00' }],
  users: [],
  processes: [],
};

export async function startFakeAgent(url: string, id: number, secret: string, behaviour: SessionBehaviour = 'echo'): Promise<FakeAgent> {
  const control = await connectAgent(url, id, secret);
  control.hello();
  await control.next('welcome');
  const agent: FakeAgent = {
    control,
    sessions: [],
    behaviour,
    opened: [],
    close() {
      for (const s of agent.sessions) s.terminate();
      control.ws.terminate();
    },
  };
  control.ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(raw.toString());
    if (m.type !== 'session_open') return;
    agent.opened.push(m.session_id);
    if (agent.behaviour === 'refuse') {
      control.ws.send(JSON.stringify({ type: 'session_refused', session_id: m.session_id, reason: 'spawn_failed', message: 'no shell' }));
      return;
    }
    if (agent.behaviour === 'drop-control') {
      control.ws.terminate();
      return;
    }
    const ws = new WebSocket(url.replace(/^http/, 'ws') + SESSION_PATH, {
      headers: { authorization: agentCredentials(id, secret), [SESSION_HEADER]: `${m.session_id}.${m.token}` },
    });
    agent.sessions.push(ws);
    ws.on('open', () => {
      if (agent.behaviour === 'never-ready') return;
      if (agent.behaviour === 'spawn-error') return ws.send(JSON.stringify({ type: 'spawn_error', message: 'cannot start' }));
      ws.send(JSON.stringify({ type: 'ready', shell: '/bin/fake', pid: 1 }));
      ws.send(dataFrame(0, Buffer.from('fake$ ')));
    });
    ws.on('message', (data, binary) => {
      const buf = data as Buffer;
      if (binary) {
        if (buf[0] === 0) {
          const input = buf.subarray(1);
          ws.send(JSON.stringify({ type: 'credit', channel: 0, bytes: input.byteLength }));
          ws.send(dataFrame(0, input));
        }
        return;
      }
      const msg = JSON.parse(buf.toString());
      if (msg.type === 'sysinfo_get') ws.send(JSON.stringify({ type: 'sysinfo', request_id: msg.request_id, info: SAMPLE_SYSINFO }));
      if (msg.type === 'end') ws.close(1000);
    });
  });
  return agent;
}
