/**
 * `jumpgate-agent install [switches]`, run by the `.bin` installer (SPEC D3). Checks everything
 * first — installer settings, switches, account, directory — and refuses with one line when
 * anything is wrong. The directory is built as a temporary sibling and renamed into place, so a
 * refusal or a failure leaves nothing behind. Then the systemd unit (service mode, where systemd
 * runs), the first start, and where it all went.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, copyFileSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { decodeInstallerConfig, INSTALLER_CONFIG_ENV, type InstallerConfig } from '../shared/installer-config.ts';
import { accountCan, currentAccount, isRoot, lookupAccount, type Account } from './accounts.ts';
import { id8, layoutOf, type AgentConfig } from './layout.ts';
import { launcherParts, runningAsExecutable } from './runtime.ts';
import { initScript, sourceLauncher, systemdUnit, uninstallScript, type ScriptParams } from './scripts.ts';
import { checkOverridesAllowed, InstallRefusal, parseSwitches, type Switches } from './switches.ts';

const SYSTEMD_DIR = '/etc/systemd/system';

export interface InstallPlan {
  installer: InstallerConfig;
  switches: Switches;
  account: Account;
  mode: InstallerConfig['install_mode'];
  dir: string;
  unit: string | null;
}

function readInstaller(env: NodeJS.ProcessEnv, keyInfo: string | undefined): InstallerConfig {
  const b64 = env[INSTALLER_CONFIG_ENV];
  if (!b64) throw new InstallRefusal('install must be run by a jumpgate-client .bin installer (its settings are missing)');
  let installer: InstallerConfig;
  try {
    installer = decodeInstallerConfig(b64);
  } catch (err) {
    throw new InstallRefusal(`the installer file is damaged; download it again (${(err as Error).message.slice(0, 120)})`);
  }
  return keyInfo ? { ...installer, installer_key: keyInfo } : installer;
}

function chooseAccount(switches: Switches): Account {
  const root = isRoot();
  if (!switches.user) {
    if (root) {
      throw new InstallRefusal('warning: installing as root is not recommended; pass --user <name> to choose the account the client runs as');
    }
    return currentAccount();
  }
  const spelled = switches.spelled.user ?? '--user';
  const account = lookupAccount(switches.user);
  if (!account) throw new InstallRefusal(`${spelled}: the account ${switches.user} does not exist`);
  if (account.uid === 0) throw new InstallRefusal(`${spelled}: the client never runs as root; name an unprivileged account`);
  if (!root && account.uid !== process.getuid?.()) throw new InstallRefusal(`${spelled}: only root can install for another account`);
  return account;
}

function checkDirectory(dir: string, account: Account, mode: InstallerConfig['install_mode'], spelled: string): void {
  if (!/^\/[A-Za-z0-9._@+/-]*$/.test(dir) || dir.split('/').includes('..')) {
    throw new InstallRefusal(`${spelled}: ${dir} must be a path of letters, digits and . _ - + @ only`);
  }
  if (existsSync(dir) || lstatExists(dir)) throw new InstallRefusal(`${spelled}: ${dir} already exists; name a new directory`);
  const parent = dirname(dir);
  if (!existsSync(parent)) throw new InstallRefusal(`${spelled}: the parent directory ${parent} does not exist`);
  if (!statSync(parent).isDirectory()) throw new InstallRefusal(`${spelled}: ${parent} is not a directory`);
  try {
    accessSync(parent, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new InstallRefusal(`${spelled}: the parent directory ${parent} is not writable (${(err as NodeJS.ErrnoException).code})`);
  }
  // A service's directory may sit in root's /opt; a user-mode client must own its surroundings.
  const need = mode === 'service' ? 'x' : 'w';
  if (mode === 'service') {
    const open = changeableByOthers(parent);
    if (open) {
      throw new InstallRefusal(`${spelled}: ${open} can be changed by accounts other than root; a service-mode client goes where only root can change it (for example /opt)`);
    }
  }
  if (!accountCan(account, parent, need)) {
    throw new InstallRefusal(`${spelled}: the account ${account.name} cannot ${need === 'w' ? 'write to' : 'reach'} ${parent}`);
  }
}

/**
 * The first directory from `dir` up to `/` that someone other than root could rename or replace
 * entries in (owned by another account, or writable by group or others without the sticky bit),
 * or undefined. Root runs a service's scripts, so no one else may swap the directory holding them.
 */
