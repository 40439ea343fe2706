/**
 * The appliance as the simulator reaches it. Over https it pins the certificate the appliance
 * presents and checks it against the fingerprint the appliance publishes (`/api/server-info`):
 * a load tool pointed at an address trusts what it finds there, once.
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { applianceOf, type Appliance } from '../agent/transport.ts';

function peerCertificatePem(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 443), rejectUnauthorized: false, servername: url.hostname }, () => {
      const raw = socket.getPeerCertificate(true).raw;
      socket.end();
      resolve(new X509Certificate(raw).toString());
    });
    socket.on('error', reject);
  });
}

export async function applianceFor(address: string): Promise<Appliance> {
  const url = new URL(address);
  const base = {
    format: 1 as const,
    installer_id: '0'.repeat(32),
    installer_key: 'x'.repeat(16),
    expiration_timestamp: 0,
    install_mode: 'service' as const,
    connection_type: 'active' as const,
    jump_group: '',
    name: '',
    tag: '',
    comments: '',
    max_offline_minutes: null,
    allow_override: { jump_group: false, name: false, tag: false, comments: false, max_offline_minutes: false },
    agent_version: '',
  };
  if (url.protocol === 'http:') return applianceOf({ ...base, appliance_url: url.origin, certificate_pem: null, certificate_sha256: null });
  const pem = await peerCertificatePem(url);
  const fingerprint = new X509Certificate(pem).fingerprint256;
  const info = (await (await fetch(new URL('/api/server-info', url), { signal: AbortSignal.timeout(10_000) }).catch(() => undefined))?.json().catch(() => undefined)) as
    | { certificate_sha256?: string }
    | undefined;
  if (info?.certificate_sha256 && info.certificate_sha256 !== fingerprint) {
    throw new Error(`the appliance presents ${fingerprint} but publishes ${info.certificate_sha256}`);
  }
  return applianceOf({ ...base, appliance_url: url.origin, certificate_pem: pem, certificate_sha256: fingerprint });
}
