/**
 * The agent's commands other than `run`: install (orchestration around install.ts), disable,
 * enable, status and uninstall. Each returns its exit code; output goes to stdout, the one line of
 * a refusal to stderr (printed by main).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { INSTALLER_CONFIG_ENV } from '../shared/installer-config.ts';
import { createLogger } from '../shared/log.ts';
import { buildDirectory, installUnit, planInstall } from './install.ts';
import { isRoot } from './accounts.ts';
import { layoutOf, readAgentConfig, type AgentConfig } from './layout.ts';
import { setDisabled, statusReport } from './state.ts';
import { notifyUninstalling, removeInstallation, stopAgent } from './uninstall.ts';

const say = (line: string): void => {
  process.stdout.write(`jumpgate-client: ${line}\n`);
};

export async function installCommand(argv: readonly string[]): Promise<number> {
  const plan = planInstall(argv, process.env);
  buildDirectory(plan);
  try {
    installUnit(plan);
  } catch (err) {
    rmSync(plan.dir, { recursive: true, force: true });
    throw err;
  }
  const layout = layoutOf(plan.dir);
  say(`installed in ${plan.dir} (runs as ${plan.account.name}, ${plan.mode} mode)`);
  // The client must not inherit the installer's settings (its key) in its environment.
  const env = { ...process.env };
  delete env[INSTALLER_CONFIG_ENV];
  // A user-mode client installed by root is its account's, scripts included: root never runs them.
  const forAccount = plan.mode === 'user' && isRoot();
  const [command, args] = forAccount ? ['runuser', ['-u', plan.account.name, '--', layout.initScript, 'start']] : [layout.initScript, ['start']];
  const start = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, env });
  process.stdout.write(start.stdout ?? '');
  if (start.status !== 0) {
    process.stderr.write(start.stderr ?? '');
    process.stderr.write(`jumpgate-client: installed in ${plan.dir}, but the client did not start; see ${layout.logFile}\n`);
    return 1;
  }
  const account = plan.account.name;
  if (plan.unit) say(`starts at boot through the systemd unit ${plan.unit}`);
  else if (plan.mode === 'service') say(`to start it at boot, have this line run at start-up (e.g. in /etc/rc.local): ${layout.initScript} start`);
  else if (forAccount) say(`to start it at boot, add this line to the crontab of ${account} (crontab -u ${account} -e): @reboot ${layout.initScript} start`);
  else say(`to start it at boot, add this line to your crontab (crontab -e): @reboot ${layout.initScript} start`);
  say(`manage it with ${layout.initScript} start|stop|restart|status; remove it with ${layout.uninstall}${forAccount ? ` (both as ${account}: runuser -u ${account} -- …)` : ''}`);
  return 0;
}

/** Reads the install directory's settings; commands then use its canonical path. */
export function openInstall(dir: string): AgentConfig {
  return readAgentConfig(resolve(dir));
}

export function disableCommand(dir: string, disabled: boolean): number {
  const config = openInstall(dir);
  setDisabled(config.install_dir, disabled);
  say(disabled ? 'disabled: no session can start until it is enabled again' : 'enabled');
  return 0;
}

export function statusCommand(dir: string): number {
  const config = openInstall(dir);
  const report = statusReport(config.install_dir);
  process.stdout.write(report.text);
  return report.exitCode;
}

export async function uninstallCommand(dir: string): Promise<number> {
  const config = openInstall(dir);
  const installDir = config.install_dir;
  const log = createLogger('error', { module: 'agent' });
  await stopAgent(installDir);
  const told = await notifyUninstalling(installDir, config, log);
  if (!told) say('the appliance could not be told; remove this Jump Client in the console too');
  removeInstallation(installDir, config, log);
  say(`uninstalled ${installDir}`);
  return 0;
}
