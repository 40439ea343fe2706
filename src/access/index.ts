/**
 * The one function that answers every permission question (SPEC P2). Pure: the caller hands it the
 * principal and what the registry knows of their memberships, so it can be tested as a table.
 */
import type { ApiAccount, JumpGroupType, JumpItemRole, Permission, Registry, User } from '../registry/index.ts';

export type Principal =
  | { readonly kind: 'user'; readonly user: User }
  | { readonly kind: 'api'; readonly account: ApiAccount };

/** What the principal holds: role per shared group id, and the role over their personal group. */
export interface Grants {
  readonly shared: ReadonlyMap<number, JumpItemRole>;
  readonly personal: JumpItemRole | undefined;
}

export interface ItemRef {
  readonly jump_group_type: JumpGroupType;
  readonly jump_group_id: number;
}

/**
 * - `administer`: users, API accounts, shared groups and members, roles, settings, installers of
 *   any group, the hub's status.
 * - `view`: see the item at all.
 * - a role permission (`perm_start`, ...): that power over the item.
 */
export type Action = 'administer' | 'view' | Permission;

export function isAdmin(p: Principal): boolean {
  return p.kind === 'user' ? p.user.is_admin : p.account.is_admin;
}

export function isEnabled(p: Principal): boolean {
  return p.kind === 'user' ? p.user.enabled : p.account.enabled;
}

/** The role the principal has over an item's group, if any. */
export function roleFor(p: Principal, grants: Grants, item: ItemRef): JumpItemRole | undefined {
  if (p.kind !== 'user') return undefined;
  if (item.jump_group_type === 'personal') {
    return item.jump_group_id === p.user.id ? grants.personal : undefined;
  }
  return grants.shared.get(item.jump_group_id);
}

export function can(p: Principal, grants: Grants, action: Action, item?: ItemRef): boolean {
  if (!isEnabled(p)) return false;
  if (isAdmin(p)) return true;
  if (action === 'administer') return false;
  if (p.kind === 'api') {
    // A non-admin API account is a reporting account: it reads items and reports, changes nothing.
    return action === 'view' || action === 'perm_view_reports';
  }
  if (!item) return false;
  const role = roleFor(p, grants, item);
  if (!role) return false;
  return action === 'view' ? true : role[action];
}

/** The user or API account a reference names, as the registry has it now (enabled or not). */
export function loadPrincipal(registry: Registry, ref: { kind: 'user' | 'api'; id: number }): Principal | undefined {
  if (ref.kind === 'user') {
    const user = registry.users.get(ref.id);
    return user && { kind: 'user', user };
  }
  const account = registry.apiAccounts.get(ref.id);
  return account && { kind: 'api', account };
}

/** What the registry says the principal holds. */
export function loadGrants(registry: Registry, p: Principal): Grants {
  if (p.kind !== 'user') return { shared: new Map(), personal: undefined };
  const shared = new Map<number, JumpItemRole>();
  for (const m of registry.groups.membershipsOf(p.user.id)) {
    const role = registry.roles.get(m.jump_item_role_id);
    if (role) shared.set(m.group_id, role);
  }
  return { shared, personal: registry.roles.get(p.user.personal_jump_item_role_id) };
}

/** A short public name for audit records and reports. */
export function principalName(p: Principal): string {
  return p.kind === 'user' ? p.user.username : `api:${p.account.name}`;
}
