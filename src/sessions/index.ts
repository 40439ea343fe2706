/** Sessions: the spawn cap, the Jump, the live relays and their records. */
export { createSpawnLimiter, realClock, type SpawnLimiter, type Clock, type LimiterStats } from './limiter.ts';
export { createSessionManager, type SessionManager, type AgentSessionHandlers } from './manager.ts';
export { mayReach, type AgentLink, type SessionOwner, type SocketPort } from './ports.ts';
export { recordingStops } from './recording.ts';
export type { Session } from './session.ts';
export { MAX_UPLOADS, type DownloadResult } from './transfers.ts';
export { decodeTerminalControl, type TerminalControl } from './terminal-protocol.ts';
