/**
 * Jump Client installers (SPEC D1, S3): list, create, show, extend, delete and download. Deploying
 * into a group needs `perm_add` there (admins always); an installer outside the caller's reach
 * answers 404, the same as one that does not exist. Every change is audited (item type
 * `installer`, never with the key). Deleting an installer leaves the clients it installed alone.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import type { Installer } from '../../registry/index.ts';
import { checkDeployCaps } from '../../fleet/enroll.ts';
import { AppError, invalid } from '../../shared/errors.ts';
import { randomHexId, randomToken } from '../../shared/ids.ts';
import type { ApiEnv } from '../env.ts';
import type { ApiDeps } from '../index.ts';
import { actorOf, itemChecker } from '../guard.ts';
import { paginate, Pagination, readJson, readQuery } from '../validate.ts';
import { createInstallerDownloads, parsePlatform, type DownloadOptions } from './installer-download.ts';
import { auditInstaller, InstallerCreate, InstallerExtend, publicInstaller } from './installer-model.ts';

const ListQuery = v.strictObject({ ...Pagination });
const MINUTE = 60_000;
const ITEM_PATH = '/jump-client/installer/:installer_id{[0-9a-f]{32}}';

export function createInstallerRoutes(deps: ApiDeps, options: DownloadOptions = {}): Hono<ApiEnv> {
  const { registry } = deps;
  const now = deps.now ?? Date.now;
  const downloads = createInstallerDownloads(deps, options);
  const app = new Hono<ApiEnv>();

  /** The installer, if it exists and the caller may deploy into its group; else 404. */
  const deployable = (c: Context<ApiEnv>): Installer => {
    const row = registry.installers.get(c.req.param('installer_id') ?? '');
    if (!row || !itemChecker(c, registry)('perm_add', row)) throw new AppError('not_found');
    return row;
  };
  const show = (c: Context<ApiEnv>, row: Installer) => publicInstaller(row, deps.publicUrlFor(c.req.header('host')), now());

  app.get('/jump-client/installer', (c) => {
    const page = readQuery(c, ListQuery);
    const check = itemChecker(c, registry);
    const rows = registry.installers
      .list()
      .filter((row) => check('perm_add', row))
      .sort((a, b) => b.created_at - a.created_at || a.installer_id.localeCompare(b.installer_id));
    return c.json(paginate(c, rows, page).map((row) => show(c, row)));
  });

  app.post('/jump-client/installer', async (c) => {
    const body = await readJson(c, InstallerCreate);
    const check = itemChecker(c, registry);
    const actor = actorOf(c);
    const row = await registry.write(() => {
      const exists =
        body.jump_group_type === 'shared'
          ? registry.groups.get(body.jump_group_id) !== undefined
          : registry.users.get(body.jump_group_id) !== undefined;
      if (!exists) {
        throw invalid('jump_group_id', `no ${body.jump_group_type === 'shared' ? 'shared Jump Group' : 'user'} has id ${body.jump_group_id}`);
      }
      if (!check('perm_add', body)) throw new AppError('forbidden', { details: { field: 'jump_group_id', permission: 'perm_add' } });
      checkDeployCaps(registry, body.connection_type);
      const created = now();
      const installer: Installer = {
        ...body,
        installer_id: randomHexId(),
        key_info: randomToken(),
        expiration_timestamp: created + body.valid_duration * MINUTE,
        created_by: actor.name,
        ...(actor.id === null ? {} : { created_by_ref: { kind: actor.kind === 'api' ? ('api' as const) : ('user' as const), id: actor.id } }),
        created_at: created,
      };
      registry.installers.put(installer);
      registry.audit.record({ event_type: 'created', item_type: 'installer', item_id: installer.installer_id, actor, timestamp: created, before: null, after: auditInstaller(installer) });
      return installer;
    });
    return c.json(show(c, row), 201);
  });

  app.get(ITEM_PATH, (c) => c.json(show(c, deployable(c))));

  app.patch(ITEM_PATH, async (c) => {
    const body = await readJson(c, InstallerExtend);
    const actor = actorOf(c);
    const row = await registry.write(() => {
      const before = deployable(c);
      const changed = now();
      const after: Installer = { ...before, valid_duration: body.valid_duration, expiration_timestamp: changed + body.valid_duration * MINUTE };
      registry.installers.put(after);
      registry.audit.record({ event_type: 'changed', item_type: 'installer', item_id: after.installer_id, actor, timestamp: changed, before: auditInstaller(before), after: auditInstaller(after) });
      return after;
    });
    return c.json(show(c, row));
  });

  app.delete(ITEM_PATH, async (c) => {
    const actor = actorOf(c);
    await registry.write(() => {
      const before = deployable(c);
      registry.installers.remove(before.installer_id);
      registry.audit.record({ event_type: 'deleted', item_type: 'installer', item_id: before.installer_id, actor, timestamp: now(), before: auditInstaller(before), after: null });
    });
    return c.body(null, 204);
  });

  app.get(`${ITEM_PATH}/:platform`, async (c) => {
    const platform = parsePlatform(c.req.param('platform'));
    const row = deployable(c);
    if (row.expiration_timestamp <= now()) {
      throw new AppError('conflict', { message: 'The installer has expired; extend it to download it again.', details: { field: 'installer_id' } });
    }
    return downloads.respond(row, platform, c.req.header('host'));
  });

  return app;
}
