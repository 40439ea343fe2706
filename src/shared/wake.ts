/**
 * Waking a passive Jump Client (SPEC A6). A passive client holds no connection; it listens on a
 * TCP port. To jump to it the hub connects there; the client sends a challenge (a fresh nonce),
 * the hub answers with a wake naming the client and proving it knows the client's credential,
 * and the client acknowledges and links to its pinned appliance as an active client would.
 *
 * The proof is an HMAC of the nonce keyed with the SHA-256 of the client's secret: the appliance
 * keeps exactly that hash, the client can compute it, and nobody else has it. So a wake from
 * anyone else (or one replayed: the nonce is new each time) is refused, with the same answer as a
 * wake for another client, and the port tells a stranger nothing. The listener is bounded all the
 * same: one short line, a few seconds, a few connections at once.
 */
import { createHmac } from 'node:crypto';
import * as v from 'valibot';

/** The port a passive client listens on unless told otherwise. */
export const DEFAULT_WAKE_PORT = 5832;
/** The longest line either side reads, newline included. */
export const MAX_WAKE_LINE = 256;
/** How long either side waits for the other's line. */
export const WAKE_LINE_TIMEOUT_MS = 5_000;

const hex = (length: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${length}}$`)));

/** The client's first line. */
export const WakeChallenge = v.strictObject({ type: v.literal('challenge'), nonce: hex(32) });
export type WakeChallenge = v.InferOutput<typeof WakeChallenge>;

/** The hub's answer. */
export const WakeRequest = v.strictObject({
  type: v.literal('wake'),
  client_id: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
  proof: hex(64),
});
export type WakeRequest = v.InferOutput<typeof WakeRequest>;

/** The client's last line. */
export const WakeReply = v.variant('type', [
  v.strictObject({ type: v.literal('wake_ack') }),
  v.strictObject({ type: v.literal('wake_refused'), reason: v.pipe(v.string(), v.maxLength(128)) }),
]);
export type WakeReply = v.InferOutput<typeof WakeReply>;

/** What a client answers to any wake that is not a proven one for itself. */
export const NOT_FOR_THIS_CLIENT = 'not a wake for this Jump Client';

/** The proof for `nonce`: HMAC-SHA-256 keyed with the hex SHA-256 of the client's secret. */
export function wakeProof(secretHash: string, clientId: number, nonce: string): string {
  return createHmac('sha256', secretHash).update(`jumpgate-wake\n${clientId}\n${nonce}`).digest('hex');
}

/** Parses one line (without its newline) against `schema`; a reason when it does not fit. */
export function parseWakeLine<T>(schema: v.GenericSchema<unknown, T>, line: string): { ok: true; value: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = v.safeParse(schema, json);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  return { ok: false, reason: `${v.getDotPath(issue) ?? 'line'}: ${issue.message}`.slice(0, 120) };
}

/**
 * Collects bytes from a socket up to the first newline; calls `done` with the line (newline
 * dropped), or with an error when the peer sends more than `MAX_WAKE_LINE` without one, closes
 * first, or keeps quiet for `WAKE_LINE_TIMEOUT_MS`.
 */
export function readOneLine(
  socket: NodeJS.ReadableStream & { setTimeout(ms: number, cb?: () => void): unknown; destroy(err?: Error): void },
  done: (err: Error | undefined, line?: string) => void,
): void {
  let buffered = '';
  let finished = false;
  const finish = (err: Error | undefined, line?: string): void => {
    if (finished) return;
    finished = true;
    socket.removeListener('data', onData);
    socket.setTimeout(0);
    done(err, line);
  };
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('latin1');
    const newline = buffered.indexOf('\n');
    if (newline >= 0 && newline < MAX_WAKE_LINE) return finish(undefined, Buffer.from(buffered.slice(0, newline), 'latin1').toString('utf8'));
    if (buffered.length >= MAX_WAKE_LINE) finish(new Error(`no newline within ${MAX_WAKE_LINE} bytes`));
  };
  socket.on('data', onData);
  socket.once('end', () => finish(new Error('closed before a whole line')));
  socket.once('close', () => finish(new Error('closed before a whole line')));
  socket.once('error', (err: Error) => finish(err));
  socket.setTimeout(WAKE_LINE_TIMEOUT_MS, () => finish(new Error(`no line within ${WAKE_LINE_TIMEOUT_MS / 1000} s`)));
}
