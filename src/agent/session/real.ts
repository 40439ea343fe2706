/** The real machine behind a session: the login shell in a PTY, the file system, /proc. */
import { userInfo } from 'node:os';
import type { SessionBackends } from './backends.ts';
import { createFilesBackend } from './files.ts';
import { spawnLoginShell } from './pty.ts';
import { systemInfo } from './sysinfo.ts';

/** `home` overrides the account's home directory (tests use a clean one). */
export function realBackends(home = userInfo().homedir): SessionBackends {
  return { spawnTerminal: (cols, rows) => spawnLoginShell(cols, rows, home), files: createFilesBackend(home), systemInfo };
}
