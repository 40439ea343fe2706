/**
 * How this agent program is running: as the built single executable, or from a bundle or the
 * source tree under Node.js. `install` copies the executable, or writes a launcher for the others.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export function runningAsExecutable(): boolean {
  try {
    const sea = createRequire(process.execPath)('node:sea') as { isSea(): boolean };
    return sea.isSea();
  } catch {
    // A Node.js without the `node:sea` module cannot be running a single executable.
    return false;
  }
}

/** The node binary, loader (for TypeScript sources) and script that make up this program. */
export function launcherParts(): { node: string; loaderUrl: string | undefined; main: string } {
  const main = process.argv[1];
  if (!main) throw new Error('cannot tell which script runs this agent');
  let loaderUrl: string | undefined;
  if (main.endsWith('.ts')) {
    loaderUrl = pathToFileURL(createRequire(main).resolve('tsx')).href;
  }
  return { node: process.execPath, loaderUrl, main };
}
