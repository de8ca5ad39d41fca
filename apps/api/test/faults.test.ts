import { execSync } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { REAL_DB, REAL_REDIS, auth, json, killAll, metric, pct, post, product, sleep, startServer, type Server } from './harness';

// Fault tests with numbers. Redis and PostgreSQL faults need the real servers and the commands that
// stop and start them (.ci/setup/20-services.sh exports both); SIGTERM under load runs everywhere.
const env = process.env;
const CAN_FAULT_REDIS = REAL_REDIS && !!env.API_REDIS_STOP_CMD && !!env.API_REDIS_START_CMD && !!env.API_REDIS_CLI;
const CAN_FAULT_PG = REAL_DB && !!env.API_PG_STOP_CMD && !!env.API_PG_START_CMD;
if (!CAN_FAULT_REDIS) console.log('SKIPPED Redis fault tests: set REDIS_URL, API_REDIS_STOP_CMD, API_REDIS_START_CMD, API_REDIS_CLI (.ci/setup/20-services.sh does)');
if (!CAN_FAULT_PG) console.log('SKIPPED PostgreSQL fault tests: set DATABASE_URL, API_PG_STOP_CMD, API_PG_START_CMD (.ci/setup/20-services.sh does)');

interface Sample {
  t: number;
  ms: number;
  status: number; // 0 = network error
  error?: string;
}

/** Runs `concurrency` loops of `fn` until stop() is called; records every request. Bounded by maxMs. */
function load(concurrency: number, fn: (i: number) => Promise<Response>, maxMs = 20_000) {
  const samples: Sample[] = [];
  let running = true;
  const t0 = Date.now();
  const workers = Array.from({ length: concurrency }, async (_, w) => {
    let i = 0;
    while (running && Date.now() - t0 < maxMs) {
      const start = performance.now();
      const t = Date.now();
      try {
        const r = await fn(w * 1_000_000 + i++);
        await r.arrayBuffer();
        samples.push({ t, ms: performance.now() - start, status: r.status });
      } catch (err) {
        samples.push({ t, ms: performance.now() - start, status: 0, error: String((err as Error).cause ?? err) });
        await sleep(5);
      }
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(workers);
      return samples;
    },
  };
}

function sh(cmd: string) {
  execSync(cmd, { stdio: 'ignore', timeout: 60_000 });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - t0;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const d = (cond: boolean) => (cond ? describe : describe.skip);
afterAll(() => killAll());

d(CAN_FAULT_REDIS)('Redis faults', () => {
  let srv: Server;
  beforeAll(async () => {
    // L1 off: every read goes to Redis, so the fault path (timeouts, breaker, database fallback) is what is measured.
    srv = await startServer({ CACHE_L1_TTL_MS: '0' });
  }, 120_000);
  afterAll(async () => {
    expect(await srv.stop()).toBe(0);
  });

  test('Redis stopped mid-run: reads keep answering 200 from the database, fast, and return to the cache', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await json(await post(srv.url, product()))).id);
    const l = load(4, (i) => fetch(`${srv.url}/v1/products/${ids[i % ids.length]}`));
    await sleep(1000);
    const downAt = Date.now();
    sh(env.API_REDIS_STOP_CMD!);
    await sleep(1500);
    const ready = await fetch(`${srv.url}/readyz`);
    const readyBody = await json(ready);
    const metricsDown = await (await fetch(`${srv.url}/metrics`)).text();
    sh(env.API_REDIS_START_CMD!);
    const upAt = Date.now();
    await until('Redis to answer', async () => execSync(`${env.API_REDIS_CLI} ping`).toString().includes('PONG'));
    const hitsAtRecovery = metric(await (await fetch(`${srv.url}/metrics`)).text(), 'cache_requests_total{result="hit"}');
    await sleep(2500); // breaker cooldown (1 s) + refill
    const samples = await l.stop();
    const hitsAfter = metric(await (await fetch(`${srv.url}/metrics`)).text(), 'cache_requests_total{result="hit"}');

    const errors = samples.filter((s) => s.status !== 200);
    const outage = samples.filter((s) => s.t >= downAt && s.t < upAt).map((s) => s.ms).sort((a, b) => a - b);
    const numbers = {
      requests: samples.length,
      errors: errors.length,
      duringOutage: outage.length,
      outageP50ms: +pct(outage, 50).toFixed(2),
      outageP99ms: +pct(outage, 99).toFixed(2),
      outageMaxMs: +outage[outage.length - 1]!.toFixed(2),
      cacheHitsAfterRecovery: hitsAfter - hitsAtRecovery,
    };
    console.log('Redis stop/start under read load:', JSON.stringify(numbers));
    expect(errors).toEqual([]);
    expect(outage.length).toBeGreaterThan(50);
    expect(numbers.outageP99ms).toBeLessThan(100); // the breaker stops paying the Redis timeout on every request
    expect(ready.status).toBe(200);
    expect(readyBody).toEqual({ status: 'degraded', database: 'ok', cache: 'down' });
    expect(metricsDown).toMatch(/cache_errors_total\{op="get"\} [1-9]/);
    expect(numbers.cacheHitsAfterRecovery).toBeGreaterThan(100);
    expect(await json(await fetch(`${srv.url}/readyz`))).toEqual({ status: 'ok', database: 'ok', cache: 'ok' });
  }, 60_000);

  test('Redis hanging (CLIENT PAUSE): a write during the hang is not shadowed by the stale cached copy afterwards', async () => {
    const created = await json(await post(srv.url, product()));
    const url = `${srv.url}/v1/products/${created.id}`;
    expect((await json(await fetch(url))).version).toBe(1); // cached at version 1
    sh(`${env.API_REDIS_CLI} client pause 2000 all`);
    const t0 = Date.now();
    const patched = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/json', 'if-match': '"1"', ...(await auth()) }, body: '{"name":"During the hang"}' });
    const patchMs = Date.now() - t0;
    expect(patched.status).toBe(200);
    const during = await Promise.all(Array.from({ length: 10 }, () => fetch(url).then((r) => r.status)));
    await sleep(2500); // pause over; Redis still holds version 1
    const after = [];
    for (let i = 0; i < 5; i++) {
      after.push((await json(await fetch(url))).version);
      await sleep(300);
    }
    console.log('Redis hang:', JSON.stringify({ patchMs, readsDuringHang: during, versionsAfter: after }));
    expect(during.every((s) => s === 200)).toBe(true);
    expect(after).toEqual([2, 2, 2, 2, 2]);
  }, 30_000);
});

