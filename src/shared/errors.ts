/**
 * The one error class of the product. `code` and `message` are public and stable (the catalog in
 * SPEC.md); `details` is safe to show; `cause` is for logs only and never serialised.
 */

export const CATALOG = {
  limit_installed: [409, 'The total number of deployable Jump Clients for this site has been reached.'],
  limit_active: [409, 'The total number of deployable active Jump Clients for this site has been reached.'],
  pin_pending: [409, 'The support session already has a pending request to pin.'],
  already_pinned: [409, 'The support client is already pinned.'],
  no_customer: [409, 'No customer could be found within the support conference.'],
  customer_offline: [409, 'The customer within the support conference is not online.'],
  jump_client_not_found: [404, 'The Jump Client does not exist.'],
  jump_client_offline: [409, 'The Jump Client is offline.'],
  jump_client_uninstalled: [409, 'The specified Jump Client has been uninstalled.'],
  active_limit_reached: [409, 'The number of active Jump Clients has been reached.'],
  server_busy: [503, 'The server is currently too busy. Try again later.'],
  session_internal_error: [500, 'An internal error occurred while generating the support session.'],
  session_spawn_timeout: [504, 'An internal operation took too long while trying to create the support session.'],
  active_not_connected: [409, 'The active Jump Client is not connected.'],
  connect_timeout: [504, 'Timed out while trying to connect to the Jump Client.'],
  jump_client_disabled: [409, 'The Jump Client has been disabled by the user and does not currently allow a session to start.'],
  jump_client_updating: [409, 'The Jump Client is running a different version and will now attempt to update. Try again after the update completes.'],
  installer_not_found: [410, 'The installer does not exist or has been deleted.'],
  installer_expired: [410, 'The installer has expired.'],
  invalid_request: [400, 'The request is not valid.'],
  unauthorized: [401, 'Authentication is required.'],
  forbidden: [403, 'You do not have permission to do this.'],
  not_found: [404, 'The resource does not exist.'],
  conflict: [409, 'The request conflicts with the current state.'],
  payload_too_large: [413, 'The request body is too large.'],
  too_many_requests: [429, 'Too many attempts. Try again later.'],
  internal_error: [500, 'An internal error occurred.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof CATALOG;

export interface AppErrorOptions {
  /** Overrides the catalog message; only for codes without a fixed wording (e.g. invalid_request). */
  message?: string;
  /** Safe, public extra data (e.g. the offending field). */
  details?: Record<string, unknown>;
  /** Internal cause, logged, never sent. */
  cause?: unknown;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const [status, message] = CATALOG[code];
    super(options.message ?? message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = options.details;
    this.headers = options.headers;
  }

  /** The public JSON body: `{"error":{"code","message"[,"field"…]}}`. */
  toJSON(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** A 400 naming the offending field. */
export function invalid(field: string, problem: string): AppError {
  return new AppError('invalid_request', { message: `${field}: ${problem}`, details: { field } });
}
