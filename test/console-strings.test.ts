/**
 * The console's strings (SPEC C6): every text has an English and an Italian wording with the same
 * placeholders, so a page never shows a key or an unfilled `{name}` in either language. Italian
 * alone also words the catalog's errors (`error.*`) and the reasons a client is unavailable
 * (`reason.*`), whose English comes from the appliance.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';

const DIR = new URL('../static/js/strings/', import.meta.url);
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('console strings', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.js'))) {
    it(`${file}: the same keys and placeholders in English and Italian`, async () => {
      const { en, it: italian } = (await import(new URL(file, DIR).href)) as { en: Record<string, string>; it: Record<string, string> };
      assert.ok(Object.keys(en).length > 0);
      assert.deepEqual(Object.keys(en).filter((k) => !(k in italian)), [], 'English keys without Italian');
      assert.deepEqual(Object.keys(italian).filter((k) => !(k in en) && !/^(error|reason)\./.test(k)), [], 'Italian keys without English');
      for (const [key, text] of Object.entries(en)) {
        assert.ok(italian[key].trim() !== '', `${key} has an Italian wording`);
        assert.deepEqual(placeholders(italian[key]), placeholders(text), `${key}: the same placeholders`);
      }
    });
  }
});
