/**
 * The Jump Client agent's command line.
 *
 *   jumpgate-agent install [switches]        (run by the .bin installer; see switches.ts)
 *   jumpgate-agent run --dir DIR [--supervised]
 *   jumpgate-agent disable|enable|status|uninstall --dir DIR
 *   jumpgate-agent --version
 */
import * as v from 'valibot';
import { VERSION } from '../shared/version.ts';
import { disableCommand, installCommand, openInstall, statusCommand, uninstallCommand } from './commands.ts';
import { AgentFileError } from './layout.ts';
import { runAgent } from './run.ts';
import { InstallRefusal } from './switches.ts';

const USAGE = `usage: jumpgate-agent install [--install-dir DIR] [--user NAME] [--jc-jump-group G] [--jc-tag T]
                              [--jc-comments C] [--jc-name N] [--jc-max-offline-minutes M]
       jumpgate-agent run --dir DIR
       jumpgate-agent disable|enable|status|uninstall --dir DIR
       jumpgate-agent --version
`;

class UsageError extends Error {
  override name = 'UsageError';
}

const DirArgs = v.strictObject({
  dir: v.pipe(v.string(), v.minLength(1, 'needs a directory'), v.maxLength(4096)),
  supervised: v.boolean(),
});

function parseDirArgs(argv: readonly string[], allowSupervised: boolean): v.InferOutput<typeof DirArgs> {
  const raw: { dir?: string; supervised: boolean } = { supervised: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--dir' && i + 1 < argv.length) raw.dir = argv[++i];
    else if (arg.startsWith('--dir=')) raw.dir = arg.slice(6);
    else if (arg === '--supervised' && allowSupervised) raw.supervised = true;
    else throw new UsageError(`unknown argument: ${arg}`);
  }
  const result = v.safeParse(DirArgs, raw);
  if (!result.success) throw new UsageError(`--dir: ${result.issues[0].message}`);
  return result.output;
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case '--version':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'install':
      return installCommand(rest);
    case 'run': {
      const args = parseDirArgs(rest, true);
      return runAgent(openInstall(args.dir).install_dir, args.supervised);
    }
    case 'disable':
    case 'enable':
      return disableCommand(parseDirArgs(rest, false).dir, command === 'disable');
    case 'status':
      return statusCommand(parseDirArgs(rest, false).dir);
    case 'uninstall':
      return uninstallCommand(parseDirArgs(rest, false).dir);
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'a command is needed');
  }
}

dispatch(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof InstallRefusal || err instanceof AgentFileError) {
      process.stderr.write(`jumpgate-client: ${err.message}\n`);
      process.exit(1);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`jumpgate-client: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`jumpgate-client: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
