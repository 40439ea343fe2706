/** The real terminal: a PTY running the login shell of the account the Jump Client runs as. */
import { writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { spawn as spawnPty, type IPty } from 'node-pty';
import type { Terminal } from './backends.ts';

/** Longest pause between tries to write input the shell is not reading. */
const MAX_INPUT_RETRY_MS = 50;

/**
 * Input to the PTY, in order, reported as the kernel takes it. The master is non-blocking: when
 * its input buffer is full (the shell is not reading), the rest waits and is tried again after 1
 * ms, doubling to 50 ms, instead of node-pty's own queue, which takes everything at once (the
 * session would credit input no shell has read) and tries again every turn of the event loop.
 */
function ptyInput(fd: number, fdClosed: () => boolean): { write(data: Uint8Array, written: (bytes: number) => void): void; close(): void } {
  const queue: { bytes: Uint8Array; written: (bytes: number) => void }[] = [];
  let retry: NodeJS.Timeout | undefined;
  let delay = 1;
  let closed = false;
  const pump = (): void => {
    retry = undefined;
    if (fdClosed()) closed = true; // closed before its 'close' event: the number may be another file's
    if (closed) queue.length = 0;
    while (queue.length > 0) {
      const task = queue[0];
      let n: number;
      try {
        n = writeSync(fd, task.bytes);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          retry = setTimeout(pump, delay);
          delay = Math.min(delay * 2, MAX_INPUT_RETRY_MS);
        } else queue.length = 0; // the PTY is gone (the shell exited): nobody reads input any more
        return;
      }
      delay = 1;
      task.bytes = task.bytes.subarray(n);
      if (task.bytes.byteLength === 0) queue.shift();
      if (n > 0) task.written(n);
    }
  };
  return {
    write(data, written) {
      if (closed || data.byteLength === 0) return;
      queue.push({ bytes: data, written });
      if (retry === undefined && queue.length === 1) pump();
    },
    close() {
      closed = true;
      clearTimeout(retry);
      queue.length = 0;
    },
  };
}

/** The account the Jump Client runs as, read once: each read parses the password database. */
let account: { username: string; homedir: string; shell: string } | undefined;
function theAccount(): { username: string; homedir: string; shell: string } {
  if (account) return account;
  const info = userInfo();
  const shell = info.shell && info.shell !== '/usr/sbin/nologin' && info.shell !== '/bin/false' ? info.shell : '/bin/sh';
  return (account = { username: info.username, homedir: info.homedir, shell });
}

export function spawnLoginShell(cols: number, rows: number, home = theAccount().homedir): Terminal {
  const { username, shell } = theAccount();
  const env: Record<string, string> = {
    HOME: home,
    USER: username,
    LOGNAME: username,
    SHELL: shell,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    TERM: 'xterm-256color',
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
  const pty = spawnPty(shell, ['-l'], { name: 'xterm-256color', cols, rows, cwd: home, env, encoding: null });
  let exited = false;
  // node-pty closes the master when the shell's side hangs up (its read stream destroyed on EIO),
  // or destroys it on a timer after the exit (a job still holding the terminal), before it reports
  // the exit: from then on the fd's number may be another file's. The stream's `destroyed` is set
  // at once in both cases, ahead of any event.
  const internals = pty as unknown as { fd: number; _socket?: { destroyed: boolean } };
  const input = ptyInput(internals.fd, () => internals._socket?.destroyed === true);
  pty.onExit(() => {
    exited = true;
    input.close();
  });
  return {
    pid: pty.pid,
    shell,
    // One read of the master a wake-up, handed on as it comes (the session batches what arrives
    // in one turn of the event loop into one frame). Draining more with further non-blocking reads
    // was tried: each such read waits in the kernel for its worker to refill the line discipline's
    // 4 KB, so the reader and the worker take turns instead of overlapping, and bulk output ran
    // 15-25 % slower end to end (docs/performance.md).
    onData: (listener) => void pty.onData((data: Buffer | string) => listener(typeof data === 'string' ? Buffer.from(data) : data)),
    onExit: (listener) => void pty.onExit(({ exitCode, signal }) => listener({ code: exitCode, signal: signal ? String(signal) : null })),
    write: (data, written) => input.write(data, written),
    resize: (cols2, rows2) => pty.resize(cols2, rows2),
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    kill() {
      if (exited) return;
      // The shell's process group (the shell leads its own session and group, so this reaches
      // it); the shell hangs up its jobs in turn. A child that has not made its group yet (a
      // session ended as it started) gets the signal itself.
      for (const target of [-pty.pid, pty.pid]) {
        try {
          process.kill(target, 'SIGHUP');
          break;
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
