import crypto from 'node:crypto';
import fs from 'node:fs';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { installAuth, loggableUrl, securitySchemes, type Auth } from './auth/plugin';
import type { Cache } from './cache';
import type { Config } from './config';
import type { Db } from './db';
import { dependencyProblem, outcomeUnknownProblem } from './db-errors';
import { logStream } from './log-stream';
import { LoadGuard } from './pressure';
import type { Metrics } from './metrics';
import { HttpProblem, ProductService, type NewProduct, type ProductPatch } from './products';
import { installResponsePolicy } from './response-policy';
import { problems, sharedSchemas, CATEGORY } from './schemas';
import { IMAGE_TYPES, LocalStorage, type Storage } from './storage';

export interface Deps {
  db: Db;
  cache: Cache;
  storage: Storage;
  metrics: Metrics;
  auth: Auth;
}

export interface AppState {
  draining: boolean;
}

const RETRY_AFTER_SECONDS = '5';
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    bodyPhase?: boolean;
    startedAt?: bigint;
    deadline?: number;
  }
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
    .send({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), instance: reply.request.url, requestId: reply.request.id, ...extra });
}

/** `"3"` or `W/"3"` → 3; `*` → 'any'; anything else → undefined (never matches). */
function parseVersionTag(tag: string): number | 'any' | undefined {
  const t = tag.trim();
  if (t === '*') return 'any';
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(t);
  return m ? Number(m[1]) : undefined;
}

