import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHANNEL_WINDOW, MAX_DATA_FRAME, type SessionHubMessage } from '../shared/protocol.ts';
import { createTransfers } from './transfers.ts';

const FRAME = MAX_DATA_FRAME - 1;
const turn = () => new Promise((r) => setImmediate(r));

/** Transfers whose agent side is a list of what the hub sent it. */
function withAgent() {
  const sent: SessionHubMessage[] = [];
  const transfers = createTransfers({ control: (m) => (sent.push(m), true), data: () => true });
  const meta = (channel: number) => transfers.onMessage({ type: 'file_meta', channel, size: 64 * 1024 * 1024, mode: 0o644, mtime: 0 });
  return { sent, transfers, meta, lastChannel: () => (sent.at(-1) as { channel: number }).channel };
}

/** A download from an agent that sends as the real one does: a frame, then a look at its window. */
async function download(extraFrames: number) {
  const { sent, transfers, meta, lastChannel } = withAgent();
  const result = transfers.download('/big');
  const channel = lastChannel();
  meta(channel);
  const file = await result;
  assert.equal(file.kind, 'file');
  let outstanding = 0;
  let credited = 0;
  const creditsSeen = () => {
    const total = sent.filter((m) => m.type === 'credit').reduce((n, m) => n + (m as { bytes: number }).bytes, 0);
    outstanding -= total - credited;
    credited = total;
  };
  // Nobody reads the download: once the appliance's queue is full, no credit comes back.
  for (let i = 0; i < 100; i++) {
    await turn();
    creditsSeen();
    if (outstanding >= CHANNEL_WINDOW) break;
    transfers.onData(channel, new Uint8Array(FRAME - 100 * (i % 3))); // frames of uneven size
    outstanding += FRAME - 100 * (i % 3);
  }
  for (let i = 0; i < extraFrames; i++) transfers.onData(channel, new Uint8Array(FRAME));
  await turn();
  return { outstanding, cancelled: sent.some((m) => m.type === 'file_cancel'), stream: file.kind === 'file' ? file.stream : undefined };
}

describe('a download held to its credit', () => {
  it('an agent that keeps to its window, one frame past it at most, is never cut off', async () => {
    const { outstanding, cancelled } = await download(0);
    assert.ok(outstanding >= CHANNEL_WINDOW, String(outstanding)); // it went to the end of its window
    assert.equal(cancelled, false);
  });

  it('frames of a cancelled download still on their way count for nothing in the next one on its channel', async () => {
    const { sent, transfers, meta, lastChannel } = withAgent();
    const first = transfers.download('/a');
    const channel = lastChannel();
    meta(channel);
    const a = await first;
    await (a.kind === 'file' ? a.stream.cancel() : undefined); // the technician gave up
    const second = transfers.download('/b');
    assert.equal(lastChannel(), channel, 'the channel is used again');
    for (let i = 0; i < 16; i++) transfers.onData(channel, new Uint8Array(FRAME)); // the first's frames, late
    meta(channel);
    const b = await second;
    await turn();
    const credited = sent.filter((m) => m.type === 'credit' && (m as { channel: number }).channel === channel).reduce((n, m) => n + (m as { bytes: number }).bytes, 0);
    assert.equal(credited, 0, 'nothing of the first is credited to the second');
    for (let i = 0; i < 17; i++) transfers.onData(channel, new Uint8Array(FRAME)); // its own window and a frame
    await turn();
    assert.equal(sent.filter((m) => m.type === 'file_cancel').length, 1, 'only the first was cancelled');
    assert.equal(b.kind, 'file');
  });

  it('an agent that goes on sending past its window has the transfer ended', async () => {
    const { cancelled, stream } = await download(2);
    assert.equal(cancelled, true);
    await assert.rejects(stream!.getReader().read(), { code: 'session_internal_error' });
  });

  it('a listing that never ends (past 1,000 parts) fails instead of waiting for ever', async () => {
    const { transfers, lastChannel } = withAgent();
    const listing = transfers.download('/dir');
    const channel = lastChannel();
    for (let i = 0; i < 1001; i++) transfers.onMessage({ type: 'dir_listing', channel, path: '/dir', entries: [], truncated: false, more: true });
    await assert.rejects(listing, { code: 'session_internal_error' });
  });
});

describe('system information', () => {
  it('a Jump Client that does not answer in time gives the catalog timeout', async () => {
    const { sent, transfers } = withAgent();
    await assert.rejects(transfers.sysinfo(20), { code: 'connect_timeout', message: 'Timed out while trying to connect to the Jump Client.' });
    assert.equal(sent[0].type, 'sysinfo_get');
  });
});
