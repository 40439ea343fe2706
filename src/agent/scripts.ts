/**
 * The files `install` writes next to the agent: `init-script` (start|stop|restart|status, LSB exit
 * codes; disable|enable for the person at the machine), `uninstall`, the systemd unit, and the
 * source-tree launcher used before the executable is built. Install directories are restricted to
 * characters that need no quoting in a unit file; everything put in a shell script is
 * single-quoted anyway.
 */

export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ScriptParams {
  dir: string;
  runAs: string;
  /** systemd unit name, or '' when none. */
  unit: string;
  id8: string;
  /**
   * A service-mode client's scripts are root's and run by root; a user-mode client is its
   * account's entirely, so its scripts refuse root (they are the account's to change).
   */
  mode: 'service' | 'user';
}

const ACCOUNT_ONLY = `if [ "$(id -u)" = 0 ]; then
  echo "jumpgate-client: this client belongs to $RUN_AS and so do its scripts; run: runuser -u $RUN_AS -- $0 $*" >&2
  exit 4
fi`;

const AS_USER = `as_user() {
  if [ "$(id -u)" = 0 ] && [ "$RUN_AS" != root ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u "$RUN_AS" -- "$@"
    else su -s /bin/sh "$RUN_AS" -c 'exec "$0" "$@"' "$@"; fi
  elif [ "$(id -un)" = "$RUN_AS" ]; then "$@"
  else echo "jumpgate-client: run this as root or as $RUN_AS" >&2; exit 4; fi
}
use_systemd() {
  [ -n "$UNIT" ] && [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ] && [ -f "/etc/systemd/system/$UNIT" ]
}`;

export function initScript(p: ScriptParams): string {
  return `#!/bin/sh
# jumpgate Jump Client ${p.id8}: ${p.dir}/init-script start|stop|restart|status|disable|enable
# status exits 0 while the client runs and 3 when it is stopped. The client always runs as $RUN_AS.
DIR=${shQuote(p.dir)}
RUN_AS=${shQuote(p.runAs)}
UNIT=${shQuote(p.unit)}
AGENT="$DIR/bin/jumpgate-agent"
PIDFILE="$DIR/run/agent.pid"
LOG="$DIR/log/agent.log"
${p.mode === 'user' ? `${ACCOUNT_ONLY}\n` : ''}${AS_USER}
running_pid() {
  # Read as the account: run/ is its folder (a FIFO there must not hang root at boot).
  pid=$(as_user head -c 32 "$PIDFILE" 2>/dev/null) || return 1
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\\000' ' ' < "/proc/$pid/cmdline" | grep -qF -- "run --dir $DIR " || return 1
  echo "$pid"
}
pause() { sleep 0.2 2>/dev/null || sleep 1; }
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
start() {
  if pid=$(running_pid); then echo "jumpgate-client: already running (pid $pid)"; return 0; fi
  if [ ! -x "$AGENT" ]; then echo "jumpgate-client: the client program is gone ($AGENT); run $DIR/uninstall as root to finish removing it" >&2; return 1; fi
  if use_systemd; then
    systemctl start "$UNIT" || return 1
  else
    # Everything under log/ is the account's: it is rotated by the account, never by root.
    child=$(as_user sh -c 'cd "$1" || exit 1
      if [ -f "$3" ] && [ "$(wc -c < "$3")" -gt 1048576 ]; then mv -f "$3" "$3.1"; fi
      if command -v setsid >/dev/null 2>&1; then setsid "$2" run --dir "$1" </dev/null >>"$3" 2>&1 &
      else nohup "$2" run --dir "$1" </dev/null >>"$3" 2>&1 & fi
      echo "$!"' sh "$DIR" "$AGENT" "$LOG") || return 1
  fi
  # Started means enrolled: a first start refused by the appliance is reported here, not later.
  i=0
  while [ "$i" -lt 100 ]; do
    if pid=$(running_pid) && [ -f "$DIR/state/identity.json" ]; then echo "jumpgate-client: started (pid $pid)"; return 0; fi
    # The client stopped at once (e.g. its enrolment was refused): say why instead of waiting.
    if [ -n "\${child:-}" ] && ! alive "$child" && ! pid=$(running_pid); then
      as_user tail -n 20 "$LOG" | grep '^jumpgate-client:' | tail -n 1 >&2
      echo "jumpgate-client: the client stopped at start; see $LOG" >&2
      return 1
    fi
    pause; i=$((i + 1))
  done
  if pid=$(running_pid); then
    echo "jumpgate-client: started (pid $pid), not enrolled yet: the appliance was not reached so far; see $LOG"
    return 0
  fi
  echo "jumpgate-client: the client did not start; see $LOG" >&2
  return 1
}
stop() {
  if use_systemd; then systemctl stop "$UNIT"; fi
  if ! pid=$(running_pid); then echo "jumpgate-client: not running"; return 0; fi
  kill "$pid" 2>/dev/null
  i=0
  while [ "$i" -lt 50 ] && alive "$pid"; do pause; i=$((i + 1)); done
  if alive "$pid"; then kill -9 "$pid" 2>/dev/null; fi
  echo "jumpgate-client: stopped"
}
# disable|enable: root and the account change the state directly. Anyone else at the machine
# leaves a request in requests/ (service mode, made with mktemp: a new file, never one already
# there); the running client takes it (renames it to .taken), applies it, then renames it to its
# answer.
answer() { # $1: the request; prints the answer's suffix, once there
  for a in done held refused failed; do
    if [ -e "$1.$a" ] || [ -L "$1.$a" ]; then rm -f "$1.$a"; echo "$a"; return 0; fi
  done
  return 1
}
request() {
  if [ "$(id -u)" = 0 ] || [ "$(id -un)" = "$RUN_AS" ]; then as_user "$AGENT" "$1" --dir "$DIR"; return; fi
  if [ ! -d "$DIR/requests" ]; then echo "jumpgate-client: only root and $RUN_AS may $1 this client" >&2; return 4; fi
  if ! f=$(mktemp "$DIR/requests/$1.$(id -u).XXXXXXXXXX" 2>/dev/null); then
    echo "jumpgate-client: cannot leave a request in $DIR/requests" >&2; return 4
  fi
  i=0
  while :; do
    if a=$(answer "$f"); then break; fi
    i=$((i + 1))
    if [ "$i" -ge 75 ]; then
      # Withdrawn if not taken yet; taken meanwhile (.taken), its answer follows at once.
      if rm "$f" 2>/dev/null; then
        echo "jumpgate-client: no answer within 15 s (the client is stopped, or busy with other requests); nothing changed" >&2
        return 1
      fi
      if [ ! -e "$f.taken" ]; then
        if a=$(answer "$f"); then break; fi
        echo "jumpgate-client: the client did not take the request; nothing changed" >&2
        return 1
      fi
      if [ "$i" -ge 100 ]; then echo "jumpgate-client: the request was taken but not answered; see the client's log" >&2; return 1; fi
    fi
    pause
  done
  case "$1.$a" in
    disable.done) echo "jumpgate-client: disabled: no session can start until it is enabled again" ;;
    enable.done) echo "jumpgate-client: enabled" ;;
    enable.held) echo "jumpgate-client: your disable is withdrawn; the client stays disabled while root, $RUN_AS or another account holds it so" ;;
    enable.refused) echo "jumpgate-client: refused: you did not disable it; root, $RUN_AS or the account that did may enable it" >&2; return 1 ;;
    *) echo "jumpgate-client: the client could not record the request; see its log" >&2; return 1 ;;
  esac
}
case "$1" in
  start|stop|restart|status)
    if [ "$(id -u)" != 0 ] && [ "$(id -un)" != "$RUN_AS" ]; then echo "jumpgate-client: run this as root or as $RUN_AS" >&2; exit 4; fi ;;
esac
case "$1" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status)
    if pid=$(running_pid); then echo "jumpgate-client: running (pid $pid)"; exit 0; fi
    echo "jumpgate-client: stopped"; exit 3 ;;
  disable|enable) request "$1" ;;
  *) echo "usage: $0 start|stop|restart|status|disable|enable" >&2; exit 2 ;;
esac
`;
}

