// The second floor for the benchmark: the service's database and cache work per request kind, with nothing else —
// node:http, no framework, no validation, no auth, no logging, no metrics, no shedding or deadlines.
//   GET /v1/products/{id}   from a Map loaded at start (the service's L1 when every entry is warm)
//   GET /v1/products?…      the service's list statement, then the same row → product → JSON work (src/products.ts productFromRow)
//   POST /v1/products       the service's insert, then the same Redis write-through (SET + PUBLISH, one round trip)
// Through the service's own database layer (src/db.ts pools and prepared statements, or the PGlite thread) with the
// service's configuration (DB_POOL_MAX, timeouts). Leaves nothing behind: on SIGTERM it deletes the rows it created,
// and its cache entries live under a prefix of their own (the service must not read this floor's entries).
import http from 'node:http';
import Redis from 'ioredis';
import { loadConfig } from '../src/config';
import { createPgliteDb, createPostgresDb, type Db } from '../src/db';
import { COLS, INSERT_PRODUCT as INSERT, LIST_PRODUCTS, productFromRow, type ProductRow } from '../src/products';

const LIST = LIST_PRODUCTS.byCategory;
const KEY_PREFIX = 'bench-floor:product:v1:';

const json = (status: number, body: string, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

async function main() {
  const cfg = loadConfig();
  const db: Db = cfg.embedded ? await createPgliteDb(cfg, { maintenanceIntervalMs: 0 }) : createPostgresDb(cfg, () => {});
  const redis = cfg.redisUrl ? new Redis(cfg.redisUrl) : undefined;
  const products = new Map<string, string>();
  for (const r of (await db.read.query<ProductRow>(`select ${COLS} from products`)).rows) products.set(String(r.id), JSON.stringify(productFromRow(r, cfg.cdnBaseUrl)));
  const created: string[] = [];

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
      void db.read.query<ProductRow>(LIST, [0, limit + 1, q.get('category')]).then(
        ({ rows }) => json(200, JSON.stringify({ items: rows.slice(0, limit).map((r) => productFromRow(r, cfg.cdnBaseUrl)), nextCursor: rows.length > limit ? String(rows[limit - 1]!.seq) : null }), res),
        () => json(503, '{}', res),
      );
      return;
    }
    if (req.method === 'POST' && url === '/v1/products') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let b: Record<string, unknown>;
        try {
          b = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        } catch {
          return json(400, '{}', res);
        }
        void db.primary
          .query<ProductRow>(INSERT, [b.sku, b.name, b.description ?? null, b.priceCents, b.currency, b.category])
          .then(async ({ rows: [row] }) => {
            const p = productFromRow(row!, cfg.cdnBaseUrl);
            created.push(String(p.id));
            const body = JSON.stringify(p);
            const key = `${KEY_PREFIX}${String(p.id)}`;
            // as src/cache.ts (standalone): SET and PUBLISH written together, one round trip
            if (redis) await Promise.all([redis.set(key, `${String(p.version)}|${body}`, 'EX', cfg.cacheTtlSeconds), redis.publish('awp:cache:invalidations', `bench-floor ${key}`)]);
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
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    // Leave the database as the seed made it: the service's run must see the same products.
    void db.primary
      .query("delete from products where id = any(string_to_array($1, ',')::uuid[])", [created.join(',')])
      .then(async () => {
        if (redis) {
          for (let i = 0; i < created.length; i += 500) await redis.del(...created.slice(i, i + 500).map((id) => `${KEY_PREFIX}${id}`));
          redis.disconnect();
        }
        await db.close();
      })
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
