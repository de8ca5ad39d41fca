/**
 * The worker side of pglite-thread.ts: owns the embedded PGlite and answers {id, op, sql, params} messages one at a
 * time. Errors travel back with their fields (code, constraint, detail: SQLSTATE-based handling keeps working).
 *
 * Two things PostgreSQL does for a server that PGlite (one single-user backend) does not:
 * - **Plan reuse.** `PGlite.query` parses, describes and plans every call (six protocol round trips into WASM). Here a
 *   parameterized statement is parsed once under a name and each call is one Bind/Describe/Execute/Sync message:
 *   measured on a 10,000-product table, an insert 1.2 → 0.6 ms, a get-by-id 0.8 → 0.4 ms (README "Where the time goes").
 * - **Autovacuum.** There is no autovacuum daemon, so tables were never analyzed: the planner guessed 11 rows for a
 *   category of 1,000 and sorted them all for each list page (10 ms instead of 0.6 ms). `maintain` applies autovacuum's
 *   default rules, per table, to the rows this worker changed: ANALYZE after 50 + 10 % of the table's rows changed,
 *   VACUUM ANALYZE after 50 + 20 % updated or deleted. The caller runs it between transactions (pglite-thread.ts);
 *   at start, tables never analyzed or grown well past their statistics are.
 * - **Stale statements.** A prepared statement whose table changed shape (0A000) or that was deallocated (26000) is
 *   forgotten and prepared again.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite as PGliteType, parse as PGliteParse, protocol as PGliteProtocol } from '@electric-sql/pglite';

interface Request {
  id: number;
  op: 'ready' | 'query' | 'exec' | 'maintain' | 'close';
  sql?: string;
  params?: unknown[];
}

/** What `maintain` did; null when no table reached a threshold. */
export interface MaintenanceResult {
  /** The tables analyzed (VACUUM ANALYZE for those in `vacuumed`). */
  analyzed: string[];
  vacuumed: string[];
  ms: number;
}

/** Autovacuum's defaults (autovacuum_analyze_threshold/scale_factor, autovacuum_vacuum_threshold/scale_factor). */
export const ANALYZE_BASE = 50;
export const ANALYZE_SCALE = 0.1;
export const VACUUM_BASE = 50;
export const VACUUM_SCALE = 0.2;
/** The service's SQL texts are constants plus PATCH's column combinations: far fewer. A bound all the same. */
const MAX_STATEMENTS = 500;
/** The table a write names (the service's statements: `insert into t`, `update t`, `delete from t`). */
const TARGET = /^\s*(?:insert\s+into|update|delete\s+from)\s+(?:only\s+)?(?:public\.)?([a-z_][a-z0-9_]*)\b/i;
const DEAD = /^\s*(update|delete)\b/i;
/** A prepared statement that can't be used any more: its table changed shape (0A000), or it was deallocated (26000). */
const STALE_STATEMENT = new Set(['0A000', '26000']);

type Lite = PGliteType;
type Protocol = typeof PGliteProtocol;
type ParseResults = typeof PGliteParse.parseResults;

