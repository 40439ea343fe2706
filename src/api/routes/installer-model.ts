/**
 * Jump Client installers (SPEC D1): the request bodies of create and extend, and the public and
 * audit shapes of an installer row. The audit shape never holds the installer key.
 */
import * as v from 'valibot';
import type { Installer } from '../../registry/index.ts';
import { iso } from '../views.ts';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/u;

const line = (max: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.maxLength(max, `must be at most ${max} characters`),
      v.regex(NO_CONTROL, 'must not contain control characters'),
    ),
    '',
  );

const minutes = (min: number, max: number, message: string) =>
  v.pipe(v.number(), v.integer(message), v.minValue(min, message), v.maxValue(max, message));

/** "Valid for": 10 minutes .. 1 year (SPEC D1). */
export const VALID_DURATION = minutes(10, 525_600, 'must be a whole number of minutes from 10 to 525600');

const flag = v.optional(v.boolean(), false);

export const InstallerCreate = v.strictObject({
  jump_group_id: v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(1, 'must be at least 1')),
  jump_group_type: v.picklist(['shared', 'personal'], 'must be shared or personal'),
  /** Blank: the machine's hostname at enrolment. */
  name: line(128),
  tag: line(64),
  comments: v.optional(v.pipe(v.string(), v.maxLength(1024, 'must be at most 1024 characters')), ''),
  install_mode: v.optional(v.picklist(['service', 'user'], 'must be service or user'), 'service'),
  connection_type: v.optional(v.picklist(['active', 'passive'], 'must be active or passive'), 'active'),
  valid_duration: v.optional(VALID_DURATION, 1440),
  max_offline_minutes: v.optional(v.nullable(minutes(1, 525_600, 'must be null or a whole number from 1 to 525600')), null),
  allow_override_jump_group: flag,
  allow_override_name: flag,
  allow_override_tag: flag,
  allow_override_comments: flag,
  allow_override_max_offline_minutes: flag,
});
export type InstallerCreate = v.InferOutput<typeof InstallerCreate>;

export const InstallerExtend = v.strictObject({ valid_duration: VALID_DURATION });

/** The public download link of an installer: no login, the installer id is the secret. */
export function downloadUrl(publicUrl: string, installerId: string, platform = 'linux-64'): string {
  return `${publicUrl.replace(/\/+$/, '')}/download/jump-client/${installerId}/${platform}`;
}

/** What the API shows of an installer to those who may deploy into its group. */
export function publicInstaller(row: Installer, publicUrl: string, now: number) {
  const { created_by_ref: _ref, ...shown } = row;
  return {
    ...shown,
    expiration_timestamp: iso(row.expiration_timestamp),
    created_at: iso(row.created_at),
    is_expired: row.expiration_timestamp <= now,
    download_url: downloadUrl(publicUrl, row.installer_id),
  };
}

/** What the audit log keeps of an installer: everything but the key. */
export function auditInstaller(row: Installer) {
  const { key_info: _key, ...rest } = row;
  return { ...rest, expiration_timestamp: iso(row.expiration_timestamp), created_at: iso(row.created_at) };
}
