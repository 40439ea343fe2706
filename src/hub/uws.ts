/**
 * The one place that loads uWebSockets.js. The package silently falls back to a JavaScript shim when
 * its native binary does not load (another Node ABI, another libc); the shim lacks much of what we
 * use, so we refuse to run on it.
 */
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket, us_socket_context_t } from 'uWebSockets.js';

export class NativeServerError extends Error {
  override name = 'NativeServerError';
}

let loaded: typeof UWS | undefined;

/** The native uWebSockets.js module; throws NativeServerError on the fallback shim. */
export function loadUws(): typeof UWS {
  if (loaded) return loaded;
  const override = (globalThis as { __jumpgateNative?: { uws?: typeof UWS } }).__jumpgateNative?.uws;
  const mod = override ?? (createRequire(import.meta.url)('uWebSockets.js') as typeof UWS);
  if (!isNative(mod)) {
    throw new NativeServerError(
      `the native uWebSockets.js binary did not load for Node ${process.version} ` +
        `(${process.platform}-${process.arch}, ABI ${process.versions.modules}); jumpgate needs Node 20 on linux-x64 ` +
        'and refuses to run on the fallback shim',
    );
  }
  loaded = mod;
  return mod;
}

export function isNative(mod: typeof UWS): boolean {
  return (
    typeof (mod as { getParts?: unknown }).getParts === 'function' &&
    Function.prototype.toString.call(mod.App).includes('[native code]')
  );
}
