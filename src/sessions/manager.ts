/**
 * Sessions: the Jump itself (checks, the spawn cap, waiting for the agent), the live sessions by
 * id, who may reach them, and their records. The hub hands in sockets through `ports.ts`; the API
 * calls `jump`, `find` and `end`. Nothing here imports the hub or the API.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JumpClient, Registry, SessionRecord } from '../registry/index.ts';
import { AppError } from '../shared/errors.ts';
import { randomHexId, randomToken, safeEqual } from '../shared/ids.ts';
import type { Logger } from '../shared/log.ts';
import type { SessionAgentMessage } from '../shared/protocol.ts';
import type { SpawnLimiter, SpawnSlot } from './limiter.ts';
import { mayReach, type AgentLink, type SessionOwner, type SocketPort } from './ports.ts';
import { asciicast } from './asciicast.ts';
import { startRecording } from './recording.ts';
import { Session } from './session.ts';

export interface SessionManagerOptions {
  registry: Registry;
  agents: AgentLink;
  limiter: SpawnLimiter;
  log: Logger;
  dataDir: string;
  now?: () => number;
  /** How far a recording's file may be behind the terminal (1 s; tests lengthen it). */
  recordingFlushMs?: number;
  /** Free disk a recording must leave (1 GiB; tests on small disks lower it). */
  recordingMinFreeBytes?: number;
}

/** How often one Jump wakes a passive client again after its link closed under the Jump. */
const MAX_REWAKES = 3;
/**
 * The reason a wake attempt is called off. Given explicitly: an `abort()` without one builds a
 * DOMException with its stack each call, a measurable share of a Jump's CPU.
 */
const STOP_REACHING = Symbol('no longer reaching the client');

/** What the hub calls when an agent's session socket sends. */
export interface AgentSessionHandlers {
  message(m: SessionAgentMessage): void;
  /** A data frame, valid during the call only (a view of the socket's buffer): copy what is kept. */
  data(frame: Uint8Array): void;
  closed(): void;
}

export interface SessionManager {
  /** Starts a session on the client; resolves once the shell is ready there. */
  jump(owner: SessionOwner, client: JumpClient, size?: { cols: number; rows: number }, signal?: AbortSignal): Promise<Session>;
  /** The agent opened its session socket; undefined when the session or token is wrong. */
  attachAgent(clientId: number, sessionId: string, token: string, port: SocketPort): AgentSessionHandlers | undefined;
  /** A live session the caller may reach, or the catalog's not_found. */
  find(sessionId: string, caller: SessionOwner): Session;
  list(caller: SessionOwner): Session[];
  end(sessionId: string, caller: SessionOwner, reason: string): void;
  /** Ends every session of an owner (logout). */
  endAllOf(owner: SessionOwner, reason: string): void;
  /** The agent's control link closed or refused a session. */
  agentGone(clientId: number): void;
  sessionRefused(clientId: number, sessionId: string, reason: string, message: string): void;
  endAll(reason: string): void;
  /** Settles once the recordings of the sessions ended so far are written (before the appliance stops). */
  recordingsWritten(): Promise<void>;
  /** Ends every session on a client (the client was removed). */
  endForClient(clientId: number, reason: string): void;
  /**
   * Ends the sessions whose owner may no longer start one on their client (a membership, role,
   * account or group change withdrew it); a Jump still spawning fails with forbidden. Returns how
   * many ended.
   */
  review(mayKeep: (owner: SessionOwner, clientId: number) => boolean, reason: string): number;
  /**
   * The session's recording as asciicast v2, made as it is read, or undefined when it has none:
   * kept in the registry (a short session), in its raw file, or in an asciicast file written by
   * an earlier version.
   */
  recording(sessionId: string): AsyncIterable<Uint8Array> | undefined;
  /** Removes a session's recording files (its report was pruned); the registry's copy goes with the report. */
  removeRecording(sessionId: string): Promise<void>;
  /**
   * Removes recording files that belong to no session report and no live session, once older
   * than `minAgeMs` (a Jump spawning when the appliance stopped, a removal that failed). Returns
   * how many went.
   */
  sweepRecordings(minAgeMs: number): Promise<number>;
  liveCount(): number;
}

