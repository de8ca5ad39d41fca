import crypto from 'node:crypto';
import type { Cache } from './cache';
import type { Config } from './config';
import type { Db, Queryable } from './db';
import type { Metrics } from './metrics';
import { forgetIfOutcomeUnknown, staleIfError } from './stale';
import { imageKey, type PresignedUpload, type Storage } from './storage';

export interface Product {
  id: string;
  sku: string;
  name: string;
  description?: string;
  priceCents: number;
  currency: string;
  category: string;
  imageUrl?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewProduct {
  sku: string;
  name: string;
  description?: string;
  priceCents: number;
  currency: string;
  category: string;
}

export type ProductPatch = Partial<Omit<NewProduct, 'description'>> & { description?: string | null };

/** A products row as the driver returns it. */
export interface ProductRow {
  id: string;
  seq: string | number;
  sku: string;
  name: string;
  description: string | null;
  price_cents: string | number;
  currency: string;
  category: string;
  image_key: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** The API's product from a row (the one mapping: the service and bench/bare-db.ts). */
export function productFromRow(r: ProductRow, cdnBaseUrl: string): Product {
  const p: Product = {
    id: r.id,
    sku: r.sku,
    name: r.name,
    priceCents: Number(r.price_cents),
    currency: r.currency,
    category: r.category,
    version: r.version,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
  if (r.description !== null) p.description = r.description;
  if (r.image_key) p.imageUrl = `${cdnBaseUrl}/${r.image_key}`;
  return p;
}

/** An error with an HTTP status that becomes a problem+json response. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** A cached product: `<version>|<json>`; a cached miss: `-`. The JSON is sent as is, without re-serializing. */
export interface CachedProduct {
  version: number;
  json: string;
  /** Served from the cache past its freshness because the database failed (stale-if-error). */
  stale?: boolean;
}

/** The columns of a ProductRow (also bench/bare-db.ts: the same statements). */
export const COLS = 'id, seq, sku, name, description, price_cents, currency, category, image_key, version, created_at, updated_at';
/** The statements bench/bare-db.ts runs too (the same-work floor): the insert, and a list page (with a category: $3). */
export const INSERT_PRODUCT = `insert into products (sku, name, description, price_cents, currency, category) values ($1, $2, $3, $4, $5, $6) returning ${COLS}`;
export const LIST_PRODUCTS = {
  all: `select ${COLS} from products where seq > $1 order by seq limit $2`,
  byCategory: `select ${COLS} from products where seq > $1 and category = $3 order by seq limit $2`,
};
const NEGATIVE = '-';

export function encodeCursor(seq: number): string {
  return Buffer.from(`v1:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const m = /^v1:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new HttpProblem(400, 'Bad Request', 'cursor is not a cursor returned by this API');
  return Number(m[1]);
}

function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return e?.code === '23505' && (!constraint || e.constraint === constraint || (e.message ?? '').includes(constraint));
}

export class ProductService {
  /** Single flight: concurrent misses for one key share one database read. */
  private readonly inflight = new Map<string, Promise<CachedProduct | null>>();

  constructor(
    private readonly db: Db,
    private readonly cache: Cache,
    private readonly storage: Storage,
    private readonly cfg: Config,
    private readonly metrics: Metrics,
  ) {}

  toProduct(r: ProductRow): Product {
    return productFromRow(r, this.cfg.cdnBaseUrl);
  }

  private ttl(): number {
    // ±10 % jitter so keys cached together don't all expire (and reload) together.
    const base = this.cfg.cacheTtlSeconds;
    return Math.max(1, Math.round(base * (0.9 + Math.random() * 0.2)));
  }

  private key(id: string) {
    return `product:v1:${id}`;
  }

  private entry(p: Product): string {
    return `${p.version}|${JSON.stringify(p)}`;
  }

  private parse(entry: string): CachedProduct | null {
    if (entry === NEGATIVE) return null;
    const bar = entry.indexOf('|');
    return { version: Number(entry.slice(0, bar)), json: entry.slice(bar + 1) };
  }

  /** Cache-aside read: cache → (one loader per key) read replica → cache. */
  async get(id: string): Promise<CachedProduct | null> {
    const key = this.key(id);
    const hit = await this.cache.get(key);
    if (hit !== undefined) {
      this.metrics.countCacheRequest(hit === NEGATIVE ? 'negative_hit' : 'hit');
      return this.parse(hit);
    }
    this.metrics.countCacheRequest('miss');
    let p = this.inflight.get(key);
    if (!p) {
      p = this.load(id, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async load(id: string, key: string): Promise<CachedProduct | null> {
    let rows: ProductRow[];
    try {
      ({ rows } = await this.db.read.query<ProductRow>(`select ${COLS} from products where id = $1`, [id]));
    } catch (err) {
      const stale = this.parse(await staleIfError(this.cache, key, err, this.metrics));
      return stale && { ...stale, stale: true };
    }
    const row = rows[0];
    if (!row) {
      await this.cache.set(key, NEGATIVE, this.cfg.cacheNegativeTtlSeconds, true);
      return null;
    }
    const entry = this.entry(this.toProduct(row));
    // NX: a value loaded before a concurrent write must not replace what that write stored.
    await this.cache.set(key, entry, this.ttl(), true);
    return this.parse(entry);
  }

  /** After a committed write: store the new value (or a tombstone), overwriting whatever a loader put there. */
  private async afterWrite(id: string, p: Product | null) {
    if (p) await this.cache.set(this.key(id), this.entry(p), this.ttl());
    else await this.cache.set(this.key(id), NEGATIVE, this.cfg.cacheNegativeTtlSeconds);
  }

  async list(category: string | undefined, limit: number, cursor: string | undefined) {
    const after = cursor ? decodeCursor(cursor) : 0;
    const params: unknown[] = category ? [after, limit + 1, category] : [after, limit + 1];
    const { rows } = await this.db.read.query<ProductRow>(category ? LIST_PRODUCTS.byCategory : LIST_PRODUCTS.all, params);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => this.toProduct(r)),
      nextCursor: rows.length > limit && last ? encodeCursor(Number(last.seq)) : null,
    };
  }

  private async insert(q: Queryable, body: NewProduct): Promise<Product> {
    try {
      const { rows } = await q.query<ProductRow>(
        INSERT_PRODUCT,
        [body.sku, body.name, body.description ?? null, body.priceCents, body.currency, body.category],
      );
      return this.toProduct(rows[0]!);
    } catch (err) {
      if (isUniqueViolation(err, 'products_sku_key')) {
        throw new HttpProblem(409, 'Conflict', `a product with sku "${body.sku}" already exists`);
      }
      throw err;
    }
  }

  /**
   * Creates a product. With an Idempotency-Key, the key row is inserted first in the same transaction:
   * a concurrent retry blocks on it and then replays the stored response, so one key makes one row.
   * Keys belong to the caller (`subject`, the token's `sub`): another caller's key is a different row.
   */
  async create(body: NewProduct, idempotencyKey: string | undefined, subject: string): Promise<{ status: number; product: Product; replayed: boolean }> {
    if (!idempotencyKey) {
      const product = await this.insert(this.db.primary, body);
      await this.afterWrite(product.id, product);
      return { status: 201, product, replayed: false };
    }
    const hash = crypto.createHash('sha256').update(JSON.stringify(body, Object.keys(body).sort())).digest('hex');
    const result = await this.db.transaction(async (tx) => {
      const claimed = await tx.query(
        `insert into idempotency_keys (subject, key, request_hash, status_code, body) values ($3, $1, $2, 0, '{}'::jsonb)
         on conflict (subject, key) do nothing returning key`,
        [idempotencyKey, hash, subject],
      );
      if (claimed.rowCount === 0) {
        const { rows } = await tx.query<{ request_hash: string; status_code: number; body: Product }>(
          'select request_hash, status_code, body from idempotency_keys where subject = $2 and key = $1',
          [idempotencyKey, subject],
        );
        const prev = rows[0]!;
        if (prev.request_hash !== hash) {
          throw new HttpProblem(422, 'Unprocessable Content', 'Idempotency-Key was already used with a different request body');
        }
        const stored = typeof prev.body === 'string' ? (JSON.parse(prev.body) as Product) : prev.body;
        return { status: prev.status_code, product: stored, replayed: true };
      }
      const product = await this.insert(tx, body);
      await tx.query('update idempotency_keys set status_code = 201, body = $2::jsonb, location = $3 where subject = $4 and key = $1', [
        idempotencyKey,
        JSON.stringify(product),
        `/v1/products/${product.id}`,
        subject,
      ]);
      return { status: 201, product, replayed: false };
    });
    if (!result.replayed) await this.afterWrite(result.product.id, result.product);
    return result;
  }

  /** `expectedVersion` undefined means `If-Match: *` (any current version). */
  async update(id: string, patch: ProductPatch, expectedVersion: number | undefined): Promise<Product> {
    const cols: Record<string, string> = {
      sku: 'sku', name: 'name', description: 'description', priceCents: 'price_cents', currency: 'currency', category: 'category',
    };
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [k, col] of Object.entries(cols)) {
      if (k in patch) {
        params.push((patch as Record<string, unknown>)[k] ?? null);
        sets.push(`${col} = $${params.length}`);
      }
    }
    let where = 'id = $1';
    if (expectedVersion !== undefined) {
      params.push(expectedVersion);
      where += ` and version = $${params.length}`;
    }
    let rows: ProductRow[];
    try {
      ({ rows } = await this.db.primary.query<ProductRow>(
        `update products set ${sets.join(', ')}, version = version + 1, updated_at = now() where ${where} returning ${COLS}`,
        params,
      ));
    } catch (err) {
      if (isUniqueViolation(err, 'products_sku_key')) throw new HttpProblem(409, 'Conflict', `a product with sku "${patch.sku}" already exists`);
      return forgetIfOutcomeUnknown(this.cache, this.key(id), err);
    }
    if (!rows[0]) throw await this.missingOrStale(id);
    const product = this.toProduct(rows[0]);
    await this.afterWrite(id, product);
    return product;
  }

  private async missingOrStale(id: string): Promise<HttpProblem> {
    const { rows } = await this.db.primary.query<{ version: number }>('select version from products where id = $1', [id]);
    if (!rows[0]) return new HttpProblem(404, 'Not Found', `product ${id} does not exist`);
    await this.cache.del(this.key(id)); // the client acted on an old version: don't let the cache keep serving one
    return new HttpProblem(412, 'Precondition Failed', `product ${id} is at version ${rows[0].version}; If-Match does not match`, {
      etag: `"${rows[0].version}"`,
    });
  }

  async remove(id: string, expectedVersion: number | undefined): Promise<void> {
    const params: unknown[] = [id];
    let sql = 'delete from products where id = $1';
    if (expectedVersion !== undefined) {
      params.push(expectedVersion);
      sql += ' and version = $2';
    }
    const { rowCount } = await this.db.primary.query(sql, params).catch((err) => forgetIfOutcomeUnknown(this.cache, this.key(id), err));
    if (rowCount === 0) throw await this.missingOrStale(id);
    await this.afterWrite(id, null);
  }

  /** Presigns an image upload and points the product's image at the new object (served through the CDN). */
  async presignImage(id: string, contentType: string, contentLength: number): Promise<{ upload: PresignedUpload; product: Product }> {
    if (contentLength > this.cfg.maxImageBytes) {
      throw new HttpProblem(400, 'Bad Request', `contentLength ${contentLength} exceeds the limit of ${this.cfg.maxImageBytes} bytes`);
    }
    const key = imageKey(id, contentType);
    const { rows } = await this.db.primary.query<ProductRow>(
      `update products set image_key = $2, version = version + 1, updated_at = now() where id = $1 returning ${COLS}`,
      [id, key],
    ).catch((err) => forgetIfOutcomeUnknown(this.cache, this.key(id), err));
    if (!rows[0]) throw new HttpProblem(404, 'Not Found', `product ${id} does not exist`);
    const product = this.toProduct(rows[0]);
    await this.afterWrite(id, product);
    const upload = await this.storage.presignPut(key, contentType, contentLength);
    return { upload, product };
  }

  /** Demo data: `n` products over ten categories, in one statement. */
  async seed(n: number): Promise<number> {
    const run = crypto.randomBytes(4).toString('hex');
    const { rowCount } = await this.db.primary.query(
      `insert into products (sku, name, description, price_cents, currency, category)
       select 'SEED-' || $2 || '-' || g, 'Demo product ' || g, 'Seeded demo product number ' || g,
              (g * 137) % 100000, (array['EUR','USD','GBP'])[1 + g % 3],
              (array['books','games','music','garden','kitchen','toys','tools','sports','office','outdoor'])[1 + g % 10]
       from generate_series(1, $1::int) g
       on conflict (sku) do nothing`,
      [n, run],
    );
    // After a bulk load, ANALYZE (PostgreSQL docs, "Populating a Database"): without statistics the planner guessed 11
    // rows per category and sorted the whole category for each list page. PGlite has no autovacuum to do it later;
    // on PostgreSQL a role that does not own the table gets a warning instead, and autovacuum does it within a minute.
    await this.db.primary.exec('analyze products');
    return rowCount;
  }

  async purgeIdempotencyKeys(): Promise<number> {
    const { rowCount } = await this.db.primary.query("delete from idempotency_keys where created_at < now() - interval '24 hours'");
    return rowCount;
  }
}
