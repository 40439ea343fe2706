/**
 * `jumpgate-agent run --dir DIR`: the foreground agent. Enrols on the first start, then keeps the
 * link to the appliance, reports statistics and the local disabled flag, applies updates, and
 * uninstalls itself when removed in the console or away for longer than allowed.
 */
import { openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROTOCOL_VERSION, type AgentMessage, type ConnectionType, type HubMessage, type PassiveListen, type UpdateOffer } from '../shared/protocol.ts';
import { DEFAULT_WAKE_PORT } from '../shared/wake.ts';
import { VERSION } from '../shared/version.ts';
import { agentLogger } from './agent-log.ts';
import { obtainIdentity } from './identity.ts';
import { layoutOf, migrateLayout, readAgentConfig } from './layout.ts';
import { openLifecycle } from './lifecycle.ts';
import { superviseCheckIns } from './passive.ts';
import { useInstallCache } from './native.ts';
import { createSessionHost, type SessionHost } from './sessions.ts';
import { collectStatistics, stableKey } from './stats.ts';
import { isDisabled, processGone, removePidFile, runningPid, watchDisabled, writePidFile } from './state.ts';
import { superviseLink } from './supervisor.ts';
import { applianceOf } from './transport.ts';
import { removeInstallation } from './uninstall.ts';
import { handOver, installUpdate, SUCCESSOR_ENV } from './update.ts';

export const EXIT_REFUSED = 78;
export const EXIT_RESTART = 75;