d(CAN_FAULT_PG)('PostgreSQL faults', () => {
  let srv: Server;
  beforeAll(async () => {
    srv = await startServer();
  }, 120_000);
  afterAll(async () => {
    expect(await srv.stop()).toBe(0);
  });

  test('database down: 503 + Retry-After, cached reads served; after restart no acknowledged write is lost', async () => {
    const cached = await json(await post(srv.url, product()));
    expect((await fetch(`${srv.url}/v1/products/${cached.id}`)).status).toBe(200);

    // Writers retry with the same Idempotency-Key until acknowledged, as a client should.
    const acked = new Map<string, string>(); // key → id
    const writeStatuses: number[] = [];
    let writing = true;
    const writer = async (w: number) => {
      for (let i = 0; writing; i++) {
        const key = `fault-${w}-${i}-${Date.now()}`;
        const body = product();
        for (let attempt = 0; attempt < 200 && writing; attempt++) {
          let status = 0;
          try {
            const r = await post(srv.url, body, { 'idempotency-key': key });
            status = r.status;
            const b = await json(r);
            if (status === 201) {
              acked.set(key, b.id);
              break;
            }
            if (status === 503) expect(r.headers.get('retry-after')).toBe('5');
          } catch {
            status = 0;
          }
          writeStatuses.push(status);
          await sleep(50);
        }
      }
    };
    const writers = [writer(1), writer(2)];
    const reads = load(2, () => fetch(`${srv.url}/v1/products/${cached.id}`));
    await sleep(800);

    const t0 = Date.now();
    sh(env.API_PG_STOP_CMD!);
    const stopMs = Date.now() - t0;
    await sleep(300);
    const ackedBeforeOutage = acked.size;
    const uncached = await fetch(`${srv.url}/v1/products/00000000-0000-4000-8000-00000000fa17`);
    const write = await post(srv.url, product());
    const ready = await fetch(`${srv.url}/readyz`);
    const readyBody = await json(ready);
    const cachedRead = await fetch(`${srv.url}/v1/products/${cached.id}`);
    await sleep(1000);

    const t1 = Date.now();
    sh(env.API_PG_START_CMD!);
    const recoveryMs = await until('a write to be acknowledged after restart', async () => acked.size > ackedBeforeOutage + 5);
    const startMs = Date.now() - t1;
    await sleep(500);
    writing = false;
    await Promise.all(writers);
    const readSamples = await reads.stop();

    // Every acknowledged write is in the database, exactly once per Idempotency-Key.
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    const ids = [...acked.values()];
    const { rows } = await client.query('select count(*)::int as n from products where id = any($1::uuid[])', [ids]);
    await client.end();

    const numbers = {
      pgStopMs: stopMs,
      acknowledgedWrites: acked.size,
      writeAttemptsRefused503: writeStatuses.filter((s) => s === 503).length,
      writeOtherFailures: writeStatuses.filter((s) => s !== 503).length,
      cachedReads: readSamples.length,
      cachedReadErrors: readSamples.filter((s) => s.status !== 200).length,
      recoveryAfterStartMs: startMs,
      rowsFound: rows[0].n,
    };
    console.log('PostgreSQL stop/start under read+write load:', JSON.stringify(numbers), { recoveryMs });

    expect(uncached.status).toBe(503);
    expect(uncached.headers.get('retry-after')).toBe('5');
    expect(uncached.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(write.status).toBe(503);
    expect(ready.status).toBe(503);
    expect(readyBody).toMatchObject({ status: 'unavailable', database: 'down', cache: 'ok' });
    expect(cachedRead.status).toBe(200);
    expect(numbers.cachedReadErrors).toBe(0);
    expect(numbers.writeAttemptsRefused503).toBeGreaterThan(0);
    expect(numbers.writeOtherFailures).toBe(0);
    expect(rows[0].n).toBe(acked.size);
    expect(acked.size).toBeGreaterThan(ackedBeforeOutage);
  }, 90_000);
});

describe('graceful shutdown', () => {
  test('SIGTERM under load: in-flight requests finish, no request fails, exit 0 within DRAIN_SECONDS', async () => {
    const srv = await startServer({ DRAIN_SECONDS: '5' });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await json(await post(srv.url, product()))).id);
    const l = load(8, (i) => fetch(`${srv.url}/v1/products/${ids[i % ids.length]}`));
    // An upload in progress when SIGTERM arrives: the body is completed only after the signal.
    const sock = net.connect(srv.port, '127.0.0.1');
    let raw = '';
    sock.on('data', (c) => (raw += c.toString()));
    sock.on('error', () => {});
    const body = JSON.stringify(product());
    await new Promise((r) => sock.once('connect', r));
    sock.write(`POST /v1/products HTTP/1.1\r\nHost: x\r\nAuthorization: ${(await auth()).authorization}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`);
    await sleep(700);
    const termAt = Date.now();
    srv.proc.kill('SIGTERM');
    await sleep(300);
    sock.write(body.slice(10));
    const code = await srv.exited;
    const exitMs = Date.now() - termAt;
    const samples = await l.stop();
    const before = samples.filter((s) => s.t < termAt);
    const after = samples.filter((s) => s.t >= termAt);
    const numbers = {
      requestsBeforeSigterm: before.length,
      failedBeforeSigterm: before.filter((s) => s.status !== 200).length,
      answeredAfterSigterm: after.filter((s) => s.status === 200).length,
      non200AnswersAfterSigterm: after.filter((s) => s.status !== 200 && s.status !== 0).length,
      refusedAfterClose: after.filter((s) => s.status === 0).length,
      exitMs,
      exitCode: code,
    };
    console.log('SIGTERM under load:', JSON.stringify(numbers));
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(5000);
    expect(numbers.requestsBeforeSigterm).toBeGreaterThan(100);
    expect(numbers.failedBeforeSigterm).toBe(0);
    expect(numbers.non200AnswersAfterSigterm).toBe(0);
    expect(raw).toMatch(/^HTTP\/1\.1 201 /); // the in-flight upload finished after the signal
    expect(raw.toLowerCase()).toContain('connection: close');
  }, 120_000);

  test('a request that outlives DRAIN_SECONDS is cut and the process exits 1 at the deadline', async () => {
    const srv = await startServer({ DRAIN_SECONDS: '1', REQUEST_TIMEOUT_MS: '60000' });
    const sock = net.connect(srv.port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write(`POST /v1/products HTTP/1.1\r\nHost: x\r\nAuthorization: ${(await auth()).authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    await sleep(200);
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    const code = await srv.exited;
    const ms = Date.now() - t0;
    console.log('drain deadline:', JSON.stringify({ exitCode: code, exitMs: ms }));
    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3000);
    sock.destroy();
  }, 120_000);
});
