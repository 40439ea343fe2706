/**
 * One live session: the relay between the agent's session socket and the technician's terminal,
 * with credit-based flow control both ways, the recording, file transfers and the end of it all.
 */
import { AppError } from '../shared/errors.ts';
import {
  CHANNEL_WINDOW,
  CLOSE,
  MAX_DATA_FRAME,
  TERMINAL_CHANNEL,
  dataFrame,
  type SessionAgentMessage,
  type SessionHubMessage,
} from '../shared/protocol.ts';
import type { SessionOwner, SocketPort } from './ports.ts';
import type { Recording } from './recording.ts';
import { createTransfers, type Transfers } from './transfers.ts';

/** Output kept while no terminal is attached (the prompt printed before the technician connects). */
const SCROLLBACK_BYTES = 256 * 1024;
/** Above this much queued toward a technician, stop crediting the agent until the socket drains. */
const TERMINAL_HIGH_WATER = 256 * 1024;
/** Output is credited back in batches of at least this much (well under the window: no stall). */
const CREDIT_BATCH = 128 * 1024;
/** Input from a technician waiting for agent credit; past it the terminal is closed. */
const MAX_PENDING_INPUT = 4 * 1024 * 1024;

export type SessionPhase = 'spawning' | 'active' | 'ended';

export interface SessionInit {
  id: string;
  token: string;
  /** The Jump Item jumped to. */
  clientId: number;
  /** The id its agent connects with: the item's, or for a copy the original item's. */
  agentId: number;
  clientName: string;
  owner: SessionOwner;
  cols: number;
  rows: number;
  startedAt: number;
}

export interface SessionEvents {
  ready(session: Session): void;
  spawnFailed(session: Session, err: AppError): void;
  ended(session: Session, reason: string): void;
}

export class Session {
  readonly init: SessionInit;
  phase: SessionPhase = 'spawning';
  bytesToClient = 0;
  bytesFromClient = 0;
  exitCode: number | null = null;
  endReason: string | null = null;
  shell = '';
  /** When the shell became ready; null while spawning or when it never did. */
  readyAt: number | null = null;
  /**
   * The recording once the session ended: `kept` whole (raw) when it never reached a file, for the
   * record to keep; `done` once what was left is in its file and the file closed, with the start
   * of the recording to keep instead when the file failed before it took a batch.
   */
  closedRecording: ReturnType<Recording['close']> | undefined;
  readonly transfers: Transfers;
  private agent: SocketPort | undefined;
  private terminal: SocketPort | undefined;
  private scrollback: Uint8Array[] = [];
  private scrollbackBytes = 0;
  private outputOwed = 0;
  private inputWindow = CHANNEL_WINDOW;
  private pendingInput: Uint8Array[] = [];
  private pendingInputBytes = 0;

  constructor(
    init: SessionInit,
    private readonly events: SessionEvents,
    private readonly recording: Recording,
  ) {
    this.init = init;
    this.transfers = createTransfers({
      control: (m) => this.sendControl(m),
      data: (frame) => this.agent?.send(frame, true) ?? false,
    });
  }

  get id(): string {
    return this.init.id;
  }

  // --- the agent's side ------------------------------------------------------------------------

  attachAgent(port: SocketPort): void {
    this.agent = port;
  }

  /** Whether the agent's session socket has come (one per session: a second is refused). */
  get agentAttached(): boolean {
    return this.agent !== undefined;
  }

  onAgentMessage(m: SessionAgentMessage): void {
    if (this.phase === 'ended') return;
    switch (m.type) {
      case 'ready':
        if (this.phase !== 'spawning') return;
        this.phase = 'active';
        this.readyAt = Date.now();
        this.shell = m.shell;
        this.events.ready(this);
        return;
      case 'spawn_error':
        this.events.spawnFailed(this, new AppError('session_internal_error', { cause: new Error(m.message) }));
        return;
      case 'exit':
        this.exitCode = m.code;
        this.terminal?.send(JSON.stringify({ type: 'exit', code: m.code ?? -1 }), false);
        this.end(`the shell exited (${m.code ?? m.signal ?? 'unknown'})`);
        return;
      case 'credit':
        if (m.channel === TERMINAL_CHANNEL) {
          this.inputWindow += m.bytes;
          this.flushInput();
        } else this.transfers.onMessage(m);
        return;
      default:
        this.transfers.onMessage(m);
    }
  }

