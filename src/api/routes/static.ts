/** The console's files from `static/`: plain ES modules, no framework, no CDN. */
import { Hono } from 'hono';
import type { ApiEnv } from '../env.ts';

export interface StaticFile {
  body: Uint8Array;
  contentType: string;
}

/** Where the console's files come from: the folder in development, embedded in the executable. */
export interface StaticFiles {
  get(path: string): StaticFile | undefined;
}

export function createStaticRoutes(files: StaticFiles): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/*', (c, next) => {
    const path = c.req.path === '/' ? '/index.html' : c.req.path;
    if (path.startsWith('/api/')) return next();
    const file = files.get(path);
    if (!file) return next();
    c.header('Content-Type', file.contentType);
    c.header('Cache-Control', path === '/index.html' ? 'no-cache' : 'public, max-age=300');
    return c.body(file.body as Uint8Array<ArrayBuffer>);
  });
  return app;
}