interface Statement {
  name: string;
  paramTypes: number[];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Named prepared statements on PGlite's wire protocol (the same messages a pg client sends to a server). */
export function preparedStatements(lite: Lite, { serialize }: Protocol, parseResults: ParseResults) {
  const statements = new Map<string, Statement>();
  const noSync = { syncToFs: false };
  let next = 0; // names are never reused, also after a statement was forgotten

  async function prepare(sql: string): Promise<Statement | undefined> {
    const known = statements.get(sql);
    if (known || statements.size >= MAX_STATEMENTS) return known;
    const name = `awp_${next++}`;
    let described;
    try {
      await lite.execProtocol(serialize.parse({ name, text: sql }), noSync);
      described = await lite.execProtocol(serialize.describe({ type: 'S', name }), noSync);
    } finally {
      await lite.execProtocol(serialize.sync(), noSync); // back to ReadyForQuery, also after an error
    }
    const params = described.messages.find((m) => m.name === 'parameterDescription') as { dataTypeIDs: number[] } | undefined;
    const s = { name, paramTypes: params?.dataTypeIDs ?? [] };
    statements.set(sql, s);
    return s;
  }

  async function forget(sql: string, s: Statement) {
    statements.delete(sql);
    await lite.execProtocol(concat([serialize.close({ type: 'S', name: s.name }), serialize.sync()]), { ...noSync, throwOnError: false });
  }

  async function run(s: Statement, params: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }> {
    // Parameters as text, serialized like PGlite.query does (by the statement's parameter types).
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const ser = lite.serializers[s.paramTypes[i]!];
      return ser ? ser(v) : String(v);
    });
    // One message: Bind, Describe (for the row types), Execute, Sync — the Sync also ends an error cleanly.
    const msg = concat([serialize.bind({ statement: s.name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]);
    const { messages } = await lite.execProtocol(msg);
    const r = parseResults(messages, lite.parsers)[0];
    return { rows: r?.rows ?? [], affectedRows: r?.affectedRows };
  }

  return async function query(sql: string, params: unknown[] = []): Promise<{ rows: unknown[]; affectedRows?: number }> {
    const s = await prepare(sql);
    if (!s) return lite.query(sql, params);
    try {
      return await run(s, params);
    } catch (err) {
      if (!STALE_STATEMENT.has((err as { code?: string }).code ?? '')) throw err;
      // As pgjdbc and Rails do: forget it, and prepare it again — at once outside a transaction (nothing was done),
      // on the next call inside one (the transaction is aborted: the error is the caller's).
      await forget(sql, s);
      if (lite.isInTransaction()) throw err;
      return run((await prepare(sql))!, params);
    }
  };
}

/**
 * Autovacuum's rules, per table, on the rows this worker changed: PGlite's statistics counters
 * (pg_stat_user_tables) stay at 0, and there is no daemon. Only the tables over a threshold are processed — a
 * database-wide ANALYZE also walks the system catalogs (hundreds of ms while every statement waits).
 */
export function autovacuum(lite: Lite) {
  const counts = new Map<string, { changed: number; dead: number }>();

  async function tuples(tables: string[]): Promise<Map<string, number>> {
    const { rows } = await lite.query<{ relname: string; n: number }>(
      "select relname, greatest(reltuples, 0)::float8 as n from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace and relname = any(string_to_array($1, ','))",
      [tables.join(',')],
    );
    return new Map(rows.map((r) => [r.relname, r.n]));
  }

  return {
    /** After a statement: what it changed, and where. */
    record(sql: string, affectedRows = 0) {
      if (affectedRows <= 0) return;
      const table = TARGET.exec(sql)?.[1]?.toLowerCase();
      if (!table) return;
      const c = counts.get(table) ?? { changed: 0, dead: 0 };
      c.changed += affectedRows;
      if (DEAD.test(sql)) c.dead += affectedRows;
      counts.set(table, c);
    },
    /**
     * At start: tables never analyzed (reltuples -1), or grown well past their statistics (pages on disk against
     * pg_class.relpages; no scan) — filled by a process that ended before its ANALYZE (a killed dev server, an older
     * version's seed). Smaller changes made by an earlier process are not known here (as after a crash of PostgreSQL).
     */
    async start(): Promise<MaintenanceResult | null> {
      const t0 = performance.now();
      const { rows } = await lite.query<{ relname: string }>(
        `select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace
           and (reltuples < 0 or pg_relation_size(oid) / current_setting('block_size')::int > relpages * 1.2 + 8)`,
      );
      for (const r of rows) await lite.exec(`analyze "${r.relname}"`);
      return rows.length ? { analyzed: rows.map((r) => r.relname), vacuumed: [], ms: Math.round(performance.now() - t0) } : null;
    },
    async maintain(): Promise<MaintenanceResult | null> {
      // Never inside a transaction (VACUUM can't run in one; an ANALYZE there is undone by a rollback).
      if (counts.size === 0 || lite.isInTransaction()) return null;
      const t0 = performance.now();
      const sizes = await tuples([...counts.keys()]);
      const analyzed: string[] = [];
      const vacuumed: string[] = [];
      for (const [table, c] of counts) {
        const n = sizes.get(table);
        if (n === undefined) {
          counts.delete(table); // dropped, or not ours
          continue;
        }
        const vacuum = c.dead >= VACUUM_BASE + VACUUM_SCALE * n;
        if (!vacuum && c.changed < ANALYZE_BASE + ANALYZE_SCALE * n) continue;
        await lite.exec(vacuum ? `vacuum (analyze) "${table}"` : `analyze "${table}"`);
        analyzed.push(table);
        if (vacuum) vacuumed.push(table);
        counts.set(table, { changed: 0, dead: vacuum ? 0 : c.dead });
      }
      return analyzed.length ? { analyzed, vacuumed, ms: Math.round(performance.now() - t0) } : null;
    },
  };
}

async function main() {
  const port = parentPort!;
  const { PGlite, protocol, parse } = await import('@electric-sql/pglite');
  const dataDir = (workerData as { dataDir: string }).dataDir;
  const memory = dataDir === 'memory://';
  if (!memory) fs.mkdirSync(`${dataDir}/pg`, { recursive: true });
  const lite = memory ? new PGlite() : new PGlite(`${dataDir}/pg`);
  await lite.waitReady;
  const query = preparedStatements(lite, protocol, parse.parseResults);
  const vacuum = autovacuum(lite);
  const started = await vacuum.start(); // the answer to 'ready'
  // One message at a time, in order (execProtocol has no lock of its own; the caller already sends one at a time).
  let tail = Promise.resolve();
  port.on('message', (m: Request) => {
    tail = tail.then(() => handle(m)).catch(() => undefined); // one failed answer must not stop the queue
  });
  async function handle(m: Request) {
    try {
      let result: unknown = null;
      if (m.op === 'ready') result = started;
      else if (m.op === 'query') {
        const r = await query(m.sql!, m.params);
        vacuum.record(m.sql!, r.affectedRows);
        result = { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
      } else if (m.op === 'exec') await lite.exec(m.sql!);
      else if (m.op === 'maintain') result = await vacuum.maintain();
      else if (m.op === 'close') await lite.close();
      port.postMessage({ id: m.id, result });
    } catch (err) {
      const e = err as Error & Record<string, unknown>;
      if (m.sql && e.query === undefined) e.query = m.sql; // as PGlite.query's errors carry it
      const fields = Object.fromEntries(Object.entries(e).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
      port.postMessage({ id: m.id, error: { ...fields, message: e.message, name: e.name } });
    }
  }
}

if (parentPort) {
  main().catch((err: unknown) => {
    throw err; // surfaces as the Worker's 'error' event: the service fails to start with the cause
  });
}
