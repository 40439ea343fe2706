/**
 * The adapter that hands uWebSockets.js HTTP requests to a WHATWG `fetch` handler (the Hono app).
 * Rules it keeps: everything is copied out of HttpRequest synchronously; onAborted is registered
 * before any async step; every write after an await happens inside `cork`; a body of up to 64 KiB
 * (by Content-Length) is gathered whole before the handler runs, a larger or chunked one is a
 * ReadableStream fed by onData (each chunk copied, the socket paused while the stream is full); a
 * body is capped at `maxBodyBytes` (413); the response body is streamed with onWritable backpressure.
 *
 * TLS: uWS decrypts a read in 512 KiB pieces and calls onData for each while more input is still
 * waiting to be decrypted; a write to ANY TLS socket of the loop at that moment (uSockets'
 * `us_internal_ssl_socket_write` resets the loop's shared read input) drops the rest of that input,
 * and the client sees its connection cut with a TLS alert ("protocol version"). Node runs the
 * microtasks queued by a uWS callback before the callback returns, so a body chunk handed to the
 * stream in onData would wake its reader (an upload forwarding to the agent socket, a handler
 * answering) inside that window. Hence: body chunks reach the stream from a macrotask
 * (setImmediate), and under TLS every response write is made from a macrotask as well.
 */
import { STATUS_CODES } from 'node:http';
import { lazyRequest } from './request.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import type { HttpRequest, HttpResponse } from './uws.ts';

export interface FetchEnv {
  /** The peer's address as the socket sees it. */
  remoteAddress: string;
}

export type FetchHandler = (request: Request, env: FetchEnv) => Response | Promise<Response>;

export interface HttpAdapterOptions {
  fetch: FetchHandler;
  /** `http://host:port` or `https://…`, the origin used to build request URLs. */
  origin: string;
  /** The largest request body accepted for this method and path. */
  maxBodyBytes(method: string, path: string): number;
  log: Logger;
  /** Called when a request starts and ends, for graceful shutdown. */
  track?: { begin(): void; end(): void };
  /** The listener is a uWS SSLApp: responses are written from a macrotask (see the header). */
  tls?: boolean;
}

/** Runs `fn` now, or under TLS from a macrotask, outside any uWS data callback. */
type Later = (fn: () => void) => void;
const now: Later = (fn) => fn();
const nextTurn: Later = (fn) => void setImmediate(fn);

const NO_BODY = new Set(['GET', 'HEAD', 'OPTIONS']);
const EMPTY = new Uint8Array(0);

export function createHttpAdapter(options: HttpAdapterOptions): (res: HttpResponse, req: HttpRequest) => void {
  const later = options.tls ? nextTurn : now;
  return (res, req) => {
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const path = req.getUrl();
    const query = req.getQuery();
    const headers = new Headers();
    let malformed = !path.startsWith('/');
    req.forEach((key, value) => {
      // A header the fetch API cannot hold (bytes above Latin-1) makes the request malformed.
      try {
        headers.append(key, value);
      } catch {
        malformed = true;
      }
    });
    const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
    const state: ResponseState = { aborted: false, finished: false, later };
    res.onAborted(() => {
      state.aborted = true;
      state.controller?.abort();
      state.abortBody?.();
    });

    if (malformed) {
      writeError(res, state, new AppError('invalid_request', { message: 'The request line or a header is malformed.' }), true);
      return;
    }
    const limit = options.maxBodyBytes(method, path);
    const declared = Number(headers.get('content-length') ?? '0');
    if (Number.isFinite(declared) && declared > limit) {
      writeError(res, state, new AppError('payload_too_large', { details: { limit_bytes: limit } }), true);
      return;
    }
    const url = options.origin + path + (query ? '?' + query : '');
    // The request is in flight from here, body still arriving or not: a shutdown waits for it.
    options.track?.begin();
    let tracked = true;
    const untrack = (): void => {
      if (!tracked) return;
      tracked = false;
      options.track?.end();
    };
    const handle = (body: ReadableStream<Uint8Array> | Uint8Array | null): void => {
      const request = lazyRequest({ method, url, headers, body, signal: () => signalOf(state) });
      if (!request) {
        writeError(res, state, new AppError('invalid_request', { message: 'The request is malformed.' }), true);
        untrack();
        return;
      }
      Promise.resolve()
        .then(() => options.fetch(request, { remoteAddress }))
        .then((response) => writeResponse(res, state, response, method === 'HEAD'))
        .catch((err: unknown) => {
          if (err instanceof AppError) writeError(res, state, err, true);
          else {
            options.log.error('request failed', { module: 'http', path, err });
            writeError(res, state, new AppError('internal_error', { cause: err }), true);
          }
        })
        .finally(untrack);
    };
    // Most requests carry no body or a small one (JSON): those skip the stream machinery. A small
    // body is gathered whole, then handled from a macrotask, for the reason in the header.
    const chunked = headers.has('transfer-encoding');
    if (NO_BODY.has(method) || (!chunked && !(declared > 0))) return handle(null);
    if (!chunked && declared <= SMALL_BODY) {
      state.abortBody = untrack; // the client left before its body was whole: nothing to handle
      return gatherBody(res, state, declared, handle);
    }
    handle(bodyStream(res, state, limit));
  };
}

