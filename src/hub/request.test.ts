import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lazyRequest, type LazyRequestFields } from './request.ts';

const fields = (over: Partial<LazyRequestFields> = {}): LazyRequestFields => ({
  method: 'POST',
  url: 'http://127.0.0.1:1/api/x?a=1',
  headers: new Headers({ 'content-type': 'application/json', 'x-one': '1' }),
  body: new TextEncoder().encode('{"a":"è"}'),
  signal: () => new AbortController().signal,
  ...over,
});

describe('the lazy request handed to the API', () => {
  it('answers method, URL, headers and a whole body without a real Request, once', async () => {
    let signals = 0;
    const req = lazyRequest(fields({ signal: () => (signals++, new AbortController().signal) }))!;
    assert.ok(req instanceof Request);
    assert.equal(req.method, 'POST');
    assert.equal(req.url, 'http://127.0.0.1:1/api/x?a=1');
    assert.equal(req.headers.get('x-one'), '1');
    assert.equal(req.bodyUsed, false);
    assert.deepEqual(await req.json(), { a: 'è' });
    assert.equal(req.bodyUsed, true);
    await assert.rejects(req.text(), /already been read/);
    assert.equal(signals, 0, 'no signal was asked for');
  });

  it('text and arrayBuffer of a whole body, and an empty one', async () => {
    assert.equal(await lazyRequest(fields())!.text(), '{"a":"è"}');
    const buffer = await lazyRequest(fields())!.arrayBuffer();
    assert.equal(new TextDecoder().decode(buffer), '{"a":"è"}');
    assert.equal(await lazyRequest(fields({ method: 'GET', body: null }))!.text(), '');
  });

  it('gives the adapter\'s own signal, made when first asked for', () => {
    const controller = new AbortController();
    let asked = 0;
    const req = lazyRequest(fields({ signal: () => (asked++, controller.signal) }))!;
    assert.equal(asked, 0);
    assert.equal(req.signal, controller.signal);
    controller.abort();
    assert.equal(req.signal.aborted, true);
  });

  it('makes the real Request for anything else: a streamed body, a clone', async () => {
    const controller = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('streamed'));
        c.close();
      },
    });
    const req = lazyRequest(fields({ body: stream, signal: () => controller.signal }))!;
    assert.equal(req.signal.aborted, false);
    controller.abort();
    assert.equal(req.signal.aborted, true);
    assert.equal(await req.text(), 'streamed');
    const clone = lazyRequest(fields())!.clone();
    assert.equal(await clone.text(), '{"a":"è"}');
    assert.equal(clone.method, 'POST');
  });

  it('reads no body as empty, as often as asked; a body read here cannot be read again through the real Request', async () => {
    const empty = lazyRequest(fields({ method: 'GET', body: null }))!;
    assert.equal(await empty.text(), '');
    assert.equal(await empty.text(), '');
    const read = lazyRequest(fields())!;
    await read.text();
    assert.throws(() => read.clone(), /unusable|used/i);
  });

  it('resolves dot segments and backslashes in the URL as a Request would', () => {
    assert.equal(lazyRequest(fields({ url: 'http://127.0.0.1:1/api/a/../b?x=1' }))!.url, 'http://127.0.0.1:1/api/b?x=1');
    assert.equal(lazyRequest(fields({ url: 'http://127.0.0.1:1/a%2e%2e/%2E%2E/c' }))!.url, new Request('http://127.0.0.1:1/a%2e%2e/%2E%2E/c').url);
    assert.equal(lazyRequest(fields({ url: 'http://127.0.0.1:1/a\\b' }))!.url, 'http://127.0.0.1:1/a/b');
  });

  it('refuses what a Request cannot carry: a forbidden method, a URL that does not parse', () => {
    assert.equal(lazyRequest(fields({ method: 'TRACE' })), undefined);
    assert.equal(lazyRequest(fields({ url: 'http://[::1' })), undefined);
  });
});
