#!/usr/bin/env node
/**
 * Builds the Jump Client agent: esbuild bundles src/agent/main.ts into one CommonJS file, and Node's
 * single-executable-application support turns it into `jumpgate-agent`, a program that needs no
 * Node.js on the machine it is installed on. node-pty's addon (`pty.node`) rides along as the SEA
 * asset `addon/pty.node`: node-pty's loader (`lib/utils.js`) is replaced by src/agent/native.ts,
 * which extracts the addon once into the install directory and loads it with `process.dlopen`.
 * Beside the executable, `jumpgate-agent.json` records its version, SHA-256 and size: the appliance
 * reads it to serve installers and updates.
 *
 *   node scripts/build-agent.mjs [--outdir dist/agent] [--version X] [--bundle-only] [--if-stale]
 *
 * The version stamped into the agent is --version, else JUMPGATE_AGENT_VERSION, else package.json's.
 * `--bundle-only` writes only the bundle (node-pty stays external, loaded from node_modules).
 * `--if-stale` builds only when the executable is missing or older than the agent's sources.
 * `build.mjs` calls `buildAgent` for `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
export const DEFAULT_AGENT_OUTDIR = join(root, 'dist', 'agent');
const PTY_ADDON = join(root, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node');
const AGENT_NATIVE = join(root, 'src', 'agent', 'native.ts');

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** The platform name installers use for this build machine. */
function platformName() {
  return process.platform === 'linux' && process.arch === 'x64' ? 'linux-64' : `${process.platform}-${process.arch}`;
}

/** Inside the executable, node-pty's `./utils` (its addon loader) is src/agent/native.ts. */
const ptyLoaderPlugin = {
  name: 'jumpgate-agent-pty',
  setup(b) {
    b.onResolve({ filter: /^\.\/utils$/ }, ({ importer }) =>
      importer.includes(`${sep}node_modules${sep}node-pty${sep}lib${sep}`) ? { path: 'node-pty-utils', namespace: 'jumpgate-agent-addon' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'jumpgate-agent-addon' }, () => ({
      contents: `module.exports = require(${JSON.stringify(AGENT_NATIVE)}).nodePtyUtils();`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when `outdir` has no executable of `version`, or one older than what it is built from. */
export function agentIsStale(outdir = DEFAULT_AGENT_OUTDIR, version = packageVersion()) {
  let record;
  try {
    record = JSON.parse(readFileSync(join(outdir, 'jumpgate-agent.json'), 'utf8'));
    const built = statSync(join(outdir, 'jumpgate-agent'));
    if (record.version !== version || built.size !== record.size) return true;
  } catch {
    return true; // no build record or executable yet
  }
  const sources = [join(root, 'src', 'agent'), join(root, 'src', 'shared'), join(root, 'scripts', 'build-agent.mjs'), join(root, 'package.json'), PTY_ADDON];
  const recordMtime = statSync(join(outdir, 'jumpgate-agent.json')).mtimeMs;
  return sources.some((s) => newestMtime(s) > recordMtime);
}

export function packageVersion() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
}

/**
 * Builds the agent into `outdir`; returns a report with times and sizes.
 * @param {{ outdir?: string, version?: string, bundleOnly?: boolean }} options
 */
export async function buildAgent(options = {}) {
  const outdir = options.outdir ?? DEFAULT_AGENT_OUTDIR;
  const version = options.version ?? process.env.JUMPGATE_AGENT_VERSION ?? packageVersion();
  if (!/^[0-9A-Za-z.+-]{1,32}$/.test(version)) throw new Error(`--version ${version} must be 1..32 characters of letters, digits and . + -`);
  const started = performance.now();
  mkdirSync(outdir, { recursive: true });
  const bundle = join(outdir, 'jumpgate-agent.cjs');
  const ptyHash = options.bundleOnly ? undefined : sha256(readFileSync(PTY_ADDON)).slice(0, 16);
  await build({
    entryPoints: [join(root, 'src', 'agent', 'main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    // ws loads these optional native accelerators when present; the agent uses its pure JS paths.
    external: ['bufferutil', 'utf-8-validate', ...(options.bundleOnly ? ['node-pty'] : [])],
    plugins: options.bundleOnly ? [] : [ptyLoaderPlugin],
    define: {
      __JUMPGATE_VERSION__: JSON.stringify(version),
      ...(ptyHash ? { __JUMPGATE_AGENT_SEA__: JSON.stringify({ hash: ptyHash }) } : {}),
      'process.env.WS_NO_BUFFER_UTIL': '"1"',
      'process.env.WS_NO_UTF_8_VALIDATE': '"1"',
    },
    logLevel: 'warning',
  });
  const report = { version, bundle, bundle_bytes: statSync(bundle).size, bundle_ms: Math.round(performance.now() - started) };
  if (options.bundleOnly) return report;

  const exe = join(outdir, 'jumpgate-agent');
  const work = mkdtempSync(join(tmpdir(), 'jumpgate-agent-sea-'));
  try {
    const blob = join(work, 'jumpgate-agent.blob');
    const seaConfig = join(work, 'sea-config.json');
    const config = { main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: { 'addon/pty.node': PTY_ADDON } };
    writeFileSync(seaConfig, JSON.stringify(config));
    execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
    const tmpExe = join(work, 'jumpgate-agent');
    copyFileSync(process.execPath, tmpExe);
    chmodSync(tmpExe, 0o755);
    // postject prints harmless section-name warnings for Node's own ELF notes: show them only on failure.
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'postject'), [tmpExe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (err) {
      process.stderr.write(String(err.stderr ?? ''));
      throw err;
    }
    const data = readFileSync(tmpExe);
    const record = { version, platform: platformName(), sha256: sha256(data), size: data.length };
    // The executable first, its record last: a reader that finds the record finds the program.
    rmSync(exe, { force: true });
    copyFileSync(tmpExe, exe);
    chmodSync(exe, 0o755);
    writeFileSync(join(outdir, 'jumpgate-agent.json'), JSON.stringify(record, null, 2) + '\n');
    return { ...report, executable: exe, executable_bytes: record.size, sha256: record.sha256, total_ms: Math.round(performance.now() - started) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function parseCli(argv) {
  const out = { outdir: DEFAULT_AGENT_OUTDIR, version: undefined, bundleOnly: false, ifStale: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--outdir' && argv[i + 1]) out.outdir = resolve(argv[++i]);
    else if (arg === '--version' && argv[i + 1]) out.version = argv[++i];
    else if (arg === '--bundle-only') out.bundleOnly = true;
    else if (arg === '--if-stale') out.ifStale = true;
    else {
      console.error(`build-agent: unknown argument ${arg}`);
      process.exit(2);
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = parseCli(process.argv.slice(2));
  const version = args.version ?? process.env.JUMPGATE_AGENT_VERSION ?? packageVersion();
  if (args.ifStale && !agentIsStale(args.outdir, version)) {
    console.log(`build-agent: ${join(args.outdir, 'jumpgate-agent')} is up to date`);
  } else {
    try {
      console.log(JSON.stringify(await buildAgent({ ...args, version }), null, 2));
    } catch (err) {
      console.error(`build-agent: ${err.message}`);
      process.exit(1);
    }
  }
}
