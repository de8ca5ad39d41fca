// The service against a real Redis Cluster, as ElastiCache runs in every environment (libs/data: cluster mode
// enabled): the cluster client (REDIS_HOST/PORT + REDIS_CLUSTER) authenticating as the environments' cache user
// (its access string from environments/*.json, its password from a Secrets Manager secret as REDIS_AUTH_SECRET_ARN
// names it), keys spread over several nodes, invalidations published on one node reaching a subscriber on another,
// and a node going away and coming back. Needs .ci/setup/20-services.sh (API_REDIS_CLUSTER, its node commands,
// moto's Secrets Manager) and a real database.
import { execSync } from 'node:child_process';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Cluster } from 'ioredis';
import { REAL_DB, RUN, auth, environmentCacheAcls, json, killAll, metric, post, product, sleep, startServer, type Server } from './harness';

const CLUSTER = process.env.API_REDIS_CLUSTER;
const STOP_NODE = process.env.API_REDIS_CLUSTER_STOP_NODE_CMD;
const START_NODE = process.env.API_REDIS_CLUSTER_START_NODE_CMD;
const CAN = REAL_DB && !!CLUSTER && !!STOP_NODE && !!START_NODE && !!process.env.AWS_ENDPOINT_URL;
if (!CAN) console.log('SKIPPED Redis Cluster tests: set DATABASE_URL, API_REDIS_CLUSTER and its node commands (.ci/setup/20-services.sh does)');

afterAll(() => killAll());

