/** The real terminal: a PTY running the login shell of the account the Jump Client runs as. */
import { readSync } from 'node:fs';
import { userInfo } from 'node:os';
import { spawn as spawnPty, type IPty } from 'node-pty';
import type { Terminal } from './backends.ts';

function loginShell(): string {
  const shell = userInfo().shell;
  return shell && shell !== '/usr/sbin/nologin' && shell !== '/bin/false' ? shell : '/bin/sh';
}

/** The most output handed on at once: one session data frame's payload. */
const CHUNK = 64 * 1024 - 1;

/**
 * The kernel hands PTY output over at most a few KB per read, and each read through the stream
 * machinery costs tens of microseconds: a fast producer (`cat` of a big file) spent the agent's time
 * there. When a read arrives, what else is already waiting is read straight from the master side
 * (non-blocking) into the same chunk, so output leaves in chunks of up to 64 KB per event. The
 * master's descriptor comes from the Unix terminal's `fd` getter, which the typings leave out;
 * without it the output is passed on as it comes.
 */
function coalescing(pty: IPty, listener: (data: Uint8Array) => void): (data: Buffer | string) => void {
  const fd = (pty as unknown as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return (data) => listener(typeof data === 'string' ? Buffer.from(data) : data);
  return (data) => {
    const first = typeof data === 'string' ? Buffer.from(data) : data;
    if (first.byteLength < 1024) return listener(first); // interactive echo: nothing more is waiting
    const chunk = Buffer.allocUnsafe(CHUNK);
    let length = first.copy(chunk, 0);
    while (length < CHUNK) {
      let n: number;
      try {
        n = readSync(fd, chunk, length, CHUNK - length, null);
      } catch {
        break; // EAGAIN: nothing more now; EIO: the shell is gone (the stream reports it)
      }
      if (n === 0) break;
      length += n;
    }
    listener(chunk.subarray(0, length));
  };
}

export function spawnLoginShell(cols: number, rows: number, home = userInfo().homedir): Terminal {
  const account = userInfo();
  const shell = loginShell();
  const env: Record<string, string> = {
    HOME: home,
    USER: account.username,
    LOGNAME: account.username,
    SHELL: shell,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    TERM: 'xterm-256color',
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
  const pty = spawnPty(shell, ['-l'], { name: 'xterm-256color', cols, rows, cwd: home, env, encoding: null });
  let exited = false;
  pty.onExit(() => (exited = true));
  return {
    pid: pty.pid,
    shell,
    onData: (listener) => void pty.onData(coalescing(pty, listener)),
    onExit: (listener) => void pty.onExit(({ exitCode, signal }) => listener({ code: exitCode, signal: signal ? String(signal) : null })),
    write: (data) => pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
    resize: (cols2, rows2) => pty.resize(cols2, rows2),
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    kill() {
      if (exited) return;
      // The whole process group: the shell and whatever it started in the foreground.
      for (const target of [-pty.pid, pty.pid]) {
        try {
          process.kill(target, 'SIGHUP');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      setTimeout(() => {
        if (exited) return;
        try {
          process.kill(-pty.pid, 'SIGKILL');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }, 2000).unref();
    },
  };
}