  /** A frame from the agent, valid during the call only: the recording and the terminal copy it, the scrollback and transfers keep copies. */
  onAgentData(frame: Uint8Array): void {
    if (this.phase === 'ended' || frame.byteLength < 1) return;
    const channel = frame[0];
    const bytes = frame.subarray(1);
    if (channel !== TERMINAL_CHANNEL) {
      this.transfers.onData(channel, bytes);
      return;
    }
    this.bytesFromClient += bytes.byteLength;
    this.recording.output(bytes);
    this.outputOwed += bytes.byteLength;
    if (this.terminal) {
      this.terminal.send(bytes, true);
      this.creditOutputIfRoom();
    } else if (this.scrollbackBytes < SCROLLBACK_BYTES) {
      this.scrollback.push(bytes.slice()); // the frame is the socket's, and only for this call
      this.scrollbackBytes += bytes.byteLength;
      this.creditOutputIfRoom();
    }
  }

  agentClosed(): void {
    this.agent = undefined;
    if (this.phase === 'spawning') {
      this.events.spawnFailed(this, new AppError('active_not_connected'));
    } else this.end('the Jump Client closed the session');
  }

  // --- the technician's terminal ---------------------------------------------------------------

  attachTerminal(port: SocketPort): void {
    if (this.terminal) this.terminal.close(CLOSE.replaced, 'the terminal was opened elsewhere');
    this.terminal = port;
    for (const chunk of this.scrollback) port.send(chunk, true);
    this.scrollback = [];
    this.scrollbackBytes = 0;
    this.creditOutputIfRoom();
  }

  terminalInput(bytes: Uint8Array): void {
    if (this.phase !== 'active') return;
    if (this.pendingInputBytes + bytes.byteLength > MAX_PENDING_INPUT) {
      this.terminal?.close(CLOSE.tooLarge, 'input arrives faster than the remote shell takes it');
      return;
    }
    for (let off = 0; off < bytes.byteLength; off += MAX_DATA_FRAME - 1) {
      const chunk = bytes.slice(off, off + MAX_DATA_FRAME - 1);
      this.pendingInput.push(chunk);
      this.pendingInputBytes += chunk.byteLength;
    }
    this.flushInput();
  }

  resize(cols: number, rows: number): void {
    if (this.phase !== 'active') return;
    this.recording.resize(cols, rows);
    this.sendControl({ type: 'resize', cols, rows });
  }

  /** The technician's socket drained: credit the agent for what it has sent since. */
  terminalDrained(): void {
    this.creditOutputIfRoom();
  }

  /** The technician closed the terminal: that ends the shell. */
  terminalClosed(port: SocketPort): void {
    if (this.terminal !== port) return;
    this.terminal = undefined;
    this.end('the technician closed the terminal');
  }

  // --- ending ------------------------------------------------------------------------------------

  end(reason: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.endReason = reason;
    this.sendControl({ type: 'end' });
    this.agent?.close(CLOSE.normal, 'session ended');
    this.agent = undefined;
    this.terminal?.close(CLOSE.normal, reason.slice(0, 120));
    this.terminal = undefined;
    this.transfers.failAll(new AppError('not_found', { message: 'The session has ended.' }));
    this.closedRecording = this.recording.close();
    this.events.ended(this, reason);
  }

  // --- internals ---------------------------------------------------------------------------------

  private sendControl(m: SessionHubMessage): boolean {
    return this.agent?.send(JSON.stringify(m), false) ?? false;
  }

  private creditOutputIfRoom(force = false): void {
    if (this.outputOwed === 0 || (!force && this.outputOwed < CREDIT_BATCH)) return;
    const congested = this.terminal
      ? this.terminal.bufferedAmount() > TERMINAL_HIGH_WATER
      : this.scrollbackBytes >= SCROLLBACK_BYTES;
    if (congested) return;
    this.sendControl({ type: 'credit', channel: TERMINAL_CHANNEL, bytes: this.outputOwed });
    this.outputOwed = 0;
  }

  private flushInput(): void {
    while (this.pendingInput.length && this.inputWindow >= this.pendingInput[0].byteLength) {
      const chunk = this.pendingInput.shift()!;
      this.pendingInputBytes -= chunk.byteLength;
      this.inputWindow -= chunk.byteLength;
      this.bytesToClient += chunk.byteLength;
      if (!this.agent?.send(dataFrame(TERMINAL_CHANNEL, chunk), true)) return;
    }
  }
}