/** Bodies of at most this declared length are gathered whole before the handler runs. */
const SMALL_BODY = 64 * 1024;

function gatherBody(res: HttpResponse, state: ResponseState, length: number, handle: (body: Uint8Array) => void): void {
  const body = new Uint8Array(length);
  let received = 0;
  res.onData((chunk, isLast) => {
    if (state.aborted || state.finished) return;
    const bytes = new Uint8Array(chunk);
    body.set(bytes.subarray(0, Math.max(0, Math.min(bytes.byteLength, length - received))), received);
    received += bytes.byteLength;
    if (!isLast) return;
    setImmediate(() => {
      if (state.aborted) return; // `abortBody` ended the request's tracking
      state.abortBody = undefined; // from here the handler's end does
      handle(received === length ? body : body.subarray(0, Math.min(received, length)));
    });
  });
}

/** The request's abort signal: aborted already when the client went away before anyone asked. */
function signalOf(state: ResponseState): AbortSignal {
  if (!state.controller) {
    state.controller = new AbortController();
    if (state.aborted) state.controller.abort();
  }
  return state.controller.signal;
}

interface ResponseState {
  aborted: boolean;
  /** The answer is decided (written, or scheduled to be): nothing else may write. */
  finished: boolean;
  /** Aborted when the client goes away; made when something first asks for its signal. */
  controller?: AbortController;
  later: Later;
  /** Fails the request body stream when the client goes away, so a reader never waits forever. */
  abortBody?: () => void;
  /**
   * Resumes a socket paused for a full body stream. Called before the final write of an answer
   * given while the body is still arriving (the handler did not read it all), so uWS reads and
   * discards the rest instead of leaving the connection stalled with no timeout.
   */
  resumeBody?: () => void;
  /** What the response's one onWritable handler calls now (see `whenWritable`). */
  writable?: (offset: number) => boolean;
  /** The onWritable handler is registered. */
  writableSet?: boolean;
}

/**
 * Routes writable events to `state.writable`. uWS gets exactly one handler per response, set the
 * first time: the writer's loop may go on (and back up again) inside the microtasks of an
 * onWritable callback, and a handler registered there is overwritten when uWS puts back the one it
 * was calling; the stale handler then answered every later writable event and the new waiter was
 * never woken (a download stalled for good). `idle` answers events that arrive with no waiter.
 */
function whenWritable(res: HttpResponse, state: ResponseState, handler: (offset: number) => boolean, idle: (offset: number) => boolean): void {
  state.writable = handler;
  if (state.writableSet) return;
  state.writableSet = true;
  res.onWritable((offset) => (state.writable ?? idle)(offset));
}

