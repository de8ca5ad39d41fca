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
 *   default rules to the rows this worker changed: ANALYZE after 50 + 10 % of the rows, VACUUM ANALYZE after 50 + 20 %
 *   updated or deleted. The caller runs it between transactions (pglite-thread.ts).
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

/** What `maintain` did; null when no threshold was reached. */
export interface MaintenanceResult {
  analyzed: boolean;
  vacuumed: boolean;
  /** Rows of the user tables afterwards (pg_class.reltuples). */
  rows: number;
  ms: number;
}

/** Autovacuum's defaults (autovacuum_analyze_threshold/scale_factor, autovacuum_vacuum_threshold/scale_factor). */
export const ANALYZE_BASE = 50;
export const ANALYZE_SCALE = 0.1;
export const VACUUM_BASE = 50;
export const VACUUM_SCALE = 0.2;
/** The service's SQL texts are constants plus PATCH's column combinations: far fewer. A bound all the same. */
const MAX_STATEMENTS = 500;
const WRITE = /^\s*(insert|update|delete)\b/i;
const DEAD = /^\s*(update|delete)\b/i;

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

  async function prepare(sql: string): Promise<Statement | undefined> {
    const known = statements.get(sql);
    if (known || statements.size >= MAX_STATEMENTS) return known;
    const name = `awp_${statements.size}`;
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

  return async function query(sql: string, params: unknown[] = []): Promise<{ rows: unknown[]; affectedRows?: number }> {
    const s = await prepare(sql);
    if (!s) return lite.query(sql, params);
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
  };
}

/** Counts the rows this worker changed and runs ANALYZE / VACUUM ANALYZE by autovacuum's default rules. */
export function autovacuum(lite: Lite) {
  let changed = 0;
  let dead = 0;
  let rows = 0;

  async function tableRows(): Promise<number> {
    const { rows: r } = await lite.query<{ n: number }>(
      "select coalesce(sum(greatest(reltuples, 0)), 0)::float8 as n from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace",
    );
    return r[0]!.n;
  }

  return {
    /** After a statement: what it changed. */
    record(sql: string, affectedRows = 0) {
      if (affectedRows <= 0 || !WRITE.test(sql)) return;
      changed += affectedRows;
      if (DEAD.test(sql)) dead += affectedRows;
    },
    /**
     * At start: ANALYZE. Rows changed by an earlier process (a `seed`, a crash before its ANALYZE) are not counted
     * anywhere — PGlite's statistics counters stay at 0 — and ANALYZE samples at most 30,000 rows: bounded.
     */
    async start(): Promise<void> {
      await lite.exec('analyze');
      rows = await tableRows();
    },
    async maintain(): Promise<MaintenanceResult | null> {
      const vacuum = dead >= VACUUM_BASE + VACUUM_SCALE * rows;
      const analyze = vacuum || changed >= ANALYZE_BASE + ANALYZE_SCALE * rows;
      if (!analyze) return null;
      const t0 = performance.now();
      await lite.exec(vacuum ? 'vacuum analyze' : 'analyze');
      changed = 0;
      if (vacuum) dead = 0;
      rows = await tableRows();
      return { analyzed: true, vacuumed: vacuum, rows, ms: Math.round(performance.now() - t0) };
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
  await vacuum.start();
  // One message at a time, in order (execProtocol has no lock of its own; the caller already sends one at a time).
  let tail = Promise.resolve();
  port.on('message', (m: Request) => {
    tail = tail.then(() => handle(m));
  });
  async function handle(m: Request) {
    try {
      let result: unknown = null;
      if (m.op === 'query') {
        const r = await query(m.sql!, m.params);
        vacuum.record(m.sql!, r.affectedRows);
        result = { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
      } else if (m.op === 'exec') await lite.exec(m.sql!);
      else if (m.op === 'maintain') result = await vacuum.maintain();
      else if (m.op === 'close') await lite.close();
      port.postMessage({ id: m.id, result });
    } catch (err) {
      const e = err as Error & Record<string, unknown>;
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
