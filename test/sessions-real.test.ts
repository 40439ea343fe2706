/**
 * Sessions with real shells: the agent's session code (src/agent/session) with the real PTY, file
 * system and system information, against the real appliance. The agent's control link here is a
 * bare socket that hands `session_open` to that code; the installed agent does the same.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync as readdir, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSession, type RunningSession } from '../src/agent/session/index.ts';
import { realBackends } from '../src/agent/session/real.ts';
import { startTestAppliance, type ApiClient, type TestAppliance } from './helpers/appliance.ts';
import { connectAgent, enrolledClient, eventually, type RawAgent } from './helpers/hub-client.ts';
import { checkShellBasics, openTerminal } from './helpers/terminal.ts';

describe('sessions with real shells', () => {
  let t: TestAppliance;
  let admin: ApiClient;
  let clientId: number;
  let control: RawAgent;
  const running: RunningSession[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'jumpgate-files-'));

  before(async () => {
    t = await startTestAppliance();
    admin = await t.login();
    const c = await enrolledClient(t.appliance.registry);
    clientId = c.id;
    control = await connectAgent(t.url, c.id, c.secret);
    control.ws.on('message', (raw, binary) => {
      if (binary) return;
      const m = JSON.parse(raw.toString());
      if (m.type === 'session_open') {
        // A clean home: the machine's own shell start-up files are not this test's business.
        running.push(runSession({ origin: t.url.replace(/^http/, 'ws'), clientId: c.id, secret: c.secret }, m, realBackends(dir)));
      }
    });
    control.hello();
    await control.next('welcome');
  });
  after(async () => {
    for (const s of running) s.end();
    control.ws.terminate();
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const jump = async () => {
    const res = await admin.post('/api/command/v1/jump', { jump_client_id: clientId, cols: 100, rows: 30 });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.session_id as string;
  };

  it('runs commands in a real PTY as the account, with resize and UTF-8', async () => {
    const id = await jump();
    const term = await openTerminal(t.url, id, admin.token!);
    await checkShellBasics(term, userInfo().username);
    await term.close();
  });

  it('passes a fast producer\'s output whole and in order (coalesced reads)', async () => {
    const id = await jump();
    const term = await openTerminal(t.url, id, admin.token!);
    const out = await term.run('seq 1 300000; echo "seq-""done"\n', /seq-done\r\n/, 30_000);
    // The shell's bracketed-paste switch (ESC [ ? 2004 l) may precede the first line
    const numbers = out.replace(/\x1b\[\?2004[hl]/g, '').replace(/\r/g, '').split('\n');
    const first = numbers.indexOf('1');
    const expected = Array.from({ length: 300_000 }, (_, i) => String(i + 1));
    assert.ok(first >= 0, `the output starts: ${JSON.stringify(out.slice(0, 300))}`);
    assert.deepEqual(numbers.slice(first, first + expected.length), expected);
    await term.close();
  });

  it('a technician who stops reading stops the remote producer: nothing piles up, the hub goes on', async () => {
    const id = await jump();
    const term = await openTerminal(t.url, id, admin.token!);
    const shell = Number((await term.run('echo pid=$$\n', /pid=\d+/)).match(/pid=(\d+)/)![1]);
    term.type('yes flow-control-check\n');
    const producer = await eventually(() => {
      const child = spawnSync('pgrep', ['-P', String(shell), 'yes'], { encoding: 'utf8' }).stdout.trim();
      return child ? Number(child) : undefined;
    }, 5000, 'yes running');
    await eventually(() => term.output().includes('flow-control-check\r\nflow-control-check'), 5000, 'output flowing');
    // What the producer has written, from the machine's own accounts.
    const written = () => Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${producer}/io`, 'utf8'))![1]);
    const socket = (term.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause(); // the technician reads nothing more
    await new Promise((r) => setTimeout(r, 2000)); // the windows and buffers on the way fill
    const before = written();
    await new Promise((r) => setTimeout(r, 2000));
    const during = written() - before;
    // Unchecked, `yes` writes hundreds of megabytes in two seconds here; held back, nothing.
    assert.ok(during < 1024 * 1024, `the producer wrote ${during} bytes while nobody read`);
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200, 'the hub answers meanwhile');
    socket.resume();
    await eventually(() => written() - before > 16 * 1024 * 1024, 10_000, 'the producer going on once read again');
    term.type('\x03');
    await term.close();
  });

  it('ends the remote shell when the session ends', async () => {
    const id = await jump();
    const term = await openTerminal(t.url, id, admin.token!);
    const out = await term.run('echo pid=$$\n', /pid=\d+/);
    const pid = Number(out.match(/pid=(\d+)/)![1]);
    assert.doesNotThrow(() => process.kill(pid, 0), 'the shell runs');
    assert.equal((await admin.del(`/api/session/v1/${id}`)).status, 204);
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 5000, 'the shell to be gone');
    await term.close();
  });

  it('uploads and downloads 50 MB byte-identical, lists directories, refuses what the account may not read', async () => {
    const id = await jump();
    const files = join(dir, 'files');
    mkdirSync(files);
    const data = randomBytes(50 * 1024 * 1024);
    const target = join(files, 'big.bin');
    const put = await fetch(`${t.url}/api/session/v1/${id}/files?path=${encodeURIComponent(target)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}` },
      body: data,
    });
    assert.equal(put.status, 201, await put.clone().text());
    assert.equal((await put.json()).bytes, data.length);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(sha(readFileSync(target)), sha(data));

    const get = await fetch(`${t.url}/api/session/v1/${id}/files?path=${encodeURIComponent(target)}`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-length'), String(data.length));
    assert.equal(sha(Buffer.from(await get.arrayBuffer())), sha(data));

    const listing = await admin.get(`/api/session/v1/${id}/files?path=${encodeURIComponent(files)}`);
    assert.equal(listing.status, 200);
    assert.equal(listing.body.kind, 'directory');
    assert.deepEqual(listing.body.entries.map((e: any) => e.name), ['big.bin']);

    const missing = await admin.get(`/api/session/v1/${id}/files?path=${encodeURIComponent(join(dir, 'nope'))}`);
    assert.equal(missing.status, 404);

    if (userInfo().uid === 0) {
      // root reads everything; a file the account may not read is checked with the installed agent.
      return;
    }
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'x');
    chmodSync(secret, 0o000);
    const refused = await admin.get(`/api/session/v1/${id}/files?path=${encodeURIComponent(secret)}`);
    assert.equal(refused.status, 403);
  });

  it('lists a directory far larger than one message: every entry, in order, and the session goes on', async () => {
    const id = await jump();
    const big = join(dir, 'many');
    mkdirSync(big);
    const names = Array.from({ length: 2500 }, (_, i) => `${String(i).padStart(4, '0')}-${'n'.repeat(100)}`);
    for (const name of names) writeFileSync(join(big, name), '');
    const listing = await admin.get(`/api/session/v1/${id}/files?path=${encodeURIComponent(big)}`);
    assert.equal(listing.status, 200, JSON.stringify(listing.body).slice(0, 300));
    assert.equal(JSON.stringify(listing.body.entries).length > 4 * 64 * 1024, true, 'the listing is several messages long');
    assert.deepEqual(listing.body.entries.map((e: any) => e.name), names);
    assert.equal(listing.body.truncated, false);
    assert.equal((await admin.get(`/api/session/v1/${id}/system-info`)).status, 200, 'the session is still there');
  });

  it('an upload to a symbolic link writes the file it points to; one to a folder or a device is refused', async () => {
    const id = await jump();
    const real = join(dir, 'linked-target.txt');
    const link = join(dir, 'the-link');
    writeFileSync(real, 'before\n');
    symlinkSync(real, link);
    const put = (path: string, body: string) =>
      fetch(`${t.url}/api/session/v1/${id}/files?path=${encodeURIComponent(path)}`, { method: 'PUT', headers: { authorization: `Bearer ${admin.token}` }, body });
    assert.equal((await put(link, 'after\n')).status, 201);
    assert.equal(readFileSync(real, 'utf8'), 'after\n');
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
    assert.equal((await put(dir, 'x')).status, 400);
    assert.equal((await put('/dev/null', 'x')).status, 400);
  });

  it('input the shell is not reading yet waits, in order, and reaches it once it reads', async () => {
    const id = await jump();
    const term = await openTerminal(t.url, id, admin.token!);
    const out = join(dir, 'typed-ahead.bin');
    await term.run(`stty -echo; sleep 2; head -c 300000 > ${out}; echo typed-$((40+2))\n`, /typed-\$\(\(40\+2\)\)/);
    const line = 'x'.repeat(99) + '\n';
    for (let i = 0; i < 30; i++) term.type(line.repeat(100)); // 300 KB, far more than the PTY holds
    await eventually(() => /typed-42/.test(term.output()), 20_000, 'the shell read it all');
    assert.equal(readFileSync(out).length, 300_000);
    assert.equal(readFileSync(out, 'utf8'), line.repeat(3000));
    await term.close();
  });

  it('input far beyond what a shell that does not read takes closes the terminal, bounded', async () => {
    const id = await jump();
    const term = await openTerminal(t.url, id, admin.token!);
    await term.run('stty -echo; sleep 60\n', /sleep 60/);
    const closed = new Promise<number>((resolve, reject) => {
      term.ws.once('close', (code) => resolve(code));
      setTimeout(() => reject(new Error('the terminal stayed open')), 20_000).unref();
    });
    const chunk = Buffer.alloc(64 * 1024, 'y'.charCodeAt(0));
    for (let i = 0; i < 128 && term.ws.readyState === term.ws.OPEN; i++) term.ws.send(chunk); // 8 MB
    assert.equal(await closed, 1009);
    const record = await eventually(() => {
      const r = t.appliance.registry.sessions.get(id);
      return r?.outcome === 'ended' && r;
    }, 5000, 'the session ended');
    // What reached the machine: the PTY's buffers and at most one credit window, not the 8 MB.
    assert.ok(record.bytes_to_client < 2 * 1024 * 1024, String(record.bytes_to_client));
  });

  it('an interrupted upload leaves nothing behind', async () => {
    const id = await jump();
    const target = join(dir, 'interrupted.bin');
    const controller = new AbortController();
    let sent = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        // Bounded: at most 64 MB, and nothing more once the request is cut.
        if (cancelled || sent++ > 256) return c.close();
        c.enqueue(randomBytes(256 * 1024));
        await new Promise((r) => setTimeout(r, 5));
      },
      cancel() {
        cancelled = true;
      },
    });
    controller.signal.addEventListener('abort', () => (cancelled = true));
    const put = fetch(`${t.url}/api/session/v1/${id}/files?path=${encodeURIComponent(target)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}` },
      body,
      signal: controller.signal,
      // @ts-expect-error Node's fetch needs duplex for a streamed body
      duplex: 'half',
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await put;
    await eventually(() => !readdir(dir).some((n) => n.includes('interrupted')), 5000, 'temporary file removed');
    assert.equal(existsSync(target), false);
  });

  it('reports system information', async () => {
    const id = await jump();
    const info = await admin.get(`/api/session/v1/${id}/system-info`);
    assert.equal(info.status, 200);
    assert.ok(info.body.os.kernel.length > 0);
    assert.ok(info.body.cpu.cores >= 1);
    assert.ok(info.body.memory.total_bytes > 0);
    assert.ok(info.body.disks.length >= 1);
    assert.ok(info.body.network.some((n: any) => n.name === 'lo'));
    assert.ok(info.body.processes.length >= 1);
  });
});
