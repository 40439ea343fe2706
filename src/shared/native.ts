/**
 * Files carried inside a Node single executable as assets, for the appliance and the Jump Client
 * alike. A native addon (`addon/<name>.node`) is written once into a private cache directory and
 * loaded with `process.dlopen`; any other asset can be extracted to a file the same way. Each
 * program decides where its cache lives (the appliance: the user's cache; the agent: its own
 * install directory). Outside an executable nothing here runs.
 */
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export class NativeAddonError extends Error {
  override name = 'NativeAddonError';
}

interface SeaModule {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
  getAsset(key: string, encoding: string): string;
  getRawAsset?(key: string): ArrayBuffer;
}

function sea(): SeaModule {
  return createRequire(process.execPath)('node:sea') as SeaModule;
}

/** The bytes of an embedded asset, without a copy where Node allows it. */
export function assetBytes(key: string): ArrayBuffer {
  const s = sea();
  if (!s.isSea()) throw new NativeAddonError(`the asset ${key} is only embedded in the executable`);
  try {
    return s.getRawAsset ? s.getRawAsset(key) : s.getAsset(key);
  } catch (err) {
    throw new NativeAddonError(`the executable carries no asset ${key} (${(err as Error).message})`);
  }
}

/** An embedded text asset, or undefined when the executable does not carry it. */
export function assetText(key: string): string | undefined {
  const s = sea();
  if (!s.isSea()) return undefined;
  try {
    return s.getAsset(key, 'utf8');
  } catch {
    return undefined; // getAsset throws when the executable does not carry the key
  }
}

export interface ExtractOptions {
  mode?: number;
  /** Turns the stored bytes into the file's (e.g. gunzip); the file is then checked against `size`. */
  decode?: (stored: Uint8Array) => Uint8Array;
  /** The size of the extracted file (default: the asset's). */
  size?: number;
}

/** Writes asset `key` to `file` unless a file of the right size is already there (temp + rename). */
export function extractAsset(key: string, file: string, options: ExtractOptions = {}): void {
  const stored = new Uint8Array(assetBytes(key));
  const size = options.size ?? (options.decode ? undefined : stored.byteLength);
  if (size !== undefined && statSync(file, { throwIfNoEntry: false })?.size === size) return;
  const bytes = options.decode ? options.decode(stored) : stored;
  if (size !== undefined && bytes.byteLength !== size) throw new NativeAddonError(`the asset ${key} has ${bytes.byteLength} bytes, not ${size}`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes, { mode: options.mode ?? 0o700 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * `<base>/<hash>` for the first base that is, or can be made, a directory owned by this user and
 * closed to others (a native addon is loaded from there, so nobody else may write it). With `prune`,
 * other builds' directories in that base are removed.
 */
export function privateCacheDir(bases: readonly string[], hash: string, prune = false): string {
  const uid = process.getuid?.() ?? 0;
  const problems: string[] = [];
  for (const base of bases.filter(Boolean)) {
    const dir = join(base, hash);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const unsafe = [base, dir].find((d) => {
        const st = lstatSync(d);
        return !st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0;
      });
      if (unsafe !== undefined) {
        problems.push(`${unsafe}: not a directory owned by this user and closed to others`);
        continue;
      }
      if (prune) {
        for (const other of readdirSync(base)) if (other !== hash) rmSync(join(base, other), { recursive: true, force: true });
      }
      return dir;
    } catch (err) {
      problems.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new NativeAddonError(`no usable cache directory for the native addons (${problems.join('; ')})`);
}

export interface EmbeddedAddons {
  /** Loads `addon/<name>.node`, extracting it on first use. */
  load(name: string): unknown;
}

export interface EmbeddedAddonsOptions {
  /** Content hash of the embedded addons: the cache sub-directory, so two builds never mix. */
  hash: string;
  /** Candidate cache bases, tried in order (asked at the first load). */
  bases: () => readonly string[];
  /** Remove other builds' directories from the chosen base. */
  prune?: boolean;
}

export function embeddedAddons(options: EmbeddedAddonsOptions): EmbeddedAddons {
  const loaded = new Map<string, unknown>();
  let dir: string | undefined;
  return {
    load(name) {
      if (loaded.has(name)) return loaded.get(name);
      dir ??= privateCacheDir(options.bases(), options.hash, options.prune);
      const file = join(dir, `${name}.node`);
      extractAsset(`addon/${name}.node`, file);
      const mod = { exports: {} as unknown };
      process.dlopen(mod, file);
      loaded.set(name, mod.exports);
      return mod.exports;
    },
  };
}
