/**
 * Waking a passive Jump Client (SPEC A6). A passive client holds no connection; it listens on a
 * TCP port. To jump to it the hub connects there and sends one JSON line, the client answers with
 * one line and, when the wake was for it, links to its pinned appliance as an active client would.
 *
 * A wake carries no secret and asks for nothing but that link: a forged one makes the client
 * connect to its own appliance, authenticated by its own credentials, which the hub closes again
 * when no Jump waits. So the listener needs no key, only bounds (one short line, a few seconds,
 * a few connections at once), and it answers a wake meant for another client with a refusal.
 */
import * as v from 'valibot';

/** The port a passive client listens on unless told otherwise. */
export const DEFAULT_WAKE_PORT = 5832;
/** The longest line either side reads, newline included. */
export const MAX_WAKE_LINE = 256;
/** How long either side waits for the other's line. */
export const WAKE_LINE_TIMEOUT_MS = 5_000;

export const WakeRequest = v.strictObject({
  type: v.literal('wake'),
  client_id: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
});
export type WakeRequest = v.InferOutput<typeof WakeRequest>;

export const WakeReply = v.variant('type', [
  v.strictObject({ type: v.literal('wake_ack') }),
  v.strictObject({ type: v.literal('wake_refused'), reason: v.pipe(v.string(), v.maxLength(128)) }),
]);
export type WakeReply = v.InferOutput<typeof WakeReply>;

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