/** Waits for the next macrotask under TLS (see the header); nothing otherwise. */
function turn(state: ResponseState): Promise<void> | undefined {
  return state.later === now ? undefined : new Promise((resolve) => state.later(resolve));
}

function bodyStream(res: HttpResponse, state: ResponseState, limit: number): ReadableStream<Uint8Array> {
  let received = 0;
  let paused = false;
  /** Chunks copied in onData and not yet handed to the stream (see the header), and their size. */
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let ended = false;
  let scheduled = false;
  const resume = (): void => {
    if (paused && !state.aborted) {
      paused = false;
      res.resume();
    }
  };
  state.resumeBody = resume;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        state.abortBody = () => {
          if (open) controller.error(new Error('the client aborted the request'));
          open = false;
          pending = [];
          pendingBytes = 0;
        };
        const flush = (): void => {
          scheduled = false;
          if (!open) return;
          const chunks = pending;
          pending = [];
          pendingBytes = 0;
          for (const chunk of chunks) controller.enqueue(chunk);
          if (ended) {
            open = false;
            controller.close();
          }
        };
        res.onData((chunk, isLast) => {
          if (state.finished || !open) return;
          received += chunk.byteLength;
          if (received > limit) {
            open = false;
            pending = [];
            pendingBytes = 0;
            const err = new AppError('payload_too_large', { details: { limit_bytes: limit } });
            // Failing the stream wakes its reader: from a macrotask too.
            setImmediate(() => controller.error(err));
            writeError(res, state, new AppError('payload_too_large', { details: { limit_bytes: limit } }), true, nextTurn);
            return;
          }
          pending.push(new Uint8Array(chunk.slice(0)));
          pendingBytes += chunk.byteLength;
          if (isLast) ended = true;
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
          if (!isLast && !paused && (controller.desiredSize ?? 1) - pendingBytes <= 0) {
            paused = true;
            res.pause();
          }
        });
      },
      pull() {
        if (!state.finished) resume();
      },
      cancel() {
        (state.controller ??= new AbortController()).abort();
      },
    },
    { highWaterMark: 1024 * 1024, size: (chunk) => chunk.byteLength },
  );
}

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

function writeError(res: HttpResponse, state: ResponseState, err: AppError, close = false, later = state.later): void {
  if (state.aborted || state.finished) return;
  state.finished = true;
  later(() => {
    if (state.aborted) return;
    res.cork(() => {
      state.resumeBody?.();
      res.writeStatus(statusLine(err.status)).writeHeader('content-type', 'application/json; charset=utf-8');
      for (const [k, v] of Object.entries(err.headers ?? {})) res.writeHeader(k, v);
      res.end(JSON.stringify(err.toJSON()), close);
    });
  });
}

async function writeResponse(res: HttpResponse, state: ResponseState, response: Response, head: boolean): Promise<void> {
  if (!state.aborted && !state.finished) await turn(state);
  if (state.aborted || state.finished) {
    await response.body?.cancel();
    return;
  }
  const writeHead = (): void => {
    res.writeStatus(statusLine(response.status));
    response.headers.forEach((value, key) => {
      if (key !== 'content-length' && key !== 'set-cookie') res.writeHeader(key, value);
    });
    for (const cookie of response.headers.getSetCookie()) res.writeHeader('set-cookie', cookie);
  };
  if (!response.body || head) {
    state.finished = true;
    res.cork(() => {
      state.resumeBody?.();
      writeHead();
      res.end();
    });
    return;
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isSafeInteger(declared) && declared >= 0) return writeKnownLength(res, state, response.body, declared, writeHead);
  const reader = response.body.getReader();
  let headWritten = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      await turn(state);
      if (state.aborted) {
        await reader.cancel();
        return;
      }
      if (done) break;
      let ok = true;
      res.cork(() => {
        if (!headWritten) {
          writeHead();
          headWritten = true;
        }
        ok = res.write(value);
      });
      if (!ok) await drained(res, state);
    }
  } catch (err) {
    // The body stream failed midway: the status is already sent, so the only honest signal left
    // is to cut the connection.
    state.finished = true;
    if (!state.aborted) res.close();
    throw Object.assign(new Error('response body failed'), { cause: err, handled: true });
  }
  if (state.aborted) return;
  state.finished = true;
  res.cork(() => {
    state.resumeBody?.();
    if (!headWritten) writeHead();
    res.end();
  });
}

