/** The technician's terminal WebSocket (API.md): binary frames are raw bytes; text frames are JSON control. */
import * as v from 'valibot';

export const TerminalControl = v.variant('type', [
  v.strictObject({
    type: v.literal('resize'),
    cols: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
    rows: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  }),
]);
export type TerminalControl = v.InferOutput<typeof TerminalControl>;

export function decodeTerminalControl(text: string): TerminalControl | undefined {
  try {
    const result = v.safeParse(TerminalControl, JSON.parse(text));
    return result.success ? result.output : undefined;
  } catch {
    return undefined; // not JSON: the caller closes the socket as malformed
  }
}