export async function runAgent(dir: string, supervised: boolean): Promise<number> {
  const layout = layoutOf(dir);
  const config = readAgentConfig(dir);
  migrateLayout(dir);
  useInstallCache(dir);
  const log = agentLogger(layout.logFile);
  let other = runningPid(dir);
  if (other !== undefined && String(other) === process.env[SUCCESSOR_ENV]) {
    // A self-update handed over to this process: let the old agent finish leaving.
    for (let waited = 0; waited < 10_000 && !processGone(other); waited += 100) await sleep(100);
    other = processGone(other) ? undefined : other;
  }
  delete process.env[SUCCESSOR_ENV];
  if (other !== undefined && other !== process.pid) {
    log.error('another agent already runs for this directory', { pid: other });
    return 1;
  }
  writePidFile(dir);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const lifecycle = openLifecycle(dir, config, Date.now());
  const appliance = applianceOf(config.installer);
  const ctx = { dir, config, appliance, log, signal: stop.signal, onEnrolled: () => lifecycle.contact(Date.now(), true) };
  let exitCode = 0;
  let removed: string | undefined;
  const timers: NodeJS.Timeout[] = [];
  let sessions: SessionHost | undefined;
  const expiry = (): void => {
    if (!lifecycle.expired(Date.now())) return;
    removed = `the appliance was not reached for ${lifecycle.state.max_offline_minutes} minutes`;
    stop.abort();
  };
  try {
    log.info('agent starting', { version: VERSION, pid: process.pid, appliance: config.installer.appliance_url });
    expiry();
    timers.push(setInterval(expiry, 60_000));
    let statistics = await collectStatistics(config.install_mode);
    const identity = stop.signal.aborted ? undefined : await obtainIdentity(ctx, statistics);
    if (identity && 'refused' in identity) {
      log.error('enrolment refused', { message: identity.refused });
      process.stderr.write(`jumpgate-client: enrolment refused: ${identity.refused}\n`);
      return (exitCode = EXIT_REFUSED);
    }
    if (!identity) return exitCode;
    log.info('identity', { agentId: identity.client_id });
    const host = (sessions = createSessionHost({ dir, appliance, identity, log }));

    // The connection type: the installer's at first, then what the appliance says (the console may
    // change it). A change waits for running sessions to end.
    let mode: ConnectionType = config.installer.connection_type;
    let wanted = mode;
    let phase = new AbortController();
    let listen: PassiveListen | undefined;
    const switchIfIdle = (): void => {
      if (wanted !== mode && host.count() === 0 && !phase.signal.aborted) phase.abort();
    };
    const want = (type: ConnectionType | undefined): void => {
      if (type === undefined || type === wanted) return;
      wanted = type;
      log.info('connection type changed by the appliance', { connection_type: type });
      switchIfIdle();
    };
    timers.push(setInterval(switchIfIdle, 1_000));

    let send: (m: AgentMessage) => boolean = () => false;
    let checkInNow = (): void => undefined;
    let statsIntervalMs = 300_000;
    let lastStatsSent = Date.now();
    let updating = false;
    const pushStats = (): void => {
      if (send({ type: 'stats', statistics })) lastStatsSent = Date.now();
    };
    const maybeUpdate = (offer: UpdateOffer | null): void => {
      if (!offer || offer.version === VERSION || updating) return;
      const last = lifecycle.state.last_update;
      if (last && last.sha256 === offer.sha256 && Date.now() - last.at_ms < 3_600_000) return;
      updating = true;
      log.info('updating', { from: VERSION, to: offer.version });
      installUpdate(dir, appliance, identity, offer).then(
        () => {
          lifecycle.recordUpdate(offer.sha256, Date.now());
          if (!supervised) handOver(dir, openSync(layout.logFile, 'a'));
          exitCode = supervised ? EXIT_RESTART : 0;
          stop.abort();
        },
        (err: Error) => {
          updating = false;
          log.error('update failed, keeping this version', { error: err.message });
        },
      );
    };
    const onMessage = (message: HubMessage, sendNow: (m: AgentMessage) => boolean): void => {
      switch (message.type) {
        case 'welcome':
          send = sendNow;
          lifecycle.contact(Date.now(), true);
          lifecycle.setMaxOffline(message.max_offline_minutes);
          statsIntervalMs = message.statistics_interval_seconds * 1000;
          lastStatsSent = Date.now();
          log.info('connected', { agentId: message.client_id });
          want(message.connection_type);
          return maybeUpdate(message.update);
        case 'settings':
          statsIntervalMs = message.statistics_interval_seconds * 1000;
          want(message.connection_type);
          return lifecycle.setMaxOffline(message.max_offline_minutes);
        case 'update':
          return maybeUpdate(message.update);
        case 'session_open':
          return host.open(message, sendNow);
        case 'uninstall':
          return host.endAll();
      }
    };
    let key = stableKey(statistics);
    timers.push(
      setInterval(() => {
        collectStatistics(config.install_mode).then((fresh) => {
          statistics = fresh;
          const k = stableKey(fresh);
          if (k !== key || Date.now() - lastStatsSent >= statsIntervalMs) pushStats();
          key = k;
        }, (err: Error) => log.warn('statistics failed', { error: err.message }));
      }, 10_000),
    );
    const stopWatch = watchDisabled(
      dir,
      (disabled) => {
        log.info(disabled ? 'disabled locally' : 'enabled locally');
        // Linked: say so. A passive client not linked checks in at once instead (its hello says it).
        if (!send({ type: 'state', disabled })) checkInNow();
      },
      (answered, total) => {
        for (const r of answered) log.info(`${r.action} asked at the machine`, { uid: r.uid, outcome: r.outcome });
        if (total > answered.length) log.warn('more requests at the machine answered', { count: total - answered.length });
      },
      (err) => log.warn('taking requests at the machine failed', { error: err.message }),
    );
    const handlers = {
      hello: (): AgentMessage => ({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        agent_version: VERSION,
        disabled: isDisabled(dir),
        statistics,
        connection_type: mode,
        ...(mode === 'passive' && listen ? { listen } : {}),
      }),
      message: onMessage,
      contact: () => lifecycle.contact(Date.now()),
    };
    while (!stop.signal.aborted) {
      phase = new AbortController();
      const relay = (): void => phase.abort();
      stop.signal.addEventListener('abort', relay, { once: true });
      mode = wanted;
      const link = { appliance, identity, log, signal: phase.signal, handlers };
      const end =
        mode === 'active'
          ? await superviseLink(link)
          : await superviseCheckIns({
              ...link,
              listenAt: config.passive_listen ?? { host: '0.0.0.0', port: DEFAULT_WAKE_PORT },
              checkInMs: () => statsIntervalMs,
              busy: () => host.count() > 0,
              onListening: (bound) => (listen = bound),
              onReady: (now) => (checkInNow = now),
            });
      checkInNow = () => undefined;
      stop.signal.removeEventListener('abort', relay);
      if (end.kind === 'removed') {
        removed = end.reason;
        break;
      }
    }
    stopWatch();
    return exitCode;
  } finally {
    sessions?.endAll();
    for (const t of timers) clearInterval(t);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (removed) {
      log.warn('uninstalling this Jump Client', { reason: removed });
      removeInstallation(dir, config, log);
    } else {
      removePidFile(dir);
      log.info('agent stopped', { exitCode });
    }
  }
}
