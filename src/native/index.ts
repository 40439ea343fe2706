/**
 * Native addons inside the single executable. The build carries the uWebSockets.js, lmdb and
 * msgpackr-extract addons as SEA assets (`addon/<name>.node`) and defines `__JUMPGATE_SEA__` with
 * their content hash. Each addon is written once to `<cache>/jumpgate/<hash>/` (a directory only
 * this user can write) and loaded with `process.dlopen`. Outside the executable nothing here runs:
 * the addons load from node_modules as usual.
 */
import { lstatSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

declare const __JUMPGATE_SEA__: { readonly hash: string } | undefined;

export type AddonName = 'uws' | 'lmdb' | 'msgpackr-extract';

export class NativeAddonError extends Error {
  override name = 'NativeAddonError';
}

interface SeaModule {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
}

const loaded = new Map<AddonName, unknown>();
let cacheDir: string | undefined;

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
  const done = loaded.get(name);
  if (done) return done;
  if (typeof __JUMPGATE_SEA__ === 'undefined') throw new NativeAddonError(`the ${name} addon is only embedded in the executable`);
  const sea = createRequire(import.meta.url)('node:sea') as SeaModule;
  const asset = sea.getAsset(`addon/${name}.node`);
  cacheDir ??= openCacheDir(__JUMPGATE_SEA__.hash);
  const file = join(cacheDir, `${name}.node`);
  if (statSync(file, { throwIfNoEntry: false })?.size !== asset.byteLength) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(asset), { mode: 0o700 });
    renameSync(tmp, file);
  }
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  loaded.set(name, mod.exports);
  return mod.exports;
}

/** The first usable cache directory: $XDG_CACHE_HOME/jumpgate, ~/.cache/jumpgate, then the temp dir. */
function openCacheDir(hash: string): string {
  const uid = process.getuid?.() ?? 0;
  const xdg = process.env.XDG_CACHE_HOME;
  const bases = [xdg ? join(xdg, 'jumpgate') : '', join(homedir(), '.cache', 'jumpgate'), join(tmpdir(), `jumpgate-${uid}`)];
  const problems: string[] = [];
  for (const base of bases.filter(Boolean)) {
    const dir = join(base, hash);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Only this user may write where the addons are loaded from.
      const unsafe = [base, dir].find((d) => {
        const st = lstatSync(d);
        return !st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0;
      });
      if (unsafe === undefined) return dir;
      problems.push(`${unsafe}: not a directory owned by this user and closed to others`);
    } catch (err) {
      problems.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new NativeAddonError(`no usable cache directory for the native addons (${problems.join('; ')})`);
}
