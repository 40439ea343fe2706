import { Hono } from 'hono';
import type { ApiEnv } from '../env.ts';
import type { ApiDeps } from '../index.ts';

export function createAgentEndpointRoutes(_deps: ApiDeps): Hono<ApiEnv> {
  return new Hono<ApiEnv>();
}
