/**
 * The installer's command-line switches (SPEC D3), in both spellings: `--jc-tag servers` /
 * `--jc-tag=servers` and the MSI-style `jc_tag=servers` (no dashes, dashes become underscores,
 * value after `=`; `installdir` and `KEY_INFO` are the exceptions, keys case-insensitive).
 * Everything is validated with valibot; a refusal names the switch as the person typed it.
 */
import * as v from 'valibot';
import type { InstallerConfig } from '../shared/installer-config.ts';
import type { Overrides } from './layout.ts';

/** A refusal of the install: one line for stderr, nothing changed. */
export class InstallRefusal extends Error {
  override name = 'InstallRefusal';
}

const FIELDS = {
  install_dir: { dashed: '--install-dir', msi: 'installdir' },
  user: { dashed: '--user', msi: 'user' },
  key_info: { dashed: '--key-info', msi: 'key_info' },
  jump_group: { dashed: '--jc-jump-group', msi: 'jc_jump_group' },
  tag: { dashed: '--jc-tag', msi: 'jc_tag' },
  comments: { dashed: '--jc-comments', msi: 'jc_comments' },
  name: { dashed: '--jc-name', msi: 'jc_name' },
  max_offline_minutes: { dashed: '--jc-max-offline-minutes', msi: 'jc_max_offline_minutes' },
  passive_listen: { dashed: '--passive-listen', msi: 'passive_listen' },
} as const;
type Field = keyof typeof FIELDS;

const BY_DASHED = new Map<string, Field>(Object.entries(FIELDS).map(([k, f]) => [f.dashed, k as Field]));
const BY_MSI = new Map<string, Field>(Object.entries(FIELDS).map(([k, f]) => [f.msi, k as Field]));

const noControl = v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
const SwitchSchema = v.strictObject({
  install_dir: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(1024, 'must be at most 1024 characters'), noControl)),
  user: v.optional(v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/i, 'is not a valid account name'))),
  key_info: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{16,128}$/, 'must be 16..128 printable characters'))),
  jump_group: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1, 'must not be empty'),
      v.maxLength(255, 'must be at most 255 characters'),
      noControl,
      v.check((s) => !s.startsWith('user:') || s.length > 5, 'needs a username after "user:"'),
    ),
  ),
  tag: v.optional(v.pipe(v.string(), v.maxLength(64, 'must be at most 64 characters'), noControl)),
  comments: v.optional(v.pipe(v.string(), v.maxLength(1024, 'must be at most 1024 characters'))),
  name: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(128, 'must be at most 128 characters'), noControl)),
  max_offline_minutes: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[0-9]{1,7}$/, 'must be a whole number of minutes'),
      v.transform(Number),
      v.number(),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(525_600, 'must be at most 525600 (one year)'),
    ),
  ),
  passive_listen: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(?:[0-9.]{7,15}|\[[0-9A-Fa-f:.]{2,45}\]):[0-9]{1,5}$/, 'must be ADDRESS:PORT, an IP address (IPv6 in brackets) and a port'),
      v.transform((s) => {
        const colon = s.lastIndexOf(':');
        return { host: s.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(s.slice(colon + 1)) };
      }),
      v.strictObject({
        host: v.pipe(v.string(), v.ip('must be ADDRESS:PORT, an IP address (IPv6 in brackets) and a port')),
        port: v.pipe(v.number(), v.maxValue(65_535, 'the port must be at most 65535')),
      }),
    ),
  ),
});

export interface Switches {
  installDir?: string;
  user?: string;
  keyInfo?: string;
  /** Where a passive client listens for wakes. */
  passiveListen?: { host: string; port: number };
  overrides: Overrides;
  /** How each given switch was spelled, for messages. */
  spelled: Partial<Record<Field, string>>;
}

/** Parses and validates the switches; throws InstallRefusal naming the first bad one. */
export function parseSwitches(argv: readonly string[]): Switches {
  const raw: Partial<Record<Field, string>> = {};
  const spelled: Partial<Record<Field, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let field: Field | undefined;
    let value: string | undefined;
    let spelling: string;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      spelling = eq < 0 ? arg : arg.slice(0, eq);
      field = BY_DASHED.get(spelling);
      if (!field) throw new InstallRefusal(`unknown switch: ${spelling}`);
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
      else throw new InstallRefusal(`${spelling} needs a value`);
    } else {
      const eq = arg.indexOf('=');
      spelling = eq < 0 ? arg : arg.slice(0, eq);
      field = BY_MSI.get(spelling.toLowerCase());
      if (!field || eq < 0) throw new InstallRefusal(`unknown switch: ${spelling || arg}`);
      value = arg.slice(eq + 1);
    }
    if (raw[field] !== undefined) throw new InstallRefusal(`${spelling} was given more than once`);
    raw[field] = value;
    spelled[field] = spelling;
  }
  const result = v.safeParse(SwitchSchema, raw);
  if (!result.success) {
    const issue = result.issues[0];
    const field = (v.getDotPath(issue) ?? 'switch').split('.')[0] as Field;
    throw new InstallRefusal(`${spelled[field] ?? field}: ${issue.message}`);
  }
  const out = result.output;
  const overrides: Overrides = {};
  if (out.jump_group !== undefined) overrides.jump_group = out.jump_group;
  if (out.name !== undefined) overrides.name = out.name;
  if (out.tag !== undefined) overrides.tag = out.tag;
  if (out.comments !== undefined) overrides.comments = out.comments;
  if (out.max_offline_minutes !== undefined) overrides.max_offline_minutes = out.max_offline_minutes;
  return { installDir: out.install_dir, user: out.user, keyInfo: out.key_info, passiveListen: out.passive_listen, overrides, spelled };
}

const FIELD_WORDS: Record<keyof Overrides, string> = {
  jump_group: 'the Jump Group',
  name: 'the name',
  tag: 'the tag',
  comments: 'the comments',
  max_offline_minutes: 'the maximum offline time',
};

/** Refuses an override the installer does not allow. */
export function checkOverridesAllowed(switches: Switches, allow: InstallerConfig['allow_override']): void {
  for (const key of Object.keys(switches.overrides) as (keyof Overrides)[]) {
    if (!allow[key]) {
      const spelling = switches.spelled[key] ?? FIELDS[key].dashed;
      throw new InstallRefusal(`${spelling}: this installer does not allow ${FIELD_WORDS[key]} to be overridden`);
    }
  }
}
