/** Decoding of request input with valibot: one place that turns a failed parse into a 400 naming the field. */
import type { Context } from 'hono';
import * as v from 'valibot';
import { invalid } from '../shared/errors.ts';

type AnySchema = v.GenericSchema<unknown, unknown>;

export function parseInput<S extends AnySchema>(schema: S, input: unknown, where = 'body'): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue) ?? where;
  // An unknown key is the caller's text: it is named, cut short, not echoed whole.
  const field = path.length > 64 ? `${path.slice(0, 64)}…` : path;
  throw invalid(field, describe(issue));
}

function describe(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === 'never') return 'is not a known field';
  if (issue.received === 'undefined' && issue.kind === 'schema') return 'is required';
  if (issue.message.startsWith('Invalid type:')) return `must be ${issue.expected ?? 'of another type'}`;
  return issue.message;
}

/** The JSON body, decoded with `schema`. */
export async function readJson<S extends AnySchema>(c: Context, schema: S): Promise<v.InferOutput<S>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw invalid('body', 'must be valid JSON');
  }
  return parseInput(schema, body);
}

/** The query string, decoded with `schema` (every value is a string; use the helpers below). */
export function readQuery<S extends AnySchema>(c: Context, schema: S): v.InferOutput<S> {
  const params = new URL(c.req.url).searchParams;
  const obj: Record<string, string> = {};
  for (const [k, value] of params) {
    if (k in obj) throw invalid(k, 'given more than once');
    obj[k] = value;
  }
  return parseInput(schema, obj, 'query');
}

/** A whole number in a query string or path, within bounds. */
export function intString(min: number, max: number) {
  return v.pipe(
    v.string(),
    v.regex(/^-?\d{1,15}$/, `must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be a whole number from ${min} to ${max}`),
    v.maxValue(max, `must be a whole number from ${min} to ${max}`),
  );
}

/** A numeric id from the path. */
export function pathId(c: Context, name = 'id'): number {
  return parseInput(intString(1, Number.MAX_SAFE_INTEGER), c.req.param(name) ?? '', name);
}

export const Pagination = {
  per_page: v.optional(intString(1, 1000), '100'),
  current_page: v.optional(intString(1, 1_000_000), '1'),
};

/** Slices `rows` for the page and sets the X-Pagination-* headers. */
export function paginate<T>(c: Context, rows: T[], page: { per_page: number; current_page: number }): T[] {
  const total = rows.length;
  const last = Math.max(1, Math.ceil(total / page.per_page));
  c.header('X-Pagination-Total', String(total));
  c.header('X-Pagination-Per-Page', String(page.per_page));
  c.header('X-Pagination-Current-Page', String(page.current_page));
  c.header('X-Pagination-Last-Page', String(last));
  const start = (page.current_page - 1) * page.per_page;
  return rows.slice(start, start + page.per_page);
}
