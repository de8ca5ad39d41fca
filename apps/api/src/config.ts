import path from 'node:path';
import { loadAuthConfig, type AuthConfig } from './auth/config';
import { LOG_LEVELS } from './log-stream';

/** Runtime configuration, read once from the environment. Every field has a safe default. */
export interface Config {
  port: number;
  host: string;
  /** Primary (write) database; unset → embedded PGlite. */
  databaseUrl?: string;
  /** Read replica(s) endpoint; defaults to the primary. */
  databaseReadUrl?: string;
  /** AWS way (libs/compute): host + RDS-managed secret instead of a URL. */
  databaseHost?: string;
  databasePort: number;
  databaseName: string;
  databaseReadHost?: string;
  /** The RDS-managed master secret: the owner's credentials for migrations (and, without IAM auth, the service's). */
  databaseSecretArn?: string;
  /** Owner connection for migrations in the URL way (CI, local); default DATABASE_URL. The service never uses it. */
  databaseOwnerUrl?: string;
  /** The service's database user in the AWS way (`api`), with DATABASE_IAM_AUTH=true: an RDS IAM token, no password. */
  databaseUser?: string;
  databaseIamAuth: boolean;
  /** Role the migrations create and maintain for the service (least privilege); unset → no role is managed. */
  databaseAppUser?: string;
  /** Local/CI only: a password for that role (on RDS it authenticates with IAM through rds_iam instead). */
  databaseAppPassword?: string;
  /** TLS to the database in the host+secret way: verify-full (default), require (no verification) or disable. */
  databaseSsl: 'verify-full' | 'require' | 'disable';
  databaseSslCaFile?: string;
  redisHost?: string;
  redisPort: number;
  redisTls: boolean;
  /** Cluster-mode client; default: when REDIS_HOST is an ElastiCache configuration endpoint (clustercfg.*). */
  redisCluster?: boolean;
  redisAuthSecretArn?: string;
  /** /readyz answers 503 while the database is down (default). false: 200 "degraded", so pods keep serving cached reads. */
  readyRequiresDatabase: boolean;
  /** Directory of the embedded PGlite database; `memory://` keeps it in memory. */
  embeddedDataDir: string;
  redisUrl?: string;
  s3Bucket?: string;
  awsEndpointUrl?: string;
  awsRegion: string;
  /** Public base URL images are served from (CloudFront in AWS). */
  cdnBaseUrl: string;
  /** Public base URL of this service; used for local upload URLs in embedded mode. */
  publicBaseUrl: string;
  /** Secret that signs local upload URLs (embedded mode only); random per process when unset. */
  uploadSigningSecret?: string;
  dbPoolMax: number;
  dbStatementTimeoutMs: number;
  cacheTtlSeconds: number;
  cacheNegativeTtlSeconds: number;
  cacheMaxEntries: number;
  /** In-process L1 in front of Redis: TTL (0 = off) and size. Bounds cross-pod staleness after a write. */
  cacheL1TtlMs: number;
  cacheL1MaxEntries: number;
  /** L1 TTL while the pod receives other pods' invalidations (Redis pub/sub); 0 = no subscription. */
  cacheL1SubscribedTtlMs: number;
  redisCommandTimeoutMs: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  maxInflight: number;
  maxEventLoopDelayMs: number;
  drainSeconds: number;
  maxImageBytes: number;
  presignExpiresSeconds: number;
  logLevel: string;
  /** Apply migrations on start. Default: only in embedded mode (in Kubernetes the migrate Job does it). */
  migrateOnStart: boolean;
  /** No database configured: PGlite in this process. */
  embedded: boolean;
  /** Who may write: bearer tokens from an OIDC issuer (see auth/config.ts). */
  auth: AuthConfig;
}

/** A PostgreSQL role name the migrations can quote safely (lower case, as unquoted identifiers fold to). */
export const ROLE_NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

function logLevel(env: NodeJS.ProcessEnv): string {
  const v = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(v)) throw new Error(`config: LOG_LEVEL="${v}" must be one of ${LOG_LEVELS.join(', ')}`);
  return v;
}

export function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`config: environment variable ${name}="${raw}" must be an integer between ${min} and ${max}`);
  }
  return n;
}

export function bool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'true' && raw !== 'false') throw new Error(`config: environment variable ${name} must be "true" or "false", got "${raw}"`);
  return raw === 'true';
}

