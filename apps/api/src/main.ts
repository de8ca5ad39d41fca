#!/usr/bin/env node
/**
 * Entry point.
 *   main.ts [serve] [--seed N]   start the HTTP server (embedded defaults without DATABASE_URL etc.)
 *   main.ts migrate              apply SQL migrations and exit (the Kubernetes Job)
 *   main.ts seed N               insert N demo products and exit
 */
import { buildApp, type AppState } from './app';
import { createCache } from './cache';
import { loadConfig, type Config } from './config';
import { databaseFromSecret, redisTarget, secretsManagerReader } from './connections';
import { createPgliteDb, createPostgresDb, type Db } from './db';
import { createMetrics } from './metrics';
import { migrate } from './migrate';
import { ProductService } from './products';
import { createStorage } from './storage';

function log(level: 'info' | 'warn' | 'error', msg: string, extra: Record<string, unknown> = {}) {
  process.stdout.write(JSON.stringify({ level, time: Date.now(), msg, ...extra }) + '\n');
}

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

async function openDb(cfg: Config): Promise<Db> {
  const onError = (err: Error) => log('warn', 'idle database client error', { err: err.message });
  if (cfg.databaseUrl) return createPostgresDb(cfg, onError);
  const conns = await databaseFromSecret(cfg, secretsManagerReader(cfg.awsRegion));
  if (conns) return createPostgresDb(cfg, onError, conns);
  log('info', 'DATABASE_URL unset: using embedded PGlite', { dir: cfg.embeddedDataDir });
  return createPgliteDb(cfg);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cfg = loadConfig();
  const db = await openDb(cfg);
  const metrics = createMetrics(() => db.stats());

  if (args.command === 'migrate' || cfg.migrateOnStart || args.command === 'seed' || args.seed > 0) {
    if (args.command === 'migrate' || cfg.migrateOnStart) {
      const applied = await migrate(db, (m) => log('info', m));
      log('info', `migrations: ${applied.length} applied`);
    }
    if (args.command === 'migrate') {
      await db.close();
      return;
    }
  }
  const cache = await createCache(cfg, await redisTarget(cfg, secretsManagerReader(cfg.awsRegion)), metrics, (msg, err) =>
    log('warn', msg, err ? { err: String((err as Error).message ?? err) } : {}),
  );
  const storage = await createStorage(cfg);
  if (args.seed > 0) {
    const n = await new ProductService(db, cache, storage, cfg, metrics).seed(args.seed);
    log('info', `seeded ${n} products`);
    if (args.command === 'seed') {
      await cache.close();
      await db.close();
      return;
    }
  }

  const state: AppState = { draining: false };
  const app = await buildApp(cfg, { db, cache, storage, metrics }, state);
  await app.listen({ port: cfg.port, host: cfg.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  app.log.info({ port, db: db.kind, cache: cache.kind, storage: storage.kind, pid: process.pid }, 'listening');

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
  log('error', err.message, { stack: err.stack });
  process.exit(1);
});
