/** Route-level helpers over the one permission function in `access/`. */
import type { Context } from 'hono';
import { can, loadGrants, principalName, type Action, type ItemRef } from '../access/index.ts';
import type { AuditActor, Registry } from '../registry/index.ts';
import { AppError } from '../shared/errors.ts';
import { principalOf } from './auth.ts';
import type { ApiEnv } from './env.ts';

/** 403 unless the caller may administer the appliance. */
export function requireAdmin(c: Context<ApiEnv>, registry: Registry): void {
  const p = principalOf(c);
  if (!can(p, loadGrants(registry, p), 'administer')) throw new AppError('forbidden');
}

/** A predicate answering `action` on items for the caller (grants loaded once). */
export function itemChecker(c: Context<ApiEnv>, registry: Registry): (action: Action, item: ItemRef) => boolean {
  const p = principalOf(c);
  const grants = loadGrants(registry, p);
  return (action, item) => can(p, grants, action, item);
}

/** The audit actor for the caller. */
export function actorOf(c: Context<ApiEnv>): AuditActor {
  const p = principalOf(c);
  return { kind: p.kind, id: p.kind === 'user' ? p.user.id : p.account.id, name: principalName(p) };
}
