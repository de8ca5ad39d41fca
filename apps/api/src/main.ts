#!/usr/bin/env node
/**
 * Entry point.
 *   main.ts [serve] [--seed N]   start the HTTP server (embedded defaults without DATABASE_URL etc.)
 *   main.ts migrate              apply SQL migrations and exit (the Kubernetes Job)
 *   main.ts seed N               insert N demo products and exit
 */
import { buildApp, type AppState } from './app';
import { requireWriteAuth } from './auth/config';
import { DEV_TOKEN_TTL_SECONDS, DevIssuer } from './auth/dev-issuer';
import type { Auth } from './plugins/auth';
import { createVerifier } from './auth/verify';
import { createCache } from './cache';
import { createLogger } from './log-stream';
import { loadConfig, type Config } from './config';
import { databaseConnections, ownerUrlConnections, redisTarget, secretsManagerReader, type DbRole } from './connections';
import { createPgliteDb, createPostgresDb, type Db } from './db';
import { createMetrics } from './metrics';
import { migrate } from './migrate';
import { ProductService } from './products';
import { createStorage } from './storage';

// Created before the configuration is read, so that even a refused setting is a pino line (level 50).
const logger = createLogger(process.env.LOG_LEVEL ?? 'info');

function parseArgs(argv: string[]): { command: 'serve' | 'migrate' | 'seed'; seed: number } {
  let command: 'serve' | 'migrate' | 'seed' = 'serve';
  let seed = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'migrate' || a === 'serve') command = a;
    else if (a === 'seed' || a === '--seed') {
      if (a === 'seed') command = 'seed';
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0 || n > 10_000_000) throw new Error(`${a} needs a count between 0 and 10000000, got "${argv[i] ?? ''}"`);
      seed = n;
    } else if (a.startsWith('--seed=')) seed = Number(a.slice(7));
    else throw new Error(`unknown argument "${a}"; usage: main [serve] [--seed N] | migrate | seed N`);
  }
  return { command, seed };
}

/** The service's connection (least privilege: `api`), or the owner's (migrations). Embedded: the one PGlite. */
async function openDb(cfg: Config, as: DbRole): Promise<Db> {
  const onError = (err: Error) => logger.warn({ err: err.message }, 'idle database client error');
  if (cfg.embedded) {
    logger.info({ dir: cfg.embeddedDataDir }, 'DATABASE_URL unset: using embedded PGlite');
    return createPgliteDb(cfg, {
      onMaintenance: (r) => ('error' in r ? logger.warn(r, 'embedded database maintenance failed') : logger.info(r, 'embedded database analyzed')),
    });
  }
  if (cfg.databaseUrl) return createPostgresDb(cfg, onError, as === 'owner' ? ownerUrlConnections(cfg) : undefined);
  return createPostgresDb(cfg, onError, await databaseConnections(cfg, as, secretsManagerReader(cfg.awsRegion)));
}

/** Migrations run as the owner on their own connection (closed afterwards); `embedded` is the one PGlite database. */
async function runMigrations(cfg: Config, embedded?: Db): Promise<void> {
  const owner = embedded ?? (await openDb(cfg, 'owner'));
  try {
    const appRole = cfg.databaseAppUser ? { name: cfg.databaseAppUser, password: cfg.databaseAppPassword } : undefined;
    const applied = await migrate(owner, (m) => logger.info(m), { appRole });
    logger.info(`migrations: ${applied.length} applied`);
  } finally {
    if (!embedded) await owner.close();
  }
}

/** Embedded mode's start-up note: a ready-to-use write token from the in-process issuer, and how to use it. */
async function printDevIssuer(dev: DevIssuer, cfg: Config, scope: string): Promise<void> {
  const token = await dev.mint({ sub: 'dev-user', scope, ttlSeconds: DEV_TOKEN_TTL_SECONDS });
  const base = cfg.publicBaseUrl;
  const body = JSON.stringify({ sku: 'DEMO-1', name: 'Demo product', priceCents: 1999, currency: 'EUR', category: 'demo' });
  process.stdout.write(
    [
      '',
      'Embedded mode: writes need a bearer token. A local issuer runs in this process (development only: a new key',
      `pair at every start, JWKS at ${dev.issuer}/.well-known/jwks.json). A write token (scope ${scope}, subject`,
      'dev-user, valid 12 h, for this process only):',
      '',
      `  export API_TOKEN=${token}`,
      '',
      `  curl -i -X POST ${base}/v1/products -H "Authorization: Bearer $API_TOKEN" \\`,
      `    -H 'content-type: application/json' -d '${body}'`,
      '',
    ].join('\n') + '\n',
  );
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cfg = loadConfig();
  logger.level = cfg.logLevel;
  if (args.command === 'serve') requireWriteAuth(cfg.auth); // before anything starts: no issuer, no server
  const embedded = cfg.embedded ? await openDb(cfg, 'service') : undefined;
  if (args.command === 'migrate' || cfg.migrateOnStart) await runMigrations(cfg, embedded);
  if (args.command === 'migrate') {
    await embedded?.close();
    return;
  }
  const db = embedded ?? (await openDb(cfg, 'service'));
  const metrics = createMetrics(() => db.stats());
  const cache = await createCache(cfg, await redisTarget(cfg, secretsManagerReader(cfg.awsRegion)), metrics, (msg, err) =>
    logger.warn(err ? { err: String((err as Error).message ?? err) } : {}, msg),
  );
  const storage = await createStorage(cfg);
  if (args.seed > 0) {
    const n = await new ProductService(db, cache, storage, cfg, metrics).seed(args.seed);
    logger.info(`seeded ${n} products`);
    if (args.command === 'seed') {
      await cache.close();
      await db.close();
      return;
    }
  }

  const devIssuer = cfg.auth.devIssuer ? await DevIssuer.create(cfg.publicBaseUrl) : undefined;
  const authConfig = devIssuer ? devIssuer.config(cfg.auth) : cfg.auth;
  const auth: Auth = { config: authConfig, verifier: createVerifier(authConfig, devIssuer?.keys()), devIssuer };
  const state: AppState = { draining: false };
  const app = await buildApp(cfg, { db, cache, storage, metrics, auth, logger }, state);
  await app.listen({ port: cfg.port, host: cfg.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  if (devIssuer) await printDevIssuer(devIssuer, cfg, authConfig.writeScope);
  const authLog = { issuer: authConfig.issuer, audienceClaim: authConfig.audienceClaim, writeScope: authConfig.writeScope, dev: !!devIssuer };
  app.log.info({ port, db: db.kind, cache: cache.kind, storage: storage.kind, auth: authLog, pid: process.pid }, 'listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    state.draining = true;
    app.log.info({ signal, drainSeconds: cfg.drainSeconds }, 'draining');
    // Hard deadline: whatever is still open after DRAIN_SECONDS is cut, and we exit non-zero.
    const force = setTimeout(() => {
      app.log.error('drain deadline reached; closing remaining connections');
      app.server.closeAllConnections();
      process.exit(1);
    }, cfg.drainSeconds * 1000);
    // Connections that go idle after close() began are not reaped by it: sweep them until the end.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 250);
    try {
      await app.close(); // stop accepting, finish in-flight requests, close idle keep-alive sockets
      await cache.close();
      await db.close();
      clearTimeout(force);
      clearInterval(sweep);
      app.log.info('drained; bye');
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: Error) => {
  logger.error({ err }, err.message); // the message names the setting, never its value (config.ts)
  process.exit(1); // pino flushes its stream on exit (log-stream.ts)
});
