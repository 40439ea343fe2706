/**
 * A small site for permission tests, put straight into the registry: two shared groups and one
 * technician per situation of the permission table, each logged in.
 *
 * | user      | Servers (g1)        | Databases (g2) | Lab (g3)            |
 * |-----------|---------------------|----------------|---------------------|
 * | admin     | (site admin)        |                |                     |
 * | techadm   | Administrator       |                |                     |
 * | techstart | Start Sessions Only |                |                     |
 * | techaud   | Auditor             |                |                     |
 * | techout   |                     | Administrator  |                     |
 * | mover     | Administrator       | Administrator  | Start Sessions Only |
 * | owner     | (only their personal group, Administrator role over it)       |
 */
import { BUILTIN_ROLES, type JumpGroup, type User } from '../../src/registry/index.ts';
import type { ApiClient, TestAppliance } from './appliance.ts';
import { putGroup, putMember, putUser } from './fixtures.ts';

export const PASSWORD = 'technician-pw-1';

export interface World {
  g1: JumpGroup;
  g2: JumpGroup;
  g3: JumpGroup;
  users: Record<'techadm' | 'techstart' | 'techaud' | 'techout' | 'mover' | 'owner', User>;
  as: Record<'admin' | 'techadm' | 'techstart' | 'techaud' | 'techout' | 'mover' | 'owner', ApiClient>;
}

export async function buildWorld(t: TestAppliance): Promise<World> {
  const { registry } = t.appliance;
  const g1 = await putGroup(registry, 'Servers');
  const g2 = await putGroup(registry, 'Databases');
  const g3 = await putGroup(registry, 'Lab');
  const names = ['techadm', 'techstart', 'techaud', 'techout', 'mover', 'owner'] as const;
  const users = {} as World['users'];
  for (const name of names) users[name] = await putUser(registry, name, PASSWORD);
  const { administrator, startSessionsOnly, auditor } = BUILTIN_ROLES;
  await putMember(registry, g1.id, users.techadm.id, administrator);
  await putMember(registry, g1.id, users.techstart.id, startSessionsOnly);
  await putMember(registry, g1.id, users.techaud.id, auditor);
  await putMember(registry, g2.id, users.techout.id, administrator);
  await putMember(registry, g1.id, users.mover.id, administrator);
  await putMember(registry, g2.id, users.mover.id, administrator);
  await putMember(registry, g3.id, users.mover.id, startSessionsOnly);
  const as = { admin: await t.login() } as World['as'];
  for (const name of names) as[name] = await t.login(name, PASSWORD);
  return { g1, g2, g3, users, as };
}
