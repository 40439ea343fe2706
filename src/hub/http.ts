/**
 * The adapter that hands uWebSockets.js HTTP requests to a WHATWG `fetch` handler (the Hono app).
 * Rules it keeps: everything is copied out of HttpRequest synchronously; onAborted is registered
 * before any async step; every write after an await happens inside `cork`; the request body is a
 * ReadableStream fed by onData (each chunk copied, the socket paused while the stream is full) and
 * capped at `maxBodyBytes` (413); the response body is streamed with onWritable backpressure.
 */
import { STATUS_CODES } from 'node:http';
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
}

const NO_BODY = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createHttpAdapter(options: HttpAdapterOptions): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const path = req.getUrl();
    const query = req.getQuery();
    const headers = new Headers();
    req.forEach((key, value) => headers.append(key, value));
    const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
    const state: ResponseState = { aborted: false, finished: false, controller: new AbortController() };
    res.onAborted(() => {
      state.aborted = true;
      state.controller.abort();
      state.abortBody?.();
    });

    const limit = options.maxBodyBytes(method, path);
    const declared = Number(headers.get('content-length') ?? '0');
    if (Number.isFinite(declared) && declared > limit) {
      writeError(res, state, new AppError('payload_too_large', { details: { limit_bytes: limit } }), true);
      return;
    }
    const body = NO_BODY.has(method) ? null : bodyStream(res, state, limit);
    const url = options.origin + path + (query ? '?' + query : '');
    const request = new Request(url, {
      method,
      headers,
      body,
      signal: state.controller.signal,
      // @ts-expect-error: Node's fetch needs `duplex` for a streamed body; the DOM typings lack it.
      duplex: body ? 'half' : undefined,
    });
    options.track?.begin();
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
      .finally(() => options.track?.end());
  };
}

interface ResponseState {
  aborted: boolean;
  finished: boolean;
  controller: AbortController;
  /** Fails the request body stream when the client goes away, so a reader never waits forever. */
  abortBody?: () => void;
}

function bodyStream(res: HttpResponse, state: ResponseState, limit: number): ReadableStream<Uint8Array> {
  let received = 0;
  let paused = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        state.abortBody = () => {
          if (open) controller.error(new Error('the client aborted the request'));
          open = false;
        };
        res.onData((chunk, isLast) => {
          if (state.finished) return;
          received += chunk.byteLength;
          if (received > limit) {
            open = false;
            controller.error(new AppError('payload_too_large', { details: { limit_bytes: limit } }));
            writeError(res, state, new AppError('payload_too_large', { details: { limit_bytes: limit } }), true);
            return;
          }
          controller.enqueue(new Uint8Array(chunk.slice(0)));
          if (isLast) {
            open = false;
            controller.close();
          }
          else if ((controller.desiredSize ?? 1) <= 0 && !paused) {
            paused = true;
            res.pause();
          }
        });
      },
      pull() {
        if (paused && !state.aborted && !state.finished) {
          paused = false;
          res.resume();
        }
      },
      cancel() {
        state.controller.abort();
      },
    },
    { highWaterMark: 1024 * 1024, size: (chunk) => chunk.byteLength },
  );
}

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

function writeError(res: HttpResponse, state: ResponseState, err: AppError, close = false): void {
  if (state.aborted || state.finished) return;
  state.finished = true;
  res.cork(() => {
    res.writeStatus(statusLine(err.status)).writeHeader('content-type', 'application/json; charset=utf-8');
    for (const [k, v] of Object.entries(err.headers ?? {})) res.writeHeader(k, v);
    res.end(JSON.stringify(err.toJSON()), close);
  });
}

async function writeResponse(res: HttpResponse, state: ResponseState, response: Response, head: boolean): Promise<void> {
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
  for (;;) {
    const { value, done } = await reader.read();
    if (state.aborted) {
      await reader.cancel();
      return;
    }
    if (done) break;
    let ok = false;
    let finished = false;
    let base = 0;
    res.cork(() => {
      if (!headWritten) {
        writeHead();
        headWritten = true;
      }
      base = res.getWriteOffset();
      [ok, finished] = res.tryEnd(value, total);
    });
    if (finished) {
      state.finished = true;
      await reader.cancel();
      return;
    }
    if (!ok) {
      await new Promise<void>((resolve) => {
        state.controller.signal.addEventListener('abort', () => resolve(), { once: true });
        res.onWritable((offset) => {
          const [sent, end] = res.tryEnd(value.subarray(offset - base), total);
          if (end) state.finished = true;
          if (sent || end) resolve();
          return sent;
        });
      });
      if (state.finished) {
        await reader.cancel();
        return;
      }
    }
  }
  if (!state.aborted && !state.finished && total === 0) {
    state.finished = true;
    res.cork(() => {
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

function drained(res: HttpResponse, state: ResponseState): Promise<void> {
  return new Promise((resolve) => {
    if (state.aborted) return resolve();
    res.onWritable(() => {
      resolve();
      return true;
    });
    state.controller.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
