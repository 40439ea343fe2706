/**
 * The one reader of argv and the environment. Every flag of `jumpgate serve` has an environment
 * twin (`--tls-cert` ↔ `JUMPGATE_TLS_CERT`); a flag wins over its twin. The result is validated once
 * with valibot and frozen; a bad value fails here with a message naming the flag.
 */
import { parseArgs } from 'node:util';
import * as v from 'valibot';

export { VERSION } from './shared/version.ts';

const portSchema = v.pipe(
  v.string(),
  v.regex(/^\d{1,5}$/, 'must be a whole number from 0 to 65535'),
  v.transform(Number),
  v.maxValue(65535, 'must be a whole number from 0 to 65535'),
);

const ServeSchema = v.object({
  host: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  port: portSchema,
  data: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  'tls-cert': v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  'tls-key': v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  'insecure-http': v.boolean(),
  'public-url': v.optional(v.pipe(v.string(), v.url('must be an absolute URL'), v.regex(/^https?:\/\//, 'must start with http:// or https://'))),
  'log-level': v.picklist(['debug', 'info', 'warn', 'error'], 'must be one of debug, info, warn, error'),
});

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | 'self-signed' | 'off';
  readonly publicUrl: string | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly adminPassword: string | undefined;
}

export type Command =
  | { readonly kind: 'serve'; readonly config: ServeConfig }
  | { readonly kind: 'backup'; readonly dataDir: string; readonly file: string }
  | { readonly kind: 'simulate'; readonly options: SimulateConfig }
  | { readonly kind: 'version' }
  | { readonly kind: 'help' };

export interface SimulateConfig {
  readonly url: string;
  readonly installerKey: string;
  readonly agents: number;
  readonly rate: number;
  readonly statsIntervalSeconds: number;
  /** Statistics start this long after the run begins (a quiet connect phase first). */
  readonly statsDelaySeconds: number;
  /** Statistics stop this long after they began (0: never). */
  readonly statsForSeconds: number;
  readonly durationSeconds: number;
  readonly sources: number;
  readonly seed: string;
  readonly identitiesFile: string | undefined;
  readonly shellHome: string | undefined;
}

const number = (min: number, max: number, what: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, `must be a number from ${min} to ${max}${what}`),
    v.transform(Number),
    v.minValue(min, `must be a number from ${min} to ${max}${what}`),
    v.maxValue(max, `must be a number from ${min} to ${max}${what}`),
  );

const SimulateSchema = v.object({
  url: v.pipe(v.string('is required'), v.url('must be an absolute URL'), v.regex(/^https?:\/\//, 'must start with http:// or https://')),
  installer: v.pipe(v.string('is required'), v.minLength(16, 'must be an installer key'), v.maxLength(128, 'must be an installer key')),
  agents: number(1, 50_000, ''),
  rate: number(1, 100_000, ' agents a second'),
  'stats-interval': number(0.05, 86_400, ' seconds'),
  'stats-delay': number(0, 86_400, ' seconds'),
  'stats-for': number(0, 86_400, ' seconds'),
  duration: number(1, 86_400, ' seconds'),
  sources: number(1, 250, ' addresses'),
  seed: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1..64 letters, digits, . _ -')),
  identities: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  'real-shells': v.optional(v.pipe(v.string(), v.regex(/^\//, 'must be an absolute path (the home of the shells)'))),
});

const SIMULATE_FLAGS = {
  url: { type: 'string' },
  installer: { type: 'string' },
  agents: { type: 'string', default: '1000' },
  rate: { type: 'string', default: '500' },
  'stats-interval': { type: 'string', default: '60' },
  'stats-delay': { type: 'string', default: '0' },
  'stats-for': { type: 'string', default: '0' },
  duration: { type: 'string', default: '60' },
  sources: { type: 'string', default: '16' },
  seed: { type: 'string', default: 'sim' },
  identities: { type: 'string' },
  'real-shells': { type: 'string' },
} as const;

function readSimulate(args: string[]): SimulateConfig {
  let parsed;
  try {
    parsed = parseArgs({ args, options: SIMULATE_FLAGS, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError((err as Error).message.replace(/\. To specify.*$/s, ''));
  }
  const result = v.safeParse(SimulateSchema, parsed.values);
  if (!result.success) {
    const issue = result.issues[0];
    throw new ConfigError(`simulate --${v.getDotPath(issue) ?? 'argument'}: ${issue.message}`);
  }
  const o = result.output;
  return Object.freeze({
    url: o.url,
    installerKey: o.installer,
    agents: Math.floor(o.agents),
    rate: o.rate,
    statsIntervalSeconds: o['stats-interval'],
    statsDelaySeconds: o['stats-delay'],
    statsForSeconds: o['stats-for'],
    durationSeconds: o.duration,
    sources: Math.floor(o.sources),
    seed: o.seed,
    identitiesFile: o.identities,
    shellHome: o['real-shells'],
  });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const SERVE_FLAGS = {
  host: { type: 'string', default: '0.0.0.0' },
  port: { type: 'string', default: '8443' },
  data: { type: 'string', default: './data' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'insecure-http': { type: 'boolean' },
  'public-url': { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
} as const;

export const USAGE = `Usage:
  jumpgate serve [--host 0.0.0.0] [--port 8443] [--data ./data]
                 [--tls-cert cert.pem --tls-key key.pem | --insecure-http]
                 [--public-url https://support.example.com] [--log-level info]
  jumpgate backup <file> [--data ./data]   consistent copy of the registry while the appliance runs
  jumpgate simulate --url URL --installer KEY [--agents 1000] [--rate 500] [--stats-interval 60]
                    [--stats-delay 0] [--stats-for 0] [--duration 60] [--sources 16] [--seed sim]
                    [--identities FILE] [--real-shells HOME]
                                   simulated Jump Clients for sizing a box (loopback load tests)
  jumpgate --version | --help

Every flag has an environment twin: JUMPGATE_HOST, JUMPGATE_PORT, JUMPGATE_DATA, JUMPGATE_TLS_CERT,
JUMPGATE_TLS_KEY, JUMPGATE_INSECURE_HTTP (1/true), JUMPGATE_PUBLIC_URL, JUMPGATE_LOG_LEVEL.
JUMPGATE_ADMIN_PASSWORD sets the password of the admin account created on first start.`;

function envName(flag: string): string {
  return 'JUMPGATE_' + flag.toUpperCase().replaceAll('-', '_');
}

function parseFlags(args: string[], env: NodeJS.ProcessEnv): Record<string, string | boolean | undefined> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: SERVE_FLAGS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new ConfigError((err as Error).message.replace(/\. To specify.*$/s, ''));
  }
  const explicit = parseArgs({ args, options: stripDefaults(), strict: true, allowPositionals: true }).values;
  const merged: Record<string, string | boolean | undefined> = {};
  for (const [flag, spec] of Object.entries(SERVE_FLAGS)) {
    const fromEnv = env[envName(flag)];
    let value: string | boolean | undefined = (explicit as Record<string, string | boolean | undefined>)[flag];
    if (value === undefined && fromEnv !== undefined && fromEnv !== '') {
      if (spec.type === 'boolean') {
        if (!/^(1|true|yes|0|false|no)$/i.test(fromEnv)) throw new ConfigError(`${envName(flag)}: must be 1/true or 0/false`);
        value = /^(1|true|yes)$/i.test(fromEnv);
      } else value = fromEnv;
    }
    merged[flag] = value ?? (parsed.values as Record<string, string | boolean | undefined>)[flag];
  }
  merged['insecure-http'] = merged['insecure-http'] === true;
  merged.positionals = parsed.positionals.join(' ') || undefined;
  return merged;
}

function stripDefaults(): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(Object.entries(SERVE_FLAGS).map(([k, s]) => [k, { type: s.type }]));
}

function validateServe(flags: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): ServeConfig {
  const result = v.safeParse(ServeSchema, flags);
  if (!result.success) {
    const issue = result.issues[0];
    const flag = v.getDotPath(issue) ?? 'argument';
    throw new ConfigError(`--${flag} (${envName(flag)}): ${issue.message}`);
  }
  const o = result.output;
  const cert = o['tls-cert'];
  const key = o['tls-key'];
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(`--${cert === undefined ? 'tls-cert' : 'tls-key'}: --tls-cert and --tls-key go together`);
  }
  if (cert !== undefined && o['insecure-http']) {
    throw new ConfigError('--insecure-http: cannot be combined with --tls-cert/--tls-key');
  }
  const adminPassword = env.JUMPGATE_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('JUMPGATE_ADMIN_PASSWORD: must be at least 8 characters');
  }
  return Object.freeze({
    host: o.host,
    port: o.port,
    dataDir: o.data,
    tls: cert && key ? Object.freeze({ certFile: cert, keyFile: key }) : o['insecure-http'] ? 'off' : 'self-signed',
    publicUrl: o['public-url']?.replace(/\/+$/, ''),
    logLevel: o['log-level'],
    adminPassword,
  } as const);
}

/** Reads the command line (without `node` and the script) and the environment. Throws ConfigError. */
export function readCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Command {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') return { kind: 'version' };
  if (first === '--help' || first === '-h' || first === 'help') return { kind: 'help' };
  if (first === undefined || first === 'serve') {
    const flags = parseFlags(rest, env);
    if (flags.positionals) throw new ConfigError(`serve: unexpected argument '${String(flags.positionals)}'`);
    return { kind: 'serve', config: validateServe(flags, env) };
  }
  if (first === 'simulate') return { kind: 'simulate', options: readSimulate(rest) };
  if (first === 'backup') {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { data: { type: 'string' } }, strict: true, allowPositionals: true });
    } catch (err) {
      throw new ConfigError((err as Error).message.replace(/\. To specify.*$/s, ''));
    }
    const [file, extra] = parsed.positionals;
    if (!file) throw new ConfigError('backup: the <file> argument is missing');
    if (extra) throw new ConfigError(`backup: unexpected argument '${extra}'`);
    return { kind: 'backup', file, dataDir: parsed.values.data ?? env.JUMPGATE_DATA ?? './data' };
  }
  throw new ConfigError(`unknown command '${first}' (try --help)`);
}
