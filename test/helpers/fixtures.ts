/**
 * Registry fixtures for API tests: full Jump Client rows, users, shared groups and memberships put
 * straight into the registry, without going through the routes that manage them.
 */
import { BUILTIN_ROLES, type JumpClient, type JumpGroup, type Registry, type User } from '../../src/registry/index.ts';
import { hashPassword } from '../../src/shared/passwords.ts';

const BASE_TIME = Date.parse('2024-05-01T10:00:00Z');

/** A complete Jump Client row; `overrides` wins. Pure: no id is allocated. */
export function makeClient(overrides: Partial<JumpClient> & { id: number }): JumpClient {
  return {
    name: `client-${overrides.id}`,
    hostname: `host-${overrides.id}.example.test`,
    fqdn: `host-${overrides.id}.example.test`,
    jump_group_id: 1,
    jump_group_type: 'shared',
    tag: '',
    comments: '',
    connection_type: 'active',
    install_mode: 'service',
    status: 'online',
    operating_system: 'Debian GNU/Linux 12',
    console_user: '',
    private_ip: `10.0.0.${overrides.id % 250}`,
    public_ip: '203.0.113.10',
    agent_version: '0.1.0',
    last_connect_timestamp: BASE_TIME,
    last_disconnect_timestamp: null,
    last_disconnect_reason: null,
    last_access_timestamp: null,
    is_lost: false,
    needs_update: false,
    unavailable_reason: null,
    max_offline_minutes: null,
    statistics: null,
    secret_hash: 'f'.repeat(64),
    installer_id: '0'.repeat(32),
    install_fingerprint: `fp-${overrides.id}`,
    created_at: BASE_TIME,
    updated_at: BASE_TIME,
    ...overrides,
  };
}

/** Puts a new client with the next id. */
export async function putClient(registry: Registry, overrides: Partial<JumpClient> = {}): Promise<JumpClient> {
  return registry.write(() => {
    const row = makeClient({ ...overrides, id: overrides.id ?? registry.clients.nextId() });
    registry.clients.put(row);
    return row;
  });
}

export async function putGroup(registry: Registry, name: string): Promise<JumpGroup> {
  return registry.write(() => {
    const id = registry.groups.nextId();
    const row: JumpGroup = { id, name, code_name: name.toLowerCase().replace(/\W+/g, '_'), comments: '', created_at: BASE_TIME, updated_at: BASE_TIME };
    registry.groups.put(row);
    return row;
  });
}

export async function putUser(
  registry: Registry,
  username: string,
  password: string,
  overrides: Partial<User> = {},
): Promise<User> {
  const password_hash = await hashPassword(password);
  return registry.write(() => {
    const row: User = {
      id: registry.users.nextId(),
      username,
      display_name: username,
      email: '',
      is_admin: false,
      enabled: true,
      password_hash,
      personal_jump_item_role_id: BUILTIN_ROLES.administrator,
      created_at: BASE_TIME,
      updated_at: BASE_TIME,
      last_login_at: null,
      ...overrides,
    };
    registry.users.put(row);
    return row;
  });
}

export async function putMember(registry: Registry, groupId: number, userId: number, roleId: number): Promise<void> {
  await registry.write(() => registry.groups.putMember({ group_id: groupId, user_id: userId, jump_item_role_id: roleId }));
}
