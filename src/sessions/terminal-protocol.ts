/** The technician's terminal WebSocket (API.md): binary frames are raw bytes; text frames are JSON control. */
import * as v from 'valibot';
import { parseInput } from '../api/validate.ts';
import { AppError, invalid } from '../shared/errors.ts';

export const TerminalControl = v.variant('type', [
  v.strictObject({
    type: v.literal('resize'),
    cols: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
    rows: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  }),
]);
export type TerminalControl = v.InferOutput<typeof TerminalControl>;

/**
 * A control message, or the error to answer it with (the catalog's shape, naming the field): a
 * malformed message changes nothing, and the terminal stays open.
 */
export function decodeTerminalControl(text: string): { ok: true; control: TerminalControl } | { ok: false; error: AppError } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: invalid('message', 'must be valid JSON') };
  }
  try {
    return { ok: true, control: parseInput(TerminalControl, json, 'message') };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, error: err };
    throw err;
  }
}
