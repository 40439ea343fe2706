/**
 * Local accounts for the installer: looking one up (`getent passwd`), and checking what that
 * account may do with a path by asking the system as that account (`runuser`, or `su`), since
 * group memberships and ACLs make any reading of mode bits unreliable.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { userInfo } from 'node:os';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Parses one `getent passwd` line. */
export function parsePasswdLine(line: string): Account | undefined {
  const parts = line.trim().split(':');
  if (parts.length < 7 || !/^\d+$/.test(parts[2]) || !/^\d+$/.test(parts[3])) return undefined;
  return { name: parts[0], uid: Number(parts[2]), gid: Number(parts[3]), home: parts[5] };
}

export function lookupAccount(name: string): Account | undefined {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || !r.stdout) return undefined;
  const account = parsePasswdLine(r.stdout.split('\n')[0]);
  return account && account.name === name ? account : undefined;
}

export function currentAccount(): Account {
  const me = userInfo();
  return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir };
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** A command line that runs `argv` as `account` (we are root). */
export function asAccount(account: Account, argv: string[]): { file: string; args: string[] } {
  const runuser = spawnSync('sh', ['-c', 'command -v runuser'], { encoding: 'utf8' });
  if (runuser.status === 0) return { file: 'runuser', args: ['-u', account.name, '--', ...argv] };
  return { file: 'su', args: ['-s', '/bin/sh', account.name, '-c', 'exec "$0" "$@"', ...argv] };
}

/** Whether `account` may `w`rite to or `x` traverse `path`. */
export function accountCan(account: Account, path: string, what: 'w' | 'x'): boolean {
  if (account.uid === process.getuid?.()) {
    try {
      accessSync(path, what === 'w' ? constants.W_OK | constants.X_OK : constants.X_OK);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES' || (err as NodeJS.ErrnoException).code === 'EROFS') return false;
      throw err;
    }
  }
  const test = what === 'w' ? 'test -w "$1" && test -x "$1"' : 'test -x "$1"';
  const cmd = asAccount(account, ['sh', '-c', test, 'sh', path]);
  const r = spawnSync(cmd.file, cmd.args, { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}
