/**
 * Small pure helpers shared by the configuration routes: field schemas, query filters and the
 * errors they raise.
 *
 * A throw inside `registry.write()` does not roll back what the callback already put, so every
 * route checks everything first and only then changes rows; nothing below the first `put` throws.
 */
import * as v from 'valibot';
import type { Membership } from '../../registry/index.ts';
import { AppError } from '../../shared/errors.ts';

/** A string of `min..max` characters. */
export function text(min: number, max: number) {
  return min > 0
    ? v.pipe(
        v.string(),
        v.minLength(min, 'must not be empty'),
        v.maxLength(max, `must be at most ${max} characters`),
      )
    : v.pipe(v.string(), v.maxLength(max, `must be at most ${max} characters`));
}

/** A positive whole-number id in a JSON body. */
export const bodyId = v.pipe(
  v.number(),
  v.integer('must be a whole number'),
  v.minValue(1, 'must be a positive id'),
  v.maxValue(Number.MAX_SAFE_INTEGER, 'must be a positive id'),
);

/** An optional `true`/`false` filter in a query string. */
export const boolFilter = v.optional(
  v.pipe(
    v.picklist(['true', 'false'], 'must be true or false'),
    v.transform((s) => s === 'true'),
  ),
);

/** An optional case-insensitive substring filter in a query string. */
export const textFilter = v.optional(v.pipe(v.string(), v.maxLength(255, 'must be at most 255 characters')));

/** True when `value` contains `needle` ignoring case, or when there is no needle. */
export function containsFold(value: string, needle: string | undefined): boolean {
  return needle === undefined || value.toLowerCase().includes(needle.toLowerCase());
}

/** True when there is no wanted value or `value` equals it. */
export function matches<T>(value: T, wanted: T | undefined): boolean {
  return wanted === undefined || value === wanted;
}

export function notFound(): AppError {
  return new AppError('not_found');
}

/** A 409 with a specific message and safe details (e.g. the field or a count). */
export function conflict(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('conflict', { message, details });
}

/** Copies the defined entries of `patch` over `row`; true when any value differs. */
export function applyPatch<T extends object>(row: T, patch: Partial<T>): { next: T; changed: boolean } {
  const next = { ...row };
  let changed = false;
  for (const [k, value] of Object.entries(patch) as [keyof T, T[keyof T] | undefined][]) {
    if (value === undefined) continue;
    if (next[k] !== value) changed = true;
    next[k] = value;
  }
  return { next, changed };
}

/** The public shape of a group membership. */
export function publicMembership(m: Membership) {
  return { jump_group_id: m.group_id, user_id: m.user_id, jump_item_role_id: m.jump_item_role_id };
}

/** The audit item id of a membership: `<group id>:<user id>`. */
export function membershipItemId(m: Membership): string {
  return `${m.group_id}:${m.user_id}`;
}
