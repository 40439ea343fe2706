/**
 * The appliance certificate. With no certificate given, a self-signed P-256 one is made on first
 * start and kept in the data directory; installers pin its SHA-256 fingerprint.
 */
import { X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** SHA-256 of the DER certificate, upper-case hex pairs joined by colons. */
  fingerprint: string;
}

export class TlsError extends Error {
  override name = 'TlsError';
}

/** Reads a given certificate and key, checking that they parse. */
export function loadTls(certFile: string, keyFile: string): TlsFiles {
  let pem: string;
  try {
    pem = readFileSync(certFile, 'utf8');
    readFileSync(keyFile);
  } catch (err) {
    throw new TlsError(`cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
  try {
    return { certFile, keyFile, fingerprint: new NodeX509(pem).fingerprint256 };
  } catch (err) {
    throw new TlsError(`${certFile} is not a PEM certificate: ${(err as Error).message}`);
  }
}

/** The self-signed certificate in `dataDir`, made on first call. */
export async function ensureSelfSigned(dataDir: string, names: string[] = []): Promise<TlsFiles> {
  const certFile = join(dataDir, 'tls-cert.pem');
  const keyFile = join(dataDir, 'tls-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const { cert, key } = await makeSelfSigned(names);
    writeFileSync(keyFile + '.tmp', key, { mode: 0o600 });
    writeFileSync(certFile + '.tmp', cert, { mode: 0o644 });
    renameSync(keyFile + '.tmp', keyFile);
    renameSync(certFile + '.tmp', certFile);
  }
  return loadTls(certFile, keyFile);
}

async function makeSelfSigned(extraNames: string[]): Promise<{ cert: string; key: string }> {
  // Loaded only when a certificate is made: the library wants the reflect polyfill first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const crypto = webcrypto as unknown as Crypto;
  x509.cryptoProvider.set(crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const dns = [...new Set(['localhost', hostname(), ...extraNames])];
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=jumpgate appliance ${hostname()}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 10 * 365 * 86_400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((value) => ({ type: 'dns' as const, value })),
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key: key.replace(/\n\n/g, '\n') };
}
