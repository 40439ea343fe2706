/**
 * The client's own identity (SPEC A1, A1b). On the first start of `run` the installer key is traded
 * for `{client_id, secret}`, kept in `DIR/state/identity.json` (0600, written atomically). A restart
 * reuses it and never enrols again. `install_fingerprint` ties the enrolment to this directory on
 * this machine, so a reinstall there is recognised by the appliance.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as v from 'valibot';
import type { Logger } from '../shared/log.ts';
import { ENROLL_PATH, EnrollResponse, type EnrollRequest, type Statistics } from '../shared/protocol.ts';
import { layoutOf, readJsonFile, writeFileAtomic, type AgentConfig } from './layout.ts';
import { createBackoff } from './backoff.ts';
import { readBody, request, type Appliance } from './transport.ts';

export const Identity = v.strictObject({ client_id: v.pipe(v.number(), v.integer(), v.minValue(1)), secret: EnrollResponse.entries.secret });
export type Identity = v.InferOutput<typeof Identity>;

const ErrorBody = v.object({ error: v.object({ code: v.string(), message: v.string() }) });

export function installFingerprint(dir: string): string {
  let machine = '';
  try {
    machine = readFileSync('/etc/machine-id', 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return createHash('sha256').update(`${machine || hostname()}\0${realpathSync(dir)}`).digest('hex');
}

export function readIdentity(dir: string): Identity | undefined {
  return readJsonFile(layoutOf(dir).identity, Identity);
}

export function writeIdentity(dir: string, identity: Identity): void {
  writeFileAtomic(layoutOf(dir).identity, JSON.stringify(identity) + '\n', 0o600);
}

export type EnrollOutcome =
  | { kind: 'enrolled'; identity: Identity }
  /** The appliance said no for good (expired or deleted installer, caps, bad request). */
  | { kind: 'refused'; status: number; code: string; message: string }
  /** Try again later (network, 5xx, 429/503 with an optional Retry-After). */
  | { kind: 'retry'; reason: string; retryAfterSeconds?: number };

export function enrollRequest(config: AgentConfig, dir: string, statistics: Statistics): EnrollRequest {
  return {
    installer_key: config.installer.installer_key,
    install_fingerprint: installFingerprint(dir),
    overrides: config.overrides,
    statistics,
  };
}

/** One enrolment attempt. */
export async function enrollOnce(appliance: Appliance, body: EnrollRequest, timeoutMs = 30_000): Promise<EnrollOutcome> {
  let status: number;
  let text: string;
  let retryHeader: string | undefined;
  try {
    const res = await request(appliance, ENROLL_PATH, { method: 'POST', body: JSON.stringify(body), timeoutMs });
    status = res.statusCode ?? 0;
    retryHeader = res.headers['retry-after'];
    text = await readBody(res);
  } catch (err) {
    return { kind: 'retry', reason: (err as Error).message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status === 201 || status === 200) {
    const parsed = v.safeParse(EnrollResponse, json);
    if (!parsed.success) return { kind: 'retry', reason: 'the appliance answered the enrolment with an unexpected body' };
    return { kind: 'enrolled', identity: { client_id: parsed.output.client_id, secret: parsed.output.secret } };
  }
  const error = v.safeParse(ErrorBody, json);
  const code = error.success ? error.output.error.code : `http_${status}`;
  const message = error.success ? error.output.error.message : `the appliance answered ${status}`;
  if (status >= 500 || status === 429 || status === 408 || status === 0) {
    const seconds = retryHeader && /^\d{1,9}$/.test(retryHeader.trim()) ? Number(retryHeader) : undefined;
    return { kind: 'retry', reason: `${code}: ${message}`, retryAfterSeconds: seconds };
  }
  return { kind: 'refused', status, code, message };
}

export interface EnrolContext {
  dir: string;
  config: AgentConfig;
  appliance: Appliance;
  log: Logger;
  signal: AbortSignal;
  onEnrolled(): void;
}

/**
 * The stored identity, or a new one from the appliance — retrying with backoff while it cannot be
 * reached; `refused` when it said no for good; undefined when stopped first.
 */
export async function obtainIdentity(ctx: EnrolContext, statistics: Statistics): Promise<Identity | { refused: string } | undefined> {
  const existing = readIdentity(ctx.dir);
  if (existing) return existing;
  const backoff = createBackoff();
  while (!ctx.signal.aborted) {
    const outcome = await enrollOnce(ctx.appliance, enrollRequest(ctx.config, ctx.dir, statistics));
    if (outcome.kind === 'enrolled') {
      writeIdentity(ctx.dir, outcome.identity);
      ctx.onEnrolled();
      ctx.log.info('enrolled', { agentId: outcome.identity.client_id });
      return outcome.identity;
    }
    if (outcome.kind === 'refused') return { refused: `${outcome.message} (${outcome.code})` };
    const delay = outcome.retryAfterSeconds === undefined ? backoff.next() : backoff.retryAfter(outcome.retryAfterSeconds);
    ctx.log.warn('enrolment failed, retrying', { reason: outcome.reason, delayMs: delay });
    await sleep(delay, undefined, { signal: ctx.signal }).catch((err: Error) => {
      if (err.name !== 'AbortError') throw err;
    });
  }
  return undefined;
}
