import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { formatBytes, type ApiError } from '@archway/contract';
import { unavailable } from './unavailable.ts';

/** Errors the routes throw; the one error handler below turns them into HTTP answers. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, field?: string) {
    super(400, 'bad_request', message, field);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'a valid API token is required: send "Authorization: Bearer <token>"') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string, field?: string) {
    super(404, 'not_found', message, field);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, field?: string) {
    super(409, 'conflict', message, field);
  }
}

/** The input is well-formed but refers to something that does not work (e.g. a git ref that does not exist). */
export class UnprocessableError extends HttpError {
  constructor(message: string, field?: string) {
    super(422, 'unprocessable', message, field);
  }
}

/** Too many attempts from one client: `Retry-After` (seconds) says when to try again. */
export class TooManyRequestsError extends HttpError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'too_many_requests', message);
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(message: string) {
    super(503, 'service_unavailable', message);
  }
}

/** zod's wording made plainer: a missing field "is required"; an unknown key is named as the field. */
function describeIssue(i: ZodError['issues'][number]): { path: string; message: string } {
  const path = i.path.map(String);
  if (i.code === 'unrecognized_keys') {
    return {
      path: [...path, i.keys[0] ?? ''].filter(Boolean).join('.'),
      message: `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`,
    };
  }
  if (i.code === 'invalid_type' && /received undefined$/.test(i.message)) return { path: path.join('.'), message: 'is required' };
  return { path: path.join('.'), message: i.message };
}

function zodToApiError(err: ZodError): ApiError {
  const issues = err.issues.map(describeIssue);
  const first = issues[0];
  const field = first?.path || undefined;
  const message = first ? (field ? `${field}: ${first.message}` : first.message) : 'invalid input';
  return { error: 'bad_request', message, ...(field ? { field } : {}), issues };
}

/** Fastify's own errors (body parsing, limits) mapped to the same body shape. */
function fastifyToApiError(err: FastifyError, request: FastifyRequest): { status: number; body: ApiError } | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { error: 'bad_request', message: 'invalid JSON body' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { error: 'bad_request', message: 'invalid JSON body: the body is empty' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: {
          error: 'unsupported_media_type',
          message: `unsupported content type "${request.headers['content-type'] ?? ''}": send application/json`,
        },
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request.routeOptions.bodyLimit;
      const text = limit ? `the limit is ${formatBytes(limit)}${limit >= 1024 ? ` (${limit} bytes)` : ''}` : 'it exceeds the limit';
      return { status: 413, body: { error: 'payload_too_large', message: `request body is too large: ${text}` } };
    }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { error: 'bad_request', message: 'request body size did not match Content-Length' } };
    default:
      return undefined;
  }
}

/** What a 503 tells clients to wait before trying again. */
const RETRY_AFTER_S = '5';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) {
      if (err.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer');
      if (err instanceof TooManyRequestsError) reply.header('Retry-After', String(err.retryAfterSeconds));
      if (err.statusCode === 503) reply.header('Retry-After', RETRY_AFTER_S);
      const body: ApiError = { error: err.code, message: err.message, ...(err.field !== undefined ? { field: err.field } : {}) };
      if (err.statusCode >= 500) request.log.warn({ err }, err.message);
      return reply.code(err.statusCode).send(body);
    }
    if (err instanceof ZodError) return reply.code(400).send(zodToApiError(err));
    const mapped = fastifyToApiError(err, request);
    if (mapped) return reply.code(mapped.status).send(mapped.body);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'bad_request', message: err.message } satisfies ApiError);
    }
    // Postgres or Redis down: not a bug of ours, and the client should retry.
    const down = unavailable(err);
    if (down) {
      request.log.warn({ service: down.service, error: err.message }, down.message);
      reply.header('Retry-After', RETRY_AFTER_S);
      return reply.code(503).send({ error: 'service_unavailable', message: down.message } satisfies ApiError);
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal server error; see the API log' } satisfies ApiError);
  });
}

/** For the /api/v1 scope only: the root 404 stays free for the dashboard's SPA fallback. */
export function installApiNotFound(scope: FastifyInstance): void {
  scope.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ApiError);
  });
}
