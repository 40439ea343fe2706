/**
 * Local control by the person at the machine (SPEC A4): `disable` writes `DIR/state/disabled`, `enable`
 * removes it, and the running agent notices within about a second. In service mode other accounts
 * ask through `DIR/requests/` (`init-script disable|enable`), which the running agent takes. Also
 * the pid file of the running agent and the `status` report.
 */
import { existsSync, lstatSync, opendirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, type Dir, type Stats } from 'node:fs';
import { layoutOf, readAgentConfig, writeFileAtomic } from './layout.ts';
import { readIdentity } from './identity.ts';

export function isDisabled(dir: string): boolean {
  return existsSync(layoutOf(dir).disabled);
}

const BY_REQUEST = / by request of uid (\d{1,10})$/m;

/** Who disabled the client: the uid of an account that asked through requests/, or 'local' (root or the account). */
export function disabledBy(dir: string): number | 'local' | undefined {
  let text: string;
  try {
    text = readFileSync(layoutOf(dir).disabled, 'utf8');
  } catch {
    return undefined;
  }
  const m = BY_REQUEST.exec(text);
  return m ? Number(m[1]) : 'local';
}

/** `byUid`: the account that asked through requests/; none when root or the account did it. */
export function setDisabled(dir: string, disabled: boolean, byUid?: number): void {
  const file = layoutOf(dir).disabled;
  if (disabled) writeFileAtomic(file, `disabled at ${new Date().toISOString()}${byUid === undefined ? '' : ` by request of uid ${byUid}`}\n`, 0o600);
  else rmSync(file, { force: true });
}

/**
 * A request's file name, as `init-script` makes it with mktemp: the action, the asking account's
 * uid (not believed: the file's owner is) and a random part. Its answer is the same name with
 * `.done` or `.refused`, renamed by the client for the asker to find and remove.
 */
const REQUEST = /^(disable|enable)\.\d{1,10}\.[A-Za-z0-9]{6,32}$/;
const ANSWER = /^(disable|enable)\.\d{1,10}\.[A-Za-z0-9]{6,32}\.(done|refused)$/;
/** Entries looked at per look; the next look goes on from there. */
const ENTRIES_PER_LOOK = 4096;
/** At most one change asked through requests/ in this long: no account can flap the state. */
export const REQUEST_COOL_DOWN_MS = 10_000;
/** An answer nobody removed (its asker gave up) is removed after this long. */
const ANSWER_KEPT_MS = 60_000;

export interface AnsweredRequest {
  action: 'disable' | 'enable';
  /** The account that asked: the file's owner. */
  uid: number;
  /** `refused`: an enable of a disable that root, the client's account or another account made. */
  outcome: 'applied' | 'unchanged' | 'refused';
}

export interface RequestTaker {
  /** One look at requests/: answers what it can, returns the answers. */
  take(now?: number): AnsweredRequest[];
  close(): void;
}

/**
 * Takes the requests other accounts at the machine leave in `DIR/requests/` (service mode; SPEC
 * A4). The folder is writable by every account, so everything about it is bounded and believes
 * nothing: names are read as bytes, at most ENTRIES_PER_LOOK entries a look (the next look goes on
 * from there), every entry that is neither a request nor a fresh answer is removed (a folder only
 * when empty), nothing is followed or read, and a request counts only as a regular file with one
 * link, ordered by its change time (which its owner cannot set). A disable is applied for anyone;
 * an enable only undoes a disable the same account asked for; one change per
 * REQUEST_COOL_DOWN_MS, the rest wait for their turn.
 */
