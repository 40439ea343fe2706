/**
 * Endpoints reached without a login:
 * - `GET /download/jump-client/{installer_id}/{platform}`: the public installer link (SPEC D1); the
 *   32-hex installer id is the secret. Unknown, deleted and expired installers get the same 404.
 * - `POST /agent/v1/enroll`: a Jump Client trades its installer key for its identity (SPEC A1); the
 *   decision is `fleet/enroll.ts`. 201 `{client_id, secret}`; 410 when the key can never work
 *   (unknown/deleted: `details.reason` `unknown`; expired: "The installer has expired.").
 * - `GET /agent/v1/update`: an enrolled agent downloads the current program (SPEC A5), with
 *   `Authorization: Bearer <id>.<secret>`; the answer carries `X-Agent-Sha256` to verify it.
 */
import { Hono } from 'hono';
import { enroll } from '../../fleet/enroll.ts';
import { streamFile } from '../../installer/index.ts';
import { AppError } from '../../shared/errors.ts';
import { safeEqual, sha256Hex } from '../../shared/ids.ts';
import { ENROLL_PATH, EnrollRequest, parseAgentCredentials, UPDATE_PATH } from '../../shared/protocol.ts';
import type { ApiEnv } from '../env.ts';
import type { ApiDeps } from '../index.ts';
import { readJson } from '../validate.ts';
import { createInstallerDownloads, parsePlatform, type DownloadOptions } from './installer-download.ts';

export function createAgentEndpointRoutes(deps: ApiDeps, options: DownloadOptions = {}): Hono<ApiEnv> {
  const { registry } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ module: 'fleet' });
  const downloads = createInstallerDownloads(deps, options);
  const app = new Hono<ApiEnv>();

  app.get('/download/jump-client/:installer_id/:platform', async (c) => {
    const platform = parsePlatform(c.req.param('platform'));
    const id = c.req.param('installer_id');
    const row = /^[0-9a-f]{32}$/.test(id) ? registry.installers.get(id) : undefined;
    if (!row || row.expiration_timestamp <= now()) throw new AppError('not_found');
    return downloads.respond(row, platform, c.req.header('host'));
  });

  app.post(ENROLL_PATH, async (c) => {
    const request = await readJson(c, EnrollRequest);
    const result = await enroll(registry, request, { publicIp: c.env?.remoteAddress ?? '', now: now() });
    log.info('jump client enrolled', { agentId: result.client_id, reused: result.reused });
    return c.json({ client_id: result.client_id, secret: result.secret }, 201);
  });

  app.get(UPDATE_PATH, async (c) => {
    const credentials = parseAgentCredentials(c.req.header('authorization') ?? '');
    const row = credentials && registry.clients.get(credentials.clientId);
    if (!credentials || !row || !safeEqual(row.secret_hash, sha256Hex(credentials.secret))) {
      throw new AppError('unauthorized', { message: 'The Jump Client credentials are not valid.' });
    }
    const artifact = deps.agentArtifact();
    if (!artifact) throw new AppError('not_found', { message: 'No Jump Client program is available yet.' });
    const file = await streamFile(artifact.file);
    if (file.size !== artifact.size) log.warn('agent program size differs from its build record', { expected: artifact.size, actual: file.size });
    return new Response(file.body, {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(file.size),
        'x-agent-sha256': artifact.sha256,
        'x-agent-version': artifact.version,
        'cache-control': 'no-store',
      },
    });
  });

  return app;
}
