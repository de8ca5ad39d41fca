import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadConfig } from '../src/config';
import { databaseFromSecret, elasticacheIamToken, redisTarget } from '../src/connections';
import { REAL_DB, REAL_REDIS, REAL_S3, RUN, json, killAll, post, product, startServer } from './harness';

// The AWS way of connecting (what libs/compute's workloads stack sets): host + Secrets Manager secrets.
const awsEnv = {
  DATABASE_HOST: 'db.internal',
  DATABASE_PORT: '5432',
  DATABASE_NAME: 'catalogue',
  DATABASE_READ_HOST: 'db-ro.internal',
  DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1',
  REDIS_HOST: 'clustercfg.api.abc123.euw1.cache.amazonaws.com',
  REDIS_PORT: '6379',
  REDIS_TLS: 'true',
  REDIS_AUTH_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api/cache-auth',
  AWS_REGION: 'eu-west-1',
  CDN_BASE_URL: 'https://cdn.example.test/uploads',
};

afterAll(() => killAll());

describe('database from the RDS-managed secret', () => {
  test('builds primary and read pools with verified TLS; the password is re-read after an auth failure', async () => {
    let reads = 0;
    const reader = async (arn: string) => {
      expect(arn).toBe(awsEnv.DATABASE_SECRET_ARN);
      reads++;
      return JSON.stringify({ username: 'master', password: `pw-${reads}` });
    };
    const conns = (await databaseFromSecret(loadConfig(awsEnv), reader))!;
    expect(conns.primary).toMatchObject({ host: 'db.internal', port: 5432, database: 'catalogue', user: 'master', ssl: { rejectUnauthorized: true } });
    expect(conns.read.host).toBe('db-ro.internal');
    const password = conns.primary.password as () => Promise<string>;
    expect(await password()).toBe('pw-1');
    expect(await password()).toBe('pw-1'); // cached
    expect(reads).toBe(1);
    conns.onAuthFailure();
    expect(await password()).toBe('pw-2');
  });

  test('a secret that is not JSON is refused naming the secret, never echoing it', async () => {
    const err = await databaseFromSecret(loadConfig(awsEnv), async () => 'hunter2').catch((e: Error) => e);
    expect(String(err)).toContain(awsEnv.DATABASE_SECRET_ARN);
    expect(String(err)).not.toContain('hunter2');
  });

  test('a secret without a password is refused', async () => {
    const err = await databaseFromSecret(loadConfig(awsEnv), async () => '{"username":"x"}').catch((e: Error) => e);
    expect(String(err)).toContain('must hold {"username", "password"}');
  });

  test('DATABASE_HOST without DATABASE_SECRET_ARN is a configuration error', async () => {
    const err = await databaseFromSecret(loadConfig({ ...awsEnv, DATABASE_SECRET_ARN: '' }), async () => '{}').catch((e: Error) => e);
    expect(String(err)).toContain('DATABASE_SECRET_ARN');
  });

  test('DATABASE_SSL=disable and a bad DATABASE_SSL value', async () => {
    const conns = (await databaseFromSecret(loadConfig({ ...awsEnv, DATABASE_SSL: 'disable' }), async () => '{"username":"u","password":"p"}'))!;
    expect(conns.primary.ssl).toBe(false);
    expect(() => loadConfig({ ...awsEnv, DATABASE_SSL: 'maybe' })).toThrow(/DATABASE_SSL/);
  });
});

