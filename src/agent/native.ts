/**
 * node-pty's native addon inside the agent's single executable. `scripts/build-agent.mjs` carries
 * `pty.node` as the SEA asset `addon/pty.node`, defines `__JUMPGATE_AGENT_SEA__` with its hash, and
 * replaces node-pty's `lib/utils.js` with `nodePtyUtils()` below. The addon is extracted once into
 * `DIR/cache/<hash>/` of the install directory (a service account may have no home), which
 * `run` names with `useInstallCache` before any session starts.
 *
 * node-pty asks for its addon when it is first imported, which is at the start of every command
 * (`install`, `--version`, ...), long before a terminal is needed and before the install directory
 * is known. So the module handed back is a stand-in that extracts and loads the real addon at its
 * first use (the first PTY).
 */
import { join } from 'node:path';
import { embeddedAddons, NativeAddonError, type EmbeddedAddons } from '../shared/native.ts';

declare const __JUMPGATE_AGENT_SEA__: { readonly hash: string } | undefined;

let cacheBase: string | undefined;
let addons: EmbeddedAddons | undefined;

/** Where embedded addons are extracted: `<install dir>/cache` (`layoutOf(dir).cacheDir`, made by install). */
export function useInstallCache(installDir: string): void {
  cacheBase = join(installDir, 'cache');
}

function loadAddon(name: string): Record<string | symbol, unknown> {
  if (typeof __JUMPGATE_AGENT_SEA__ === 'undefined') throw new NativeAddonError(`the ${name} addon is only embedded in the executable`);
  if (name !== 'pty') throw new NativeAddonError(`the agent carries no ${name} addon`);
  const base = cacheBase;
  if (!base) throw new NativeAddonError('the terminal is available only to a running Jump Client (no install directory)');
  addons ??= embeddedAddons({ hash: __JUMPGATE_AGENT_SEA__.hash, bases: () => [base], prune: true });
  return addons.load(name) as Record<string | symbol, unknown>;
}

/** A module object that loads the addon `name` when one of its members is first read. */
function deferredAddon(name: string): object {
  let real: Record<string | symbol, unknown> | undefined;
  const target = (): Record<string | symbol, unknown> => (real ??= loadAddon(name));
  return new Proxy(
    {},
    {
      get: (_t, key) => target()[key],
      has: (_t, key) => key in target(),
    },
  );
}

/** What node-pty's `lib/utils.js` exports, with its addon coming from the executable. */
export function nodePtyUtils(): { assign: (target: object, ...sources: object[]) => object; loadNativeModule: (name: string) => { dir: string; module: object } } {
  return {
    assign: (target, ...sources) => Object.assign(target, ...sources),
    loadNativeModule: (name) => ({ dir: '.', module: deferredAddon(name) }),
  };
}