export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const { registry, agents, limiter, log } = options;
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Session>();
  /** Jumps in progress: their slot, how they end, and what the agent's link closing means to each. */
  const spawning = new Map<string, { slot: SpawnSlot; settle(err?: AppError): void; linkClosed(): void; attached(): void }>();
  /** Recordings of ended sessions whose last batch is still being written. */
  const writing = new Set<Promise<void>>();
  const recordings = join(options.dataDir, 'recordings');
  /** The raw recording of a session (`recording.ts`). */
  const recordingFile = (id: string) => join(recordings, `${id}.rec`);
  /** A recording written as asciicast by a version before the raw form. */
  const castFile = (id: string) => join(recordings, `${id}.cast`);

  /** Puts the session's record, and its recording when it is kept here; only inside a write. */
  const putRecord = (s: Session, outcome: SessionRecord['outcome']): void => {
    const kept = s.closedRecording?.kept;
    if (kept !== undefined) registry.sessions.putRecording(s.id, kept);
    registry.sessions.put({
      id: s.id,
      jump_client_id: s.init.clientId,
      jump_client_name: s.init.clientName,
      user_id: s.init.owner.kind === 'user' ? s.init.owner.id : null,
      username: s.init.owner.name,
      started_at: s.init.startedAt,
      ended_at: outcome === 'active' ? null : now(),
      outcome,
      end_reason: s.endReason,
      bytes_to_client: s.bytesToClient,
      bytes_from_client: s.bytesFromClient,
    });
  };
  const writeRecord = (s: Session, outcome: SessionRecord['outcome']): Promise<void> =>
    registry.write(() => putRecord(s, outcome));

  const events = {
    ready(s: Session) {
      spawning.get(s.id)?.settle();
    },
    spawnFailed(s: Session, err: AppError) {
      spawning.get(s.id)?.settle(err);
    },
    ended(s: Session) {
      sessions.delete(s.id);
      const closing = s.closedRecording?.done;
      if (closing) {
        // A recording whose file could not be opened comes back: it is kept with the report.
        const written = closing.then((instead) => {
          if (!instead || s.readyAt === null) return; // no report to keep it with
          log.warn('recording file could not be written; its start is kept in the registry', { module: 'sessions', sessionId: s.id });
          return registry.write(() => registry.sessions.putRecording(s.id, instead));
        }).catch((err: unknown) => log.error('recording could not be kept', { module: 'sessions', sessionId: s.id, err }));
        writing.add(written);
        void written.finally(() => writing.delete(written));
      }
      spawning.get(s.id)?.settle(clientLost(s));
      if (s.readyAt !== null) writeRecord(s, 'ended').catch((err: unknown) => log.error('session record failed', { module: 'sessions', sessionId: s.id, err }));
    },
  };

  /**
   * The catalog error for a client that cannot take a Jump now, if any, in the order of the checks
   * SPEC gives: uninstalled, offline, disabled, updating, not connected. A passive client holds no
   * link: the Jump wakes it, whatever its last check-in says.
   */
  const unavailable = (c: JumpClient): AppError | undefined => {
    if (c.status === 'uninstalled') return new AppError('jump_client_uninstalled');
    const unlinked = !agents.isConnected(c.id) && c.connection_type !== 'passive';
    // An offline client that was told to update and never came back is offline, not updating.
    if (unlinked && (c.status === 'offline' || c.status === 'lost')) return new AppError('jump_client_offline');
    if (c.status === 'disabled') return new AppError('jump_client_disabled');
    if (c.status === 'updating' || c.needs_update) return new AppError('jump_client_updating');
    if (unlinked) return new AppError('active_not_connected');
    return undefined;
  };

  /**
   * Why a spawn lost its client: the Jump Item deleted meanwhile, or the client uninstalled
   * meanwhile, else its link dropped.
   */
  const clientLost = (s: Session): AppError => {
    const item = registry.clients.get(s.init.clientId);
    const endpoint = s.init.agentId === s.init.clientId ? item : registry.clients.get(s.init.agentId);
    if (!item) return new AppError('jump_client_not_found');
    if (!endpoint || endpoint.status === 'uninstalled') return new AppError('jump_client_uninstalled');
    return new AppError('active_not_connected');
  };

  return {
    async jump(owner, client, size = { cols: 80, rows: 24 }, signal) {
      // A copy is another Jump Item of the same install: its agent and its state are the original's.
      const agentId = registry.clients.agentOf(client);
      const endpoint = agentId === client.id ? client : registry.clients.get(agentId);
      if (!endpoint) throw new AppError('jump_client_uninstalled');
      const refusal = unavailable(endpoint);
      if (refusal) throw refusal;
      const acquired = limiter.tryAcquire();
      if ('busy' in acquired) {
        throw new AppError('server_busy', {
          headers: { 'Retry-After': String(acquired.retryAfterSeconds) },
          details: { retry_after_seconds: acquired.retryAfterSeconds },
        });
      }
      const slot = acquired;
      const id = randomHexId();
      const token = randomToken(32);
      const session = new Session(
        { id, token, clientId: client.id, agentId, clientName: client.name, owner, cols: size.cols, rows: size.rows, startedAt: now() },
        events,
        startRecording({ file: recordingFile(id), cols: size.cols, rows: size.rows, title: `${client.name} — ${owner.name}`, flushMs: options.recordingFlushMs, minFreeBytes: options.recordingMinFreeBytes }),
      );
      sessions.set(id, session);
      // While a passive client is being reached, the deadline means it could not be: connect_timeout.
      // Undefined whenever it is not being reached (linked, or the Jump over).
      let reaching: AbortController | undefined;
      const stopReaching = (): void => {
        reaching?.abort(STOP_REACHING);
        reaching = undefined;
      };
      const passive = endpoint.connection_type === 'passive';
      let rewakes = 0;
      let asked = false; // a session_open went out on the current link
      const open = (): void => {
        asked = agents.send(agentId, { type: 'session_open', session_id: id, token, cols: size.cols, rows: size.rows });
        if (asked) return;
        if (passive) rewake();
        else spawning.get(id)?.settle(clientLost(session));
      };
      /** Wakes a passive client again, up to MAX_REWAKES times; past that it could not be reached. */
      const rewake = (): void => {
        if (rewakes++ >= MAX_REWAKES) return void spawning.get(id)?.settle(new AppError('connect_timeout'));
        log.info('a passive Jump Client let go of its link during a Jump; waking it again', { module: 'sessions', sessionId: id, clientId: agentId });
        reach();
      };
      const reach = (): void => {
        stopReaching(); // one attempt at a time: an older one knocks no more
        const attempt = (reaching = new AbortController());
        agents.reach(endpoint, attempt.signal).then(
          () => {
            if (!spawning.has(id) || attempt.signal.aborted) return;
            stopReaching();
            open();
          },
          // Aborted: the deadline or the caller ended the Jump, settled already. Else there is
          // nowhere to knock (no port, no address): no use holding the slot until the deadline.
          () => {
            if (!attempt.signal.aborted) spawning.get(id)?.settle(new AppError('connect_timeout'));
          },
        );
      };
      const result = new Promise<void>((resolve, reject) => {
        const settle = (err?: AppError, outcome: 'error' | 'aborted' = 'error'): void => {
          if (!spawning.has(id)) return;
          spawning.delete(id);
          stopReaching();
          slot.release(err ? outcome : 'ready');
          if (err) reject(err);
          else resolve();
        };
        // A passive client's link may close just as the session_open goes out on it (its check-in
        // letting go): while its session socket has not come, it is woken again. A link that
        // closes before it was asked anything changes nothing: the knocking goes on. An active
        // client's link closing means it is gone.
        const linkClosed = (): void => {
          if (!passive) return settle(clientLost(session));
          if (session.agentAttached || !asked) return; // its own socket carries it now, or still reaching
          asked = false;
          rewake();
        };
        // Its session socket came: no more knocking, and the deadline now means the spawn itself.
        const attached = stopReaching;
        spawning.set(id, { slot, settle, linkClosed, attached });
        slot.timedOut.then(() => settle(new AppError(reaching ? 'connect_timeout' : 'session_spawn_timeout')));
        const aborted = (): void => settle(new AppError('session_internal_error', { cause: new Error('the request was aborted') }), 'aborted');
        if (signal?.aborted) aborted(); // the technician left while the Jump's body was read
        else signal?.addEventListener('abort', aborted, { once: true });
      });
      // Unless it is settled already (the request was aborted), the agent is asked or woken.
      if (spawning.has(id)) {
        if (agents.isConnected(agentId) || !passive) open();
        else reach();
      }
      try {
        await result;
      } catch (err) {
        session.end(`spawn failed: ${(err as AppError).code ?? 'error'}`);
        sessions.delete(id);
        await writeRecord(session, 'failed').catch((e: unknown) => log.error('session record failed', { module: 'sessions', sessionId: id, err: e }));
        throw err;
      }
      // A session the registry cannot record (its audit event, its report) is not kept running.
      await registry.write(() => {
        const row = registry.clients.get(client.id);
        if (row) registry.clients.put({ ...row, last_access_timestamp: now() });
        registry.audit.record({
          event_type: 'session_started',
          item_type: 'jump_client',
          item_id: String(client.id),
          actor: { kind: owner.kind, id: owner.id, name: owner.name },
          before: null,
          after: { session_id: id, jump_group_type: client.jump_group_type, jump_group_id: client.jump_group_id },
        });
        // One transaction (one commit) for the audit event, the access time and the record.
        putRecord(session, 'active');
      }).catch((err: unknown) => {
        log.error('session start could not be recorded; the session is ended', { module: 'sessions', sessionId: id, err });
        session.end('the session could not be recorded');
        throw new AppError('session_internal_error', { cause: err });
      });
      return session;
    },

    attachAgent(clientId, sessionId, token, port) {
      const s = sessions.get(sessionId);
      if (!s || s.init.agentId !== clientId || !safeEqual(s.init.token, token) || s.phase !== 'spawning' || s.agentAttached) return undefined;
      s.attachAgent(port);
      spawning.get(sessionId)?.attached();
      return {
        message: (m) => s.onAgentMessage(m),
        data: (frame) => s.onAgentData(frame),
        closed: () => s.agentClosed(),
      };
    },

    find(sessionId, caller) {
      const s = sessions.get(sessionId);
      if (!s || s.phase === 'ended' || !mayReach(s.init.owner, caller)) {
        throw new AppError('not_found', { message: 'The session does not exist or has ended.' });
      }
      return s;
    },

    list: (caller) => [...sessions.values()].filter((s) => s.phase === 'active' && mayReach(s.init.owner, caller)),

    end(sessionId, caller, reason) {
      this.find(sessionId, caller).end(reason);
    },

    endAllOf(owner, reason) {
      for (const s of [...sessions.values()]) {
        if (s.init.owner.kind === owner.kind && s.init.owner.id === owner.id) s.end(reason);
      }
    },

    agentGone(clientId) {
      for (const s of [...sessions.values()]) {
        if (s.init.agentId === clientId && s.phase === 'spawning') spawning.get(s.id)?.linkClosed();
      }
    },

    sessionRefused(clientId, sessionId, reason, message) {
      const s = sessions.get(sessionId);
      if (!s || s.init.agentId !== clientId) return;
      // A client already running its most sessions says so; `conflict` carries its words.
      const err =
        reason === 'disabled'
          ? new AppError('jump_client_disabled')
          : reason === 'busy'
            ? new AppError('conflict', { message, details: { reason: 'jump_client_busy' } })
            : new AppError('session_internal_error', { cause: new Error(message) });
      spawning.get(sessionId)?.settle(err);
    },

    endForClient(clientId, reason) {
      for (const s of [...sessions.values()]) if (s.init.clientId === clientId || s.init.agentId === clientId) s.end(reason);
    },

    endAll(reason) {
      for (const s of [...sessions.values()]) s.end(reason);
    },

    review(mayKeep, reason) {
      let ended = 0;
      for (const s of [...sessions.values()]) {
        if (s.phase === 'ended' || mayKeep(s.init.owner, s.init.clientId)) continue;
        ended++;
        const pending = spawning.get(s.id);
        if (pending) pending.settle(new AppError('forbidden'));
        else s.end(reason);
      }
      return ended;
    },

    recording(id) {
      const kept = registry.sessions.recording(id);
      if (kept) return asciicast([kept]);
      if (existsSync(recordingFile(id))) return asciicast(createReadStream(recordingFile(id)));
      if (existsSync(castFile(id))) return createReadStream(castFile(id));
      return undefined;
    },
    recordingsWritten: async () => void (await Promise.all([...writing])),
    async removeRecording(id) {
      await Promise.all([rm(recordingFile(id), { force: true }), rm(castFile(id), { force: true })]);
    },
    async sweepRecordings(minAgeMs) {
      const names = await readdir(recordings).catch(() => [] as string[]);
      let removed = 0;
      for (const name of names) {
        const id = /^([0-9a-f]{32})\.(?:rec|cast)$/.exec(name)?.[1];
        if (!id || sessions.has(id) || registry.sessions.get(id)) continue;
        const file = join(recordings, name);
        const st = await stat(file).catch(() => undefined);
        if (!st || now() - st.mtimeMs < minAgeMs) continue;
        await rm(file, { force: true });
        removed++;
      }
      return removed;
    },
    liveCount: () => sessions.size,
  };
}
