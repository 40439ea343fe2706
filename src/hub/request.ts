/**
 * The Request handed to the API for each HTTP request, made lazily. Its method, URL and headers are
 * its own, a body gathered whole (or none) answers `text()`, `json()` and `arrayBuffer()` by
 * itself, and its abort signal is the one the adapter makes when asked for; anything else — a
 * streamed body, `clone()`, … — builds the real Request first and asks it. Building a real
 * Request (with its AbortSignal) for every call cost the appliance 30-80 µs of CPU a request here,
 * a quarter of a simple API call's, which a call with a JSON body or none never needed.
 *
 * It passes `instanceof Request` but holds none of a real one's internals: `new Request(it)` and
 * `fetch(it)` throw. Nothing here does either (Hono's body-limit middleware and proxy helper would);
 * `new Request(url, it)` works.
 */

export interface LazyRequestFields {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** The request's abort signal, made when first asked for. */
  signal(): AbortSignal;
}

const FIELDS = Symbol('fields');
const REAL = Symbol('real request');
const USED = Symbol('body used');

interface Lazy {
  [FIELDS]: LazyRequestFields;
  [REAL]?: Request;
  [USED]?: boolean;
}

function realOf(self: Lazy): Request {
  const f = self[FIELDS];
  if (!self[REAL]) {
    // Node's fetch needs `duplex` for a streamed body; the DOM typings lack it.
    const init = { method: f.method, headers: f.headers, body: f.body, signal: f.signal(), duplex: f.body instanceof ReadableStream ? 'half' : undefined };
    const real = new Request(f.url, init as RequestInit);
    // A body already read here is read there too: a second read fails as it would have.
    if (self[USED]) void real.arrayBuffer().catch(() => undefined);
    self[REAL] = real;
  }
  return self[REAL];
}

/** The body gathered whole, once; undefined when the real Request must answer (a stream, or made already). */
function wholeBody(self: Lazy): Uint8Array | undefined {
  const body = self[FIELDS].body;
  if (self[REAL] || body instanceof ReadableStream) return undefined;
  if (body === null) return new Uint8Array(0); // no body: read as empty, as often as asked
  if (self[USED]) throw new TypeError('Body is unusable: Body has already been read');
  self[USED] = true;
  return body;
}

const decoder = new TextDecoder();
/** A body method answered from the body gathered whole, or by the real Request when there is none. */
function answered<T>(fromBody: (body: Uint8Array) => T, fromReal: (real: Request) => Promise<T>): PropertyDescriptor {
  return {
    value: async function (this: Lazy) {
      const body = wholeBody(this);
      return body ? fromBody(body) : fromReal(realOf(this));
    },
    configurable: true,
    writable: true,
  };
}
const prototype: object = Object.create(Request.prototype);
for (const key of Reflect.ownKeys(Request.prototype)) {
  if (key === 'constructor') continue;
  const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, key)!;
  if (descriptor.get) {
    Object.defineProperty(prototype, key, { get: function (this: Lazy) { return Reflect.get(realOf(this), key); }, configurable: true });
  } else if (typeof descriptor.value === 'function') {
    const method = descriptor.value as (...args: unknown[]) => unknown;
    Object.defineProperty(prototype, key, { value: function (this: Lazy, ...args: unknown[]) { return method.apply(realOf(this), args); }, configurable: true, writable: true });
  }
}
Object.defineProperties(prototype, {
  method: { get: function (this: Lazy) { return this[FIELDS].method; }, configurable: true },
  url: { get: function (this: Lazy) { return this[FIELDS].url; }, configurable: true },
  headers: { get: function (this: Lazy) { return this[FIELDS].headers; }, configurable: true },
  // The real Request's signal would follow this one; a Jump asks for it, and needs no more.
  signal: { get: function (this: Lazy) { return this[FIELDS].signal(); }, configurable: true },
  bodyUsed: { get: function (this: Lazy) { return this[REAL] ? this[REAL].bodyUsed : Boolean(this[USED]); }, configurable: true },
  text: answered((body) => decoder.decode(body), (real) => real.text()),
  json: answered((body) => JSON.parse(decoder.decode(body)) as unknown, (real) => real.json()),
  arrayBuffer: answered((body) => body.slice().buffer, (real) => real.arrayBuffer()),
});

/** A URL that a Request would not keep as it is: a dot segment (plain or escaped) or a backslash. */
const ODD_PATH = /\\|\/\.|%2e/i;
/** Methods a Request refuses to carry: the request is malformed, as building one would have said. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** A lazy Request, or undefined when a real one could not be made of these fields. */
export function lazyRequest(fields: LazyRequestFields): Request | undefined {
  if (FORBIDDEN_METHODS.has(fields.method) || !URL.canParse(fields.url)) return undefined;
  // A Request resolves dot segments and backslashes in the path; the routes see what it would have.
  if (ODD_PATH.test(fields.url)) fields = { ...fields, url: new URL(fields.url).href };
  const self = Object.create(prototype) as Lazy;
  self[FIELDS] = fields;
  return self as unknown as Request;
}
