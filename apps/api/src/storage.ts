import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import type { Config } from './config';

export const IMAGE_TYPES: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

export interface PresignedUpload {
  url: string;
  method: 'PUT';
  /** Headers the client must send with exactly these values: they are part of the signature. */
  headers: Record<string, string>;
  expiresAt: string;
}

export interface Storage {
  readonly kind: 's3' | 'local';
  presignPut(key: string, contentType: string, contentLength: number): Promise<PresignedUpload>;
}

/** Object key of a product image; a new random name per upload so the CDN never serves a stale image. */
export function imageKey(productId: string, contentType: string): string {
  return `products/${productId}/${crypto.randomBytes(16).toString('hex')}.${IMAGE_TYPES[contentType]}`;
}

export const IMAGE_KEY_RE = /^products\/[0-9a-f-]{36}\/[0-9a-f]{32}\.(jpg|png|webp)$/;

type S3Config = Pick<Config, 's3Bucket' | 'awsEndpointUrl' | 'awsRegion' | 'presignExpiresSeconds'>;

export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  private constructor(
    private readonly cfg: S3Config,
    readonly client: S3Sdk.S3Client,
    private readonly sdk: typeof S3Sdk,
    private readonly presigner: typeof Presigner,
  ) {}
  /** The AWS SDK is loaded only when S3 is configured: embedded mode starts faster without it. */
  static async create(cfg: S3Config): Promise<S3Storage> {
    const sdk = await import('@aws-sdk/client-s3');
    const presigner = await import('@aws-sdk/s3-request-presigner');
    // Credentials come from the default chain (EKS Pod Identity in AWS); an endpoint override (moto) needs path-style.
    const client = new sdk.S3Client({
      region: cfg.awsRegion,
      ...(cfg.awsEndpointUrl ? { endpoint: cfg.awsEndpointUrl, forcePathStyle: true } : {}),
      // Since 3.729 the SDK adds a CRC32 by default; a presigned PutObject has no body yet, so the URL would commit
      // to the CRC32 of an EMPTY body (x-amz-checksum-crc32=AAAAAA==) and S3 would reject every real upload
      // (BadDigest; aws-sdk-js-v3 issue 6994). Checksums only where an operation requires one.
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    return new S3Storage(cfg, client, sdk, presigner);
  }
  async presignPut(key: string, contentType: string, contentLength: number): Promise<PresignedUpload> {
    const cmd = new this.sdk.PutObjectCommand({ Bucket: this.cfg.s3Bucket!, Key: key, ContentType: contentType, ContentLength: contentLength });
    // Signing content-type and content-length makes S3 reject an upload of another type or size.
    const url = await this.presigner.getSignedUrl(this.client, cmd, {
      expiresIn: this.cfg.presignExpiresSeconds,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return {
      url,
      method: 'PUT',
      headers: { 'content-type': contentType, 'content-length': String(contentLength) },
      expiresAt: new Date(Date.now() + this.cfg.presignExpiresSeconds * 1000).toISOString(),
    };
  }
}

/** Embedded default: files under EMBEDDED_DATA_DIR/uploads, uploaded through an HMAC-signed URL of this service. */
export class LocalStorage implements Storage {
  readonly kind = 'local' as const;
  readonly dir: string;
  private readonly secret: Buffer;
  constructor(private readonly cfg: Pick<Config, 'embeddedDataDir' | 'publicBaseUrl' | 'uploadSigningSecret' | 'presignExpiresSeconds'>) {
    this.dir = cfg.embeddedDataDir === 'memory://' ? fs.mkdtempSync(path.join(os.tmpdir(), 'awp-uploads-')) : path.join(cfg.embeddedDataDir, 'uploads');
    this.secret = cfg.uploadSigningSecret ? Buffer.from(cfg.uploadSigningSecret) : crypto.randomBytes(32);
  }
  private sign(key: string, contentType: string, contentLength: number, expires: number): string {
    return crypto.createHmac('sha256', this.secret).update(`${key}\n${contentType}\n${contentLength}\n${expires}`).digest('hex');
  }
  async presignPut(key: string, contentType: string, contentLength: number): Promise<PresignedUpload> {
    const expires = Math.floor(Date.now() / 1000) + this.cfg.presignExpiresSeconds;
    const sig = this.sign(key, contentType, contentLength, expires);
    return {
      url: `${this.cfg.publicBaseUrl}/uploads/${key}?expires=${expires}&sig=${sig}`,
      method: 'PUT',
      headers: { 'content-type': contentType, 'content-length': String(contentLength) },
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }
  /** Returns a reason when the upload must be refused, else undefined. */
  verify(key: string, contentType: string, contentLength: number, expires: number, sig: string): string | undefined {
    if (!IMAGE_KEY_RE.test(key)) return 'unknown object key';
    if (!Number.isInteger(expires) || expires < Date.now() / 1000) return 'upload URL expired';
    const want = Buffer.from(this.sign(key, contentType, contentLength, expires));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) {
      return 'signature does not match (content type, size or URL changed)';
    }
    return undefined;
  }
  filePath(key: string): string {
    return path.join(this.dir, ...key.split('/'));
  }
  async write(key: string, body: Buffer): Promise<void> {
    const file = this.filePath(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, body);
  }
}

export async function createStorage(cfg: Config): Promise<Storage> {
  return cfg.s3Bucket ? S3Storage.create(cfg) : new LocalStorage(cfg);
}
