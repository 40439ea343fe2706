import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';

/**
 * A random URL-safe secret of `bytes` bytes. It never begins with '-': installer keys and API
 * secrets are passed on command lines (`--installer KEY`), where a leading dash reads as an option.
 */
export function randomToken(bytes = 32): string {
  for (;;) {
    const token = randomBytes(bytes).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}

/** A 32-character lowercase hex id (installer ids, session ids). */
export function randomHexId(): string {
  return randomBytes(16).toString('hex');
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time comparison of two strings. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
