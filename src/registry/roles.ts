import type { RootDatabase } from 'lmdb';
import { K } from './keys.ts';
import { createTable, type Table } from './table.ts';

/** The powers a Jump Item role grants over the items of a Jump Group. */
export const PERMISSIONS = [
  'perm_start',
  'perm_add',
  'perm_remove',
  'perm_move',
  'perm_edit_tag',
  'perm_edit_comments',
  'perm_edit_identity',
  'perm_view_reports',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export type JumpItemRole = {
  id: number;
  name: string;
  description: string;
  /** Built-in roles cannot be changed or deleted. */
  builtin: boolean;
} & Record<Permission, boolean>;

export const BUILTIN_ROLES = {
  administrator: 1,
  startSessionsOnly: 2,
  auditor: 3,
} as const;

function grant(...perms: Permission[]): Record<Permission, boolean> {
  return Object.fromEntries(PERMISSIONS.map((p) => [p, perms.includes(p)])) as Record<Permission, boolean>;
}

export const BUILTIN_ROLE_ROWS: JumpItemRole[] = [
  { id: 1, name: 'Administrator', description: 'All powers over the items of the group.', builtin: true, ...grant(...PERMISSIONS) },
  { id: 2, name: 'Start Sessions Only', description: 'May see the items and start sessions.', builtin: true, ...grant('perm_start') },
  { id: 3, name: 'Auditor', description: 'May see the items and their reports.', builtin: true, ...grant('perm_view_reports') },
];

export type Roles = Table<JumpItemRole>;

export function createRoles(db: RootDatabase): Roles {
  return createTable<JumpItemRole>(db, 'role', K.role);
}
