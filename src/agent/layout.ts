/**
 * The install directory of one Jump Client: where each file lives, the `agent.json` it was
 * installed with, and small file helpers (atomic writes, validated JSON reads). Every other agent
 * module finds its files through `layoutOf(dir)`.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as v from 'valibot';
import { InstallerConfig } from '../shared/installer-config.ts';
import { EnrollRequest, InstallModeSchema } from '../shared/protocol.ts';

export interface Layout {
  dir: string;
  bin: string;
  agent: string;
  agentNew: string;
  config: string;
  certificate: string;
  /** What the client writes as it runs (identity, state, the disabled mark): the account's own. */
  stateDir: string;
  /** Where the executable extracts its terminal addon (src/agent/native.ts). */
  cacheDir: string;
  identity: string;
  state: string;
  disabled: string;
  /** Where other accounts at the machine leave disable and enable requests (service mode). */
  requestsDir: string;
  initScript: string;
  uninstall: string;
  runDir: string;
  pidFile: string;
  logDir: string;
  logFile: string;
}

export function layoutOf(dir: string): Layout {
  return {
    dir,
    bin: join(dir, 'bin'),
    agent: join(dir, 'bin', 'jumpgate-agent'),
    agentNew: join(dir, 'bin', 'jumpgate-agent.new'),
    config: join(dir, 'agent.json'),
    certificate: join(dir, 'appliance-cert.pem'),
    stateDir: join(dir, 'state'),
    cacheDir: join(dir, 'cache'),
    identity: join(dir, 'state', 'identity.json'),
    state: join(dir, 'state', 'state.json'),
    disabled: join(dir, 'state', 'disabled'),
    requestsDir: join(dir, 'requests'),
    initScript: join(dir, 'init-script'),
    uninstall: join(dir, 'uninstall'),
    runDir: join(dir, 'run'),
    pidFile: join(dir, 'run', 'agent.pid'),
    logDir: join(dir, 'log'),
    logFile: join(dir, 'log', 'agent.log'),
  };
}

/** The overrides the person installing chose on the command line (already allowed by the installer). */
export const Overrides = EnrollRequest.entries.overrides;
export type Overrides = v.InferOutput<typeof Overrides>;

/** An address to bind and a port (0: any free one). */
export const PassiveListenAt = v.strictObject({
  host: v.pipe(v.string(), v.ip()),
  port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65_535)),
});
export type PassiveListenAt = v.InferOutput<typeof PassiveListenAt>;

/** `DIR/agent.json`: everything `run` needs, written once by `install`. */
export const AgentConfig = v.strictObject({
  installer: InstallerConfig,
  overrides: Overrides,
  install_dir: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  run_as: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  install_mode: InstallModeSchema,
  /** The systemd unit installed with the client, or null. */
  unit: v.nullable(v.pipe(v.string(), v.regex(/^jumpgate-client-[0-9a-f]{8}\.service$/))),
  installed_at: v.pipe(v.number(), v.integer()),
  /** Where a passive client listens for wakes (`--passive-listen`); absent: every interface, port 5832. */
  passive_listen: v.optional(PassiveListenAt),
});
export type AgentConfig = v.InferOutput<typeof AgentConfig>;

/** Thrown for a missing or damaged file of the install directory; main prints its message. */
export class AgentFileError extends Error {
  override name = 'AgentFileError';
}

/** Reads a JSON file and validates it; undefined when the file does not exist. */
export function readJsonFile<T>(file: string, schema: v.GenericSchema<unknown, T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentFileError(`${file} is not valid JSON`);
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    const issue = result.issues[0];
    throw new AgentFileError(`${file}: ${v.getDotPath(issue) ?? 'value'}: ${issue.message}`);
  }
  return result.output;
}

export function readAgentConfig(dir: string): AgentConfig {
  const file = layoutOf(dir).config;
  const config = readJsonFile(file, AgentConfig);
  if (!config) throw new AgentFileError(`${dir} is not a Jump Client install directory (no agent.json)`);
  return config;
}

/**
 * Moves what an older client kept at the top of its directory (`identity.json`, `state.json`,
 * `disabled`) into `state/`, where this version looks: after a self-update the client keeps its
 * identity, its offline clock and a disable by the person at the machine. Returns what it moved.
 */
export function migrateLayout(dir: string): string[] {
  const layout = layoutOf(dir);
  const moved: string[] = [];
  for (const file of [layout.identity, layout.state, layout.disabled]) {
    const legacy = join(dir, basename(file));
    if (!existsSync(legacy) || existsSync(file)) continue;
    mkdirSync(layout.stateDir, { recursive: true, mode: 0o700 });
    renameSync(legacy, file);
    moved.push(basename(file));
  }
  return moved;
}

/** Writes a file through a temporary sibling and a rename, so a crash never leaves half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 }); // state/ of a directory made by hand
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export const id8 = (installerId: string): string => installerId.slice(0, 8);
