/**
 * Where the appliance finds the Jump Client program it puts in installers and offers as an update:
 * - inside the single executable, the assets `agent/jumpgate-agent.gz` and `agent/jumpgate-agent.json`
 *   that `build.mjs` embeds; the program is extracted once to `<data>/cache/agent/`, so
 *   `dist/jumpgate` alone serves installers and updates;
 * - otherwise `jumpgate-agent` and its build record `jumpgate-agent.json` in `dist/agent/` (from
 *   the source tree) or `agent/` beside the bundle, as `scripts/build-agent.mjs` writes them.
 * No program found: undefined, and installer downloads answer their clear 404.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import type { AgentArtifact } from './api/index.ts';
import { assetText, extractAsset } from './shared/native.ts';
import type { Logger } from './shared/log.ts';

declare const __JUMPGATE_SEA__: { readonly hash: string } | undefined;

/** gzip'ed: the raw program would carry a second copy of Node's SEA sentinel into the appliance. */
export const AGENT_ASSET = 'agent/jumpgate-agent.gz';
export const AGENT_RECORD_ASSET = 'agent/jumpgate-agent.json';

const BuildRecord = v.object({
  version: v.pipe(v.string(), v.regex(/^[0-9A-Za-z.+-]{1,32}$/)),
  platform: v.string(),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  size: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
type BuildRecord = v.InferOutput<typeof BuildRecord>;

export interface AgentArtifacts {
  /** The program for installers and updates, or undefined when none is built. */
  artifact(): AgentArtifact | undefined;
}

export interface AgentArtifactsOptions {
  dataDir: string;
  log: Logger;
  /** Folders searched outside the executable; by default `agent/` beside the bundle and `dist/agent` of the source tree. */
  searchDirs?: readonly string[];
  /** How long a lookup outside the executable is trusted before the folder is looked at again. */
  recheckMs?: number;
}

function parseRecord(text: string, where: string, log: Logger): BuildRecord | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    log.warn('agent build record is not JSON', { where });
    return undefined;
  }
  const parsed = v.safeParse(BuildRecord, json);
  if (!parsed.success) log.warn('agent build record is not valid', { where, field: v.getDotPath(parsed.issues[0]) });
  return parsed.success ? parsed.output : undefined;
}

function toArtifact(record: BuildRecord, file: string): AgentArtifact | undefined {
  if (record.platform !== 'linux-64') return undefined;
  return { version: record.version, platform: 'linux-64', file, sha256: record.sha256, size: record.size };
}

function defaultSearchDirs(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return [join(here, 'agent'), join(here, '..', 'dist', 'agent')];
}

/** The build in one folder, when its record and program agree on the size. */
function fromFolder(dir: string, log: Logger): AgentArtifact | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'jumpgate-agent.json'), 'utf8');
  } catch {
    return undefined; // no build in this folder
  }
  const record = parseRecord(text, dir, log);
  const file = join(dir, 'jumpgate-agent');
  if (!record || statSync(file, { throwIfNoEntry: false })?.size !== record.size) return undefined;
  return toArtifact(record, file);
}

/** Extracts the embedded program into `<data>/cache/agent/` (once: a file of its size is kept). */
function fromExecutable(dataDir: string, log: Logger): AgentArtifact | undefined {
  const text = assetText(AGENT_RECORD_ASSET);
  const record = text === undefined ? undefined : parseRecord(text, AGENT_RECORD_ASSET, log);
  if (!record) return undefined;
  const dir = join(dataDir, 'cache', 'agent');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `jumpgate-agent-${record.sha256}`;
  const file = join(dir, name);
  extractAsset(AGENT_ASSET, file, { mode: 0o755, size: record.size, decode: (stored) => gunzipSync(stored) });
  for (const other of readdirSync(dir)) if (other !== name) rmSync(join(dir, other), { force: true });
  log.info('agent program extracted', { module: 'agent-artifact', file, version: record.version });
  return toArtifact(record, file);
}

export function openAgentArtifacts(options: AgentArtifactsOptions): AgentArtifacts {
  const { log } = options;
  const recheckMs = options.recheckMs ?? 2000;
  let cached: { at: number; artifact: AgentArtifact | undefined } | undefined;
  let embedded: AgentArtifact | undefined;

  const artifact = (): AgentArtifact | undefined => {
    const now = Date.now();
    if (embedded) return embedded;
    if (cached && now - cached.at < recheckMs) return cached.artifact;
    if (typeof __JUMPGATE_SEA__ !== 'undefined') {
      try {
        embedded = fromExecutable(options.dataDir, log);
      } catch (err) {
        log.error('cannot extract the embedded agent program', { module: 'agent-artifact', error: (err as Error).message });
      }
      cached = { at: now, artifact: embedded };
      return embedded;
    }
    let found: AgentArtifact | undefined;
    for (const dir of options.searchDirs ?? defaultSearchDirs()) {
      found = fromFolder(dir, log);
      if (found) break;
    }
    cached = { at: now, artifact: found };
    return found;
  };

  return { artifact };
}
