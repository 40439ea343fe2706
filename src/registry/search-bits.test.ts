import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayContain, searchBits } from './clients.ts';

describe('search bits (the character-pair prefilter of free search)', () => {
  it('never rules out a text that contains the phrase', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const alphabet = 'abcdefghij0123456789.- _ßé€';
    for (let k = 0; k < 2000; k++) {
      const text = Array.from({ length: 5 + rand(80) }, () => (rand(12) === 0 ? '\u0000' : alphabet[rand(alphabet.length)])).join('');
      const from = rand(text.length);
      const phrase = text.slice(from, from + 1 + rand(12)).split('\u0000')[0];
      assert.ok(mayContain(searchBits(text), searchBits(phrase)), `${JSON.stringify(text)} contains ${JSON.stringify(phrase)}`);
    }
  });

  it('rules out texts lacking a pair of the phrase, and pairs across fields do not count', () => {
    assert.equal(mayContain(searchBits('web-01\u0000rack 4'), searchBits('zz')), false);
    assert.equal(mayContain(searchBits('ab\u0000cd'), searchBits('bc')), false);
    assert.ok(mayContain(searchBits('ab\u0000cd'), searchBits('c')), 'one character has no pair: never ruled out');
  });
});