function changeableByOthers(dir: string): string | undefined {
  for (let d = realpathSync(dir); ; d = dirname(d)) {
    const st = statSync(d);
    const sticky = (st.mode & 0o1000) !== 0;
    if (st.uid !== 0 || ((st.mode & 0o022) !== 0 && !sticky)) return d;
    if (d === '/') return undefined;
  }
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Decides everything without changing anything. */
export function planInstall(argv: readonly string[], env: NodeJS.ProcessEnv, nowMs = Date.now()): InstallPlan {
  const switches = parseSwitches(argv);
  const installer = readInstaller(env, switches.keyInfo);
  checkOverridesAllowed(switches, installer.allow_override);
  if (installer.expiration_timestamp <= nowMs) {
    throw new InstallRefusal(`this installer expired on ${new Date(installer.expiration_timestamp).toISOString()}; download a new one`);
  }
  const account = chooseAccount(switches);
  const mode = installer.install_mode;
  if (mode === 'service' && !isRoot()) {
    throw new InstallRefusal('this installer installs a service-mode client: run it as root with --user <name>');
  }
  const short = id8(installer.installer_id);
  const dir = resolve(switches.installDir ?? (mode === 'service' ? `/opt/jumpgate-client-${short}` : join(account.home, `.jumpgate-client-${short}`)));
  checkDirectory(dir, account, mode, switches.spelled.install_dir ?? '--install-dir');
  let unit: string | null = null;
  if (mode === 'service' && isRoot() && existsSync('/run/systemd/system')) {
    unit = `jumpgate-client-${short}.service`;
    if (existsSync(join(SYSTEMD_DIR, unit))) {
      throw new InstallRefusal(`a client of this installer is already installed as ${unit}; run its uninstall first`);
    }
  }
  return { installer, switches, account, mode, dir, unit };
}

function writeAgentProgram(file: string): void {
  if (runningAsExecutable()) {
    copyFileSync(process.execPath, file);
    chmodSync(file, 0o755);
    return;
  }
  const parts = launcherParts();
  writeFileSync(file, sourceLauncher(parts.node, parts.loaderUrl, parts.main), { mode: 0o755 });
}

/** Gives a tree to the account; never follows a symlink (lchown, lstat). */
function chownTree(path: string, account: Account): void {
  lchownSync(path, account.uid, account.gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), account);
}

/** Builds the install directory beside its final place, then renames it in. */
export function buildDirectory(plan: InstallPlan, nowMs = Date.now()): void {
  const { dir, account } = plan;
  const tmp = mkdtempSync(join(dirname(dir), `.${basename(dir)}.installing-`));
  try {
    const t = layoutOf(tmp);
    const final = layoutOf(dir);
    // What the client itself writes: the account's, whoever installs.
    const ownFolders = [t.bin, t.runDir, t.logDir, t.stateDir, t.cacheDir];
    for (const d of ownFolders) mkdirSync(d, { mode: 0o700 });
    writeAgentProgram(t.agent);
    const config: AgentConfig = {
      installer: plan.installer,
      overrides: plan.switches.overrides,
      install_dir: dir,
      run_as: account.name,
      install_mode: plan.mode,
      unit: plan.unit,
      installed_at: nowMs,
      ...(plan.switches.passiveListen ? { passive_listen: plan.switches.passiveListen } : {}),
    };
    writeFileSync(t.config, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
    if (plan.installer.certificate_pem) writeFileSync(t.certificate, plan.installer.certificate_pem, { mode: 0o600 });
    const params: ScriptParams = { dir: final.dir, runAs: account.name, unit: plan.unit ?? '', id8: id8(plan.installer.installer_id), mode: plan.mode };
    writeFileSync(t.initScript, initScript(params), { mode: 0o755 });
    writeFileSync(t.uninstall, uninstallScript(params), { mode: 0o755 });
    if (plan.mode === 'service') {
      // Root runs a service's init-script and uninstall (at boot without systemd, and to remove
      // the client): they and the directory holding them stay root's, in a place only root can
      // change (checkDirectory), so the account cannot change what root runs. The account owns
      // what the client itself writes or reads: its program (updates), state, pid, log and addon
      // cache folders, its configuration and the pinned certificate.
      chownSync(tmp, 0, account.gid);
      for (const d of ownFolders) chownTree(d, account);
      // Other accounts at the machine may disable and enable the client (SPEC A4): they may pass
      // through the directory (not list it) to requests/, where they may create files but neither
      // list nor remove others'; the account takes them. Every other folder stays the account's.
      mkdirSync(t.requestsDir);
      lchownSync(t.requestsDir, account.uid, account.gid);
      chmodSync(t.requestsDir, 0o1733);
      chmodSync(tmp, 0o751);
      for (const f of [t.config, t.certificate]) if (existsSync(f)) lchownSync(f, account.uid, account.gid);
    } else {
      // A user-mode client is its account's, scripts included (they refuse root).
      chmodSync(tmp, 0o700);
      if (isRoot()) chownTree(tmp, account);
    }
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Installs and enables the systemd unit; on failure removes it again. */
export function installUnit(plan: InstallPlan): void {
  if (!plan.unit) return;
  const file = join(SYSTEMD_DIR, plan.unit);
  const params: ScriptParams = { dir: plan.dir, runAs: plan.account.name, unit: plan.unit, id8: id8(plan.installer.installer_id), mode: plan.mode };
  writeFileSync(file, systemdUnit(params), { mode: 0o644 });
  const reload = spawnSync('systemctl', ['daemon-reload'], { stdio: 'ignore', timeout: 30_000 });
  const enable = spawnSync('systemctl', ['enable', plan.unit], { stdio: 'ignore', timeout: 30_000 });
  if (reload.status !== 0 || enable.status !== 0) {
    rmSync(file, { force: true });
    spawnSync('systemctl', ['daemon-reload'], { stdio: 'ignore', timeout: 30_000 });
    throw new InstallRefusal(`systemd did not accept the unit ${plan.unit}`);
  }
}
