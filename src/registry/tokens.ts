import type { RootDatabase } from 'lmdb';
import { K, range } from './keys.ts';

export type PrincipalRef = { kind: 'user'; id: number } | { kind: 'api'; id: number };

/** A login session or an OAuth2 access token, stored by the sha256 of the bearer token. */
export interface Token {
  hash: string;
  principal: PrincipalRef;
  /** For cookie-authenticated state changes (double submit). */
  csrf: string;
  created_at: number;
  expires_at: number;
}

export interface Tokens {
  get(hash: string): Token | undefined;
  put(token: Token): void;
  remove(hash: string): void;
  /** Removes every token of a principal (logout everywhere, user disabled or deleted). */
  removeFor(principal: PrincipalRef): number;
  /** Removes expired tokens; returns how many. */
  prune(now: number): number;
}

export function createTokens(db: RootDatabase): Tokens {
  const all = () => [...db.getRange(range('token')).map(({ value }) => value as Token)];
  return {
    get: (hash) => db.get(K.token(hash)) as Token | undefined,
    put: (token) => {
      db.put(K.token(token.hash), token);
    },
    remove: (hash) => {
      db.remove(K.token(hash));
    },
    removeFor(principal) {
      const mine = all().filter((t) => t.principal.kind === principal.kind && t.principal.id === principal.id);
      for (const t of mine) db.remove(K.token(t.hash));
      return mine.length;
    },
    prune(now) {
      const old = all().filter((t) => t.expires_at <= now);
      for (const t of old) db.remove(K.token(t.hash));
      return old.length;
    },
  };
}
