import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import Redis from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../src/config';
import { databaseConnections, elasticacheIamToken, rdsIamToken, redisTarget } from '../src/connections';
import { REAL_DB, REAL_REDIS, REAL_S3, RUN, environmentCacheAcls, json, killAll, post, product, runCommand, startServer } from './harness';

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

/** The service's way in AWS (issue 12, item 7): the `api` role with an IAM token, no secret at all. */
const iamEnv = { ...awsEnv, DATABASE_SECRET_ARN: '', DATABASE_USER: 'api', DATABASE_IAM_AUTH: 'true' };
const noSecret = async (arn: string): Promise<string> => {
  throw new Error(`the service must not read a secret (${arn})`);
};

describe('the service: RDS IAM authentication as the least-privilege role', () => {
  test('pools log in as DATABASE_USER with an IAM token over verified TLS, and read no secret', async () => {
    const signed: string[] = [];
    const sign = async (o: { hostname: string; port: number; username: string; region: string }) => {
      signed.push(`${o.username}@${o.hostname}:${o.port}/${o.region}`);
      return `token-${signed.length}`;
    };
    const conns = (await databaseConnections(loadConfig(iamEnv), 'service', noSecret, sign))!;
    expect(conns.primary).toMatchObject({ host: 'db.internal', port: 5432, database: 'catalogue', user: 'api', ssl: { rejectUnauthorized: true } });
    expect(conns.read).toMatchObject({ host: 'db-ro.internal', user: 'api' });
    const primaryPw = conns.primary.password as () => Promise<string>;
    const readPw = conns.read.password as () => Promise<string>;
    expect(await primaryPw()).toBe('token-1');
    expect(await primaryPw()).toBe('token-1'); // reused while young (a token is good for 15 min)
    expect(await readPw()).toBe('token-2'); // a token names its host: the replicas get their own
    expect(signed).toEqual(['api@db.internal:5432/eu-west-1', 'api@db-ro.internal:5432/eu-west-1']);
    conns.onAuthFailure();
    expect(await primaryPw()).toBe('token-3');
  });

  test('the token is a SigV4 presigned connect for rds-db, valid 15 min, for this user and host:port', async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const token = await rdsIamToken({ hostname: 'db.internal', port: 5432, username: 'api', region: 'eu-west-1' });
    expect(token.startsWith('db.internal:5432/?')).toBe(true);
    const q = new URLSearchParams(token.slice(token.indexOf('?') + 1));
    expect(q.get('Action')).toBe('connect');
    expect(q.get('DBUser')).toBe('api');
    expect(q.get('X-Amz-Expires')).toBe('900');
    expect(q.get('X-Amz-Credential')).toMatch(/\/eu-west-1\/rds-db\/aws4_request$/);
    // re-sign the same request at the same instant with the same credentials: the signature must match
    const date = q.get('X-Amz-Date')!;
    const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    const signer = new SignatureV4({ service: 'rds-db', region: 'eu-west-1', sha256: Hash.bind(null, 'sha256'), credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY!, sessionToken: process.env.AWS_SESSION_TOKEN } });
    const again = await signer.presign(
      { method: 'GET', protocol: 'https:', hostname: 'db.internal', port: 5432, path: '/', query: { Action: 'connect', DBUser: 'api' }, headers: { host: 'db.internal:5432' } },
      { expiresIn: 900, signingDate },
    );
    expect(q.get('X-Amz-Signature')).toBe(again.query!['X-Amz-Signature']);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['IAM auth without a user', { DATABASE_USER: '' }, /DATABASE_IAM_AUTH=true needs DATABASE_USER/],
    ['IAM auth without TLS (RDS refuses it)', { DATABASE_SSL: 'disable' }, /DATABASE_IAM_AUTH=true needs TLS/],
    ['a role name that is not a plain identifier', { DATABASE_APP_USER: 'api"; drop table products; --' }, /DATABASE_APP_USER must be a lower-case PostgreSQL role name/],
  ])('refused: %s', (_what, change, message) => {
    expect(() => loadConfig({ ...iamEnv, ...change })).toThrow(message);
  });

  test('DATABASE_HOST with neither IAM auth nor a secret is refused', async () => {
    const err = await databaseConnections(loadConfig({ ...iamEnv, DATABASE_IAM_AUTH: '' }), 'service', noSecret).catch((e: Error) => e);
    expect(String(err)).toContain('neither DATABASE_IAM_AUTH=true (with DATABASE_USER) nor DATABASE_SECRET_ARN');
  });
});

