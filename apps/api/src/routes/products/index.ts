import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { problems, sendProblem } from '../../plugins/problem';
import { HttpProblem, type NewProduct, type ProductPatch, type ProductService } from '../../products';
import { CATEGORY, etagHeader, idParam, matchHeaders, productResponse, productSchemas } from './schemas';

/** `"3"` or `W/"3"` → 3; `*` → 'any'; anything else → undefined (never matches). */
function parseVersionTag(tag: string): number | 'any' | undefined {
  const t = tag.trim();
  if (t === '*') return 'any';
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(t);
  return m ? Number(m[1]) : undefined;
}

/** If-Match is required on PATCH and DELETE: 428 without it, 412 if it is not one of our ETags. */
function expectedVersion(req: FastifyRequest): number | undefined {
  const raw = req.headers['if-match'];
  if (typeof raw !== 'string' || raw === '') {
    throw new HttpProblem(428, 'Precondition Required', 'send If-Match with the ETag of the version you are changing (or *)');
  }
  const v = parseVersionTag(raw);
  if (v === undefined) throw new HttpProblem(412, 'Precondition Failed', 'If-Match is not an ETag of this API');
  return v === 'any' ? undefined : v;
}

/**
 * The catalogue: `/v1/products` and its schemas. Writes are protected by the auth plugin (its onRoute hook adds the
 * check, the security requirement and 401/403 to every non-safe route under /v1/).
 */
const productRoutes: FastifyPluginAsync<{ products: ProductService }> = async (app, { products }) => {
  for (const s of productSchemas) app.addSchema(s);

  app.get<{ Params: { id: string }; Headers: { 'if-none-match'?: string } }>('/v1/products/:id', {
    schema: {
      summary: 'Get a product (cached)',
      params: idParam,
      headers: { type: 'object', properties: { 'if-none-match': { type: 'string', maxLength: 1024 } } },
      response: { ...productResponse(200, 'The product', etagHeader), 304: { description: 'Not modified', type: 'null' }, ...problems(404) },
    },
  }, async (req, reply) => {
    const p = await products.get(req.params.id);
    if (!p) return sendProblem(reply, 404, 'Not Found', `product ${req.params.id} does not exist`);
    const etag = `"${p.version}"`;
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (p.stale) reply.header('cache-status', 'catalogue-api; hit; detail=stale-if-error'); // RFC 9211
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => { const v = parseVersionTag(t); return v === 'any' || v === p.version; })) {
      return reply.code(304).send();
    }
    // The cached JSON string goes out as is: no parse, no re-serialization on the hot path.
    return reply.type('application/json; charset=utf-8').send(p.json);
  });

  app.get<{ Querystring: { category?: string; limit: number; cursor?: string } }>('/v1/products', {
    schema: {
      summary: 'List products (keyset pagination)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          category: CATEGORY,
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          cursor: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
        },
      },
      response: { 200: { description: 'A page of products', content: { 'application/json': { schema: { $ref: 'ProductList#' } } } }, ...problems() },
    },
  }, async (req) => products.list(req.query.category, req.query.limit, req.query.cursor));

  app.post<{ Body: NewProduct; Headers: { 'idempotency-key'?: string } }>('/v1/products', {
    schema: {
      summary: 'Create a product',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' } } },
      body: { $ref: 'NewProduct#' },
      response: {
        ...productResponse(201, 'Created', { ...etagHeader, location: { type: 'string' } }),
        ...problems(409, 422),
      },
    },
  }, async (req, reply) => {
    const { status, product, replayed } = await products.create(req.body, req.headers['idempotency-key'], req.principal!.sub);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(status).header('location', `/v1/products/${product.id}`).header('etag', `"${product.version}"`).send(product);
  });

  app.patch<{ Params: { id: string }; Body: ProductPatch }>('/v1/products/:id', {
    schema: {
      summary: 'Change a product (optimistic concurrency with If-Match)',
      params: idParam,
      headers: matchHeaders,
      body: { $ref: 'ProductPatch#' },
      response: { ...productResponse(200, 'Updated', etagHeader), ...problems(404, 409, 412, 428) },
    },
  }, async (req, reply) => {
    const product = await products.update(req.params.id, req.body, expectedVersion(req));
    return reply.header('etag', `"${product.version}"`).send(product);
  });

  app.delete<{ Params: { id: string } }>('/v1/products/:id', {
    schema: {
      summary: 'Delete a product (If-Match required)',
      params: idParam,
      headers: matchHeaders,
      response: { 204: { description: 'Deleted', type: 'null' }, ...problems(404, 412, 428) },
    },
  }, async (req, reply) => {
    await products.remove(req.params.id, expectedVersion(req));
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string }; Body: { contentType: string; contentLength: number } }>('/v1/products/:id/image', {
    schema: {
      summary: 'Get a presigned upload URL for the product image',
      params: idParam,
      body: { $ref: 'ImageUploadRequest#' },
      response: {
        200: { description: 'Upload with a PUT to upload.url, sending upload.headers', content: { 'application/json': { schema: { $ref: 'ImageUpload#' } } } },
        ...problems(404),
      },
    },
  }, async (req) => {
    const { upload, product } = await products.presignImage(req.params.id, req.body.contentType, req.body.contentLength);
    return { upload, imageUrl: product.imageUrl!, product };
  });

  // Idempotency keys are kept 24 h; purge hourly (unref: never keeps the process alive).
  const purge = setInterval(() => void products.purgeIdempotencyKeys().catch(() => {}), 3_600_000);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));
};
export default productRoutes;
