/**
 * Enrolment (SPEC A1, A1b, D1, D3, S3): a Jump Client trades its installer key for its own identity.
 * The decision lives here, transport-free; the HTTP route only decodes and answers.
 *
 * - The installer must exist and not have expired; a command-line override is honoured only where
 *   the installer allows it (else a 400 naming `overrides.<field>`).
 * - One row per install: an existing row with the same `install_fingerprint` (machine + install dir)
 *   is reused, even one marked uninstalled: same id, new secret, properties of the installer used.
 * - The site caps count every row but the reused one.
 * - Only the secret's SHA-256 is stored; the secret itself is answered once.
 */
import type { AuditActor, ConnectionType, Installer, JumpClient, JumpGroupType, Registry } from '../registry/index.ts';
import { can, loadGrants, loadPrincipal, type Principal } from '../access/index.ts';
import { AppError, invalid } from '../shared/errors.ts';
import { randomToken, safeEqual, sha256Hex } from '../shared/ids.ts';
import type { EnrollRequest, EnrollResponse } from '../shared/protocol.ts';
import { fromStatistics, putWithCopies } from './presence.ts';

/** Kept for callers that compare messages; the catalog (`installer_not_found`, `installer_expired`) has them. */
export const INSTALLER_UNKNOWN_MESSAGE = 'The installer does not exist or has been deleted.';
export const INSTALLER_EXPIRED_MESSAGE = 'The installer has expired.';

type OverrideField = keyof EnrollRequest['overrides'];
const ALLOW_FLAG = {
  jump_group: 'allow_override_jump_group',
  name: 'allow_override_name',
  tag: 'allow_override_tag',
  comments: 'allow_override_comments',
  max_offline_minutes: 'allow_override_max_offline_minutes',
} as const satisfies Record<OverrideField, keyof Installer>;

export interface EnrollContext {
  /** The address the appliance sees the agent at. */
  publicIp: string;
  now: number;
}

/** The installer whose key is `key`, compared in constant time. */
export function installerByKey(registry: Registry, key: string): Installer | undefined {
  let found: Installer | undefined;
  for (const row of registry.installers.list()) if (safeEqual(row.key_info, key)) found = row;
  return found;
}

/** 409 limit_installed / limit_active when one more (active) client would pass a site cap (SPEC S3). */
export function checkDeployCaps(registry: Registry, connectionType: ConnectionType, exceptId?: number): void {
  const settings = registry.settings.get();
  let { installed, active } = registry.clients.tally();
  const except = exceptId === undefined ? undefined : registry.clients.get(exceptId);
  if (except && except.status !== 'uninstalled') {
    installed--;
    if (except.connection_type === 'active') active--;
  }
  if (installed >= settings.max_installed_jump_clients) throw new AppError('limit_installed');
  if (connectionType === 'active' && active >= settings.max_active_jump_clients) throw new AppError('limit_active');
}

/** `user:<username>` → that user's personal group; else a shared group by name or code name. */
export function resolveJumpGroup(registry: Registry, spec: string): { jump_group_type: JumpGroupType; jump_group_id: number } | undefined {
  const personal = /^user:(.+)$/i.exec(spec);
  if (personal) {
    const user = registry.users.byUsername(personal[1]);
    return user && { jump_group_type: 'personal', jump_group_id: user.id };
  }
  const lower = spec.toLowerCase();
  const group = registry.groups.byCodeName(spec) ?? registry.groups.list().find((g) => g.name.toLowerCase() === lower);
  return group && { jump_group_type: 'shared', jump_group_id: group.id };
}

function groupExists(registry: Registry, type: JumpGroupType, id: number): boolean {
  return type === 'shared' ? registry.groups.get(id) !== undefined : registry.users.get(id) !== undefined;
}

/** The usable installer for `key`, or the 410 that says why not. */
function requireInstaller(registry: Registry, key: string, now: number): Installer {
  const installer = installerByKey(registry, key);
  if (!installer) {
    throw new AppError('installer_not_found', { details: { reason: 'unknown' } });
  }
  if (installer.expiration_timestamp <= now) {
    throw new AppError('installer_expired', { details: { reason: 'expired' } });
  }
  return installer;
}

/** A 400 naming the first override the installer does not allow. */
function checkOverrides(installer: Installer, overrides: EnrollRequest['overrides']): void {
  for (const field of Object.keys(ALLOW_FLAG) as OverrideField[]) {
    if (overrides[field] !== undefined && !installer[ALLOW_FLAG[field]]) {
      throw invalid(`overrides.${field}`, 'the installer does not allow overriding this field');
    }
  }
}

/**
 * Whether the installer's creator may deploy to `group` now (SPEC P2): a Jump Group chosen on the
 * command line goes only where they could have made the installer for. Older installers name
 * their creator only by name.
 */
function creatorMayDeploy(registry: Registry, installer: Installer, group: { jump_group_type: JumpGroupType; jump_group_id: number }): boolean {
  const creator = installer.created_by_ref ? loadPrincipal(registry, installer.created_by_ref) : legacyCreator(registry, installer.created_by);
  return creator !== undefined && can(creator, loadGrants(registry, creator), 'perm_add', group);
}

