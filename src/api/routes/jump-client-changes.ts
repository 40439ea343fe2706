/**
 * What a change to a Jump Client needs: the body schemas of PATCH and copy, the permission each
 * changed field requires (SPEC P2), the destination check of a move or copy, and the site caps
 * (SPEC S3). Route handlers in `jump-clients.ts` call these inside one registry write, always
 * before the first put: a write does not roll back when its callback throws.
 */
import * as v from 'valibot';
import type { ItemRef } from '../../access/index.ts';
import type { JumpClient, Permission, Registry } from '../../registry/index.ts';
import { AppError, invalid } from '../../shared/errors.ts';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/u;

const line = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.minLength(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`),
    v.maxLength(max, `must be at most ${max} characters`),
    v.regex(NO_CONTROL, 'must not contain control characters'),
  );

const groupId = v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(1, 'must be at least 1'));
const groupType = v.picklist(['shared', 'personal'], 'must be shared or personal');

export const JumpClientPatch = v.strictObject({
  name: v.optional(line(1, 128)),
  tag: v.optional(line(0, 64)),
  comments: v.optional(v.pipe(v.string(), v.maxLength(1024, 'must be at most 1024 characters'))),
  jump_group_id: v.optional(groupId),
  jump_group_type: v.optional(groupType),
  connection_type: v.optional(v.picklist(['active', 'passive'], 'must be active or passive')),
  max_offline_minutes: v.optional(
    v.nullable(
      v.pipe(
        v.number(),
        v.integer('must be a whole number'),
        v.minValue(1, 'must be null or from 1 to 525600'),
        v.maxValue(525_600, 'must be null or from 1 to 525600'),
      ),
    ),
  ),
});
export type JumpClientPatch = v.InferOutput<typeof JumpClientPatch>;

export const JumpClientCopy = v.strictObject({
  jump_group_id: groupId,
  jump_group_type: groupType,
  name: v.optional(line(1, 128)),
});

/** A move needs both group fields; a 400 names the one missing. */
export function requireGroupPair(patch: JumpClientPatch): void {
  if (patch.jump_group_id !== undefined && patch.jump_group_type === undefined) {
    throw invalid('jump_group_type', 'is required together with jump_group_id');
  }
  if (patch.jump_group_type !== undefined && patch.jump_group_id === undefined) {
    throw invalid('jump_group_id', 'is required together with jump_group_type');
  }
}

/** A 400 naming jump_group_id unless the destination exists (a shared group, or a user's own). */
export function requireDestination(registry: Registry, dest: ItemRef): void {
  const exists =
    dest.jump_group_type === 'shared'
      ? registry.groups.get(dest.jump_group_id) !== undefined
      : registry.users.get(dest.jump_group_id) !== undefined;
  if (!exists) {
    const what = dest.jump_group_type === 'shared' ? 'shared Jump Group' : 'user';
    throw invalid('jump_group_id', `no ${what} has id ${dest.jump_group_id}`);
  }
}

export interface PlannedChange {
  next: JumpClient;
  moved: boolean;
  /** Each changed field with the permission it needs on the item. */
  needs: { field: string; permission: Permission }[];
}

const FIELD_PERMISSION = {
  name: 'perm_edit_identity',
  tag: 'perm_edit_tag',
  comments: 'perm_edit_comments',
  connection_type: 'perm_edit_identity',
  max_offline_minutes: 'perm_edit_identity',
} as const satisfies Partial<Record<keyof JumpClientPatch, Permission>>;

/**
 * The row after `patch`. Only fields whose value differs count as changes and need a permission:
 * a console that sends back a whole form with one field edited needs only that field's power.
 */
export function planChange(row: JumpClient, patch: JumpClientPatch, now: number): PlannedChange {
  const next: JumpClient = { ...row };
  const needs: PlannedChange['needs'] = [];
  for (const field of Object.keys(FIELD_PERMISSION) as (keyof typeof FIELD_PERMISSION)[]) {
    const value = patch[field];
    if (value === undefined || value === row[field]) continue;
    (next as unknown as Record<string, unknown>)[field] = value;
    needs.push({ field, permission: FIELD_PERMISSION[field] });
  }
  const moved =
    patch.jump_group_id !== undefined &&
    patch.jump_group_type !== undefined &&
    (patch.jump_group_id !== row.jump_group_id || patch.jump_group_type !== row.jump_group_type);
  if (moved) {
    next.jump_group_id = patch.jump_group_id!;
    next.jump_group_type = patch.jump_group_type!;
    needs.push({ field: 'jump_group_id', permission: 'perm_move' });
  }
  if (needs.length > 0) next.updated_at = now;
  return { next, moved, needs };
}

/** 403 naming the field unless `allowed`. */
export function requirePermission(allowed: boolean, field: string, permission: Permission): void {
  if (!allowed) throw new AppError('forbidden', { details: { field, permission } });
}

