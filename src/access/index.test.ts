import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_ROLE_ROWS, PERMISSIONS, type ApiAccount, type JumpItemRole, type User } from '../registry/index.ts';
import { can, type Action, type Grants, type ItemRef, type Principal } from './index.ts';

const [ADMINISTRATOR, START_ONLY, AUDITOR] = BUILTIN_ROLE_ROWS as [JumpItemRole, JumpItemRole, JumpItemRole];
const ACTIONS: Action[] = ['administer', 'view', ...PERMISSIONS];
const ALL_PERMS = [...PERMISSIONS];

const SHARED_GROUP: ItemRef = { jump_group_type: 'shared', jump_group_id: 10 };
const OTHER_SHARED_GROUP: ItemRef = { jump_group_type: 'shared', jump_group_id: 11 };
const TECH_ID = 5;
const OWN_PERSONAL: ItemRef = { jump_group_type: 'personal', jump_group_id: TECH_ID };
const OTHERS_PERSONAL: ItemRef = { jump_group_type: 'personal', jump_group_id: 6 };

function user(over: Partial<User> = {}): Principal {
  const u: User = {
    id: TECH_ID,
    username: 'tech',
    display_name: 'Tech',
    email: '',
    is_admin: false,
    enabled: true,
    password_hash: 'x',
    personal_jump_item_role_id: 2,
    created_at: 0,
    updated_at: 0,
    last_login_at: null,
    ...over,
  };
  return { kind: 'user', user: u };
}

function api(isAdmin: boolean): Principal {
  const account: ApiAccount = { id: 1, name: 'script', client_id: 'c', secret_hash: 'h', is_admin: isAdmin, enabled: true, created_at: 0 };
  return { kind: 'api', account };
}

function grants(shared: [number, JumpItemRole][], personal?: JumpItemRole): Grants {
  return { shared: new Map(shared), personal };
}

const NONE = grants([]);

interface Row {
  who: string;
  principal: Principal;
  grants: Grants;
  item: ItemRef | undefined;
  allowed: Action[];
}

const TABLE: Row[] = [
  { who: 'admin user, no item', principal: user({ is_admin: true }), grants: NONE, item: undefined, allowed: ACTIONS },
  { who: 'admin user, a group they are not in', principal: user({ is_admin: true }), grants: NONE, item: SHARED_GROUP, allowed: ACTIONS },
  { who: "admin user, another user's personal group", principal: user({ is_admin: true }), grants: NONE, item: OTHERS_PERSONAL, allowed: ACTIONS },
  { who: 'admin API account', principal: api(true), grants: NONE, item: SHARED_GROUP, allowed: ACTIONS },
  { who: 'admin API account, no item', principal: api(true), grants: NONE, item: undefined, allowed: ACTIONS },
  { who: 'reporting API account', principal: api(false), grants: NONE, item: SHARED_GROUP, allowed: ['view', 'perm_view_reports'] },
  { who: 'reporting API account, no item', principal: api(false), grants: NONE, item: undefined, allowed: ['view', 'perm_view_reports'] },
  { who: 'disabled admin user', principal: user({ is_admin: true, enabled: false }), grants: NONE, item: SHARED_GROUP, allowed: [] },
  {
    who: 'disabled technician with Administrator role',
    principal: user({ enabled: false }),
    grants: grants([[10, ADMINISTRATOR]]),
    item: SHARED_GROUP,
    allowed: [],
  },
  {
    who: 'technician with Administrator role in the group',
    principal: user(),
    grants: grants([[10, ADMINISTRATOR]]),
    item: SHARED_GROUP,
    allowed: ['view', ...ALL_PERMS],
  },
  {
    who: 'technician with Start Sessions Only in the group',
    principal: user(),
    grants: grants([[10, START_ONLY]]),
    item: SHARED_GROUP,
    allowed: ['view', 'perm_start'],
  },
  {
    who: 'technician with Auditor in the group',
    principal: user(),
    grants: grants([[10, AUDITOR]]),
    item: SHARED_GROUP,
    allowed: ['view', 'perm_view_reports'],
  },
  {
    who: 'technician outside the group',
    principal: user(),
    grants: grants([[10, ADMINISTRATOR]]),
    item: OTHER_SHARED_GROUP,
    allowed: [],
  },
  { who: 'technician, no item', principal: user(), grants: grants([[10, ADMINISTRATOR]], ADMINISTRATOR), item: undefined, allowed: [] },
  {
    who: 'technician on their own personal group (Administrator)',
    principal: user(),
    grants: grants([], ADMINISTRATOR),
    item: OWN_PERSONAL,
    allowed: ['view', ...ALL_PERMS],
  },
  {
    who: 'technician on their own personal group (Start Sessions Only)',
    principal: user(),
    grants: grants([], START_ONLY),
    item: OWN_PERSONAL,
    allowed: ['view', 'perm_start'],
  },
  { who: 'technician on their own personal group, no personal role', principal: user(), grants: NONE, item: OWN_PERSONAL, allowed: [] },
  {
    who: "technician on another user's personal group",
    principal: user(),
    grants: grants([[10, ADMINISTRATOR]], ADMINISTRATOR),
    item: OTHERS_PERSONAL,
    allowed: [],
  },
  {
    // A shared group whose id equals the user's id is not their personal group.
    who: 'technician on a shared group numbered like their own id',
    principal: user(),
    grants: grants([], ADMINISTRATOR),
    item: { jump_group_type: 'shared', jump_group_id: TECH_ID },
    allowed: [],
  },
];

describe('can: the permission table', () => {
  for (const row of TABLE) {
    it(row.who, () => {
      const got = ACTIONS.filter((a) => can(row.principal, row.grants, a, row.item));
      assert.deepEqual(got, ACTIONS.filter((a) => row.allowed.includes(a)));
    });
  }

  it('the built-in roles grant what their names say', () => {
    assert.deepEqual(PERMISSIONS.filter((p) => ADMINISTRATOR[p]), ALL_PERMS);
    assert.deepEqual(PERMISSIONS.filter((p) => START_ONLY[p]), ['perm_start']);
    assert.deepEqual(PERMISSIONS.filter((p) => AUDITOR[p]), ['perm_view_reports']);
  });

  it('a custom role grants exactly its flags', () => {
    const custom = { ...START_ONLY, id: 9, builtin: false, perm_edit_tag: true };
    const got = ACTIONS.filter((a) => can(user(), grants([[10, custom]]), a, SHARED_GROUP));
    assert.deepEqual(got, ['view', 'perm_start', 'perm_edit_tag']);
  });
});
