import { announce, TieredCache, type InvalidationListener, type RedisCache } from '../src/cache';
import { createMetrics } from '../src/metrics';

// The L1's trust rules (src/cache.ts TieredCache), one by one, against a scripted Redis: what each invalidation,
// subscription change and race does to what a read is answered with. api.test.ts runs the same with two real pods.

const SHORT = 200; // CACHE_L1_TTL_MS
const LONG = 60_000; // CACHE_L1_SUBSCRIBED_TTL_MS
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Redis stand-in: a map, a count of GETs, and hooks to interleave events with a GET or SET in flight. */
class FakeRedis {
  data = new Map<string, string>();
  gets = 0;
  listener?: InvalidationListener;
  duringGet?: () => void;
  breaker = { state: 'closed' };
  subscribe(l: InvalidationListener) {
    this.listener = l;
  }
  async get(key: string) {
    this.gets++;
    const v = this.data.get(key);
    this.duringGet?.(); // e.g. another pod's write and its message, while this reply is on its way
    return v;
  }
  async getStale(key: string) {
    return this.data.get(key);
  }
  async set(key: string, value: string, _ttl: number, onlyIfAbsent = false) {
    if (onlyIfAbsent && this.data.has(key)) return false;
    this.data.set(key, value);
    return true;
  }
  async del(key: string) {
    this.data.delete(key);
  }
  async health() {
    return 'ok' as const;
  }
  async close() {}
}

function tiered(subscribedTtlMs = LONG) {
  const redis = new FakeRedis();
  const cache = new TieredCache(redis as unknown as RedisCache, SHORT, 100, createMetrics(() => []), subscribedTtlMs);
  return { redis, cache };
}

/** Subscribed, and 'k' = 'v1' read once (in the L1 now, one GET counted). */
async function subscribedAndRead() {
  const t = tiered();
  t.redis.listener!.live(true);
  t.redis.data.set('k', 'v1');
  await t.cache.get('k');
  return t;
}

test('subscribed: an entry outlives the short TTL; another pod\'s write expires it at once', async () => {
  const { redis, cache } = tiered();
  redis.listener!.live(true);
  redis.data.set('k', 'v1');
  expect(await cache.get('k')).toBe('v1');
  await sleep(SHORT + 50);
  expect(await cache.get('k')).toBe('v1');
  expect(redis.gets).toBe(1); // answered from the L1 past the short TTL

  redis.data.set('k', 'v2'); // another pod writes, then publishes
  redis.listener!.invalidated(['k']);
  expect(await cache.get('k')).toBe('v2');
  expect(redis.gets).toBe(2);
});

test('not subscribed (yet, or any more): an entry is trusted for the short TTL only', async () => {
  const { redis, cache } = tiered();
  redis.data.set('k', 'v1');
  expect(await cache.get('k')).toBe('v1'); // before the subscription is confirmed
  await sleep(SHORT + 50);
  expect(await cache.get('k')).toBe('v1');
  expect(redis.gets).toBe(2);

  redis.listener!.live(true);
  expect(await cache.get('k')).toBe('v1');
  expect(redis.gets).toBe(3); // stored before the subscription: not trusted once it is live
  redis.listener!.live(false); // the subscriber's connection dropped: messages may be missed
  await sleep(SHORT + 50);
  expect(await cache.get('k')).toBe('v1');
  expect(redis.gets).toBe(4);
});

test('a resubscription distrusts everything stored before it (messages sent meanwhile were lost)', async () => {
  const { redis, cache } = await subscribedAndRead();
  redis.listener!.live(false);
  redis.data.set('k', 'v2'); // changed while this pod heard nothing
  redis.listener!.live(true);
  expect(await cache.get('k')).toBe('v2');
});

test('an invalidation that arrives while a GET is in flight: the old value is kept for the short TTL only', async () => {
  const { redis, cache } = tiered();
  redis.listener!.live(true);
  redis.data.set('k', 'v1');
  redis.duringGet = () => {
    redis.data.set('k', 'v2');
    redis.listener!.invalidated(['k']); // the message overtakes the GET's reply (different connections)
    redis.duringGet = undefined;
  };
  expect(await cache.get('k')).toBe('v1');
  await sleep(SHORT + 50);
  expect(await cache.get('k')).toBe('v2'); // not the 60 s of a trusted entry
});

test("a loader's value that Redis refused (NX: a write got there first) is not kept; one Redis took is", async () => {
  const { redis, cache } = tiered();
  redis.listener!.live(true);
  redis.data.set('k', 'written');
  await cache.set('k', 'loaded-before-the-write', 300, true);
  expect(await cache.get('k')).toBe('written');

  await cache.set('n', 'loaded', 300, true);
  const gets = redis.gets;
  await sleep(SHORT + 50);
  expect(await cache.get('n')).toBe('loaded');
  expect(redis.gets).toBe(gets); // from the L1
});

test('a write is read back from this pod at once and stays the long TTL; its own message is not needed', async () => {
  const { redis, cache } = tiered();
  redis.listener!.live(true);
  await cache.set('k', 'mine', 300);
  await sleep(SHORT + 50);
  expect(await cache.get('k')).toBe('mine');
  expect(redis.gets).toBe(0);
});

test('CACHE_L1_SUBSCRIBED_TTL_MS=0: no subscription, the short TTL only', async () => {
  const { redis, cache } = tiered(0);
  expect(redis.listener).toBeUndefined();
  redis.data.set('k', 'v1');
  await cache.get('k');
  await sleep(SHORT + 50);
  await cache.get('k');
  expect(redis.gets).toBe(2);
});

test('an entry another pod invalidated is gone, also for stale-if-error (it may have been deleted)', async () => {
  const { redis, cache } = await subscribedAndRead();
  redis.listener!.invalidated(['k']);
  redis.breaker.state = 'open'; // Redis known down
  redis.data.delete('k');
  expect(await cache.getStale('k')).toBeUndefined();
});

test("this pod's Redis breaker open (a write of its own may not have been published): the short TTL only", async () => {
  const { redis, cache } = await subscribedAndRead();
  redis.breaker.state = 'open';
  redis.data.set('k', 'v2');
  await sleep(SHORT + 50);
  expect(await cache.get('k')).toBe('v2'); // the entry was stored while trusted; trust is judged when it is read
});

test('a message that cannot be read distrusts every entry stored so far', async () => {
  const { redis, cache } = await subscribedAndRead();
  redis.data.set('k', 'v2');
  redis.listener!.distrustAll();
  expect(await cache.get('k')).toBe('v2');
});

describe('announce: a change and its invalidation message', () => {
  test('standalone: both go out together (one round trip), the change\'s result is returned', async () => {
    const order: string[] = [];
    let finish!: () => void;
    const change = () => new Promise<string>((r) => { order.push('change'); finish = () => r('OK'); });
    const p = announce(false, change, async () => order.push('publish'));
    await Promise.resolve();
    expect(order).toEqual(['change', 'publish']); // the message did not wait for the reply
    finish();
    expect(await p).toBe('OK');
  });

  test('cluster: the message waits for the change, and goes out also when the change failed', async () => {
    const order: string[] = [];
    await expect(announce(true, async () => { order.push('change'); return 'OK'; }, async () => order.push('publish'))).resolves.toBe('OK');
    expect(order).toEqual(['change', 'publish']);
    const published: string[] = [];
    await expect(announce(true, () => Promise.reject(new Error('CLUSTERDOWN')), async () => published.push('sent'))).rejects.toThrow('CLUSTERDOWN');
    expect(published).toEqual(['sent']); // other pods drop their copy: the write may have landed, its reply lost
  });
});
