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

/**
 * GET a list page with its pagination headers.
 * @returns {Promise<{ items: any[], total: number, lastPage: number }>}
 */
export async function getPage(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
  const data = await decode(res);
  if (!res.ok) {
    const error = toApiError(res, data);
    if (res.status === 401) onSessionEnded(error);
    throw error;
  }
  const items = Array.isArray(data) ? data : [];
  const total = Number(res.headers.get('x-pagination-total') ?? items.length);
  const lastPage = Number(res.headers.get('x-pagination-last-page') ?? 1);
  return { items, total, lastPage };
}

/** Every page of a list (per_page 1000), for the short lists of administration. */
export async function getAll(path) {
  const sep = path.includes('?') ? '&' : '?';
  const out = [];
  for (let page = 1; ; page++) {
    const { items, lastPage } = await getPage(`${path}${sep}per_page=1000&current_page=${page}`);
    out.push(...items);
    if (page >= lastPage || items.length === 0) return out;
  }
}

/**
 * PUT a file's raw bytes with upload progress (fetch cannot report it; XMLHttpRequest can).
 * @param {string} path
 * @param {Blob} body
 * @param {(sent: number, total: number) => void} onProgress
 * @returns {{ done: Promise<any>, abort: () => void }}
 */
export function upload(path, body, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('PUT', path);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    const csrf = store.get().csrf;
    if (csrf) xhr.setRequestHeader(CSRF_HEADER, csrf);
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size));
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network_error', 'The upload was interrupted.')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch (err) {
        data = null;
        console.warn('upload answer is not JSON', err);
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const error = data?.error;
      const apiError = new ApiError(xhr.status, error?.code ?? `http_${xhr.status}`, error?.message ?? xhr.statusText);
      if (xhr.status === 401) onSessionEnded(apiError);
      reject(apiError);
    });
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body, options);
export const patch = (path, body, options) => request('PATCH', path, body, options);
export const del = (path, options) => request('DELETE', path, undefined, options);
