import crypto from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Cache } from './cache';
import type { Config } from './config';
import type { Db } from './db';
import type { Metrics } from './metrics';
import accessLog from './plugins/access-log';
import auth, { type Auth } from './plugins/auth';
import loadShedding from './plugins/load-shedding';
import metricsPlugin from './plugins/metrics';
import problem from './plugins/problem';
import requestDeadline from './plugins/request-deadline';
import responsePolicy from './plugins/response-policy';
import swagger from './plugins/swagger';
import { ProductService } from './products';
import devIssuerRoutes from './routes/dev-issuer';
import openapiRoutes from './routes/openapi';
import probeRoutes from './routes/probes';
import productRoutes from './routes/products';
import uploadRoutes from './routes/uploads';
import { LocalStorage, type Storage } from './storage';

export interface Deps {
  db: Db;
  cache: Cache;
  storage: Storage;
  metrics: Metrics;
  auth: Auth;
  /** The process' logger (log-stream.ts createLogger): level, redaction and stream are set there. */
  logger: FastifyBaseLogger;
}

export interface AppState {
  draining: boolean;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The service: Fastify with its server options, then the plugins. Cross-cutting plugins (src/plugins, wrapped with
 * fastify-plugin so their hooks and handlers apply at the root) come first, in the order their per-request hooks
 * must run; then the routes (src/routes), each in its own encapsulated scope with its schemas.
 */
export async function buildApp(cfg: Config, deps: Deps, state: AppState = { draining: false }): Promise<FastifyInstance> {
  const { db, cache, storage, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }), // one access-log line per request (onResponse), not two
    bodyLimit: cfg.bodyLimitBytes,
    requestTimeout: cfg.requestTimeoutMs * 2, // socket-level backstop; the request-deadline plugin answers first
    connectionTimeout: 0,
    keepAliveTimeout: 65_000, // longer than the ALB's 60 s idle timeout, so the ALB never reuses a closed socket
    return503OnClosing: false, // draining: see plugins/response-policy.ts
    forceCloseConnections: 'idle',
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : crypto.randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });

  // Cross-cutting. Per request: access-log's clock and request id → load shedding → deadline → auth (write routes).
  await app.register(problem); // error handler, 404, the Problem schema
  await app.register(swagger, { auth: deps.auth.config }); // before the routes: it collects them
  await app.register(accessLog);
  await app.register(loadShedding, { maxEventLoopDelayMs: cfg.maxEventLoopDelayMs, maxInflight: cfg.maxInflight, metrics });
  await app.register(requestDeadline, { requestTimeoutMs: cfg.requestTimeoutMs, metrics });
  await app.register(responsePolicy, { state });
  await app.register(metricsPlugin, { metrics });
  await app.register(auth, { auth: deps.auth }); // before the routes: it protects every write route as it is declared

  // Routes.
  await app.register(probeRoutes, { db, cache, state, readyRequiresDatabase: cfg.readyRequiresDatabase });
  await app.register(openapiRoutes);
  await app.register(productRoutes, { products: new ProductService(db, cache, storage, cfg, metrics) });
  if (storage instanceof LocalStorage) await app.register(uploadRoutes, { storage, maxImageBytes: cfg.maxImageBytes });
  if (deps.auth.devIssuer) await app.register(devIssuerRoutes, { dev: deps.auth.devIssuer, writeScope: deps.auth.config.writeScope });
  return app;
}
