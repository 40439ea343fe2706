/** Simulated clients' identities kept in a file, so a later run connects without enrolling again. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { Identity } from '../agent/identity.ts';

const IdentitiesFile = v.record(v.pipe(v.string(), v.regex(/^\d{1,6}$/)), Identity);

export function loadIdentities(file: string): Map<number, Identity> {
  if (!existsSync(file)) return new Map();
  const parsed = v.parse(IdentitiesFile, JSON.parse(readFileSync(file, 'utf8')));
  return new Map(Object.entries(parsed).map(([i, identity]) => [Number(i), identity]));
}

export function saveIdentities(file: string, identities: Map<number, Identity>): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(Object.fromEntries(identities)), { mode: 0o600 });
  renameSync(tmp, file);
}
