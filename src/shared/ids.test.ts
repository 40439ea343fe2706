import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomToken } from './ids.ts';

test('a random token never begins with a dash, so it can follow an option on a command line', () => {
  // One base64url token in 64 begins with '-'; 5,000 draws would all but surely show one.
  for (let i = 0; i < 5000; i++) {
    const token = randomToken(8);
    assert.match(token, /^[A-Za-z0-9_][A-Za-z0-9_-]*$/);
    assert.equal(token.length, 11);
  }
});
