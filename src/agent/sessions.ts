/**
 * The running agent's sessions: answers the hub's `session_open` by opening the session socket and
 * starting the login shell (`session/index.ts` with the real machine behind it), or refuses with
 * `session_refused` — `disabled` while the person at the machine disabled the client, `busy` beyond
 * `maxSessions` at once. Ends every session when the agent stops.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Logger } from '../shared/log.ts';
import type { AgentMessage, HubMessage } from '../shared/protocol.ts';
import type { Identity } from './identity.ts';
import { runSession, type RunningSession, type SessionBackends, type SessionLink } from './session/index.ts';
import { realBackends } from './session/real.ts';
import { isDisabled } from './state.ts';
import { applianceUrl, type Appliance } from './transport.ts';

export const MAX_SESSIONS = 16;

export type SessionOpen = Extract<HubMessage, { type: 'session_open' }>;

export interface SessionHost {
  open(request: SessionOpen, send: (m: AgentMessage) => boolean): void;
  count(): number;
  endAll(): void;
}

export interface SessionHostOptions {
  dir: string;
  appliance: Appliance;
  identity: Identity;
  log: Logger;
  maxSessions?: number;
  /** The machine behind a session; the real PTY, files and /proc by default. */
  backends?: () => SessionBackends;
}

/** The account's home, or the install directory when the account has none (a service account). */
function workingHome(dir: string): string {
  const home = userInfo().homedir;
  return home && existsSync(home) ? home : dir;
}

export function createSessionHost(options: SessionHostOptions): SessionHost {
  const { dir, appliance, identity, log } = options;
  const max = options.maxSessions ?? MAX_SESSIONS;
  const running = new Map<string, RunningSession>();
  const link: SessionLink = {
    origin: applianceUrl(appliance, '', 'ws').href.replace(/\/+$/, ''),
    clientId: identity.client_id,
    secret: identity.secret,
    tls: appliance.tls,
  };
  let backends: SessionBackends | undefined;

  return {
    open(request, send) {
      const refuse = (reason: 'disabled' | 'busy', message: string): void => {
        log.info('session refused', { sessionId: request.session_id, reason });
        send({ type: 'session_refused', session_id: request.session_id, reason, message });
      };
      // The hub may ask again for a session this agent already opened (a passive link that let go
      // under a Jump, woken again): the one running answers it.
      if (running.has(request.session_id)) return;
      if (isDisabled(dir)) return refuse('disabled', 'The Jump Client is disabled on the machine.');
      if (running.size >= max) return refuse('busy', `This Jump Client already runs ${max} sessions.`);
      backends ??= options.backends?.() ?? realBackends(workingHome(dir));
      const session = runSession(link, request, backends);
      running.set(request.session_id, session);
      log.info('session started', { sessionId: request.session_id, sessions: running.size });
      void session.done.then(() => {
        running.delete(request.session_id);
        log.info('session ended', { sessionId: request.session_id, sessions: running.size });
      });
    },
    count: () => running.size,
    endAll() {
      for (const session of running.values()) session.end();
    },
  };
}