export function uninstallScript(p: ScriptParams): string {
  return `#!/bin/sh
# jumpgate Jump Client ${p.id8}: stops the client, tells the appliance (best effort), removes it.
DIR=${shQuote(p.dir)}
RUN_AS=${shQuote(p.runAs)}
UNIT=${shQuote(p.unit)}
${p.mode === 'user' ? `${ACCOUNT_ONLY}\n` : ''}${AS_USER}
[ -d "$DIR" ] || { echo "jumpgate-client: $DIR is not installed" >&2; exit 1; }
"$DIR/init-script" stop >/dev/null 2>&1
status=0
# The program is gone when the client already removed itself (revoked); root's part is left.
if [ -x "$DIR/bin/jumpgate-agent" ]; then as_user "$DIR/bin/jumpgate-agent" uninstall --dir "$DIR"; status=$?; fi
if [ -n "$UNIT" ] && [ "$(id -u)" = 0 ] && [ -f "/etc/systemd/system/$UNIT" ]; then
  if [ -d /run/systemd/system ]; then systemctl disable --now "$UNIT" >/dev/null 2>&1; fi
  rm -f "/etc/systemd/system/$UNIT"
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1; fi
fi
if [ -d "$DIR" ]; then rm -rf "$DIR" 2>/dev/null; fi
if [ -d "$DIR" ]; then echo "jumpgate-client: could not remove $DIR; run $0 as root" >&2; exit 1; fi
echo "jumpgate-client: removed $DIR"
exit $status
`;
}

export function systemdUnit(p: ScriptParams): string {
  return `[Unit]
Description=jumpgate Jump Client ${p.id8} (${p.dir})
Wants=network-online.target
After=network-online.target
ConditionPathExists=${p.dir}/bin/jumpgate-agent

[Service]
Type=simple
User=${p.runAs}
WorkingDirectory=${p.dir}
# The log is opened by the account's shell, not by systemd: systemd opens an append: file as
# root, following a symlink the account could have put in its log folder.
ExecStart=/bin/sh -c 'exec "$$0" run --dir "$$1" --supervised >>"$$2" 2>&1' ${p.dir}/bin/jumpgate-agent ${p.dir} ${p.dir}/log/agent.log
Restart=always
RestartSec=5
RestartPreventExitStatus=78
NoNewPrivileges=yes

[Install]
WantedBy=multi-user.target
`;
}

/** Runs the agent from the source tree (tests, development): node with the TypeScript loader. */
export function sourceLauncher(node: string, loaderUrl: string | undefined, main: string): string {
  const loader = loaderUrl ? ` --import ${shQuote(loaderUrl)}` : '';
  return `#!/bin/sh
# Development launcher: runs the Jump Client agent with Node.js from ${main}.
exec ${shQuote(node)}${loader} ${shQuote(main)} "$@"
`;
}
