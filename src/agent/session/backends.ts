/**
 * What a session needs from the machine, as interfaces: the real agent plugs in a PTY, the file
 * system and /proc; the load simulator plugs in stand-ins. The session protocol code is the same.
 */
import type { Readable } from 'node:stream';
import type { SessionAgentMessage, SystemInfo } from '../../shared/protocol.ts';

export interface Terminal {
  readonly pid: number;
  readonly shell: string;
  onData(listener: (data: Uint8Array) => void): void;
  onExit(listener: (exit: { code: number | null; signal: string | null }) => void): void;
  /**
   * Input for the shell. `written` is called with each part's length as the machine takes it (the
   * PTY's input buffer has room): that is what the session credits, so input waits in the
   * appliance, bounded, while the shell does not read.
   */
  write(data: Uint8Array, written: (bytes: number) => void): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  /** Ends the shell and everything in its session (hang-up, then kill). */
  kill(): void;
}

export type Listing = Omit<Extract<SessionAgentMessage, { type: 'dir_listing' }>, 'type' | 'channel'>;
export type FileErrorCode = Extract<SessionAgentMessage, { type: 'file_error' }>['code'];

export class FileError extends Error {
  constructor(
    readonly code: FileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FileError';
  }
}

export interface Upload {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the upload visible at its path (atomically); returns the bytes written. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export interface FilesBackend {
  /** A directory listing, or a readable stream of the file with its size. Throws FileError. */
  open(path: string): Promise<{ kind: 'directory'; listing: Listing } | { kind: 'file'; size: number; mode: number; mtime: number; stream: Readable }>;
  /** Starts writing a file; nothing shows at `path` until commit. Throws FileError. */
  create(path: string): Promise<Upload>;
}

export interface SessionBackends {
  spawnTerminal(cols: number, rows: number): Terminal;
  files: FilesBackend;
  systemInfo(): Promise<SystemInfo>;
}
