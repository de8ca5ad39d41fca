import { IMAGE_TYPES } from '../../storage';

/** ISO 4217 codes known to this Node's ICU: the currency enum is real data, not a 3-letter regex. */
export const CURRENCIES: string[] = Intl.supportedValuesOf('currency');

// Postgres text can't hold U+0000; rejecting it in the schema keeps such input a 400 instead of a 500.
const NO_NUL = '^[^\\u0000]*$';
const TEXT_LINE = '^[^\\u0000-\\u001f]*[^\\s\\u0000-\\u001f][^\\u0000-\\u001f]*$'; // one line, not blank

export const SKU = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Stock keeping unit, unique' } as const;
export const CATEGORY = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } as const;
const NAME = { type: 'string', minLength: 1, maxLength: 200, pattern: TEXT_LINE } as const;
const DESCRIPTION = { type: 'string', maxLength: 4000, pattern: NO_NUL } as const;
const PRICE = { type: 'integer', minimum: 0, maximum: 999_999_999_999, description: 'Price in the minor unit (cents)' } as const;
const CURRENCY = { type: 'string', enum: CURRENCIES, description: 'ISO 4217 code, e.g. EUR' } as const;

export const productSchema = {
  $id: 'Product',
  type: 'object',
  required: ['id', 'sku', 'name', 'priceCents', 'currency', 'category', 'version', 'createdAt', 'updatedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    sku: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    priceCents: { type: 'integer', minimum: 0 },
    currency: { type: 'string', minLength: 3, maxLength: 3 },
    category: { type: 'string' },
    imageUrl: { type: 'string', format: 'uri' },
    version: { type: 'integer', minimum: 1 },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const newProductSchema = {
  $id: 'NewProduct',
  type: 'object',
  required: ['sku', 'name', 'priceCents', 'currency', 'category'],
  additionalProperties: false,
  properties: { sku: SKU, name: NAME, description: DESCRIPTION, priceCents: PRICE, currency: CURRENCY, category: CATEGORY },
} as const;

export const productPatchSchema = {
  $id: 'ProductPatch',
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: {
    sku: SKU,
    name: NAME,
    description: { anyOf: [{ type: 'null' }, DESCRIPTION], description: 'null removes the description' }, // null first: type coercion would turn null into ""
    priceCents: PRICE,
    currency: CURRENCY,
    category: CATEGORY,
  },
} as const;

export const imageRequestSchema = {
  $id: 'ImageUploadRequest',
  type: 'object',
  required: ['contentType', 'contentLength'],
  additionalProperties: false,
  properties: {
    contentType: { type: 'string', enum: Object.keys(IMAGE_TYPES) },
    contentLength: { type: 'integer', minimum: 1, description: 'Exact size in bytes; at most MAX_IMAGE_BYTES' },
  },
} as const;

export const productListSchema = {
  $id: 'ProductList',
  type: 'object',
  required: ['items', 'nextCursor'],
  additionalProperties: false,
  properties: {
    items: { type: 'array', items: { $ref: 'Product#' } },
    nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page' },
  },
} as const;

export const imageUploadSchema = {
  $id: 'ImageUpload',
  type: 'object',
  required: ['upload', 'imageUrl', 'product'],
  additionalProperties: false,
  properties: {
    upload: {
      type: 'object',
      required: ['url', 'method', 'headers', 'expiresAt'],
      additionalProperties: false,
      properties: {
        url: { type: 'string', format: 'uri' },
        method: { type: 'string', enum: ['PUT'] },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
    imageUrl: { type: 'string', format: 'uri' },
    product: { $ref: 'Product#' },
  },
} as const;

/** The catalogue's named schemas (OpenAPI components under their `$id`), added in the products plugin's scope. */
export const productSchemas = [productSchema, newProductSchema, productPatchSchema, imageRequestSchema, productListSchema, imageUploadSchema];

// Route-level pieces, inlined where used.
export const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
export const etagHeader = { etag: { type: 'string', description: 'Version tag; send it back as If-Match / If-None-Match' } };
export const matchHeaders = {
  type: 'object',
  properties: { 'if-match': { type: 'string', maxLength: 1024, description: 'Required: the ETag of the version being changed, or *' } },
} as const;

/** A response whose body is a Product. */
export function productResponse(code: number, description: string, headers: Record<string, unknown> = {}) {
  return { [code]: { description, headers, content: { 'application/json': { schema: { $ref: 'Product#' } } } } };
}
