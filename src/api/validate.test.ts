import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { AppError } from '../shared/errors.ts';
import { parseInput } from './validate.ts';

const Body = v.strictObject({ jump_client_id: v.pipe(v.number(), v.integer()), note: v.optional(v.string()) });

/** The error parseInput throws for `input`: its field and message. */
function refusal(input: unknown): { field: unknown; message: string } {
  try {
    parseInput(Body, input);
  } catch (err) {
    assert.ok(err instanceof AppError);
    return { field: err.details?.field, message: err.message };
  }
  assert.fail('accepted');
}

describe('input errors name the field and say what is wrong with it', () => {
  it('a missing field is required, not unknown', () => {
    assert.deepEqual(refusal({}), { field: 'jump_client_id', message: 'jump_client_id: is required' });
  });
  it('a field the schema does not have is not a known field', () => {
    assert.deepEqual(refusal({ jump_client_id: 1, colour: 'red' }), { field: 'colour', message: 'colour: is not a known field' });
  });
  it('a value of the wrong type says the type expected', () => {
    assert.deepEqual(refusal({ jump_client_id: 'one' }), { field: 'jump_client_id', message: 'jump_client_id: must be number' });
  });
  it('a long unknown key is named cut short', () => {
    const key = 'k'.repeat(10_000);
    const { field, message } = refusal({ jump_client_id: 1, [key]: 1 });
    assert.equal(field, `${'k'.repeat(64)}…`);
    assert.ok(message.length < 100, message);
  });
  it('good input passes through', () => {
    assert.deepEqual(parseInput(Body, { jump_client_id: 7 }), { jump_client_id: 7 });
  });
});
