import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LISTING_ENTRIES, MAX_MESSAGE_BYTES, decodeSessionAgentMessage, listingMessages, type DirectoryEntry } from './protocol.ts';

const entry = (name: string): DirectoryEntry => ({ name, kind: 'file', size: 123_456_789, mode: 0o100644, mtime: 1_700_000_000_000 });

describe('a directory listing in parts (listingMessages)', () => {
  it('a small listing is one message, without `more`', () => {
    const parts = listingMessages(3, { path: '/tmp', entries: [entry('a'), entry('b')], truncated: false });
    assert.equal(parts.length, 1);
    assert.deepEqual(parts[0], { type: 'dir_listing', channel: 3, path: '/tmp', entries: [entry('a'), entry('b')], truncated: false });
  });

  it('the largest listing goes in parts that each fit a message and decode, all entries in order', () => {
    // Names that cost the most JSON: the longest allowed, of characters escaped as \u00XX.
    const entries = Array.from({ length: MAX_LISTING_ENTRIES }, (_, i) => entry(`${i}`.padStart(6, '0') + '\u0001'.repeat(1018)));
    const path = '/' + 'é'.repeat(4095);
    const parts = listingMessages(255, { path, entries, truncated: true });
    assert.ok(parts.length > 100, String(parts.length));
    const received: DirectoryEntry[] = [];
    parts.forEach((part, i) => {
      const json = JSON.stringify(part);
      assert.ok(Buffer.byteLength(json) <= MAX_MESSAGE_BYTES, `part ${i}: ${Buffer.byteLength(json)} bytes`);
      const decoded = decodeSessionAgentMessage(json);
      assert.ok(decoded.ok, JSON.stringify(decoded));
      assert.equal(part.more, i < parts.length - 1 ? true : undefined);
      assert.equal(part.truncated, true);
      received.push(...part.entries);
    });
    assert.deepEqual(received, entries);
  });

  it('an empty directory is one message with no entries', () => {
    assert.deepEqual(listingMessages(1, { path: '/empty', entries: [], truncated: false }), [{ type: 'dir_listing', channel: 1, path: '/empty', entries: [], truncated: false }]);
  });
});
