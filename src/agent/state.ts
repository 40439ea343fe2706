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

/**
 * Who holds the client disabled: root or the client's account (`local`, with the command), and the
 * accounts that asked through requests/ (their uids). Undefined when it is enabled.
 */
export interface DisabledBy {
  local: boolean;
  uids: number[];
}

const BY_REQUEST = /^by request of uid (\d{1,10})$/;

export function disabledBy(dir: string): DisabledBy | undefined {
  let text: string;
  try {
    text = readFileSync(layoutOf(dir).disabled, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { local: true, uids: [] }; // there but unreadable (root's): held by root
  }
  const uids = text.split('\n').flatMap((line) => {
    const m = BY_REQUEST.exec(line);
    return m ? [Number(m[1])] : [];
  });
  // A mark without uids (the command's, or an older version's) is local.
  return { local: uids.length === 0 || /^local$/m.test(text), uids };
}

/**
 * The command's disable or enable (root or the client's account). A disable keeps the accounts
 * that asked too; an enable clears every disable, theirs included.
 */
export function setDisabled(dir: string, disabled: boolean): void {
  writeMark(dir, disabled ? { local: true, uids: disabledBy(dir)?.uids ?? [] } : undefined);
}

function writeMark(dir: string, by: DisabledBy | undefined): void {
  const file = layoutOf(dir).disabled;
  if (!by) return void rmSync(file, { force: true });
  const lines = [`disabled at ${new Date().toISOString()}`, ...(by.local ? ['local'] : []), ...by.uids.map((u) => `by request of uid ${u}`)];
  writeFileAtomic(file, lines.join('\n') + '\n', 0o600);
}

/**
 * A request's file name, as `init-script` makes it with mktemp: the action, the asking account's
 * uid (not believed: the file's owner is) and a random part. The client takes it by renaming it
 * to `.taken`, then answers by renaming it again:
 * `.done` (the client is now as asked), `.held` (an enable withdrew the asker's disable, and
 * others still hold the client disabled), `.refused` (an enable of a disable the asker did not
 * make) or `.failed` (the client could not record it).
 */
const REQUEST = /^(disable|enable)\.\d{1,10}\.[A-Za-z0-9]{6,32}$/;
const ANSWER = /^(disable|enable)\.\d{1,10}\.[A-Za-z0-9]{6,32}\.(taken|done|held|refused|failed)$/;
/** Entries looked at per look; the next look goes on from there. */
const ENTRIES_PER_LOOK = 4096;
/** At most one change of state asked through requests/ in this long: no account can flap it. */
export const REQUEST_COOL_DOWN_MS = 10_000;
/** An answer nobody removed (its asker gave up) is removed after this long. */
const ANSWER_KEPT_MS = 60_000;

export type RequestOutcome = 'done' | 'held' | 'refused' | 'failed';

export interface AnsweredRequest {
  action: 'disable' | 'enable';
  /** The account that asked: the file's owner. */
  uid: number;
  outcome: RequestOutcome;
}

export interface RequestTaker {
  /** One look at requests/: answers what it can, returns the answers given. */
  take(): AnsweredRequest[];
  close(): void;
}

export interface RequestTakerOptions {
  /** A monotonic clock for the cool-down. */
  clock?: () => number;
  onError?: (err: Error) => void;
}

/**
 * Takes the requests other accounts at the machine leave in `DIR/requests/` (service mode; SPEC
 * A4). The folder is writable by every account, so nothing in it is believed and every look is
 * bounded: names are read as bytes; at most ENTRIES_PER_LOOK entries a look (the next look goes on
 * from there); every entry that is neither a request nor a fresh answer is removed (a folder only
 * when empty); nothing is followed or read; a request counts only as a file made in place (`made`),
 * its asker being its owner. Requests of one look are taken in the order of their change time,
 * which their owners cannot set.
 *
 * Rules: any account may disable; an enable withdraws the asker's own disable, and the client is
 * enabled once no one holds it disabled (a disable by root or the client's account is theirs to
 * undo). One change of state per REQUEST_COOL_DOWN_MS; requests that would change it sooner wait
 * for a later look. A request is taken (renamed to `.taken`) before it is applied and answered
 * after, so what the asker reads is what happened.
 */
export function requestTaker(dir: string, options: RequestTakerOptions = {}): RequestTaker {
  const clock = options.clock ?? (() => performance.now());
  const folder = layoutOf(dir).requestsDir;
  const prefix = Buffer.from(folder + '/');
  let cursor: Dir | undefined;
  // No folder is no folder for good: a user-mode client, or one installed before requests existed
  // (the account cannot make it in root's directory).
  let absent = false;
  let lastChange = -Infinity;
  const closeCursor = (): void => {
    try {
      cursor?.closeSync();
    } catch {
      // closed already
    }
    cursor = undefined;
  };
  const remove = (path: Buffer, st: Stats): void => {
    try {
      if (st.isDirectory()) rmdirSync(path);
      else unlinkSync(path);
    } catch {
      // a folder with something in it, or gone meanwhile: left as it is
    }
  };
  const suffixed = (path: Buffer, suffix: string): Buffer => Buffer.concat([path, Buffer.from(`.${suffix}`)]);
  /** Renames the request to `.taken`; false (and the request removed) when that fails. */
  const claim = (path: Buffer): boolean => {
    try {
      renameSync(path, suffixed(path, 'taken'));
      return true;
    } catch {
      try {
        unlinkSync(path);
      } catch {
        // withdrawn meanwhile
      }
      return false;
    }
  };
  /** What the request would do: the new mark (or undefined for enabled) and the answer. */
  const decide = (action: 'disable' | 'enable', uid: number, by: DisabledBy | undefined): { next: DisabledBy | undefined; outcome: RequestOutcome; changes: boolean } => {
    if (action === 'disable') {
      if (!by) return { next: { local: false, uids: [uid] }, outcome: 'done', changes: true };
      return { next: by.uids.includes(uid) ? by : { local: by.local, uids: [...by.uids, uid] }, outcome: 'done', changes: false };
    }
    if (!by) return { next: undefined, outcome: 'done', changes: false };
    if (!by.uids.includes(uid)) return { next: by, outcome: 'refused', changes: false };
    const rest = by.uids.filter((u) => u !== uid);
    if (by.local || rest.length > 0) return { next: { local: by.local, uids: rest }, outcome: 'held', changes: false };
    return { next: undefined, outcome: 'done', changes: true };
  };
  /**
   * A file made in place by its owner, as mktemp makes it: regular, one link, empty, 0600, and
   * born when last changed. A file of someone else's moved or linked in keeps its birth time and
   * gets a new change time.
   */
  const made = (st: Stats): boolean =>
    st.isFile() && st.nlink === 1 && st.size === 0 && (st.mode & 0o777) === 0o600 && st.birthtimeMs > 0 && st.birthtimeMs === st.ctimeMs;
  const look = (): { path: Buffer; action: 'disable' | 'enable'; uid: number; at: number }[] => {
    const asked: { path: Buffer; action: 'disable' | 'enable'; uid: number; at: number }[] = [];
    const now = Date.now();
    if (absent) return asked;
    try {
      // Names as bytes: one that is not UTF-8 must still be removable. (Node takes 'buffer' here;
      // its typings list only text encodings.)
      cursor ??= opendirSync(folder, { encoding: 'buffer' as BufferEncoding });
      for (let n = 0; n < ENTRIES_PER_LOOK; n++) {
        const entry = cursor.readSync();
        if (!entry) {
          closeCursor();
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
        if (request && made(st)) asked.push({ path, action: request[1] as 'disable' | 'enable', uid: st.uid, at: st.ctimeMs });
        else if (!(ANSWER.test(text) && now - st.ctimeMs < ANSWER_KEPT_MS)) remove(path, st);
      }
    } catch (err) {
      closeCursor();
      absent = (err as NodeJS.ErrnoException).code === 'ENOENT';
    }
    return asked.sort((a, b) => a.at - b.at);
  };
  return {
    take() {
      const requests = look();
      if (requests.length === 0) return []; // the mark is read only when someone asked
      let by: DisabledBy | undefined;
      try {
        by = disabledBy(dir);
      } catch (err) {
        options.onError?.(err as Error);
        return [];
      }
      // The look's requests are decided in memory, in order, and the mark is written once: no
      // number of requests costs more than one write. One change of state per cool-down; an
      // account whose request waits for a later look has its later ones wait too.
      const first = by;
      const claimed: { path: Buffer; action: 'disable' | 'enable'; uid: number; outcome: RequestOutcome }[] = [];
      const waiting = new Set<number>();
      let changed = false;
      for (const r of requests) {
        if (waiting.has(r.uid)) continue;
        const { next, outcome, changes } = decide(r.action, r.uid, by);
        if (changes && (changed || clock() - lastChange < REQUEST_COOL_DOWN_MS)) {
          waiting.add(r.uid);
          continue;
        }
        if (!claim(r.path)) continue;
        by = next;
        changed ||= changes;
        claimed.push({ ...r, outcome });
      }
      let failed = false;
      if (by !== first) {
        try {
          writeMark(dir, by);
          if (changed) lastChange = clock();
        } catch (err) {
          options.onError?.(err as Error);
          failed = true;
        }
      }
      return claimed.map(({ path, action, uid, outcome }) => {
        const told: RequestOutcome = failed ? 'failed' : outcome;
        try {
          renameSync(suffixed(path, 'taken'), suffixed(path, told));
        } catch {
          // withdrawn by its asker meanwhile
        }
        return { action, uid, outcome: told };
      });
    },
    close: closeCursor,
  };
}

/** Answers logged one by one per look; beyond this, a count. */
const LOGGED_PER_LOOK = 10;

/**
 * Calls `onChange` when the disabled flag changes (by the commands, or by a request taken), and
 * `onRequests` with the requests answered in a look (at most LOGGED_PER_LOOK of them, and how many
 * in all); returns a stop function. Nothing a look meets stops the watch.
 */
export function watchDisabled(
  dir: string,
  onChange: (disabled: boolean) => void,
  onRequests: (answered: AnsweredRequest[], total: number) => void = () => undefined,
  onError: (err: Error) => void = () => undefined,
  intervalMs = 1000,
): () => void {
  let current = isDisabled(dir);
  const requests = requestTaker(dir, { onError });
  const timer = setInterval(() => {
    try {
      const answered = requests.take();
      if (answered.length) onRequests(answered.slice(0, LOGGED_PER_LOOK), answered.length);
      const now = isDisabled(dir);
      if (now !== current) {
        current = now;
        onChange(now);
      }
    } catch (err) {
      onError(err as Error);
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
const localSetting = (by: DisabledBy | undefined): string => {
  if (!by) return 'enabled';
  const who = [...(by.local ? ['root or the client\'s account'] : []), ...by.uids.map((u) => `uid ${u}`)];
  return `disabled (by ${who.join(', ')})`;
};

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