/** Polls `check` until it holds (every 100 ms, at most `ms`): counts and states, never a latency. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(100)) if (await check()) return true;
  return check();
}

(CAN ? describe : describe.skip)('Redis Cluster (cluster mode, as ElastiCache runs it)', () => {
  const [host, port] = (CLUSTER ?? ':').split(':');
  const user = `awp-cluster-${RUN}`;
  const password = `pw-${RUN}-${Math.random().toString(36).slice(2)}`;
  // REDIS_URL unset: the service connects the way it does on AWS (host, port, cluster mode, the secret), not with a URL.
  const env: Record<string, string | undefined> = { REDIS_URL: undefined, REDIS_HOST: host, REDIS_PORT: port, REDIS_CLUSTER: 'true' };
  let a: Server;
  let b: Server;
  let admin: Cluster;
  const live = async (s: Server) => metric(await (await fetch(`${s.url}/metrics`)).text(), 'cache_invalidations_live') === 1;
  const etag = async (s: Server, id: string) => (await fetch(`${s.url}/v1/products/${id}`)).headers.get('etag');
  const clusterOk = async () => /^cluster_state:ok/m.test(String(await admin.cluster('INFO').catch(() => '')));
  // ACLs are per node (ElastiCache applies a user to every node): on each primary; again after a node restarts
  const acls = CAN ? environmentCacheAcls() : [];
  const rules = (acls[0] ?? '').split(' '); // the environments' access string (one for all, asserted below)
  const setUser = () => Promise.all(admin.nodes('master').map((n) => n.call('ACL', 'SETUSER', user, 'reset', `>${password}`, ...rules)));
  const refused = async () => (await Promise.all(admin.nodes('master').map(async (n) => (await n.call('ACL', 'LOG')) as unknown[][]))).flat().filter((e) => e.some((v, i) => i % 2 === 1 && v === user));

  beforeAll(async () => {
    admin = new Cluster([{ host: host!, port: Number(port) }]);
    admin.on('error', () => {}); // the node-down test makes its own refreshes fail; what matters is asserted
    expect(await until(clusterOk, 20_000)).toBe(true);
    expect(acls).toHaveLength(1);
    await setUser();
    const sm = new SecretsManagerClient({ region: process.env.AWS_REGION || 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL });
    const secret = await sm.send(new CreateSecretCommand({ Name: `api-cache-${RUN}`, SecretString: JSON.stringify({ username: user, password }) }));
    env.REDIS_AUTH_SECRET_ARN = secret.ARN;
    [a, b] = await Promise.all([startServer(env), startServer(env, [], { migrate: false })]);
    // both subscribed (their heartbeats come back through the cluster) before anything is measured
    expect(await until(async () => (await live(a)) && (await live(b)), 20_000)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    execSync(`${START_NODE} 2>/dev/null || true`); // a failed test must not leave the cluster short of a node
    await a?.stop();
    await b?.stop();
    await until(clusterOk, 20_000);
    await Promise.all(admin.nodes('master').map((n) => n.call('ACL', 'DELUSER', user).catch(() => 0)));
    admin?.disconnect();
  });

  test('keys on several nodes; a change made through one pod reaches the other through pub/sub, not by expiry', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await post(a.url, product());
      expect(r.status).toBe(201);
      ids.push((await json(r)).id);
    }
    for (const id of ids) expect(await etag(b, id)).toBe('"1"'); // b reads through Redis (a wrote it through) into its L1
    // the write-through landed in the cluster, on more than one primary (12 keys over 3 nodes' slots)
    for (const id of ids) expect(await admin.exists(`product:v1:${id}`)).toBe(1);
    const holding = await Promise.all(admin.nodes('master').map(async (n) => (await Promise.all(ids.map((id) => n.exists(`product:v1:${id}`).catch(() => 0)))).some((x) => x === 1)));
    expect(holding.filter(Boolean).length).toBeGreaterThanOrEqual(2);

    // b's L1 would serve version 1 for 30 s (CACHE_L1_SUBSCRIBED_TTL_MS) without the invalidation
    const id = ids[0]!;
    const patch = await fetch(`${a.url}/v1/products/${id}`, { method: 'PATCH', headers: { ...(await auth()), 'content-type': 'application/json', 'if-match': '"1"' }, body: JSON.stringify({ name: 'renamed in the cluster' }) });
    expect(patch.status).toBe(200);
    expect(await until(async () => (await etag(b, id)) === '"2"', 10_000)).toBe(true);
    expect((await json(await fetch(`${b.url}/v1/products/${id}`))).name).toBe('renamed in the cluster');
    const del = await fetch(`${a.url}/v1/products/${ids[1]}`, { method: 'DELETE', headers: { ...(await auth()), 'if-match': '*' } });
    expect(del.status).toBe(204);
    expect(await until(async () => (await fetch(`${b.url}/v1/products/${ids[1]}`)).status === 404, 10_000)).toBe(true);
    const text = await (await fetch(`${b.url}/metrics`)).text();
    expect(metric(text, 'cache_circuit_open')).toBe(0);
    expect(b.logs.join('\n')).not.toMatch(/CROSSSLOT|MOVED|NOPERM/);
    // the service's user was refused nothing on any node (ioredis swallows some refusals: ACL LOG does not)
    expect(await refused()).toEqual([]);
    // the pods authenticated as that user, not as the default one
    const clients = await Promise.all(admin.nodes('master').map(async (n) => String(await n.call('CLIENT', 'LIST'))));
    expect(clients.join('\n')).toContain(` user=${user} `);
  }, 120_000);

  test('a node goes away: reads and writes keep answering (no 5xx), and the cache comes back with the node', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push((await json(await post(a.url, product()))).id);
    for (const id of ids) expect(await etag(b, id)).toBe('"1"');
    execSync(STOP_NODE!);
    try {
      // the other nodes declare the cluster down after its node timeout (2 s): every command fails then
      expect(await until(async () => !(await clusterOk()), 20_000)).toBe(true);
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const id of ids) statuses.push((await fetch(`${b.url}/v1/products/${id}`)).status);
        const created = await post(a.url, product());
        statuses.push(created.status);
        if (created.status === 201) ids.push((await json(created)).id);
        await sleep(300);
      }
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(statuses.filter((s) => s === 200 || s === 201)).toHaveLength(statuses.length);
      expect((await fetch(`${a.url}/readyz`)).status).toBe(200); // a cache outage is no reason to take pods out
    } finally {
      // The node comes back with the user in its configuration, as every ElastiCache node has its users: a node that
      // refused the user once (WRONGPASS while it had no ACL yet) is not used again by ioredis' cluster client, even
      // after the user exists (checked: ~20 s of failures) — a limit of this local setup, noted in the README.
      const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
      execSync(`${START_NODE} --user ${q(user)} ${q(`>${password}`)} ${rules.map(q).join(' ')}`);
    }
    expect(await until(clusterOk, 30_000)).toBe(true);
    // both pods use Redis again: breaker closed, subscribed again, and a change through a reaches b by message
    expect(await until(async () => (await live(a)) && (await live(b)), 30_000)).toBe(true);
    const id = ids[ids.length - 1]!;
    expect(await etag(b, id)).toBe('"1"');
    const patch = await fetch(`${a.url}/v1/products/${id}`, { method: 'PATCH', headers: { ...(await auth()), 'content-type': 'application/json', 'if-match': '"1"' }, body: JSON.stringify({ name: 'after the node came back' }) });
    expect(patch.status).toBe(200);
    expect(await until(async () => (await etag(b, id)) === '"2"', 10_000)).toBe(true);
    expect(await until(async () => metric(await (await fetch(`${a.url}/metrics`)).text(), 'cache_circuit_open') === 0, 10_000)).toBe(true);
    // the cache holds it again (the write-through may have met the node still reconnecting; a read fills it then)
    expect(await until(async () => (await fetch(`${b.url}/v1/products/${id}`)).ok && (await admin.exists(`product:v1:${id}`)) === 1, 10_000)).toBe(true);
    expect(await refused()).toEqual([]);
  }, 180_000);
});
