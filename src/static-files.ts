/** The console's files read from the `static/` folder (development and the npm package). */
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StaticFile, StaticFiles } from './api/index.ts';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** `static/` beside `src/` (or beside `dist/` in the package). */
export function staticFromFolder(folder = fileURLToPath(new URL('../static/', import.meta.url))): StaticFiles {
  const root = normalize(folder);
  const cache = new Map<string, StaticFile | undefined>();
  return {
    get(path) {
      if (cache.has(path)) return cache.get(path);
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        return undefined; // a malformed escape names no file
      }
      const file = join(root, normalize(decoded).replace(/^([/\\])+/, ''));
      let found: StaticFile | undefined;
      if (file.startsWith(root + (root.endsWith(sep) ? '' : sep)) && statSync(file, { throwIfNoEntry: false })?.isFile()) {
        found = { body: readFileSync(file), contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' };
      }
      if (cache.size < 1000) cache.set(path, found);
      return found;
    },
  };
}
