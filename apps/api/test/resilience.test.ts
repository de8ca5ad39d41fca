import { once } from 'node:events';
import net from 'node:net';
import pg from 'pg';
import { StaleLru } from '../src/cache';
import { loadConfig } from '../src/config';
import { createPostgresDb, prepared } from '../src/db';
import { classifyDbError, dependencyProblem, isDbUnavailable } from '../src/db-errors';
import { isOverloaded } from '../src/pressure';
import { CircuitBreaker, settle } from '../src/resilience';

// The pieces that tell a slow machine from a dead peer, one by one (faults.test.ts runs them together).

/** Busy-waits: what a CPU-starved or GC-paused event loop looks like from inside. */
function stall(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('settle: a timeout decided after the poll phase', () => {
  let server: net.Server;
  let client: net.Socket;
  let peer: net.Socket;
  beforeEach(async () => {
    server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    [peer] = (await once(server, 'connection')) as [net.Socket];
    if (client.connecting) await once(client, 'connect');
  });
  afterEach(async () => {
    client.destroy();
    peer.destroy();
    await new Promise((r) => server.close(r));
  });

  test('an answer that arrived while the loop was stalled past the timeout wins', async () => {
    const answer = once(client, 'data');
    const s = settle(answer, 20);
    peer.write('pong'); // in the kernel's buffer now: the answer came in time
    stall(80); // …but the loop wakes up only after the timer is due
    expect(await s).toMatchObject({ ok: true });
  });

  test('control: a plain timer race loses that answer (timers run before sockets are read)', async () => {
    const answer = once(client, 'data').then(() => 'answer');
    const race = Promise.race([answer, new Promise((r) => setTimeout(() => r('timeout'), 20))]);
    peer.write('pong');
    stall(80);
    expect(await race).toBe('timeout');
  });

  test('no answer: a timeout that reports how late its own timer fired', async () => {
    const s = settle(new Promise(() => {}), 20);
    stall(80);
    const r = await s;
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(r.ok === false && r.timedOut && r.lagMs).toBeGreaterThanOrEqual(50);
  });

  test('a failure is reported as such, not as a timeout', async () => {
    expect(await settle(Promise.reject(new Error('ECONNREFUSED')), 1000)).toMatchObject({ ok: false, timedOut: false });
  });
});

describe('CircuitBreaker: slow machine vs dead peer', () => {
  const timeout = { ok: false as const, timedOut: true as const };

  test('timeouts explained by our own lag never open it', () => {
    const b = new CircuitBreaker(3, 1000);
    for (let i = 0; i < 10; i++) b.record({ ...timeout, lagMs: 80 }, 100);
    expect(b.state).toBe('closed');
  });

  test('timeouts while we were responsive, or refusals, open it after the threshold', () => {
    const b = new CircuitBreaker(3, 1000);
    b.record({ ...timeout, lagMs: 2 }, 100);
    b.record({ ok: false, timedOut: false, error: new Error('refused') }, 100);
    expect(b.state).toBe('closed');
    b.record({ ...timeout, lagMs: 10 }, 100);
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
  });

  test('an inconclusive timeout neither counts nor resets the count', () => {
    const b = new CircuitBreaker(3, 1000);
    b.failure();
    b.failure();
    b.record({ ...timeout, lagMs: 500 }, 100);
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
  });

  test('half-open: one probe; an inconclusive probe lets the next call probe again', async () => {
    const b = new CircuitBreaker(1, 10);
    b.failure();
    await new Promise((r) => setTimeout(r, 20));
    expect(b.allow()).toBe(true); // the probe
    expect(b.allow()).toBe(false); // only one
    b.inconclusive();
    expect(b.allow()).toBe(true);
    b.success();
    expect(b.state).toBe('closed');
  });
});

describe('load shedding: our own overload, not a slow machine', () => {
  test('delay with an idle loop (descheduled by a neighbour) is no reason to shed', () => {
    expect(isOverloaded({ delayMs: 1500, utilization: 0.3 }, 1000)).toBe(false);
  });
  test('delay with a busy loop is', () => {
    expect(isOverloaded({ delayMs: 1500, utilization: 0.97 }, 1000)).toBe(true);
  });
  test('below the limit, or with the guard off (0), never', () => {
    expect(isOverloaded({ delayMs: 900, utilization: 1 }, 1000)).toBe(false);
    expect(isOverloaded({ delayMs: 5000, utilization: 1 }, 0)).toBe(false);
  });
});

describe('database errors: what the client is told', () => {
  const readTimeout = () => new Error('Query read timeout'); // pg's own client-side timeout
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  test("pg's client-side read timeout is an outage (it used to be a 500)", () => {
    expect(isDbUnavailable(readTimeout())).toBe(true);
  });

  test('a write sent and never answered: 504, outcome unknown', () => {
    const err = classifyDbError(readTimeout(), { sql: 'update products set name = $2 where id = $1' });
    expect(dependencyProblem(err, 'PATCH')).toMatchObject({ status: 504, extra: { outcome: 'unknown' } });
    expect(dependencyProblem(classifyDbError(new Error('Connection terminated unexpectedly'), 'commit'), 'POST')).toMatchObject({ status: 504 });
  });

  test('nothing sent, a server error, or a statement inside a transaction: 503, not applied', () => {
    for (const [err, phase] of [
      [refused(), 'connect'],
      [new Error('timeout exceeded when trying to connect'), { sql: 'insert into products …' }],
      [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), { sql: 'insert into products …' }],
      [readTimeout(), 'in-transaction'],
      [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'commit'],
    ] as const) {
      expect(dependencyProblem(classifyDbError(err, phase), 'POST')).toMatchObject({ status: 503, extra: { outcome: 'not-applied' } });
    }
  });

  test('reads: 503 without an outcome; errors that are not outages pass through', () => {
    expect(dependencyProblem(classifyDbError(readTimeout(), { sql: 'select 1' }), 'GET')).toMatchObject({ status: 503, extra: { type: 'urn:awp:problem:dependency-unavailable' } });
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(classifyDbError(unique, { sql: 'insert into products …' })).toBe(unique);
    expect(dependencyProblem(unique, 'POST')).toBeUndefined();
  });
});

