/**
 * The console's files embedded in the bundles. `build.mjs` reads `static/` and defines
 * `__JUMPGATE_STATIC__` (path → content); when running from source the constant does not exist,
 * `embeddedStatic()` returns undefined and the appliance reads the folder.
 */
import { extname, posix } from 'node:path';
import type { StaticFile, StaticFiles } from './api/index.ts';
import { CONTENT_TYPES } from './static-files.ts';

/** One embedded file: UTF-8 text as is, anything else in base64. */
export type EmbeddedFile = { text: string } | { base64: string };

declare const __JUMPGATE_STATIC__: Record<string, EmbeddedFile> | undefined;

/** The embedded files, or undefined when running from source. */
export function embeddedStatic(): StaticFiles | undefined {
  return typeof __JUMPGATE_STATIC__ === 'undefined' ? undefined : staticFromMap(__JUMPGATE_STATIC__);
}

/** Serves a map of absolute paths (`/index.html`) to contents. */
export function staticFromMap(map: Record<string, EmbeddedFile>): StaticFiles {
  const files = new Map<string, StaticFile>();
  for (const [path, file] of Object.entries(map)) {
    files.set(path, {
      body: 'base64' in file ? Buffer.from(file.base64, 'base64') : Buffer.from(file.text, 'utf8'),
      contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    });
  }
  return {
    get(path) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        return undefined; // a malformed escape names no file
      }
      return files.get(posix.normalize('/' + decoded.replaceAll('\\', '/')));
    },
  };
}