export async function buildApp(cfg: Config, deps: Deps, state: AppState = { draining: false }): Promise<FastifyInstance> {
  const { db, cache, storage, metrics } = deps;
  const products = new ProductService(db, cache, storage, cfg, metrics);
  const app = Fastify({
    logger: {
      level: cfg.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-amz-security-token"]'],
      stream: logStream(),
    },
    logController: new LogController({ disableRequestLogging: true }), // one access-log line per request (onResponse), not two
    bodyLimit: cfg.bodyLimitBytes,
    requestTimeout: cfg.requestTimeoutMs * 2, // socket-level backstop; the per-request timer below answers first
    connectionTimeout: 0,
    keepAliveTimeout: 65_000, // longer than the ALB's 60 s idle timeout, so the ALB never reuses a closed socket
    return503OnClosing: false, // see the draining note at the onSend hook
    forceCloseConnections: 'idle',
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : crypto.randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });

  for (const s of sharedSchemas) app.addSchema(s);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Catalogue API', version: '1.0.0', description: 'Product catalogue of the AWS web platform.' },
      servers: [{ url: '/' }],
      components: { securitySchemes: securitySchemes(deps.auth.config) },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });

  // Overload protection 1: event-loop delay (CPU saturation) → 503 + Retry-After before latency collapses, only
  // when the delay is this process' own doing: a slow machine is no reason to refuse cached reads (pressure.ts).
  const guard = new LoadGuard(cfg.maxEventLoopDelayMs);
  app.addHook('onListen', (done) => {
    guard.start();
    done();
  });
  app.addHook('onClose', async () => guard.stop());
  app.addHook('onRequest', (req, reply, done) => {
    if (!guard.shedding || req.url === '/healthz') return done();
    metrics.shed.inc({ reason: 'pressure_eventLoopDelay' });
    void sendProblem(reply, 503, 'Service Unavailable', 'the service is overloaded; retry later');
  });

  // In-flight requests and their deadlines. One sweeper timer instead of a timer per request keeps the
  // hot path cheap; a request is answered at most one sweep interval after its deadline.
  const inflight = new Set<FastifyReply>();
  const sweepMs = Math.max(10, Math.min(100, Math.floor(cfg.requestTimeoutMs / 4)));
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const reply of inflight) {
      if ((reply.request.deadline ?? Infinity) > now) continue;
      inflight.delete(reply);
      if (reply.sent) continue;
      const req = reply.request;
      metrics.shed.inc({ reason: 'timeout' });
      // Still reading the body → the client is slow (408); else we are (503, try again).
      if (!req.bodyPhase && req.method !== 'GET' && req.method !== 'HEAD') {
        void sendProblem(reply, 408, 'Request Timeout', `the request body was not received within ${cfg.requestTimeoutMs} ms`, {}, { connection: 'close' });
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        // A write still running may yet commit: say so (504), never claim it failed.
        const p = outcomeUnknownProblem(`the request did not complete within ${cfg.requestTimeoutMs} ms`);
        void sendProblem(reply, p.status, p.title, p.detail, p.extra, { 'retry-after': RETRY_AFTER_SECONDS });
      } else {
        void sendProblem(reply, 503, 'Service Unavailable', `the request did not complete within ${cfg.requestTimeoutMs} ms`);
      }
    }
  }, sweepMs);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  app.addHook('onRequest', (req, reply, done) => {
    req.startedAt = process.hrtime.bigint();
    req.deadline = performance.now() + cfg.requestTimeoutMs;
    reply.header('x-request-id', req.id);
    inflight.add(reply);
    reply.raw.once('close', () => inflight.delete(reply));
    // Overload protection 2: a hard cap on concurrent requests (health checks exempt).
    if (inflight.size > cfg.maxInflight && req.url !== '/healthz') {
      inflight.delete(reply);
      metrics.shed.inc({ reason: 'inflight' });
      void sendProblem(reply, 503, 'Service Unavailable', 'too many requests in flight; retry later');
      return;
    }
    done();
  });
  // Draining: the listener is closed; a request still arriving on an open keep-alive connection is served,
  // and the connection closed after its response, so clients move to another pod without seeing an error.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (state.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  installResponsePolicy(app);
  installAuth(app, deps.auth); // before the routes: it protects every write route as it is declared
  app.addHook('preValidation', (req, _reply, done) => {
    req.bodyPhase = true;
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = req.startedAt ? Number(process.hrtime.bigint() - req.startedAt) / 1e9 : 0;
    metrics.observeHttp(req.method, route, reply.statusCode, seconds);
    req.log.info({ method: req.method, url: loggableUrl(req.url), route, statusCode: reply.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    done();
  });

  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, 'Not Found', `no route for ${req.method} ${req.url.split('?')[0]}`));

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
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
  });

  // --- probes, metrics, OpenAPI (hidden from the spec: operational, not part of the API contract)
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    if (state.draining) return sendProblem(reply, 503, 'Service Unavailable', 'draining');
    const [dbOk, cacheHealth] = await Promise.all([
      db.ping().then(() => true, () => false),
      cache.health(),
    ]);
    const body = { status: dbOk ? (cacheHealth === 'ok' ? 'ok' : 'degraded') : cfg.readyRequiresDatabase ? 'unavailable' : 'degraded', database: dbOk ? 'ok' : 'down', cache: cacheHealth === 'ok' ? 'ok' : 'down' };
    // A dead cache only degrades (reads fall back to the database). A dead database makes the pod unready,
    // unless READY_REQUIRES_DATABASE=false keeps it in rotation to serve cached reads (see README).
    const ready = dbOk || !cfg.readyRequiresDatabase;
    if (!ready) reply.header('retry-after', RETRY_AFTER_SECONDS);
    return reply.code(ready ? 200 : 503).send(body);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // --- the catalogue
  const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
  const productResponse = (code: number, description: string, headers: Record<string, unknown> = {}) => ({
    [code]: { description, headers, content: { 'application/json': { schema: { $ref: 'Product#' } } } },
  });
  const etagHeader = { etag: { type: 'string', description: 'Version tag; send it back as If-Match / If-None-Match' } };

  app.get<{ Params: { id: string }; Headers: { 'if-none-match'?: string } }>('/v1/products/:id', {
    schema: {
      summary: 'Get a product (cached)',
      params: idParam,
      headers: { type: 'object', properties: { 'if-none-match': { type: 'string', maxLength: 1024 } } },
      response: { ...productResponse(200, 'The product', etagHeader), 304: { description: 'Not modified', type: 'null' }, ...problems(404) },
    },
  }, async (req, reply) => {
    const p = await products.get(req.params.id);
    if (!p) return sendProblem(reply, 404, 'Not Found', `product ${req.params.id} does not exist`);
    const etag = `"${p.version}"`;
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (p.stale) reply.header('cache-status', 'catalogue-api; hit; detail=stale-if-error'); // RFC 9211
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => { const v = parseVersionTag(t); return v === 'any' || v === p.version; })) {
      return reply.code(304).send();
    }
    // The cached JSON string goes out as is: no parse, no re-serialization on the hot path.
    return reply.type('application/json; charset=utf-8').send(p.json);
  });

  app.get<{ Querystring: { category?: string; limit: number; cursor?: string } }>('/v1/products', {
    schema: {
      summary: 'List products (keyset pagination)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          category: CATEGORY,
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          cursor: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
        },
      },
      response: { 200: { description: 'A page of products', content: { 'application/json': { schema: { $ref: 'ProductList#' } } } }, ...problems() },
    },
  }, async (req) => products.list(req.query.category, req.query.limit, req.query.cursor));

  app.post<{ Body: NewProduct; Headers: { 'idempotency-key'?: string } }>('/v1/products', {
    schema: {
      summary: 'Create a product',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' } } },
      body: { $ref: 'NewProduct#' },
      response: {
        ...productResponse(201, 'Created', { ...etagHeader, location: { type: 'string' } }),
        ...problems(409, 422),
      },
    },
  }, async (req, reply) => {
    const { status, product, replayed } = await products.create(req.body, req.headers['idempotency-key'], req.principal!.sub);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(status).header('location', `/v1/products/${product.id}`).header('etag', `"${product.version}"`).send(product);
  });

  const matchHeaders = {
    type: 'object',
    properties: { 'if-match': { type: 'string', maxLength: 1024, description: 'Required: the ETag of the version being changed, or *' } },
  } as const;
  function expectedVersion(req: FastifyRequest): number | undefined {
    const raw = req.headers['if-match'];
    if (typeof raw !== 'string' || raw === '') {
      throw new HttpProblem(428, 'Precondition Required', 'send If-Match with the ETag of the version you are changing (or *)');
    }
    const v = parseVersionTag(raw);
    if (v === undefined) throw new HttpProblem(412, 'Precondition Failed', 'If-Match is not an ETag of this API');
    return v === 'any' ? undefined : v;
  }

  app.patch<{ Params: { id: string }; Body: ProductPatch }>('/v1/products/:id', {
    schema: {
      summary: 'Change a product (optimistic concurrency with If-Match)',
      params: idParam,
      headers: matchHeaders,
      body: { $ref: 'ProductPatch#' },
      response: { ...productResponse(200, 'Updated', etagHeader), ...problems(404, 409, 412, 428) },
    },
  }, async (req, reply) => {
    const product = await products.update(req.params.id, req.body, expectedVersion(req));
    return reply.header('etag', `"${product.version}"`).send(product);
  });

  app.delete<{ Params: { id: string } }>('/v1/products/:id', {
    schema: {
      summary: 'Delete a product (If-Match required)',
      params: idParam,
      headers: matchHeaders,
      response: { 204: { description: 'Deleted', type: 'null' }, ...problems(404, 412, 428) },
    },
  }, async (req, reply) => {
    await products.remove(req.params.id, expectedVersion(req));
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string }; Body: { contentType: string; contentLength: number } }>('/v1/products/:id/image', {
    schema: {
      summary: 'Get a presigned upload URL for the product image',
      params: idParam,
      body: { $ref: 'ImageUploadRequest#' },
      response: {
        200: { description: 'Upload with a PUT to upload.url, sending upload.headers', content: { 'application/json': { schema: { $ref: 'ImageUpload#' } } } },
        ...problems(404),
      },
    },
  }, async (req) => {
    const { upload, product } = await products.presignImage(req.params.id, req.body.contentType, req.body.contentLength);
    return { upload, imageUrl: product.imageUrl!, product };
  });

  // --- embedded mode: this process is the "S3" (signed PUT) and the "CDN" (GET) for images
  if (storage instanceof LocalStorage) {
    const local = storage;
    await app.register(async (scope) => {
      scope.addContentTypeParser(Object.keys(IMAGE_TYPES), { parseAs: 'buffer', bodyLimit: cfg.maxImageBytes }, (_req, body, done) => done(null, body));
      scope.put<{ Params: { '*': string }; Querystring: { expires?: string; sig?: string } }>('/uploads/*', { schema: { hide: true } }, async (req, reply) => {
        const key = req.params['*'];
        const body = req.body as Buffer;
        if (!Buffer.isBuffer(body)) return sendProblem(reply, 415, 'Unsupported Media Type', `send one of ${Object.keys(IMAGE_TYPES).join(', ')}`);
        const why = local.verify(key, String(req.headers['content-type']), body.length, Number(req.query.expires), String(req.query.sig ?? ''));
        if (why) return sendProblem(reply, 403, 'Forbidden', why);
        await local.write(key, body);
        return reply.code(200).send({ key, size: body.length });
      });
      scope.get<{ Params: { '*': string } }>('/uploads/*', { schema: { hide: true } }, async (req, reply) => {
        const key = req.params['*'];
        const ext = key.split('.').pop() ?? '';
        const type = Object.entries(IMAGE_TYPES).find(([, e]) => e === ext)?.[0];
        const file = local.filePath(key);
        if (!type || !/^products\//.test(key) || key.includes('..') || !fs.existsSync(file)) {
          return sendProblem(reply, 404, 'Not Found', 'no such image');
        }
        return reply.type(type).header('cache-control', 'public, max-age=31536000, immutable').send(fs.createReadStream(file));
      });
    });
  }

  // Idempotency keys are kept 24 h; purge hourly (unref: never keeps the process alive).
  const purge = setInterval(() => void products.purgeIdempotencyKeys().catch(() => {}), 3_600_000);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));

  app.decorate('products', products);
  return app;
}
