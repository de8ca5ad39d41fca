import fs from 'node:fs';
import type { PoolConfig } from 'pg';
import type * as SecretsManager from '@aws-sdk/client-secrets-manager';
import type { Config } from './config';

/**
 * How the service reaches PostgreSQL and Redis. Two ways to say it:
 *  - URLs: DATABASE_URL / DATABASE_READ_URL / REDIS_URL (local, CI, anything with a password in hand);
 *  - AWS (what libs/compute's workloads stack sets): DATABASE_HOST/PORT/NAME/READ_HOST + DATABASE_SECRET_ARN
 *    (the RDS-managed `{username, password}` secret, read from Secrets Manager and re-read after rotation) and
 *    REDIS_HOST/PORT/TLS + REDIS_AUTH_SECRET_ARN (`{mode: 'iam', username, replicationGroupId}`: ElastiCache IAM
 *    auth, a SigV4-signed token per connection — no password exists).
 * Nothing secret is logged or kept in the config object.
 */

export interface SecretReader {
  (arn: string): Promise<string>;
}

/** Secrets Manager GetSecretValue (the SDK honours AWS_ENDPOINT_URL, so tests read from moto). Loaded lazily. */
export function secretsManagerReader(region: string): SecretReader {
  let client: SecretsManager.SecretsManagerClient | undefined;
  return async (arn) => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    client ??= new sdk.SecretsManagerClient({ region });
    const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: arn }));
    if (typeof out.SecretString !== 'string') throw new Error(`secret ${arn} has no SecretString`);
    return out.SecretString;
  };
}

function parseJsonSecret(arn: string, raw: string): Record<string, unknown> {
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new Error(`secret ${arn} is not a JSON object`); // never include the value
}

export interface DbConnections {
  primary: PoolConfig;
  read: PoolConfig;
  /** Call when the server rejected the password (rotation): the next connection re-reads the secret. */
  onAuthFailure(): void;
}

/** pg settings for the AWS way (host + secret); undefined when DATABASE_URL is used or nothing is set. */
export async function databaseFromSecret(cfg: Config, read: SecretReader): Promise<DbConnections | undefined> {
  if (cfg.databaseUrl || !cfg.databaseHost) return undefined;
  if (!cfg.databaseSecretArn) throw new Error('config: DATABASE_HOST is set but DATABASE_SECRET_ARN is not');
  const arn = cfg.databaseSecretArn;
  let cached: { user: string; password: string; at: number } | undefined;
  const credentials = async () => {
    // RDS rotates the managed secret; re-read it at most every 5 minutes, and at once after an auth failure.
    if (!cached || Date.now() - cached.at > 300_000) {
      const s = parseJsonSecret(arn, await read(arn));
      if (typeof s.username !== 'string' || typeof s.password !== 'string') {
        throw new Error(`secret ${arn} must hold {"username", "password"}`);
      }
      cached = { user: s.username, password: s.password, at: Date.now() };
    }
    return cached;
  };
  let ssl: PoolConfig['ssl'];
  if (cfg.databaseSsl === 'disable') ssl = false;
  else if (cfg.databaseSsl === 'require') ssl = { rejectUnauthorized: false };
  else ssl = { rejectUnauthorized: true, ...(cfg.databaseSslCaFile ? { ca: fs.readFileSync(cfg.databaseSslCaFile, 'utf8') } : {}) };
  const { user } = await credentials(); // rotation changes the password, never the user name
  const base = (host: string): PoolConfig => ({
    host,
    port: cfg.databasePort,
    database: cfg.databaseName,
    ssl,
    user,
    password: async () => (await credentials()).password, // pg asks for every new connection
  });
  return {
    primary: base(cfg.databaseHost),
    read: base(cfg.databaseReadHost ?? cfg.databaseHost),
    onAuthFailure: () => (cached = undefined),
  };
}

export interface RedisTarget {
  url?: string;
  host?: string;
  port?: number;
  tls?: boolean;
  cluster?: boolean;
  username?: string;
  /** Static password, or a fresh IAM token per (re)connection. */
  password?: () => Promise<string>;
}

/** Signs an ElastiCache IAM auth token (valid 15 minutes, used only when a connection is opened). */
export async function elasticacheIamToken(opts: { replicationGroupId: string; username: string; region: string }): Promise<string> {
  const [{ SignatureV4 }, { Hash }, { defaultProvider }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@smithy/hash-node'),
    import('@aws-sdk/credential-provider-node'),
  ]);
  const signer = new SignatureV4({ service: 'elasticache', region: opts.region, credentials: defaultProvider(), sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: opts.replicationGroupId,
      path: '/',
      query: { Action: 'connect', User: opts.username },
      headers: { host: opts.replicationGroupId },
    },
    { expiresIn: 900 },
  );
  const qs = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${opts.replicationGroupId}/?${qs}`;
}

export async function redisTarget(cfg: Config, read: SecretReader): Promise<RedisTarget | undefined> {
  if (cfg.redisUrl) return { url: cfg.redisUrl };
  if (!cfg.redisHost) return undefined;
  const t: RedisTarget = {
    host: cfg.redisHost,
    port: cfg.redisPort,
    tls: cfg.redisTls,
    // ElastiCache's configuration endpoint (cluster mode enabled) is named clustercfg.*
    cluster: cfg.redisCluster ?? cfg.redisHost.startsWith('clustercfg.'),
  };
  if (cfg.redisAuthSecretArn) {
    const arn = cfg.redisAuthSecretArn;
    const s = parseJsonSecret(arn, await read(arn));
    if (s.mode === 'iam') {
      if (typeof s.username !== 'string' || typeof s.replicationGroupId !== 'string') {
        throw new Error(`secret ${arn}: mode "iam" needs "username" and "replicationGroupId"`);
      }
      const opts = { replicationGroupId: s.replicationGroupId, username: s.username, region: cfg.awsRegion };
      t.username = s.username;
      t.password = () => elasticacheIamToken(opts);
    } else if (typeof s.password === 'string') {
      const pw = s.password;
      if (typeof s.username === 'string') t.username = s.username;
      t.password = async () => pw;
    } else {
      throw new Error(`secret ${arn} must hold {"mode":"iam", ...} or {"password"}`);
    }
  }
  return t;
}
