/** The process's open-files limit, read from /proc (Node has no getrlimit). */
import { readFileSync } from 'node:fs';

export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // not Linux
    throw err;
  }
}

/**
 * How many agent sockets the hub accepts: the fd limit less a reserve for the registry, the
 * console, session channels and spawned shells. Past the limit uWS would spin, never refuse.
 */
export function agentConnectionCap(limit = openFilesLimit(), reserve = 1000): number {
  if (limit === undefined) return 10_000;
  return Math.max(16, limit - reserve);
}
