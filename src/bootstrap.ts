/** First start: the `admin` account, with the given password or a generated one printed once. */
import type { Registry } from './registry/index.ts';
import { BUILTIN_ROLES } from './registry/index.ts';
import { randomToken } from './shared/ids.ts';
import { hashPassword } from './shared/passwords.ts';

/** Creates `admin` when the registry has no user yet. Returns the generated password, if any. */
export async function ensureAdmin(registry: Registry, password: string | undefined): Promise<string | undefined> {
  if (registry.users.count() > 0) return undefined;
  const generated = password === undefined ? randomToken(12) : undefined;
  const hash = await hashPassword(password ?? generated!);
  const created = await registry.write(() => {
    if (registry.users.count() > 0) return false;
    const now = Date.now();
    const user = {
      id: registry.users.nextId(),
      username: 'admin',
      display_name: 'Administrator',
      email: '',
      is_admin: true,
      enabled: true,
      password_hash: hash,
      personal_jump_item_role_id: BUILTIN_ROLES.administrator,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
    registry.users.put(user);
    registry.audit.record({
      event_type: 'created',
      item_type: 'user',
      item_id: String(user.id),
      actor: { kind: 'system', id: null, name: 'system' },
      before: null,
      after: { id: user.id, username: user.username, is_admin: true },
    });
    return true;
  });
  return created ? generated : undefined;
}