describe('the migrations (owner): the RDS-managed master secret', () => {
  test('builds primary and read pools with verified TLS; the password is re-read after an auth failure', async () => {
    let reads = 0;
    const reader = async (arn: string) => {
      expect(arn).toBe(awsEnv.DATABASE_SECRET_ARN);
      reads++;
      return JSON.stringify({ username: 'master', password: `pw-${reads}` });
    };
    const conns = (await databaseConnections(loadConfig({ ...awsEnv, DATABASE_USER: 'api', DATABASE_IAM_AUTH: 'true' }), 'owner', reader))!;
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
    const err = await databaseConnections(loadConfig(awsEnv), 'owner', async () => 'hunter2').catch((e: Error) => e);
    expect(String(err)).toContain(awsEnv.DATABASE_SECRET_ARN);
    expect(String(err)).not.toContain('hunter2');
  });

  test('a secret without a password is refused', async () => {
    const err = await databaseConnections(loadConfig(awsEnv), 'owner', async () => '{"username":"x"}').catch((e: Error) => e);
    expect(String(err)).toContain('must hold {"username", "password"}');
  });

  test('migrations with DATABASE_HOST but without DATABASE_SECRET_ARN are a configuration error (IAM auth is for the service)', async () => {
    const err = await databaseConnections(loadConfig(iamEnv), 'owner', async () => '{}').catch((e: Error) => e);
    expect(String(err)).toContain('migrations run as the database owner: DATABASE_SECRET_ARN');
  });

  test('DATABASE_SSL=disable and a bad DATABASE_SSL value', async () => {
    const conns = (await databaseConnections(loadConfig({ ...awsEnv, DATABASE_SSL: 'disable' }), 'owner', async () => '{"username":"u","password":"p"}'))!;
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

// End to end: the migrate Job and the server read their database credentials from Secrets Manager (moto).
const CAN_E2E = REAL_DB && REAL_REDIS && REAL_S3 && !!process.env.DATABASE_OWNER_URL;
if (!CAN_E2E) console.log('SKIPPED Secrets Manager end-to-end test: needs DATABASE_URL, DATABASE_OWNER_URL, REDIS_URL and AWS_ENDPOINT_URL (moto)');
(CAN_E2E ? test : test.skip)('end to end: migrate as the owner (master secret), serve as the app role, from Secrets Manager (moto)', async () => {
  const app = new URL(process.env.DATABASE_URL!);
  const owner = new URL(process.env.DATABASE_OWNER_URL!);
  const redis = new URL(process.env.REDIS_URL!);
  const secret = (u: URL, password = decodeURIComponent(u.password)) => JSON.stringify({ username: decodeURIComponent(u.username), password });
  const sm = new SecretsManagerClient({ region: process.env.AWS_REGION || 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL });
  const master = await sm.send(new CreateSecretCommand({ Name: `api-db-master-${RUN}`, SecretString: secret(owner) }));
  const good = await sm.send(new CreateSecretCommand({ Name: `api-db-${RUN}`, SecretString: secret(app) }));
  const bad = await sm.send(new CreateSecretCommand({ Name: `api-db-bad-${RUN}`, SecretString: secret(app, 'wrong') }));
  sm.destroy();
  const env = {
    DATABASE_URL: '',
    DATABASE_READ_URL: '',
    REDIS_URL: '',
    DATABASE_HOST: app.hostname,
    DATABASE_PORT: app.port,
    DATABASE_NAME: app.pathname.slice(1),
    DATABASE_SSL: 'disable', // the CI cluster has no TLS; production verifies (verify-full)
    REDIS_HOST: redis.hostname,
    REDIS_PORT: redis.port,
    MIGRATE_ON_START: 'false',
  };
  // the migrate Job: DATABASE_SECRET_ARN (master) + DATABASE_APP_USER, as libs/compute sets them
  const m = runCommand(['migrate'], { ...env, DATABASE_SECRET_ARN: master.ARN, DATABASE_APP_USER: 'api' });
  expect(m.code).toBe(0);
  expect(m.out).toContain('role api: products SELECT/INSERT/UPDATE/DELETE');
  const s = await startServer({ ...env, DATABASE_SECRET_ARN: good.ARN }, [], { migrate: false });
  try {
    expect(await json(await fetch(`${s.url}/readyz`))).toEqual({ status: 'ok', database: 'ok', cache: 'ok' });
    const created = await post(s.url, product());
    expect(created.status).toBe(201);
    // the server's sessions are the app role's, never the owner's
    const c = new pg.Client({ connectionString: process.env.DATABASE_OWNER_URL });
    await c.connect();
    const { rows } = await c.query("select distinct usename from pg_stat_activity where application_name like 'awp-api-%'");
    await c.end();
    expect(rows.map((r) => r.usename)).toEqual(['api']);
  } finally {
    expect(await s.stop()).toBe(0);
  }
  // wrong password: the server starts, answers 503 for the database, and never leaks the secret
  const w = await startServer({ ...env, DATABASE_SECRET_ARN: bad.ARN }, [], { migrate: false });
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

// The service's Redis user as the environments set it (environments/*.json data.cache.accessString, validated by
// libs/data; ElastiCache RBAC): its keys (product:v1:*), its channel, and the commands the service and ioredis send —
// INFO being ioredis' ready check; without it every connection prints a NOPERM warning and none waits while a
// restarted node loads its data. (redis-cluster.test.ts runs the cluster client under the same user.)
(REAL_REDIS ? test : test.skip)("under the service's Redis ACL (the environments'): cache, writes and invalidations work, no NOPERM", async () => {
  const acls = environmentCacheAcls();
  expect(acls).toHaveLength(1); // one ACL for every environment: what this test proves holds for all of them
  const accessString = acls[0]!;
  expect(accessString).toMatch(/^on ~product:v1:\* &awp:cache:invalidations -@all /);
  const admin = new Redis(process.env.REDIS_URL!);
  const user = `awp-acl-${RUN}`;
  const password = `pw-${RUN}-${Math.random().toString(36).slice(2)}`;
  await admin.call('ACL', 'SETUSER', user, 'reset', `>${password}`, ...accessString.split(' '));
  // What the service and ioredis send (cluster mode too) is allowed; anything else — other keys and channels,
  // scripting, scans, the @dangerous commands — is not.
  const dry = async (...cmd: string[]) => String(await admin.call('ACL', 'DRYRUN', user, ...cmd));
  for (const cmd of [['get', 'product:v1:x'], ['set', 'product:v1:x', 'v', 'EX', '1', 'NX'], ['del', 'product:v1:x', 'product:v1:y'], ['publish', 'awp:cache:invalidations', 'm'], ['subscribe', 'awp:cache:invalidations'], ['ping'], ['info'], ['cluster', 'slots'], ['cluster', 'info'], ['client', 'setname', 'x']]) {
    expect([cmd.join(' '), await dry(...cmd)]).toEqual([cmd.join(' '), 'OK']);
  }
  for (const cmd of [['get', 'session:1'], ['set', 'other', 'v'], ['del', 'product:v1:x', 'other'], ['publish', 'other-channel', 'm'], ['subscribe', 'other-channel'], ['eval', 'return 1', '0'], ['scan', '0'], ['exists', 'product:v1:x'], ['flushall'], ['flushdb'], ['keys', '*'], ['config', 'get', '*'], ['client', 'kill', 'id', '1'], ['client', 'list'], ['monitor'], ['debug', 'sleep', '0'], ['cluster', 'reset']]) {
    expect([cmd.join(' '), await dry(...cmd)]).toEqual([cmd.join(' '), expect.stringMatching(/no permissions/)]);
  }
  const infoCalls = async () => Number(/cmdstat_info:calls=(\d+)/.exec(String(await admin.call('INFO', 'commandstats')))?.[1] ?? 0);
  const infoBefore = await infoCalls();
  const u = new URL(process.env.REDIS_URL!);
  u.username = user;
  u.password = password;
  const s = await startServer({ REDIS_URL: u.toString() });
  try {
    const created = await post(s.url, product());
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    expect((await fetch(`${s.url}/v1/products/${id}`)).status).toBe(200);
    expect(await json(await fetch(`${s.url}/readyz`))).toMatchObject({ cache: 'ok' });
    // the subscription's heartbeat came back through this user (&* allows the channel)
    for (let i = 0; i < 50 && !/^cache_invalidations_live 1$/m.test(await (await fetch(`${s.url}/metrics`)).text()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/^cache_invalidations_live 1$/m);
    expect(await admin.exists(`product:v1:${id}`)).toBe(1);
    // a reconnection (both connections killed): the ready check runs again, and is allowed again
    const connections = async () => String(await admin.call('CLIENT', 'LIST')).split('\n').filter((l) => l.includes(` user=${user} `)).length;
    const before = await connections();
    expect(before).toBeGreaterThanOrEqual(2); // commands + subscriber
    await admin.call('CLIENT', 'KILL', 'USER', user);
    for (let i = 0; i < 100 && (await connections()) < before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await connections()).toBe(before);
    expect(await json(await fetch(`${s.url}/readyz`))).toMatchObject({ cache: 'ok' });
  } finally {
    expect(await s.stop()).toBe(0);
  }
  try {
    // the ready check ran (INFO on each connection), and nothing this user sent was refused — ioredis swallows some
    expect((await infoCalls()) - infoBefore).toBeGreaterThanOrEqual(4); // 2 connections, then 2 reconnections (+ admin's own INFO)
    const log = (await admin.call('ACL', 'LOG')) as unknown[][];
    expect(log.filter((entry) => entry.some((v, i) => i % 2 === 1 && v === user))).toEqual([]);
  } finally {
    await admin.call('ACL', 'DELUSER', user);
    admin.disconnect();
  }
  expect(s.logs.join('\n')).not.toMatch(/ready check|NOPERM/i);
}, 60_000);
