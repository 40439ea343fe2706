/**
 * The narrow interfaces the session logic talks through. The hub implements them over its
 * WebSockets; tests implement them with plain objects. Nothing here knows about uWebSockets.js.
 */
import type { JumpClient } from '../registry/index.ts';
import type { HubMessage } from '../shared/protocol.ts';

/** The agents' control links, as the session logic needs them. */
export interface AgentLink {
  isConnected(clientId: number): boolean;
  send(clientId: number, message: HubMessage): boolean;
  /**
   * Wakes a passive client and resolves once its agent has linked; rejects when `signal` aborts
   * first (SPEC A6).
   */
  reach(client: JumpClient, signal: AbortSignal): Promise<void>;
}

/** One end of a WebSocket: the agent's session socket or a technician's terminal. */
export interface SocketPort {
  /** Sends a text (JSON) or binary frame; false when the socket is gone. */
  send(data: string | Uint8Array, binary: boolean): boolean;
  /** Bytes queued in the socket and not yet written to the network. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** Who started a session, as the session logic needs it. */
export interface SessionOwner {
  kind: 'user' | 'api';
  id: number;
  name: string;
  isAdmin: boolean;
}

export function mayReach(owner: SessionOwner, caller: SessionOwner): boolean {
  return caller.isAdmin || (caller.kind === owner.kind && caller.id === owner.id);
}
