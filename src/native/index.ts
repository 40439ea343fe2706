/**
 * Native addons inside the appliance's single executable. The build carries the uWebSockets.js,
 * lmdb and msgpackr-extract addons as SEA assets (`addon/<name>.node`) and defines
 * `__JUMPGATE_SEA__` with their content hash; `src/shared/native.ts` writes each once to
 * `<cache>/jumpgate/<hash>/` (a directory only this user can write) and loads it. Outside the
 * executable nothing here runs: the addons load from node_modules as usual.
 */
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedAddons, NativeAddonError, type EmbeddedAddons } from '../shared/native.ts';

export { NativeAddonError } from '../shared/native.ts';

declare const __JUMPGATE_SEA__: { readonly hash: string } | undefined;

export type AddonName = 'uws' | 'lmdb' | 'msgpackr-extract';

let addons: EmbeddedAddons | undefined;

/** True inside the single executable built by `build.mjs`. */
export function inExecutable(): boolean {
  return typeof __JUMPGATE_SEA__ !== 'undefined';
}

/** Inside the executable: hands the embedded uWebSockets.js to the hub's loader (`loadUws`). */
export function installNatives(): void {
  if (!inExecutable()) return;
  Object.defineProperty(globalThis, '__jumpgateNative', {
    value: Object.freeze({
      get uws() {
        return requireAddon('uws');
      },
    }),
    configurable: true,
  });
}

/** Loads an embedded addon, extracting it to the cache on first use. */
export function requireAddon(name: AddonName): unknown {
  if (typeof __JUMPGATE_SEA__ === 'undefined') throw new NativeAddonError(`the ${name} addon is only embedded in the executable`);
  addons ??= embeddedAddons({ hash: __JUMPGATE_SEA__.hash, bases: cacheBases });
  return addons.load(name);
}

/** $XDG_CACHE_HOME/jumpgate, ~/.cache/jumpgate, then the temp dir. */
function cacheBases(): string[] {
  const uid = process.getuid?.() ?? 0;
  const xdg = process.env.XDG_CACHE_HOME;
  return [xdg ? join(xdg, 'jumpgate') : '', join(homedir(), '.cache', 'jumpgate'), join(tmpdir(), `jumpgate-${uid}`)];
}
