import fs from 'node:fs';
import type { PoolConfig } from 'pg';
import type * as SecretsManager from '@aws-sdk/client-secrets-manager';
import type { Config } from './config';

/**
 * How the service reaches PostgreSQL and Redis. Two ways to say it:
 *  - URLs: DATABASE_URL / DATABASE_READ_URL / REDIS_URL (local, CI, anything with a password in hand);
 *  - AWS (what libs/compute's workloads stack sets): DATABASE_HOST/PORT/NAME/READ_HOST, and as whom:
 *      the service: DATABASE_USER=api + DATABASE_IAM_AUTH=true — an RDS IAM auth token (SigV4, `rds-db:connect`)
 *        per new connection, no password anywhere (issue 12, item 7);
 *      the migrate Job (the owner): DATABASE_SECRET_ARN, the RDS-managed master `{username, password}` secret,
 *        read from Secrets Manager and re-read after rotation; it creates the `api` role (roles.ts);
 *    and REDIS_HOST/PORT/TLS + REDIS_AUTH_SECRET_ARN (`{mode: 'iam', username, replicationGroupId}`: ElastiCache IAM
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

/** Who connects: the service (least privilege) or the owner that runs the migrations. */
export type DbRole = 'service' | 'owner';

/** Signs an RDS IAM authentication token for `username` at `hostname:port` (valid 15 minutes, for connecting only). */
export type RdsTokenSigner = (opts: { hostname: string; port: number; username: string; region: string }) => Promise<string>;

/** The AWS SDK's RDS signer (SigV4 presign of `connect` for the `rds-db` service); loaded only when used. */
export const rdsIamToken: RdsTokenSigner = async (opts) => {
  const { Signer } = await import('@aws-sdk/rds-signer');
  return new Signer(opts).getAuthToken();
};

/** The owner in the URL way (CI, local): DATABASE_OWNER_URL, else DATABASE_URL. */
export function ownerUrlConnections(cfg: Config): DbConnections | undefined {
  const url = cfg.databaseOwnerUrl ?? cfg.databaseUrl;
  if (!url) return undefined;
  return { primary: { connectionString: url }, read: { connectionString: url }, onAuthFailure: () => {} };
}

function tlsOptions(cfg: Config): PoolConfig['ssl'] {
  if (cfg.databaseSsl === 'disable') return false;
  if (cfg.databaseSsl === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(cfg.databaseSslCaFile ? { ca: fs.readFileSync(cfg.databaseSslCaFile, 'utf8') } : {}) };
}

/**
 * pg settings in the AWS way (DATABASE_HOST); undefined when DATABASE_URL is used or nothing is set.
 * The service connects with an IAM token when DATABASE_IAM_AUTH=true (else with DATABASE_SECRET_ARN, e.g. a
 * non-RDS server); the owner always with DATABASE_SECRET_ARN.
 */
export async function databaseConnections(cfg: Config, as: DbRole, read: SecretReader, sign: RdsTokenSigner = rdsIamToken): Promise<DbConnections | undefined> {
  if (cfg.databaseUrl || !cfg.databaseHost) return undefined;
  if (as === 'service' && cfg.databaseIamAuth) return iamConnections(cfg, cfg.databaseHost, sign);
  if (!cfg.databaseSecretArn) {
    throw new Error(
      as === 'owner'
        ? 'config: migrations run as the database owner: DATABASE_SECRET_ARN (the RDS-managed master secret) is required with DATABASE_HOST'
        : 'config: DATABASE_HOST is set but neither DATABASE_IAM_AUTH=true (with DATABASE_USER) nor DATABASE_SECRET_ARN is',
    );
  }
  return secretConnections(cfg, cfg.databaseHost, cfg.databaseSecretArn, read);
}

function iamConnections(cfg: Config, host: string, sign: RdsTokenSigner): DbConnections {
  const user = cfg.databaseUser!;
  // A token is valid for 15 minutes; reuse one for 10 per host (primary and replicas sign different hosts).
  const tokens = new Map<string, { token: string; at: number }>();
  const password = (hostname: string) => async () => {
    const hit = tokens.get(hostname);
    if (hit && Date.now() - hit.at < 600_000) return hit.token;
    const token = await sign({ hostname, port: cfg.databasePort, username: user, region: cfg.awsRegion });
    tokens.set(hostname, { token, at: Date.now() });
    return token;
  };
  const base = (hostname: string): PoolConfig => ({
    host: hostname,
    port: cfg.databasePort,
    database: cfg.databaseName,
    ssl: tlsOptions(cfg),
    user,
    password: password(hostname), // pg asks for every new connection
  });
  return { primary: base(host), read: base(cfg.databaseReadHost ?? host), onAuthFailure: () => tokens.clear() };
}

async function secretConnections(cfg: Config, host: string, arn: string, read: SecretReader): Promise<DbConnections> {
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
  const ssl = tlsOptions(cfg);
  const { user } = await credentials(); // rotation changes the password, never the user name
  const base = (hostname: string): PoolConfig => ({
    host: hostname,
    port: cfg.databasePort,
    database: cfg.databaseName,
    ssl,
    user,
    password: async () => (await credentials()).password, // pg asks for every new connection
  });
  return {
    primary: base(host),
    read: base(cfg.databaseReadHost ?? host),
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
