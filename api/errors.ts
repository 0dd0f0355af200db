import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';

/** Every error leaves the API as `{error: {code, message, details?}}`, never with a stack or internals. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static validation(issues: z.core.$ZodIssue[]): ApiError {
    return new ApiError(400, 'invalid_request', 'The request does not match the schema', issues);
  }
  static notFound(what: string): ApiError {
    return new ApiError(404, 'not_found', `${what} not found`);
  }
  static unavailable(message: string): ApiError {
    return new ApiError(503, 'unavailable', `${message}; nothing was applied, the request can be retried`);
  }
}

export function errorBody(err: ApiError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } };
}

/** Maps whatever a route threw to the one error shape; unknown errors are logged and answered 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const apiError = toApiError(err);
    if (apiError.status >= 500) {
      logger.error({ err, reqId: req.id, path: req.path }, 'request failed');
    }
    // Every 503 says when to try again (routes that know better have set it already).
    if (apiError.status === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    res.status(apiError.status).json(errorBody(apiError));
  };
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { type?: string; status?: number; name?: string; code?: string; limit?: unknown };
  // body-parser's own errors
  if (e?.type === 'entity.too.large') {
    const limit = typeof e.limit === 'number' ? `${Math.round((e.limit / 1024 / 1024) * 10) / 10} MB` : 'the limit';
    return new ApiError(413, 'payload_too_large', `The request body is larger than ${limit}`);
  }
  if (e?.type === 'entity.parse.failed') return new ApiError(400, 'invalid_json', 'The request body is not valid JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new ApiError(415, 'unsupported_media_type', 'Send the body as UTF-8 JSON');
  }
  if (isUnavailable(err)) return ApiError.unavailable('A backing service (Temporal or the database) is unreachable');
  return new ApiError(500, 'internal', 'Something went wrong on our side');
}

/** Seconds a 503 asks the caller to wait when the route set no Retry-After of its own. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * What pg (and its pool) throw, without an error code, for a connection that broke or could not be made:
 * the database going away mid-query is one of them, not a bug (found by npm run chaos: they were 500s).
 */
const pgConnectionLost = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** Connection failures of gRPC (Temporal) or pg (database). */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; name?: string; message?: unknown; cause?: unknown } | undefined;
  if (!e) return false;
  if (e.code === undefined && typeof e.message === 'string' && pgConnectionLost.test(e.message)) return true;
  // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4)
  if (e.code === 14 || e.code === 4) return true;
  if (typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '08006', '08001'].includes(e.code)) {
    return true;
  }
  if (e.name === 'TransportError') return true;
  return e.cause !== undefined && e.cause !== err ? isUnavailable(e.cause) : false;
}