(process.env.DATABASE_URL ? describe : describe.skip)('PostgreSQL connections that die', () => {
  test('killed between two statements of a transaction: an outage (503), not a crashed process', async () => {
    const db = createPostgresDb(loadConfig({ DATABASE_URL: process.env.DATABASE_URL }), () => {});
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      const err = await db
        .transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid');
          await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
          // The FATAL arrives while no statement is active: pg emits 'error' on the checked-out client.
          await new Promise((r) => setTimeout(r, 300));
          await tx.query('select 1');
        })
        .catch((e: unknown) => e);
      expect(isDbUnavailable(err)).toBe(true);
      expect(dependencyProblem(err, 'POST')).toMatchObject({ status: 503, extra: { outcome: 'not-applied' } });
      expect((await db.primary.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]); // the pool recovers
    } finally {
      await admin.end();
      await db.close();
    }
  });
});

describe('prepared statements', () => {
  test('a parameterized statement is a named prepared statement, one name per SQL text; a script is not', () => {
    const a = prepared('select $1::int as x', [1]);
    expect(a).toEqual({ name: expect.stringMatching(/^awp_[0-9a-f]{20}$/), text: 'select $1::int as x', values: [1] });
    expect((prepared('select $1::int as x', [2]) as { name: string }).name).toBe((a as { name: string }).name);
    expect((prepared('select $1::int as y', [1]) as { name: string }).name).not.toBe((a as { name: string }).name);
    expect(prepared('begin', undefined)).toBe('begin');
  });

  (process.env.DATABASE_URL ? test : test.skip)('PostgreSQL plans it once per connection and keeps it (pg_prepared_statements)', async () => {
    const db = createPostgresDb(loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DB_POOL_MAX: '1' }), () => {});
    try {
      const sql = 'select $1::int + 1 as x';
      expect((await db.primary.query<{ x: number }>(sql, [1])).rows).toEqual([{ x: 2 }]);
      expect((await db.primary.query<{ x: number }>(sql, [41])).rows).toEqual([{ x: 42 }]);
      const name = (prepared(sql, [1]) as { name: string }).name;
      const { rows } = await db.primary.query<{ n: string }>('select count(*)::text as n from pg_prepared_statements where name = $1', [name]);
      expect(rows).toEqual([{ n: '1' }]); // the one connection holds it, prepared once
    } finally {
      await db.close();
    }
  });
});

describe('StaleLru: expiry ends freshness, not the last known value', () => {
  test('fresh, then stale only, then gone when deleted', async () => {
    const lru = new StaleLru(10);
    lru.set('k', 'v1', 20);
    expect(lru.get('k')).toBe('v1');
    await new Promise((r) => setTimeout(r, 40));
    expect(lru.get('k')).toBeUndefined();
    expect(lru.hasFresh('k')).toBe(false);
    expect(lru.getStale('k')).toBe('v1');
    lru.delete('k');
    expect(lru.getStale('k')).toBeUndefined();
  });
  test('bounded by entries: the least recently used goes first', () => {
    const lru = new StaleLru(2);
    lru.set('a', '1', 1000);
    lru.set('b', '2', 1000);
    lru.set('c', '3', 1000);
    expect(lru.getStale('a')).toBeUndefined();
    expect(lru.getStale('c')).toBe('3');
  });
});
