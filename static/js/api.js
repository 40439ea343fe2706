/**
 * The console's one fetch wrapper. JSON in and out; the session is the HttpOnly cookie the browser
 * sends by itself (the page never holds the bearer token); state-changing requests carry the CSRF
 * token from the store in `x-csrf-token`. An answer `{error:{code,message}}` becomes a thrown
 * ApiError that pages show. A 401 on an authenticated call means the session ended: the console
 * goes back to the login page.
 */
import { store } from './store.js';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An error answered by the appliance (or the network), with the catalog's code and message. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the appliance could not be reached
   * @param {string} code   catalog code, e.g. `unauthorized`, `too_many_requests`
   * @param {string} message
   * @param {{ retryAfter?: number|null, details?: Record<string, unknown> }} [extra]
   */
  constructor(status, code, message, extra = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = extra.retryAfter ?? null;
    this.details = extra.details ?? {};
  }
}

/** @type {(error: ApiError) => void} */
let onSessionEnded = () => {};

/** Sets what happens when an authenticated call answers 401 (main.js: back to the login page). */
export function setSessionEndedHandler(handler) {
  onSessionEnded = handler;
}

/**
 * Calls the API.
 * @param {string} method
 * @param {string} path  same-origin path, e.g. `/api/auth/me`
 * @param {unknown} [body] sent as JSON
 * @param {{ authenticated?: boolean }} [options] `authenticated: false` for calls that may answer
 *   401 without meaning "the session ended" (login, the first /me)
 * @returns {Promise<any>} the decoded JSON answer, or null for an empty one
 */
export async function request(method, path, body, options = {}) {
  const { authenticated = true } = options;
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const csrf = store.get().csrf;
  if (!SAFE_METHODS.has(method) && csrf) headers[CSRF_HEADER] = csrf;

  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err));
  }

  const data = await decode(res);
  if (res.ok) return data;
  const error = toApiError(res, data);
  if (res.status === 401 && authenticated) onSessionEnded(error);
  throw error;
}

/** The answer's JSON, its text when it is not JSON, or null when empty. */
async function decode(res) {
  const text = await res.text();
  if (!text) return null;
  if (!(res.headers.get('content-type') ?? '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(res.status, 'bad_response', `The appliance sent JSON that cannot be read: ${err}`);
  }
}

/** Turns `{error:{code,message,...details}}` into an ApiError; anything else gets a generic one. */
function toApiError(res, data) {
  const retry = Number(res.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  const error = data && typeof data === 'object' ? data.error : undefined;
  if (error && typeof error === 'object' && typeof error.code === 'string') {
    const { code, message, ...details } = error;
    return new ApiError(res.status, code, String(message ?? code), { retryAfter, details });
  }
  return new ApiError(res.status, `http_${res.status}`, res.statusText || `HTTP ${res.status}`, { retryAfter });
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body, options);
export const patch = (path, body, options) => request('PATCH', path, body, options);
export const del = (path, options) => request('DELETE', path, undefined, options);