/**
 * A body of known length goes out with `tryEnd`, so the client gets a Content-Length (downloads
 * show progress, and a cut transfer is detectable); what the socket cannot take yet waits for
 * `onWritable`, resuming at the offset uWS reports.
 */
async function writeKnownLength(
  res: HttpResponse,
  state: ResponseState,
  body: ReadableStream<Uint8Array>,
  total: number,
  writeHead: () => void,
): Promise<void> {
  const reader = body.getReader();
  let headWritten = false;
  let handed = 0;
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (err) {
      // Before anything was sent the caller answers with an error; after, the only honest signal
      // left is to cut the connection.
      if (!headWritten) throw err;
      state.finished = true;
      if (!state.aborted) res.close();
      return;
    }
    const { value, done } = next;
    await turn(state);
    if (state.aborted) {
      await reader.cancel();
      return;
    }
    if (done) break;
    // Never more than declared: uWS would not recognise the end of the response.
    const chunk = handed + value.byteLength > total ? value.subarray(0, total - handed) : value;
    handed += chunk.byteLength;
    let ok = false;
    let finished = false;
    let base = 0;
    res.cork(() => {
      if (!headWritten) {
        writeHead();
        headWritten = true;
      }
      base = res.getWriteOffset();
      [ok, finished] = res.tryEnd(chunk, total);
    });
    if (!ok && !finished) finished = await sendWhenWritable(res, state, chunk, base, total);
    if (finished) state.finished = true;
    if (state.aborted || state.finished) {
      await reader.cancel();
      return;
    }
  }
  if (!state.aborted && !state.finished && total === 0) {
    state.finished = true;
    res.cork(() => {
      state.resumeBody?.();
      if (!headWritten) writeHead();
      res.end();
    });
    return;
  }
  // The body ended before its declared length: the response cannot be completed honestly.
  if (!state.aborted && !state.finished) {
    state.finished = true;
    if (!headWritten) res.cork(() => writeHead());
    res.close();
  }
}

/**
 * Sends the rest of `chunk` (written from body offset `base`) as the socket drains; resolves once
 * it is all out (true when that ended the response), or when the client goes away. The waiter is
 * set in the same turn as the failed `tryEnd`, so no writable event can be missed.
 */
function sendWhenWritable(res: HttpResponse, state: ResponseState, chunk: Uint8Array, base: number, total: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const signal = signalOf(state);
    const settle = (finished: boolean): void => {
      if (settled) return;
      settled = true;
      state.writable = undefined;
      signal.removeEventListener('abort', onAbort);
      resolve(finished);
    };
    const onAbort = (): void => settle(false);
    if (state.aborted) return settle(false);
    signal.addEventListener('abort', onAbort);
    whenWritable(
      res,
      state,
      (offset) => {
        const [ok, finished] = res.tryEnd(chunk.subarray(Math.min(chunk.byteLength, offset - base)), total);
        if (ok || finished) {
          state.writable = undefined;
          settle(finished);
        }
        return ok || finished;
      },
      // No chunk waiting: let uWS drain what it still holds.
      () => res.tryEnd(EMPTY, total)[0],
    );
  });
}

function drained(res: HttpResponse, state: ResponseState): Promise<void> {
  return new Promise((resolve) => {
    if (state.aborted) return resolve();
    const signal = signalOf(state);
    const done = (): void => {
      state.writable = undefined;
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done);
    whenWritable(
      res,
      state,
      () => {
        done();
        return true;
      },
      () => true,
    );
  });
}
