import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../shared/log.ts';
import { PROTOCOL_VERSION, type HubMessage } from '../shared/protocol.ts';
import { selfSignedCertificate, startStandIn, testInstallerConfig, type StandIn } from '../../test/helpers/agent-appliance.ts';
import { connectOnce } from './connection.ts';
import { enrollOnce } from './identity.ts';
import { superviseLink } from './supervisor.ts';
import { createBackoff } from './backoff.ts';
import { applianceOf, PinningError } from './transport.ts';

const stats = {
  hostname: 'h', fqdn: 'h', operating_system: 'Linux', os_version: '1', arch: 'x64', kernel: '6', console_user: '',
  private_ips: [], uptime_seconds: 1, cpu_load: [0], memory_total_bytes: 1, memory_free_bytes: 1, disk_total_bytes: 1,
  disk_free_bytes: 1, agent_version: '0.1.0', install_mode: 'user' as const,
};
const OTHER_PIN = Array.from({ length: 32 }, () => 'AB').join(':');

describe('agent connection over pinned TLS', () => {
  let dir: string;
  let standIn: StandIn;
  let pem: { cert: string; fingerprint: string };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jg-agent-tls-'));
    const cert = await selfSignedCertificate(dir);
    pem = cert;
    standIn = await startStandIn({ tls: { key: cert.key, cert: cert.cert }, heartbeatSeconds: 1 });
  });
  after(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const appliance = (pin: string) =>
    applianceOf(testInstallerConfig(standIn.url, { certificate_pem: pem.cert, certificate_sha256: pin }));

  it('enrols and connects when the certificate matches the pin', async () => {
    const outcome = await enrollOnce(appliance(pem.fingerprint), { installer_key: 'k'.repeat(20), install_fingerprint: 'a'.repeat(64), overrides: {}, statistics: stats });
    assert.equal(outcome.kind, 'enrolled');
    if (outcome.kind !== 'enrolled') return;
    const controller = new AbortController();
    const seen: HubMessage[] = [];
    const end = await connectOnce({
      appliance: appliance(pem.fingerprint),
      identity: outcome.identity,
      log: silentLogger,
      signal: controller.signal,
      handlers: {
        hello: () => ({ type: 'hello', protocol: PROTOCOL_VERSION, agent_version: '0.1.0', disabled: false, statistics: stats }),
        contact: () => undefined,
        message: (m) => {
          seen.push(m);
          controller.abort();
        },
      },
    });
    assert.equal(end.kind, 'stopped');
    assert.equal(seen[0]?.type, 'welcome');
  });

  it('refuses another certificate before sending anything', async () => {
    const upgrades = standIn.upgrades.length;
    const enrolments = standIn.enrolments.length;
    const outcome = await enrollOnce(appliance(OTHER_PIN), { installer_key: 'k'.repeat(20), install_fingerprint: 'a'.repeat(64), overrides: {}, statistics: stats });
    assert.equal(outcome.kind, 'retry');
    assert.match(outcome.kind === 'retry' ? outcome.reason : '', /not the pinned/);
    const end = await connectOnce({
      appliance: appliance(OTHER_PIN),
      identity: { client_id: 1, secret: 's'.repeat(43) },
      log: silentLogger,
      signal: new AbortController().signal,
      handlers: { hello: () => assert.fail('hello must not be built'), contact: () => undefined, message: () => assert.fail('no message') },
    });
    assert.equal(end.kind, 'lost');
    assert.match(end.kind === 'lost' ? end.reason : '', /not the pinned/);
    assert.equal(standIn.upgrades.length, upgrades);
    assert.equal(standIn.enrolments.length, enrolments);
  });

  it('an https installer without a pin is refused', () => {
    assert.throws(() => applianceOf(testInstallerConfig(standIn.url)), PinningError);
  });

  it('keeps retrying through 503 Retry-After and ends when the identity is removed (410)', async () => {
    const outcome = await enrollOnce(appliance(pem.fingerprint), { installer_key: 'k'.repeat(20), install_fingerprint: 'b'.repeat(64), overrides: {}, statistics: stats });
    assert.equal(outcome.kind, 'enrolled');
    if (outcome.kind !== 'enrolled') return;
    const id = outcome.identity.client_id;
    standIn.busySeconds = 0;
    const controller = new AbortController();
    setTimeout(() => {
      standIn.busySeconds = undefined;
      standIn.gone.add(id);
    }, 1500).unref();
    const end = await superviseLink({
      appliance: appliance(pem.fingerprint),
      identity: outcome.identity,
      log: silentLogger,
      signal: controller.signal,
      backoff: createBackoff({ baseMs: 50, capMs: 200 }),
      handlers: {
        hello: () => ({ type: 'hello', protocol: PROTOCOL_VERSION, agent_version: '0.1.0', disabled: false, statistics: stats }),
        contact: () => undefined,
        message: () => undefined,
      },
    });
    assert.equal(end.kind, 'removed');
    const mine = standIn.upgrades.filter((u) => u.clientId === id).map((u) => u.status);
    assert.ok(mine.filter((s) => s === 503).length >= 1, JSON.stringify(mine));
    assert.equal(mine.at(-1), 410);
  });
  it('treats three heartbeat intervals without a frame from the hub as a dead link', async () => {
    const outcome = await enrollOnce(appliance(pem.fingerprint), { installer_key: 'k'.repeat(20), install_fingerprint: 'c'.repeat(64), overrides: {}, statistics: stats });
    if (outcome.kind !== 'enrolled') return assert.fail(outcome.kind);
    const started = Date.now();
    const end = await connectOnce({
      appliance: appliance(pem.fingerprint),
      identity: outcome.identity,
      log: silentLogger,
      signal: new AbortController().signal,
      handlers: {
        hello: () => ({ type: 'hello', protocol: PROTOCOL_VERSION, agent_version: '0.1.0', disabled: false, statistics: stats }),
        contact: () => undefined,
        // The hub goes silent after its welcome: it reads nothing and answers no ping.
        message: () => (standIn.sockets.get(outcome.identity.client_id) as unknown as { _socket: { pause(): void } })._socket.pause(),
      },
    });
    assert.equal(end.kind, 'lost');
    assert.match(end.kind === 'lost' ? end.reason : '', /three heartbeats/);
    assert.ok(Date.now() - started >= 3000);
  });
});
