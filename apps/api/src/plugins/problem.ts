import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { dependencyProblem } from '../db-errors';
import { HttpProblem } from '../products';

/** Every 503 (and the 504 of an unknown outcome) says when to come back. */
export const RETRY_AFTER_SECONDS = '5';

/** RFC 9457 problem details: the body of every error this service sends. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    outcome: {
      type: 'string',
      enum: ['not-applied', 'unknown'],
      description: 'On a failed write: not-applied (nothing changed, retry), or unknown (retry with the same Idempotency-Key or If-Match to learn it)',
    },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

/** The problem+json content of an OpenAPI response. */
export const problemContent = { 'application/problem+json': { schema: { $ref: 'Problem#' } } };

/** Error responses every route can give; routes add their own (404, 409, 412, ...). */
export function problems(...codes: number[]) {
  const text: Record<number, string> = {
    400: 'Invalid request (validation)',
    404: 'Not found',
    406: 'Not acceptable',
    408: 'Request body not received in time',
    409: 'Conflict (SKU already exists, or the same Idempotency-Key is in flight)',
    412: 'If-Match does not match the current version',
    413: 'Body too large',
    415: 'Unsupported media type',
    422: 'Idempotency-Key reused with a different body',
    428: 'If-Match header required',
    500: 'Internal error',
    503: 'Overloaded, draining, timed out or database unavailable; see Retry-After',
    504: 'A write the database did not answer: its outcome is unknown (outcome: unknown); retry with the same Idempotency-Key or If-Match',
  };
  const out: Record<number, unknown> = {};
  for (const c of [400, 408, 413, 415, 500, 503, 504, ...codes]) out[c] = { description: text[c] ?? 'Error', content: problemContent };
  return out;
}

/** The path of a request URL: `instance` never echoes the query (it may carry an `access_token`, RFC 6750 §2.3). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  detail?: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', RETRY_AFTER_SECONDS);
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), instance: pathOf(reply.request.url), requestId: reply.request.id, ...extra });
}

function onError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (reply.sent) return;
  if (err instanceof HttpProblem) return sendProblem(reply, err.status, err.title, err.message, {}, err.headers);
  if (err.validation) {
    const errors = err.validation.map((v) => ({ path: `${err.validationContext ?? ''}${v.instancePath}`, message: `${v.message ?? 'invalid'}${v.params && 'additionalProperty' in v.params ? `: ${String(v.params.additionalProperty)}` : ''}` }));
    return sendProblem(reply, 400, 'Bad Request', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  }
  const dep = dependencyProblem(err, req.method);
  if (dep) {
    req.log.warn({ err: { message: err.message, cause: String((err as Error).cause ?? '') }, status: dep.status }, 'database unavailable');
    return sendProblem(reply, dep.status, dep.title, dep.detail, dep.extra, { 'retry-after': RETRY_AFTER_SECONDS });
  }
  const pgCode = (err as { code?: unknown }).code;
  if (typeof pgCode === 'string' && /^(22|23514)/.test(pgCode)) {
    // Postgres data exceptions (bad encoding, out of range) are the client's input: 400, never 500.
    return sendProblem(reply, 400, 'Bad Request', 'a value was rejected by the database');
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const titles: Record<number, string> = { 400: 'Bad Request', 413: 'Content Too Large', 415: 'Unsupported Media Type', 406: 'Not Acceptable' };
    return sendProblem(reply, status, titles[status] ?? 'Client Error', err.message);
  }
  req.log.error({ err }, 'unhandled error');
  return sendProblem(reply, 500, 'Internal Server Error', 'unexpected error; the request id is in the logs');
}

/**
 * Errors as problem+json: the error handler (validation, HttpProblem, dependency failures, Fastify's own 4xx),
 * the 404 for unknown routes, and the `Problem` schema the routes' responses refer to. Registered first, at the
 * root, so every route and every hook's refusal goes through it.
 */
export default fp(
  async (app) => {
    app.addSchema(problemSchema);
    app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, 'Not Found', `no route for ${req.method} ${pathOf(req.url)}`));
    app.setErrorHandler(onError);
  },
  { name: 'problem', fastify: '5.x' },
);
