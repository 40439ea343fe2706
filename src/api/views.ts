/** Public shapes of registry rows: what the API shows, never secrets or hashes. */
import type { ClientSummary, JumpClient, User } from '../registry/index.ts';

export function publicUser(u: User) {
  return {
    id: u.id,
    username: u.username,
    display_name: u.display_name,
    email: u.email,
    is_admin: u.is_admin,
    enabled: u.enabled,
    personal_jump_item_role_id: u.personal_jump_item_role_id,
    created_at: iso(u.created_at),
    last_login_at: iso(u.last_login_at),
  };
}

export function publicJumpClient(jc: JumpClient) {
  const { secret_hash: _secret, install_fingerprint: _fp, ...rest } = jc;
  return {
    ...rest,
    passive_listen: jc.passive_listen ?? null,
    check_in_due_at: iso(jc.check_in_due_at),
    last_connect_timestamp: iso(jc.last_connect_timestamp),
    last_disconnect_timestamp: iso(jc.last_disconnect_timestamp),
    last_access_timestamp: iso(jc.last_access_timestamp),
    created_at: iso(jc.created_at),
    updated_at: iso(jc.updated_at),
  };
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** What the console's live feed shows of a client. */
export function publicSummary(s: ClientSummary) {
  const { install_fingerprint: _fp, installer_id: _installer, search_text: _text, name_lower: _n, hostname_lower: _h, ...withBits } = s;
  const { sb0: _0, sb1: _1, sb2: _2, sb3: _3, sb4: _4, sb5: _5, sb6: _6, sb7: _7, ...rest } = withBits;
  return {
    ...rest,
    check_in_due_at: iso(s.check_in_due_at),
    last_connect_timestamp: iso(s.last_connect_timestamp),
    last_disconnect_timestamp: iso(s.last_disconnect_timestamp),
    last_access_timestamp: iso(s.last_access_timestamp),
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
  };
}
