/** `jumpgate`: the command line around the appliance, with signals and exit codes. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startAppliance } from './appliance.ts';
import { ConfigError, readCommand, USAGE, VERSION } from './config.ts';
import { installNatives } from './native/index.ts';
import { openRegistry } from './registry/index.ts';
import { createLogger } from './shared/log.ts';
import { embeddedStatic } from './static-embedded.ts';

async function main(argv: string[]): Promise<number> {
  const command = readCommand(argv);
  switch (command.kind) {
    case 'version':
      process.stdout.write(`jumpgate ${VERSION}\n`);
      return 0;
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case 'backup': {
      if (!existsSync(join(command.dataDir, 'registry', 'data.mdb'))) {
        throw new ConfigError(`--data: no registry in ${command.dataDir} (expected ${join(command.dataDir, 'registry', 'data.mdb')})`);
      }
      const registry = await openRegistry(command.dataDir);
      try {
        await registry.backup(command.file);
      } finally {
        await registry.close();
      }
      process.stdout.write(`jumpgate backup written to ${command.file} (restore: stop jumpgate, copy it to <data>/registry/data.mdb)\n`);
      return 0;
    }
    case 'simulate': {
      const log = createLogger('warn', { module: 'simulate' });
      const { simulate } = await import('./sim/index.ts');
      const o = command.options;
      process.stdout.write(`jumpgate simulate: ${o.agents} agents against ${o.url} for ${o.durationSeconds} s\n`);
      // A signal ends the run the way its duration does: every client closes, the result is printed.
      const interrupted = new AbortController();
      process.once('SIGTERM', () => interrupted.abort());
      process.once('SIGINT', () => interrupted.abort());
      const result = await simulate({
        ...o,
        log,
        signal: interrupted.signal,
        // One JSON line a second, for people and for the benchmarks.
        progress: (p) => process.stdout.write(JSON.stringify({ progress: p }) + '\n'),
      });
      process.stdout.write(JSON.stringify({ result }) + '\n');
      return 0;
    }
    case 'serve': {
      const log = createLogger(command.config.logLevel, { module: 'main' });
      const appliance = await startAppliance(command.config, { log, staticFiles: embeddedStatic() });
      if (appliance.generatedAdminPassword) {
        process.stdout.write(`jumpgate admin password (shown once): ${appliance.generatedAdminPassword}\n`);
      }
      if (appliance.tls) process.stdout.write(`jumpgate certificate sha256 ${appliance.tls.fingerprint}\n`);
      process.stdout.write(`jumpgate listening on ${appliance.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info('stopping', { signal });
          appliance.close().then(resolve, (err: unknown) => {
            log.error('stop failed', { err });
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      return 0;
    }
  }
}

installNatives();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof Error && err.name !== 'Error' && err.name !== 'TypeError';
    process.stderr.write(`jumpgate: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!known && !(err instanceof ConfigError)) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
