/**
 * How the agent reaches the appliance (SPEC S2): over https the installer's certificate is the only
 * trusted CA AND its SHA-256 fingerprint must match the pinned one, checked in
 * `checkServerIdentity` — before any byte of the protocol leaves the machine. Plain http only when
 * the installer's URL says so.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { PeerCertificate } from 'node:tls';
import type { InstallerConfig } from '../shared/installer-config.ts';

export interface Appliance {
  url: URL;
  /** The local address to connect from (the load simulator spreads its sockets over 127.0.0.x). */
  localAddress?: string;
  /** TLS options for https and wss; undefined over plain http. */
  tls: { ca: string; checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined } | undefined;
}

export class PinningError extends Error {
  override name = 'PinningError';
}

export function applianceOf(installer: InstallerConfig): Appliance {
  const url = new URL(installer.appliance_url);
  if (url.protocol === 'http:') return { url, tls: undefined };
  const pem = installer.certificate_pem;
  const pinned = installer.certificate_sha256;
  if (!pem || !pinned) throw new PinningError('the installer has an https address but no pinned certificate');
  return {
    url,
    tls: {
      ca: pem,
      checkServerIdentity(_host, cert) {
        if (cert.fingerprint256 !== pinned) {
          return new PinningError(`the appliance certificate ${cert.fingerprint256 ?? '(none)'} is not the pinned ${pinned}`);
        }
        return undefined;
      },
    },
  };
}

/** An absolute URL on the appliance for a path like `/agent/v1/enroll`. */
export function applianceUrl(appliance: Appliance, path: string, scheme: 'http' | 'ws' = 'http'): URL {
  const base = appliance.url.href.replace(/\/+$/, '');
  const url = new URL(base + path);
  if (scheme === 'ws') url.protocol = appliance.url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

export interface RequestOptions {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Starts a request and resolves with the response (body not read yet). */
export function request(appliance: Appliance, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
  const url = applianceUrl(appliance, path);
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const common = { method: options.method, headers, timeout: options.timeoutMs, agent: false as const, localAddress: appliance.localAddress };
    const req = appliance.tls
      ? https.request(url, { ...common, ca: appliance.tls.ca, checkServerIdentity: appliance.tls.checkServerIdentity })
      : http.request(url, common);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      res.setTimeout(options.timeoutMs, () => res.destroy(new Error('the appliance stopped sending')));
      resolve(res);
    });
    req.end(options.body);
  });
}

/** Reads a response body of at most `maxBytes`. */
export async function readBody(res: http.IncomingMessage, maxBytes = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.destroy();
      throw new Error('the appliance answer is too large');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
