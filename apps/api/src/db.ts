import crypto from 'node:crypto';
import pg from 'pg';
import type { Config } from './config';
import type { DbConnections } from './connections';
import { classifyDbError, dbTimeouts, DbUnavailableError, isDbUnavailable } from './db-errors';
import type { PgliteOptions } from './pglite-thread';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** The one query method the service needs; both PostgreSQL (pg) and PGlite implement it. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface PoolStats {
  pool: 'primary' | 'read';
  total: number;
  idle: number;
  waiting: number;
}

export interface Db {
  readonly kind: 'postgres' | 'pglite';
  /** Primary: every write and read-your-write goes here. */
  readonly primary: Queryable;
  /** Read pool (replicas); the primary when no DATABASE_READ_URL is set. */
  readonly read: Queryable;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  stats(): PoolStats[];
  close(): Promise<void>;
}

export { DbUnavailableError, isDbUnavailable } from './db-errors';

function wrap(q: Queryable): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      try {
        return await q.query<T>(sql, params);
      } catch (err) {
        throw classifyDbError(err, { sql });
      }
    },
    async exec(sql: string) {
      try {
        await q.exec(sql);
      } catch (err) {
        throw classifyDbError(err, { sql });
      }
    },
  };
}

function pgPool(target: pg.PoolConfig, cfg: Config, name: string, onError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    ...target,
    max: cfg.dbPoolMax,
    ...dbTimeouts(cfg),
    idleTimeoutMillis: 30_000,
    application_name: `awp-api-${name}`,
    keepAlive: true,
  });
  // An idle client losing its connection (e.g. Postgres restart) emits here; without a handler the process dies.
  pool.on('error', onError);
  return pool;
}

const ignore = () => {};

const statementNames = new Map<string, string>();
/**
 * A parameterized statement as a named prepared statement (one name per SQL text): PostgreSQL parses and plans it
 * once per connection instead of on every call — planning was most of a list query's time (1.2 ms of 1.5 ms, see
 * README "Where the time goes"). The SQL texts are the service's own constants (a bounded set); with no RDS Proxy or
 * PgBouncer between (libs/data), a connection keeps its statements for its lifetime.
 */
export function prepared(sql: string, params: unknown[] | undefined): pg.QueryConfig | string {
  if (params === undefined) return sql;
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `awp_${crypto.createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params };
}

function pgAdapter(pool: pg.Pool): Queryable {
  // pool.query() in two steps, so a failure to connect (nothing sent: "not applied") is told from a failure
  // after the statement was sent (a write's outcome is unknown).
  const run = async (sql: string, params?: unknown[]) => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw classifyDbError(err, 'connect');
    }
    // A checked-out client whose connection dies emits 'error' (pool.query listens too): without a listener the
    // process would crash; the query's own rejection carries the error.
    client.on('error', ignore);
    try {
      const r = await client.query(prepared(sql, params));
      client.release();
      return r;
    } catch (err) {
      client.release(isDbUnavailable(err)); // a connection that failed to answer is dropped, not reused
      throw err;
    } finally {
      client.off('error', ignore);
    }
  };
  return {
    async query<T>(sql: string, params?: unknown[]) {
      const r = await run(sql, params);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await run(sql);
    },
  };
}

/** PostgreSQL through pg pools: DATABASE_URL / DATABASE_READ_URL, or host + Secrets Manager (`conns`). */
export function createPostgresDb(cfg: Config, onError: (err: Error) => void, conns?: DbConnections): Db {
  const primaryTarget: pg.PoolConfig = conns ? conns.primary : { connectionString: cfg.databaseUrl };
  const sameRead = conns ? conns.read.host === conns.primary.host : !cfg.databaseReadUrl || cfg.databaseReadUrl === cfg.databaseUrl;
  const readTarget: pg.PoolConfig = conns ? conns.read : { connectionString: cfg.databaseReadUrl };
  const onPoolError = (err: Error) => {
    if ((err as { code?: string }).code === '28P01') conns?.onAuthFailure();
    onError(err);
  };
  const primaryPool = pgPool(primaryTarget, cfg, 'primary', onPoolError);
  const readPool = sameRead ? primaryPool : pgPool(readTarget, cfg, 'read', onPoolError);
  const authAware = (q: Queryable): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      try {
        return await q.query<T>(sql, params);
      } catch (err) {
        const code = ((err as Error).cause as { code?: string } | undefined)?.code ?? (err as { code?: string }).code;
        if (code === '28P01' || code === '28000') conns?.onAuthFailure();
        throw err;
      }
    },
    exec: (sql: string) => q.exec(sql),
  });
  const primary = authAware(wrap(pgAdapter(primaryPool)));
  const read = sameRead ? primary : authAware(wrap(pgAdapter(readPool)));
  return {
    kind: 'postgres',
    primary,
    read,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await primaryPool.connect();
      } catch (err) {
        throw new DbUnavailableError(err, 'not-applied');
      }
      let broken = false;
      let phase: 'in-transaction' | 'commit' = 'in-transaction';
      client.on('error', ignore); // see pgAdapter
      try {
        await client.query('BEGIN');
        const out = await fn({
          async query<R>(sql: string, params?: unknown[]) {
            const r = await client.query(prepared(sql, params));
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        });
        phase = 'commit';
        await client.query('COMMIT');
        return out;
      } catch (err) {
        broken = isDbUnavailable(err);
        // Never COMMIT after a failure: before the COMMIT nothing took effect (a dropped connection rolls back).
        if (!broken && phase === 'in-transaction') await client.query('ROLLBACK').catch(() => (broken = true));
        throw classifyDbError(err, phase);
      } finally {
        client.off('error', ignore);
        client.release(broken); // a broken connection is destroyed, not returned to the pool
      }
    },
    async ping() {
      await primary.query('select 1');
    },
    stats() {
      const s: PoolStats[] = [
        { pool: 'primary', total: primaryPool.totalCount, idle: primaryPool.idleCount, waiting: primaryPool.waitingCount },
      ];
      if (!sameRead) s.push({ pool: 'read', total: readPool.totalCount, idle: readPool.idleCount, waiting: readPool.waitingCount });
      return s;
    },
    async close() {
      await primaryPool.end();
      if (!sameRead) await readPool.end();
    },
  };
}

/**
 * Embedded default: PGlite (Postgres compiled to WASM), persisted to a directory or in memory, on its own thread so
 * its statements never block the event loop (pglite-thread.ts). Loaded lazily: a production image with real
 * Postgres never pays for the WASM module.
 */
export async function createPgliteDb(cfg: Config, opts?: PgliteOptions): Promise<Db> {
  const { createThreadedPgliteDb } = await import('./pglite-thread');
  return createThreadedPgliteDb(cfg, opts);
}
