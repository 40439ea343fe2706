#!/usr/bin/env node
/**
 * Builds the Jump Client agent: esbuild bundles src/agent/main.ts into one CommonJS file, and Node's
 * single-executable-application support turns it into `jumpgate-agent`, a program that needs no
 * Node.js on the machine it is installed on.
 *
 *   node scripts/build-agent.mjs [--outdir dist/agent] [--version X] [--bundle-only]
 *
 * The version stamped into the agent is --version, else JUMPGATE_AGENT_VERSION, else package.json's.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function parseArgs(argv) {
  const out = { outdir: join(root, 'dist', 'agent'), version: undefined, bundleOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--outdir' && argv[i + 1]) out.outdir = resolve(argv[++i]);
    else if (arg === '--version' && argv[i + 1]) out.version = argv[++i];
    else if (arg === '--bundle-only') out.bundleOnly = true;
    else {
      console.error(`build-agent: unknown argument ${arg}`);
      process.exit(2);
    }
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = args.version ?? process.env.JUMPGATE_AGENT_VERSION ?? pkg.version;
if (!/^[0-9A-Za-z.+-]{1,32}$/.test(version)) {
  console.error(`build-agent: --version ${version} must be 1..32 characters of letters, digits and . + -`);
  process.exit(2);
}

const started = performance.now();
mkdirSync(args.outdir, { recursive: true });
const bundle = join(args.outdir, 'jumpgate-agent.cjs');
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
  // ws loads these optional native accelerators when present; the agent uses its pure JS paths
  // (and a single executable could not load them anyway).
  external: ['bufferutil', 'utf-8-validate'],
  define: {
    __JUMPGATE_VERSION__: JSON.stringify(version),
    'process.env.WS_NO_BUFFER_UTIL': '"1"',
    'process.env.WS_NO_UTF_8_VALIDATE': '"1"',
  },
  logLevel: 'warning',
});
const bundled = performance.now();
const report = { version, bundle, bundle_bytes: statSync(bundle).size, bundle_ms: Math.round(bundled - started) };

if (!args.bundleOnly) {
  const exe = join(args.outdir, 'jumpgate-agent');
  const blob = join(args.outdir, 'jumpgate-agent.blob');
  const seaConfig = join(args.outdir, 'sea-config.json');
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // postject prints harmless section-name warnings for Node's own ELF notes: show them only on failure.
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'postject'), [exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    process.stderr.write(String(err.stderr ?? ''));
    throw err;
  }
  rmSync(blob, { force: true });
  rmSync(seaConfig, { force: true });
  const data = readFileSync(exe);
  Object.assign(report, {
    executable: exe,
    executable_bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    total_ms: Math.round(performance.now() - started),
  });
}
console.log(JSON.stringify(report, null, 2));
