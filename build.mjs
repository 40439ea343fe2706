/**
 * Builds jumpgate (`npm run build`):
 *   dist/agent/jumpgate-agent       the Jump Client, a Node single executable with node-pty's addon
 *   dist/agent/jumpgate-agent.json  its build record: version, platform, sha256, size
 *                                   (both by scripts/build-agent.mjs)
 *   dist/jumpgate.mjs  the ESM bundle, the package's `bin`; uWebSockets.js, lmdb and node-pty stay external
 *                      and load from node_modules; it serves the agent from `agent/` beside it
 *   dist/jumpgate      a Node single executable: a CommonJS bundle (lmdb's CommonJS build inside)
 *                      with the native addons carried as assets and extracted to a cache at start,
 *                      and the agent executable with its record carried as assets too, so that
 *                      this one file serves installers and updates
 * Both embed the console's files from `static/`.
 *
 *   node build.mjs [--outdir dist] [--no-sea]
 *
 * `--no-sea` builds only the bundles (the agent's too), no executable.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { buildAgent } from './scripts/build-agent.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const { values: args } = parseArgs({
  options: { outdir: { type: 'string', default: 'dist' }, 'no-sea': { type: 'boolean', default: false } },
  strict: true,
});
const outdir = resolve(root, args.outdir);

/** `static/` as a path → content map for `src/static-embedded.ts`. */
function staticMap(dir = join(root, 'static')) {
  const files = {};
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const bytes = readFileSync(full);
        const key = '/' + relative(dir, full).split(sep).join('/');
        let text;
        try {
          text = utf8.decode(bytes);
        } catch {
          text = undefined; // not UTF-8: embedded in base64
        }
        files[key] = text !== undefined && !text.includes('\0') ? { text } : { base64: bytes.toString('base64') };
      }
    }
  };
  walk(dir);
  return files;
}

const common = {
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};

async function buildModule(define) {
  const outfile = join(outdir, 'jumpgate.mjs');
  await esbuild.build({
    ...common,
    format: 'esm',
    outfile,
    // node-pty too: its loader finds its addon beside its own files (`jumpgate simulate --real-shells`).
    external: ['lmdb', 'uWebSockets.js', 'node-pty'],
    define,
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __jumpgateCreateRequire } from 'node:module';",
        'const require = __jumpgateCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

/** The addons for this machine's platform and Node ABI, as the packages themselves would pick them. */
function addonFiles() {
  const { platform, arch } = process;
  const abi = process.versions.modules;
  const gypBuild = require('node-gyp-build-optional-packages');
  return {
    uws: join(root, 'node_modules/uWebSockets.js/binaries', `uws_${platform}_${arch}_${abi}.node`),
    lmdb: gypBuild.resolve(join(root, 'node_modules/lmdb')),
    'msgpackr-extract': gypBuild.resolve(join(root, 'node_modules/msgpackr-extract')),
  };
}

/**
 * Inside the executable: lmdb's CommonJS build (its ESM source breaks when bundled), and each
 * package's native loader (`node-gyp-build-optional-packages`) replaced by the embedded addon.
 */
const nativePlugin = {
  name: 'jumpgate-native',
  setup(build) {
    const nativeIndex = join(root, 'src/native/index.ts');
    build.onResolve({ filter: /^lmdb$/ }, () => ({ path: join(root, 'node_modules/lmdb/dist/index.cjs') }));
    build.onResolve({ filter: /^node-gyp-build-optional-packages$/ }, ({ importer }) => {
      const name = ['lmdb', 'msgpackr-extract'].find((pkg) => importer.includes(`${sep}node_modules${sep}${pkg}${sep}`));
      if (!name) return { errors: [{ text: `no embedded addon for ${importer}` }] };
      return { path: name, namespace: 'jumpgate-addon' };
    });
    build.onLoad({ filter: /.*/, namespace: 'jumpgate-addon' }, ({ path }) => ({
      contents: `module.exports = function () { return require(${JSON.stringify(nativeIndex)}).requireAddon(${JSON.stringify(path)}); };`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

async function buildExecutable(define, agent) {
  const work = mkdtempSync(join(tmpdir(), 'jumpgate-sea-'));
  try {
    const addons = addonFiles();
    const hash = createHash('sha256');
    for (const [name, file] of Object.entries(addons)) hash.update(name).update(readFileSync(file));
    const main = join(work, 'jumpgate.cjs');
    await esbuild.build({
      ...common,
      format: 'cjs',
      outfile: main,
      plugins: [nativePlugin],
      define: {
        ...define,
        __JUMPGATE_SEA__: JSON.stringify({ hash: hash.digest('hex').slice(0, 16) }),
        'import.meta.url': '__jumpgateModuleUrl',
      },
      banner: { js: "var __jumpgateModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    });
    const agentGz = join(work, 'jumpgate-agent.gz');
    writeFileSync(agentGz, gzipSync(readFileSync(agent.executable), { level: 6 }));
    const blob = join(work, 'jumpgate.blob');
    const config = {
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets: {
        ...Object.fromEntries(Object.entries(addons).map(([name, file]) => [`addon/${name}.node`, file])),
        // The Jump Client for installers and updates (src/agent-artifact.ts extracts it).
        // gzip'ed: the program is itself a Node executable, whose own SEA sentinel must not appear
        // twice in this one (postject refuses), and it is a third of the size.
        'agent/jumpgate-agent.gz': agentGz,
        'agent/jumpgate-agent.json': agent.record,
      },
    };
    writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config));
    const made = spawnSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`node --experimental-sea-config failed:\n${made.stdout}${made.stderr}`);
    const exe = join(outdir, 'jumpgate');
    rmSync(exe, { force: true });
    copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
    const { inject } = require('postject');
    await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
    return exe;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const started = performance.now();
const lap = (what, since) => console.log(`${what} in ${Math.round(performance.now() - since)} ms`);
mkdirSync(outdir, { recursive: true });
const define = { __JUMPGATE_STATIC__: JSON.stringify(staticMap()) };
let t = performance.now();
const agentDir = join(outdir, 'agent');
const agent = await buildAgent({ outdir: agentDir, bundleOnly: args['no-sea'] });
console.log(relative(process.cwd(), agent.executable ?? agent.bundle));
lap('agent', t);
t = performance.now();
console.log(relative(process.cwd(), await buildModule(define)));
lap('bundle', t);
if (!args['no-sea']) {
  t = performance.now();
  const record = join(agentDir, 'jumpgate-agent.json');
  console.log(relative(process.cwd(), await buildExecutable(define, { executable: agent.executable, record })));
  lap('executable', t);
}
lap('build', started);