/**
 * The creator of an installer made before installers kept a reference: by the name recorded, a
 * username or `api:<account name>`. One renamed since is not found, and the override is refused.
 */
function legacyCreator(registry: Registry, name: string): Principal | undefined {
  if (name.startsWith('api:')) {
    const account = registry.apiAccounts.list().find((a) => a.name === name.slice(4));
    return account && { kind: 'api', account };
  }
  const user = registry.users.byUsername(name);
  return user && { kind: 'user', user };
}

function placement(registry: Registry, installer: Installer, spec: string | undefined) {
  if (spec !== undefined) {
    const group = resolveJumpGroup(registry, spec);
    if (!group) throw invalid('overrides.jump_group', 'no personal group (user:<username>) or shared group has this name or code name');
    const same = group.jump_group_type === installer.jump_group_type && group.jump_group_id === installer.jump_group_id;
    if (!same && !creatorMayDeploy(registry, installer, group)) {
      throw invalid('overrides.jump_group', "the installer's creator may not deploy Jump Clients to this Jump Group");
    }
    return group;
  }
  if (!groupExists(registry, installer.jump_group_type, installer.jump_group_id)) {
    throw new AppError('conflict', { message: "The installer's Jump Group no longer exists.", details: { field: 'jump_group' } });
  }
  return { jump_group_type: installer.jump_group_type, jump_group_id: installer.jump_group_id };
}

/** The existing row of this install, if any: by the hinted id when its fingerprint matches, else by scan. */
function existingInstall(registry: Registry, request: EnrollRequest): JumpClient | undefined {
  const hinted = request.previous_client_id === undefined ? undefined : registry.clients.get(request.previous_client_id);
  if (hinted && hinted.install_fingerprint === request.install_fingerprint) return hinted;
  const ids = registry.clients.byFingerprint(request.install_fingerprint);
  return ids.length ? registry.clients.get(Math.min(...ids)) : undefined;
}

function buildRow(
  id: number,
  previous: JumpClient | undefined,
  installer: Installer,
  request: EnrollRequest,
  group: { jump_group_type: JumpGroupType; jump_group_id: number },
  secretHash: string,
  ctx: EnrollContext,
): JumpClient {
  const { overrides, statistics } = request;
  const seen = fromStatistics(statistics);
  return {
    id,
    name: overrides.name ?? (installer.name || statistics.hostname || statistics.fqdn || `Jump Client ${id}`),
    hostname: statistics.hostname,
    fqdn: statistics.fqdn,
    ...group,
    tag: overrides.tag ?? installer.tag,
    comments: overrides.comments ?? installer.comments,
    connection_type: installer.connection_type,
    install_mode: statistics.install_mode,
    status: 'offline',
    operating_system: seen.operating_system ?? '',
    console_user: statistics.console_user,
    private_ip: seen.private_ip ?? '',
    public_ip: ctx.publicIp,
    agent_version: statistics.agent_version,
    last_connect_timestamp: null,
    last_disconnect_timestamp: previous?.last_disconnect_timestamp ?? null,
    last_disconnect_reason: previous?.last_disconnect_reason ?? null,
    last_access_timestamp: previous?.last_access_timestamp ?? null,
    is_lost: false,
    needs_update: false,
    unavailable_reason: null,
    max_offline_minutes: overrides.max_offline_minutes ?? installer.max_offline_minutes,
    statistics: { ...statistics, reported_at: ctx.now },
    secret_hash: secretHash,
    installer_id: installer.installer_id,
    install_fingerprint: request.install_fingerprint,
    created_at: previous?.created_at ?? ctx.now,
    updated_at: ctx.now,
  };
}

/** What the audit log keeps of a row: never the secret hash or the fingerprint. */
function auditView(row: JumpClient) {
  const { secret_hash: _s, install_fingerprint: _f, statistics: _st, ...rest } = row;
  return rest;
}

/**
 * Enrols one Jump Client in one registry write. Every check runs before the first put (a write does
 * not roll back when its callback throws). New row: audit `created`; reused row: audit `changed`.
 */
export async function enroll(registry: Registry, request: EnrollRequest, ctx: EnrollContext): Promise<EnrollResponse & { reused: boolean }> {
  const secret = randomToken(32);
  const secretHash = sha256Hex(secret);
  return registry.write(() => {
    const installer = requireInstaller(registry, request.installer_key, ctx.now);
    checkOverrides(installer, request.overrides);
    const group = placement(registry, installer, request.overrides.jump_group);
    const previous = existingInstall(registry, request);
    checkDeployCaps(registry, installer.connection_type, previous?.id);
    const id = previous?.id ?? registry.clients.nextId();
    const row = buildRow(id, previous, installer, request, group, secretHash, ctx);
    // A reinstall replaces the endpoint's credential: its copies follow (the old one opens nothing).
    putWithCopies(registry, row);
    const actor: AuditActor = { kind: 'agent', id, name: `agent:${id}` };
    registry.audit.record({
      event_type: previous ? 'changed' : 'created',
      item_type: 'jump_client',
      item_id: String(id),
      actor,
      timestamp: ctx.now,
      before: previous ? auditView(previous) : null,
      after: auditView(row),
    });
    return { client_id: id, secret, reused: previous !== undefined };
  });
}