describe('Redis from the cache-auth secret', () => {
  test('IAM mode: cluster client with TLS and a SigV4 token signed for the replication group', async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const secret = { mode: 'iam', username: 'awp-prod-api', replicationGroupId: 'awp-prod-cache', host: awsEnv.REDIS_HOST, port: 6379, tls: true };
    const t = (await redisTarget(loadConfig(awsEnv), async () => JSON.stringify(secret)))!;
    expect(t).toMatchObject({ host: awsEnv.REDIS_HOST, port: 6379, tls: true, cluster: true, username: 'awp-prod-api' });
    const token = await t.password!();
    expect(token.startsWith('awp-prod-cache/?')).toBe(true);
    const q = new URLSearchParams(token.slice(token.indexOf('?') + 1));
    expect(q.get('Action')).toBe('connect');
    expect(q.get('User')).toBe('awp-prod-api');
    expect(q.get('X-Amz-Expires')).toBe('900');
    expect(q.get('X-Amz-Credential')).toMatch(/\/eu-west-1\/elasticache\/aws4_request$/);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // a second token is signed anew (used on reconnect)
    expect(await elasticacheIamToken({ replicationGroupId: 'awp-prod-cache', username: 'awp-prod-api', region: 'eu-west-1' })).toMatch(/^awp-prod-cache\/\?/);
  });

  test('an IAM secret without replicationGroupId is refused', async () => {
    const err = await redisTarget(loadConfig(awsEnv), async () => '{"mode":"iam","username":"u"}').catch((e: Error) => e);
    expect(String(err)).toContain('replicationGroupId');
  });

  test('a plain host is a standalone client; REDIS_URL wins over host settings', async () => {
    const t = (await redisTarget(loadConfig({ REDIS_HOST: 'redis.internal', REDIS_PORT: '6380' }), async () => '{}'))!;
    expect(t).toMatchObject({ host: 'redis.internal', port: 6380, tls: false, cluster: false });
    expect(await redisTarget(loadConfig({ ...awsEnv, REDIS_URL: 'redis://127.0.0.1:6379' }), async () => '{}')).toEqual({ url: 'redis://127.0.0.1:6379' });
  });
});

// End to end: the real server reads the database credentials from Secrets Manager (moto) and serves.
const CAN_E2E = REAL_DB && REAL_REDIS && REAL_S3;
if (!CAN_E2E) console.log('SKIPPED Secrets Manager end-to-end test: needs DATABASE_URL, REDIS_URL and AWS_ENDPOINT_URL (moto)');
(CAN_E2E ? test : test.skip)('end to end: DATABASE_HOST + DATABASE_SECRET_ARN from Secrets Manager (moto)', async () => {
  const db = new URL(process.env.DATABASE_URL!);
  const redis = new URL(process.env.REDIS_URL!);
  const sm = new SecretsManagerClient({ region: process.env.AWS_REGION || 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL });
  const good = await sm.send(new CreateSecretCommand({ Name: `api-db-${RUN}`, SecretString: JSON.stringify({ username: decodeURIComponent(db.username), password: decodeURIComponent(db.password) }) }));
  const bad = await sm.send(new CreateSecretCommand({ Name: `api-db-bad-${RUN}`, SecretString: JSON.stringify({ username: decodeURIComponent(db.username), password: 'wrong' }) }));
  sm.destroy();
  const env = {
    DATABASE_URL: '',
    DATABASE_READ_URL: '',
    REDIS_URL: '',
    DATABASE_HOST: db.hostname,
    DATABASE_PORT: db.port,
    DATABASE_NAME: db.pathname.slice(1),
    DATABASE_SSL: 'disable', // the CI cluster has no TLS; production verifies (verify-full)
    REDIS_HOST: redis.hostname,
    REDIS_PORT: redis.port,
    MIGRATE_ON_START: 'true',
  };
  const s = await startServer({ ...env, DATABASE_SECRET_ARN: good.ARN });
  try {
    expect(await json(await fetch(`${s.url}/readyz`))).toEqual({ status: 'ok', database: 'ok', cache: 'ok' });
    const created = await post(s.url, product());
    expect(created.status).toBe(201);
  } finally {
    expect(await s.stop()).toBe(0);
  }
  // wrong password: the server starts, answers 503 for the database, and never leaks the secret
  const w = await startServer({ ...env, DATABASE_SECRET_ARN: bad.ARN, MIGRATE_ON_START: 'false' }, [], { migrate: false });
  try {
    const r = await fetch(`${w.url}/v1/products?limit=1`);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect((await fetch(`${w.url}/readyz`)).status).toBe(503);
    expect(w.logs.join('\n')).not.toContain('wrong');
  } finally {
    expect(await w.stop()).toBe(0);
  }
}, 120_000);
