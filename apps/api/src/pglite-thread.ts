import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from './config';
import type { Db, Queryable, QueryResult } from './db';
import type { MaintenanceResult } from './pglite-thread-worker';

export type { MaintenanceResult } from './pglite-thread-worker';

export interface PgliteOptions {
  /**
   * How often the autovacuum rules are checked (pglite-thread-worker.ts), between transactions; 0 = never.
   * @default 10_000 (autovacuum's naptime is 60 s; PGlite's tables are small and the check is free)
   */
  maintenanceIntervalMs?: number;
  /** Told about every ANALYZE / VACUUM (and a failed one): the service logs them. */
  onMaintenance?: (result: MaintenanceResult | { error: string }) => void;
}

export interface PgliteDb extends Db {
  /** Runs the autovacuum rules now; null when no threshold is reached. */
  maintain(): Promise<MaintenanceResult | null>;
}

/**
 * Embedded PGlite on a worker thread. PGlite runs SQL synchronously inside WASM: on the event loop, every write or
 * list blocked every cached read queued behind it (embedded p99 at 500 req/s was many times the bare server's,
 * README "Benchmark"). On its own thread the loop keeps answering cached reads while a statement runs, and the
 * statement gets the second core. One connection, as before: statements run one at a time in arrival order, and
 * a transaction holds the connection from BEGIN to COMMIT/ROLLBACK.
 */
export async function createThreadedPgliteDb(cfg: Pick<Config, 'embeddedDataDir'>, opts: PgliteOptions = {}): Promise<PgliteDb> {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `pglite-thread-worker${ext}`);
  const workerData = { dataDir: cfg.embeddedDataDir };
  // Built (dist/*.js): the file itself. Under tsx (tests, `npm run start:api`) the worker is TypeScript, and loader
  // hooks are per thread: register tsx's require hook in the worker first.
  const worker =
    ext === '.ts'
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData })
      : new Worker(file, { workerData });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let failed: unknown;
  worker.on('message', (m: { id: number; result?: unknown; error?: Record<string, unknown> & { message: string } }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p?.reject(Object.assign(new Error(m.error.message), m.error));
    else p?.resolve(m.result);
  });
  let timer: NodeJS.Timeout | undefined = undefined; // the maintenance timer, set once the worker is ready
  const fail = (err: unknown) => {
    failed = err;
    clearInterval(timer); // nothing left to maintain
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the embedded database thread exited (${code})`)));
  const call = <T>(op: string, sql?: string, params?: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, sql, params });
    });

  // The one connection: each use waits for the previous one (a transaction is one use).
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(use: () => Promise<T>): Promise<T> => {
    const run = tail.then(use, use);
    tail = run.catch(() => undefined);
    return run;
  };
  const direct: Queryable = {
    query: <T>(sql: string, params?: unknown[]) => call<QueryResult<T>>('query', sql, params),
    exec: (sql: string) => call<void>('exec', sql),
  };
  const q: Queryable = {
    query: <T>(sql: string, params?: unknown[]) => exclusive(() => direct.query<T>(sql, params)),
    exec: (sql: string) => exclusive(() => direct.exec(sql)),
  };

  const started = await call<MaintenanceResult | null>('ready'); // what the worker analyzed at start
  if (started) opts.onMaintenance?.(started);
  // Between transactions (exclusive): VACUUM cannot run inside one, and a transaction's statements stay together.
  const maintain = () => exclusive(() => call<MaintenanceResult | null>('maintain'));
  const interval = opts.maintenanceIntervalMs ?? 10_000;
  timer =
    interval > 0
      ? setInterval(() => {
          maintain().then(
            (r) => r && opts.onMaintenance?.(r),
            (err: Error) => opts.onMaintenance?.({ error: err.message }),
          );
        }, interval).unref()
      : undefined;
  return {
    kind: 'pglite',
    maintain,
    primary: q,
    read: q,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      exclusive(async () => {
        await direct.exec('BEGIN');
        try {
          const out = await fn(direct);
          await direct.exec('COMMIT');
          return out;
        } catch (err) {
          await direct.exec('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    async ping() {
      await q.query('select 1');
    },
    stats() {
      return [{ pool: 'primary', total: 1, idle: 1, waiting: 0 }];
    },
    async close() {
      clearInterval(timer);
      await exclusive(() => call('close'));
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
