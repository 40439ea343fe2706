/**
 * The agent's log: JSON lines on stderr, which the init-script points at `DIR/log/agent.log`.
 * When stderr is a regular file it is kept under a size cap: past it, the file is copied to
 * `agent.log.1` (the one older generation) and truncated in place, so days of running or of
 * failing to connect never fill the disk.
 */
import { copyFileSync, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { createLogger, type Logger, type LogLevel, type LogSink } from '../shared/log.ts';

export const LOG_CAP_BYTES = 1024 * 1024;

export function cappedStderrSink(logFile: string | undefined, capBytes = LOG_CAP_BYTES): LogSink {
  let writes = 0;
  const rotate = (): void => {
    if (!logFile) return;
    const st = fstatSync(2);
    if (!st.isFile() || st.size < capBytes) return;
    copyFileSync(logFile, `${logFile}.1`);
    ftruncateSync(2, 0);
  };
  return {
    write(line: string) {
      try {
        if (++writes % 50 === 0) rotate();
        writeSync(2, line);
      } catch (err) {
        // The log is best effort; a full disk must not stop the agent. Count it, do not throw.
        droppedLines++;
        lastLogError = err;
      }
    },
  };
}

export let droppedLines = 0;
export let lastLogError: unknown;

export function agentLogger(logFile: string | undefined, level: LogLevel = 'info'): Logger {
  return createLogger(level, { module: 'agent' }, cappedStderrSink(logFile));
}
