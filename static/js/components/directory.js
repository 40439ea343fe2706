/**
 * Who and what the console shows names for: the shared Jump Groups the user may see, the users
 * (administrators only; a technician knows only themself) and the Jump Item roles. Loaded once
 * after login and on Refresh; `groupNameOf` turns a client's group into `Servers` or `user:alice`.
 */
import { getAll } from '../api.js';
import { store } from '../store.js';
import { groupName } from './format.js';

const state = {
  shared: new Map(),
  users: new Map(),
  roles: [],
  loaded: false,
};

/** The signed-in user (null for an API account). */
export const me = () => store.get().me?.user ?? null;

/** Whether the signed-in principal administers the site. */
export const isAdmin = () => Boolean(store.get().me?.user?.is_admin ?? store.get().me?.api_account?.is_admin);

/** Loads groups, users and roles; a technician may list neither users nor roles, and knows only themself. */
export async function loadDirectory() {
  const admin = isAdmin();
  const [groups, users, roles] = await Promise.all([
    getAll('/api/config/v1/jump-group'),
    admin ? getAll('/api/config/v1/user') : Promise.resolve(me() ? [me()] : []),
    admin ? getAll('/api/config/v1/jump-item-role') : Promise.resolve([]),
  ]);
  state.shared = new Map(groups.map((g) => [g.id, g]));
  state.users = new Map(users.map((u) => [u.id, u]));
  state.roles = roles;
  state.loaded = true;
  return state;
}

export const directory = () => state;

/** `Servers`, `user:alice`. */
export function groupNameOf(type, id) {
  return groupName(state, type, id);
}

/** Every group the user may put items in, as [value, label] pairs for a select: `shared:3`. */
export function groupOptions() {
  const out = [];
  const self = me();
  if (self) out.push([`personal:${self.id}`, `user:${self.username}`]);
  for (const g of state.shared.values()) out.push([`shared:${g.id}`, g.name]);
  if (isAdmin()) {
    for (const u of state.users.values()) if (u.id !== self?.id) out.push([`personal:${u.id}`, `user:${u.username}`]);
  }
  return out;
}

/** `shared:3` → { jump_group_type: 'shared', jump_group_id: 3 } */
export function parseGroupValue(value) {
  const [type, id] = String(value).split(':');
  return { jump_group_type: type, jump_group_id: Number(id) };
}