function url(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    new URL(raw);
  } catch {
    throw new Error(`config: environment variable ${name} is not a valid URL`); // never echo: it may hold a password
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const publicBaseUrl = (url(env, 'PUBLIC_BASE_URL') ?? `http://localhost:${port}`).replace(/\/$/, '');
  const databaseUrl = url(env, 'DATABASE_URL');
  const s3Bucket = env.S3_BUCKET || undefined;
  const cdnDefault = s3Bucket ? undefined : `${publicBaseUrl}/uploads`;
  const cdnBaseUrl = (url(env, 'CDN_BASE_URL') ?? cdnDefault ?? '').replace(/\/$/, '');
  if (!cdnBaseUrl) throw new Error('config: CDN_BASE_URL is required when S3_BUCKET is set');
  const migrate = bool(env, 'MIGRATE_ON_START');
  const databaseSsl = env.DATABASE_SSL || 'verify-full';
  if (databaseSsl !== 'verify-full' && databaseSsl !== 'require' && databaseSsl !== 'disable') {
    throw new Error(`config: DATABASE_SSL must be verify-full, require or disable, got "${databaseSsl}"`);
  }
  const databaseHost = env.DATABASE_HOST || undefined;
  const databaseIamAuth = bool(env, 'DATABASE_IAM_AUTH') ?? false;
  const databaseUser = env.DATABASE_USER || undefined;
  if (databaseIamAuth && !databaseUser) throw new Error('config: DATABASE_IAM_AUTH=true needs DATABASE_USER (the role the token logs in as)');
  // RDS accepts IAM tokens only over TLS; refusing here beats a confusing authentication failure later.
  if (databaseIamAuth && databaseSsl === 'disable') throw new Error('config: DATABASE_IAM_AUTH=true needs TLS; DATABASE_SSL must not be "disable"');
  const databaseAppUser = env.DATABASE_APP_USER || undefined;
  if (databaseAppUser && !ROLE_NAME_RE.test(databaseAppUser)) {
    throw new Error(`config: DATABASE_APP_USER must be a lower-case PostgreSQL role name (${ROLE_NAME_RE.source}), got "${databaseAppUser}"`);
  }
  const embedded = !(databaseUrl || databaseHost);
  return {
    port,
    host,
    databaseUrl,
    databaseReadUrl: url(env, 'DATABASE_READ_URL') ?? databaseUrl,
    databaseHost,
    databasePort: int(env, 'DATABASE_PORT', 5432, 1, 65535),
    databaseName: env.DATABASE_NAME || 'api',
    databaseReadHost: env.DATABASE_READ_HOST || undefined,
    databaseSecretArn: env.DATABASE_SECRET_ARN || undefined,
    databaseOwnerUrl: url(env, 'DATABASE_OWNER_URL'),
    databaseUser,
    databaseIamAuth,
    databaseAppUser,
    databaseAppPassword: env.DATABASE_APP_PASSWORD || undefined,
    databaseSsl,
    databaseSslCaFile: env.DATABASE_SSL_CA_FILE || undefined,
    redisHost: env.REDIS_HOST || undefined,
    redisPort: int(env, 'REDIS_PORT', 6379, 1, 65535),
    redisTls: bool(env, 'REDIS_TLS') ?? false,
    redisCluster: bool(env, 'REDIS_CLUSTER'),
    redisAuthSecretArn: env.REDIS_AUTH_SECRET_ARN || undefined,
    readyRequiresDatabase: bool(env, 'READY_REQUIRES_DATABASE') ?? true,
    embeddedDataDir: env.EMBEDDED_DATA_DIR || path.resolve('.data'),
    redisUrl: url(env, 'REDIS_URL'),
    s3Bucket,
    awsEndpointUrl: url(env, 'AWS_ENDPOINT_URL_S3') ?? url(env, 'AWS_ENDPOINT_URL'),
    awsRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    cdnBaseUrl,
    publicBaseUrl,
    uploadSigningSecret: env.UPLOAD_SIGNING_SECRET || undefined,
    dbPoolMax: int(env, 'DB_POOL_MAX', 20, 1, 1000),
    dbStatementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 2000, 10, 600_000),
    cacheTtlSeconds: int(env, 'CACHE_TTL_SECONDS', 300, 1, 86_400),
    cacheNegativeTtlSeconds: int(env, 'CACHE_NEGATIVE_TTL_SECONDS', 5, 1, 3600),
    cacheMaxEntries: int(env, 'CACHE_MAX_ENTRIES', 50_000, 1, 10_000_000),
    cacheL1TtlMs: int(env, 'CACHE_L1_TTL_MS', 1000, 0, 60_000),
    cacheL1MaxEntries: int(env, 'CACHE_L1_MAX_ENTRIES', 10_000, 1, 1_000_000),
    cacheL1SubscribedTtlMs: int(env, 'CACHE_L1_SUBSCRIBED_TTL_MS', 30_000, 0, 3_600_000),
    redisCommandTimeoutMs: int(env, 'REDIS_COMMAND_TIMEOUT_MS', 100, 5, 60_000),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 16 * 1024, 256, 10 * 1024 * 1024),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 5000, 50, 300_000),
    maxInflight: int(env, 'MAX_INFLIGHT', 1000, 1, 1_000_000),
    maxEventLoopDelayMs: int(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
    drainSeconds: int(env, 'DRAIN_SECONDS', 20, 1, 600),
    maxImageBytes: int(env, 'MAX_IMAGE_BYTES', 5 * 1024 * 1024, 1, 100 * 1024 * 1024),
    presignExpiresSeconds: int(env, 'PRESIGN_EXPIRES_SECONDS', 300, 10, 3600),
    logLevel: logLevel(env),
    migrateOnStart: migrate ?? embedded,
    embedded,
    auth: loadAuthConfig(env, { embedded }),
  };
}
