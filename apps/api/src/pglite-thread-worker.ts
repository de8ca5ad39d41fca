/**
 * The worker side of pglite-thread.ts: owns the embedded PGlite and answers {id, op, sql, params} messages one at a
 * time. Errors travel back with their fields (code, constraint, detail: SQLSTATE-based handling keeps working).
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

interface Request {
  id: number;
  op: 'ready' | 'query' | 'exec' | 'close';
  sql?: string;
  params?: unknown[];
}

async function main() {
  const port = parentPort!;
  const { PGlite } = await import('@electric-sql/pglite');
  const dataDir = (workerData as { dataDir: string }).dataDir;
  const memory = dataDir === 'memory://';
  if (!memory) fs.mkdirSync(`${dataDir}/pg`, { recursive: true });
  const lite = memory ? new PGlite() : new PGlite(`${dataDir}/pg`);
  await lite.waitReady;
  port.on('message', async (m: Request) => {
    try {
      let result: unknown = null;
      if (m.op === 'query') {
        const r = await lite.query(m.sql!, m.params);
        result = { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
      } else if (m.op === 'exec') await lite.exec(m.sql!);
      else if (m.op === 'close') await lite.close();
      port.postMessage({ id: m.id, result });
    } catch (err) {
      const e = err as Error & Record<string, unknown>;
      const fields = Object.fromEntries(Object.entries(e).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
      port.postMessage({ id: m.id, error: { ...fields, message: e.message, name: e.name } });
    }
  });
}

main().catch((err: unknown) => {
  throw err; // surfaces as the Worker's 'error' event: the service fails to start with the cause
});