export function requestTaker(dir: string): RequestTaker {
  const folder = layoutOf(dir).requestsDir;
  const prefix = Buffer.from(folder + '/');
  let cursor: Dir | undefined;
  let lastChange = -Infinity;
  const remove = (path: Buffer, st: Stats): void => {
    try {
      if (st.isDirectory()) rmdirSync(path);
      else unlinkSync(path);
    } catch {
      // a folder with something in it, or gone meanwhile: left as it is
    }
  };
  const answer = (path: Buffer, how: 'done' | 'refused'): void => {
    try {
      renameSync(path, Buffer.concat([path, Buffer.from(`.${how}`)]));
    } catch {
      // withdrawn meanwhile
    }
  };
  return {
    take(now = Date.now()) {
      const asked: { path: Buffer; action: 'disable' | 'enable'; uid: number; at: number }[] = [];
      try {
        // Names as bytes: one that is not UTF-8 must still be removable. (Node takes 'buffer' here;
        // its typings list only text encodings.)
        cursor ??= opendirSync(folder, { encoding: 'buffer' as BufferEncoding });
        for (let n = 0; n < ENTRIES_PER_LOOK; n++) {
          const entry = cursor.readSync();
          if (!entry) {
            cursor.closeSync();
            cursor = undefined;
            break;
          }
          const name = entry.name as unknown as Buffer;
          const path = Buffer.concat([prefix, name]);
          let st: Stats;
          try {
            st = lstatSync(path);
          } catch {
            continue;
          }
          const text = name.toString('latin1');
          const request = REQUEST.exec(text);
          if (request && st.isFile() && st.nlink === 1) asked.push({ path, action: request[1] as 'disable' | 'enable', uid: st.uid, at: st.ctimeMs });
          else if (!(ANSWER.test(text) && now - st.ctimeMs < ANSWER_KEPT_MS)) remove(path, st);
        }
      } catch {
        cursor = undefined;
        return []; // no folder: a user-mode client, or one installed before requests existed
      }
      const answered: AnsweredRequest[] = [];
      for (const r of asked.sort((a, b) => a.at - b.at)) {
        const by = disabledBy(dir);
        const wanted = r.action === 'disable';
        let outcome: AnsweredRequest['outcome'];
        if (wanted === (by !== undefined)) outcome = 'unchanged';
        else if (!wanted && by !== r.uid) outcome = 'refused';
        else if (now - lastChange < REQUEST_COOL_DOWN_MS) continue; // its turn comes at a later look
        else {
          setDisabled(dir, wanted, r.uid);
          lastChange = now;
          outcome = 'applied';
        }
        answer(r.path, outcome === 'refused' ? 'refused' : 'done');
        answered.push({ action: r.action, uid: r.uid, outcome });
      }
      return answered;
    },
    close() {
      cursor?.closeSync();
      cursor = undefined;
    },
  };
}

/**
 * Calls `onChange` when the disabled flag changes (by the commands, or by a request taken), and
 * `onRequest` for each request answered; returns a stop function.
 */
export function watchDisabled(dir: string, onChange: (disabled: boolean) => void, onRequest: (r: AnsweredRequest) => void = () => undefined, intervalMs = 1000): () => void {
  let current = isDisabled(dir);
  const requests = requestTaker(dir);
  const timer = setInterval(() => {
    for (const r of requests.take()) onRequest(r);
    const now = isDisabled(dir);
    if (now !== current) {
      current = now;
      onChange(now);
    }
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    requests.close();
  };
}

/** The pid in the pid file when that process is alive and is this client's agent. */
export function runningPid(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(layoutOf(dir).pidFile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const pid = Number(text);
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
  return cmdline.includes(`run --dir ${dir} `) ? pid : undefined;
}

/** Whether a process has exited (a zombie not yet reaped counts as exited). */
export function processGone(pid: number): boolean {
  try {
    return /^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
}

export function writePidFile(dir: string): void {
  writeFileAtomic(layoutOf(dir).pidFile, `${process.pid}\n`, 0o644);
}

/** Removes the pid file only if it is still ours (a self-update's successor may own it already). */
export function removePidFile(dir: string): void {
  const file = layoutOf(dir).pidFile;
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The `status` report; the exit code follows LSB (0 running, 3 stopped). */
const localSetting = (by: number | 'local' | undefined): string =>
  by === undefined ? 'enabled' : by === 'local' ? 'disabled' : `disabled (asked by uid ${by})`;

export function statusReport(dir: string): { text: string; exitCode: number } {
  const config = readAgentConfig(dir);
  const pid = runningPid(dir);
  const identity = readIdentity(dir);
  const lines = [
    `state:         ${pid ? `running (pid ${pid})` : 'stopped'}`,
    `local setting: ${localSetting(disabledBy(dir))}`,
    `client id:     ${identity ? identity.client_id : 'not enrolled yet'}`,
    `appliance:     ${config.installer.appliance_url}`,
    `install dir:   ${dir}`,
    `runs as:       ${config.run_as} (${config.install_mode} mode)`,
  ];
  return { text: lines.join('\n') + '\n', exitCode: pid ? 0 : 3 };
}
