/**
 * Jumping and sessions (API.md "Jumping and sessions"): the Jump, the file channel, system
 * information, ending a session, and the recording of a session's terminal.
 */
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { isAdmin, principalName, type Principal } from '../../access/index.ts';
import type { SessionOwner } from '../../sessions/index.ts';
import { AppError } from '../../shared/errors.ts';
import { principalOf, requireAuth } from '../auth.ts';
import type { ApiEnv } from '../env.ts';
import { itemChecker } from '../guard.ts';
import type { ApiDeps } from '../index.ts';
import { parseInput, readJson, readQuery } from '../validate.ts';

const JumpBody = v.strictObject({
  jump_client_id: v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(1, 'must be at least 1')),
  cols: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
  rows: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
});
const FileQuery = v.strictObject({
  path: v.pipe(
    v.string(),
    v.minLength(1, 'must not be empty'),
    v.maxLength(4096, 'is too long'),
    v.check((p) => !p.includes('\0'), 'must not contain a NUL character'),
  ),
});
const SessionId = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, 'must be a session id'));

export function ownerOf(p: Principal): SessionOwner {
  return { kind: p.kind, id: p.kind === 'user' ? p.user.id : p.account.id, name: principalName(p), isAdmin: isAdmin(p) };
}

/** The largest upload accepted through the files channel. */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;

export function createSessionRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const { registry, sessions } = deps;
  const app = new Hono<ApiEnv>();
  app.use('/api/command/*', requireAuth);
  app.use('/api/session/*', requireAuth);
  const session = (c: Context<ApiEnv>) => sessions.find(parseInput(SessionId, c.req.param('id'), 'session_id'), ownerOf(principalOf(c)));

  app.post('/api/command/v1/jump', async (c) => {
    const body = await readJson(c, JumpBody);
    const client = registry.clients.get(body.jump_client_id);
    const check = itemChecker(c, registry);
    if (!client || !check('view', client)) throw new AppError('jump_client_not_found');
    if (!check('perm_start', client)) throw new AppError('forbidden');
    const s = await sessions.jump(ownerOf(principalOf(c)), client, { cols: body.cols ?? 80, rows: body.rows ?? 24 }, c.req.raw.signal);
    return c.json({ session_id: s.id, jump_client_id: client.id, shell: s.shell }, 201);
  });

  app.get('/api/session/v1', (c) =>
    c.json(
      sessions.list(ownerOf(principalOf(c))).map((s) => ({
        session_id: s.id,
        jump_client_id: s.init.clientId,
        jump_client_name: s.init.clientName,
        username: s.init.owner.name,
        started_at: new Date(s.init.startedAt).toISOString(),
      })),
    ),
  );

  app.delete('/api/session/v1/:id', (c) => {
    session(c).end(`ended by ${principalName(principalOf(c))}`);
    return c.body(null, 204);
  });

  app.get('/api/session/v1/:id/system-info', async (c) => c.json(await session(c).transfers.sysinfo(10_000)));

  app.get('/api/session/v1/:id/files', async (c) => {
    const s = session(c);
    const { path } = readQuery(c, FileQuery);
    const result = await s.transfers.download(path);
    if (result.kind === 'directory') return c.json(result);
    const name = path.split('/').filter(Boolean).pop() ?? 'download';
    c.header('Content-Type', 'application/octet-stream');
    c.header('Content-Length', String(result.size));
    c.header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
    return c.body(result.stream);
  });

  app.put('/api/session/v1/:id/files', async (c) => {
    const s = session(c);
    const { path } = readQuery(c, FileQuery);
    const body = c.req.raw.body ?? new Blob([]).stream();
    const { bytes } = await s.transfers.upload(path, body);
    return c.json({ path, bytes }, 201);
  });

  app.get('/api/reporting/v1/session/:id/recording', (c) => {
    const id = parseInput(SessionId, c.req.param('id'), 'session_id');
    const record = registry.sessions.get(id);
    const client = record && registry.clients.get(record.jump_client_id);
    const check = itemChecker(c, registry);
    const allowed = record && (client ? check('perm_view_reports', client) : isAdmin(principalOf(c)));
    const cast = record && allowed ? sessions.recording(id) : undefined;
    if (!cast) throw new AppError('not_found');
    c.header('Content-Type', 'application/x-asciicast');
    c.header('Content-Disposition', `attachment; filename="${id}.cast"`);
    return c.body(Readable.toWeb(Readable.from(cast)) as ReadableStream<Uint8Array>);
  });

  return app;
}
