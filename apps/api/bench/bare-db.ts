// The second floor for the benchmark: the same database and cache work per request kind as the service, with nothing
// else — node:http, no framework, no validation, no auth, no logging, no metrics, no shedding or deadlines.
//   GET /v1/products/{id}   from a Map loaded at start (the service's warm L1)
//   GET /v1/products?…      the service's list statement, prepared, on the same database
//   POST /v1/products       the service's insert, prepared, then the same Redis write-through (SET + PUBLISH)
// Real mode: DATABASE_URL (+ REDIS_URL); embedded: EMBEDDED_DATA_DIR through the service's PGlite thread (the
// database layer both use; one process at a time on a PGlite directory, so the bench runs this before the service). What the service's p99 adds above this one's is the service; what this one adds above
// bench/bare.ts is this machine's database and Redis round trips.
import http from 'node:http';
import Redis from 'ioredis';
import pg from 'pg';
import { createThreadedPgliteDb } from '../src/pglite-thread';

const COLS = 'id, seq, sku, name, description, price_cents, currency, category, image_key, version, created_at, updated_at';
const LIST = `select ${COLS} from products where seq > $1 and category = $3 order by seq limit $2`;
const INSERT = `insert into products (sku, name, description, price_cents, currency, category) values ($1, $2, $3, $4, $5, $6) returning ${COLS}`;

type Row = Record<string, unknown>;
type Query = (name: string, text: string, values: unknown[]) => Promise<Row[]>;

async function database(): Promise<Query> {
  if (process.env.DATABASE_URL) {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
    return async (name, text, values) => (await pool.query({ name, text, values })).rows;
  }
  const db = await createThreadedPgliteDb({ embeddedDataDir: process.env.EMBEDDED_DATA_DIR ?? 'memory://' }, { maintenanceIntervalMs: 0 });
  return async (_name, text, values) => (await db.primary.query<Row>(text, values)).rows;
}

const json = (status: number, body: string, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

async function main() {
  const query = await database();
  const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
  const products = new Map<string, string>();
  for (const r of await query('all', `select ${COLS} from products`, [])) products.set(String(r.id), JSON.stringify(r));

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/ids') {
      req.resume();
      return json(200, JSON.stringify([...products.keys()]), res); // for the bench's mix (the service is not up yet)
    }
    if (req.method === 'GET' && url.startsWith('/v1/products/')) {
      req.resume();
      const p = products.get(url.slice('/v1/products/'.length));
      return p ? json(200, p, res) : json(404, '{}', res);
    }
    if (req.method === 'GET' && url.startsWith('/v1/products')) {
      req.resume();
      const q = new URL(url, 'http://x').searchParams;
      const limit = Number(q.get('limit') ?? 20);
      void query('list', LIST, [0, limit + 1, q.get('category')]).then(
        (rows) => json(200, JSON.stringify({ items: rows.slice(0, limit), nextCursor: rows.length > limit ? String(rows[limit - 1]!.seq) : null }), res),
        () => json(503, '{}', res),
      );
      return;
    }
    if (req.method === 'POST' && url === '/v1/products') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const b = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        void query('insert', INSERT, [b.sku, b.name, b.description ?? null, b.priceCents, b.currency, b.category])
          .then(async ([row]) => {
            const body = JSON.stringify(row);
            if (redis) await redis.multi().set(`product:v1:${String(row!.id)}`, `${String(row!.version)}|${body}`, 'EX', 300).publish('awp:cache:invalidations', `bench product:v1:${String(row!.id)}`).exec();
            json(201, body, res);
          })
          .catch(() => json(503, '{}', res));
      });
      return;
    }
    req.resume();
    json(200, '{"status":"ok"}', res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 3997), '127.0.0.1', () => process.stdout.write('listening\n'));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
