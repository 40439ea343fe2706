/**
 * The installer payload (the agent program as a gzip'ed tar) is the same for every installer of one
 * agent build, and gzip of ~100 MB takes seconds: it is built once per agent SHA-256 into the cache
 * directory, atomically (temp file + rename), and older builds are removed. Concurrent requests for
 * the same build wait on one build.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomHexId } from '../shared/ids.ts';
import { writeTarGz } from './tar.ts';

/** The name of the program inside every installer payload. */
export const AGENT_FILE_NAME = 'jumpgate-agent';

export interface PayloadSource {
  /** Path of the agent executable. */
  file: string;
  /** Its SHA-256, lowercase hex: the cache key. */
  sha256: string;
}

export interface Payload {
  file: string;
  size: number;
}

export interface PayloadCache {
  get(source: PayloadSource): Promise<Payload>;
}


export function createPayloadCache(dir: string): PayloadCache {
  const building = new Map<string, Promise<Payload>>();

  const build = async (source: PayloadSource): Promise<Payload> => {
    const file = join(dir, `agent-${source.sha256}.tar.gz`);
    const existing = await statIfExists(file);
    if (existing?.isFile()) return { file, size: existing.size };
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.tmp-${randomHexId()}`;
    try {
      await writeTarGz(source.file, AGENT_FILE_NAME, 0o755, temp);
      await rename(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
    await removeOthers(dir, new Set([source.sha256, ...building.keys()]));
    return { file, size: (await stat(file)).size };
  };

  return {
    get(source) {
      if (!/^[0-9a-f]{64}$/.test(source.sha256)) return Promise.reject(new Error('agent sha256 must be 64 lowercase hex digits'));
      const pending = building.get(source.sha256);
      if (pending) return pending;
      const promise = build(source).finally(() => building.delete(source.sha256));
      building.set(source.sha256, promise);
      return promise;
    },
  };
}

async function statIfExists(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Removes payloads (and temp files left by a crash) of builds other than `keep`. A download in
 * progress keeps reading its open file.
 */
async function removeOthers(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = /^agent-([0-9a-f]{64})\.tar\.gz(\.tmp-[0-9a-f]+)?$/.exec(name);
    if (m && !keep.has(m[1])) await rm(join(dir, name), { force: true });
  }
}
