import { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Config } from './config';
import type { RedisTarget } from './connections';
import type { Metrics } from './metrics';
import { CircuitBreaker, settle } from './resilience';

export { CircuitBreaker } from './resilience';

export type CacheHealth = 'ok' | 'degraded';

/**
 * The cache the service uses: Redis in AWS, an in-process LRU with TTLs as the embedded default.
 * Implementations never throw: a failing cache is a miss, never an error for the client.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  /**
   * The last value known for `key`, fresh or not (stale-if-error, RFC 5861): asked only when the database can't
   * answer a miss, so a product that was cached is still served during a database outage. Invalidated keys
   * (deleted, or a write that could not reach Redis) are never returned.
   */
  getStale(key: string): Promise<string | undefined>;
  /** `onlyIfAbsent`: loaders use it so a value read before a concurrent write can't overwrite the write's value. */
  set(key: string, value: string, ttlSeconds: number, onlyIfAbsent?: boolean): Promise<void>;
  del(key: string): Promise<void>;
  health(): Promise<CacheHealth>;
  close(): Promise<void>;
}

interface Entry {
  value: string;
  freshUntil: number;
}

/**
 * An LRU whose entries outlive their freshness: `get` returns fresh values only, `getStale` any value still held
 * (bounded by the entry count, not by time), so expiry never makes a product unservable while the database is down.
 */
export class StaleLru {
  private readonly lru: LRUCache<string, Entry>;
  constructor(maxEntries: number) {
    this.lru = new LRUCache<string, Entry>({ max: maxEntries });
  }
  get(key: string): string | undefined {
    const e = this.lru.get(key);
    return e !== undefined && e.freshUntil > performance.now() ? e.value : undefined;
  }
  getStale(key: string): string | undefined {
    return this.lru.peek(key)?.value;
  }
  hasFresh(key: string): boolean {
    const e = this.lru.peek(key);
    return e !== undefined && e.freshUntil > performance.now();
  }
  set(key: string, value: string, freshMs: number) {
    this.lru.set(key, { value, freshUntil: performance.now() + freshMs });
  }
  delete(key: string) {
    this.lru.delete(key);
  }
  clear() {
    this.lru.clear();
  }
}

export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly lru: StaleLru;
  constructor(maxEntries: number) {
    this.lru = new StaleLru(maxEntries);
  }
  async get(key: string) {
    return this.lru.get(key);
  }
  async getStale(key: string) {
    return this.lru.getStale(key);
  }
  async set(key: string, value: string, ttlSeconds: number, onlyIfAbsent = false) {
    if (onlyIfAbsent && this.lru.hasFresh(key)) return;
    this.lru.set(key, value, ttlSeconds * 1000);
  }
  async del(key: string) {
    this.lru.delete(key);
  }
  async health(): Promise<CacheHealth> {
    return 'ok';
  }
  async close() {
    this.lru.clear();
  }
}

const MAX_PENDING_DELETES = 100_000;

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  readonly redis: Redis | Cluster;
  readonly breaker: CircuitBreaker;
  private readonly cluster: boolean;
  private refresher?: NodeJS.Timeout;
  /** Invalidations that failed while Redis was away: replayed before the cache is trusted again. */
  private readonly pendingDeletes = new Set<string>();
  private flushing = false;
  private lastErrorLog = 0;
  private readonly timeoutMs: number;
  /** The budget of a read asked only because the database failed too (getStale): worth waiting longer for. */
  private readonly degradedTimeoutMs: number;
  private wasReady = false;

  constructor(
    target: RedisTarget,
    cfg: Pick<Config, 'redisCommandTimeoutMs'>,
    private readonly metrics: Metrics,
    private readonly log: (msg: string, err?: unknown) => void,
    initialPassword?: string,
  ) {
    this.timeoutMs = cfg.redisCommandTimeoutMs;
    this.degradedTimeoutMs = Math.max(500, 5 * cfg.redisCommandTimeoutMs);
    const common = {
      enableOfflineQueue: false, // while disconnected, fail at once instead of queueing behind a dead socket
      maxRetriesPerRequest: 0,
      // Each call has its own lag-aware timeout (settle); ioredis' own timer is only the backstop that clears
      // commands a blackholed connection would otherwise keep forever.
      commandTimeout: 2 * this.degradedTimeoutMs,
      connectTimeout: 1000,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
      lazyConnect: false,
    };
    const auth = { ...(target.username ? { username: target.username } : {}), ...(initialPassword ? { password: initialPassword } : {}), ...(target.tls ? { tls: {} } : {}) };
    this.cluster = !!target.cluster;
    if (target.url) this.redis = new Redis(target.url, common);
    else if (target.cluster) {
      this.redis = new Cluster([{ host: target.host!, port: target.port! }], {
        enableOfflineQueue: false,
        dnsLookup: (address, callback) => callback(null, address), // TLS certificates name the hosts, not the IPs
        clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
        redisOptions: { ...common, ...auth },
      });
    } else this.redis = new Redis({ host: target.host, port: target.port, ...common, ...auth });
    if (target.password) {
      // IAM tokens live 15 minutes and are checked when a connection opens: keep a fresh one for reconnects.
      const refresh = target.password;
      this.refresher = setInterval(() => {
        refresh().then(
          (pw) => {
            if (this.redis instanceof Cluster) {
              if (this.redis.options.redisOptions) this.redis.options.redisOptions.password = pw;
              for (const node of this.redis.nodes('all')) node.options.password = pw;
            } else this.redis.options.password = pw;
          },
          (err) => this.log('redis: refreshing the auth token failed', err),
        );
      }, 10 * 60_000);
      this.refresher.unref();
    }
    this.redis.once('ready', () => (this.wasReady = true));
    this.redis.on('error', (err) => {
      if (Date.now() - this.lastErrorLog > 5000) {
        this.lastErrorLog = Date.now();
        this.log('redis connection error', err);
      }
    });
    this.breaker = new CircuitBreaker(3, 1000, (s) => {
      metrics.breakerState.set(s === 'open' ? 1 : 0);
      this.log(`redis circuit ${s}`);
      if (s === 'closed') void this.flushPendingDeletes();
    });
  }

  /**
   * One Redis command under the breaker and its own timeout. A timeout that our own event-loop lag explains
   * fails this call (the request goes on without the cache) but does not count against Redis: a slow machine
   * must not open the breaker and send every read to the database.
   */
  private async call<T>(op: string, fn: () => Promise<T>, opts: { timeoutMs?: number; bypassBreaker?: boolean } = {}): Promise<T | undefined> {
    if (!opts.bypassBreaker && !this.breaker.allow()) return undefined;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const s = await settle(fn(), timeoutMs);
    if (!opts.bypassBreaker) this.breaker.record(s, timeoutMs);
    if (s.ok) return s.value;
    this.metrics.cacheErrors.inc({ op });
    return undefined;
  }

  async get(key: string) {
    if (this.pendingDeletes.size && this.pendingDeletes.has(key)) return undefined;
    const v = await this.call('get', () => this.redis.get(key));
    return v ?? undefined;
  }

  /** The database failed too: one more try, with a longer budget and past an open breaker (a dead socket fails at once). */
  async getStale(key: string) {
    if (this.pendingDeletes.size && this.pendingDeletes.has(key)) return undefined;
    const v = await this.call('get_stale', () => this.redis.get(key), { timeoutMs: this.degradedTimeoutMs, bypassBreaker: true });
    return v ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number, onlyIfAbsent = false) {
    const ok = await this.call('set', () =>
      onlyIfAbsent ? this.redis.set(key, value, 'EX', ttlSeconds, 'NX') : this.redis.set(key, value, 'EX', ttlSeconds),
    );
    if (ok === undefined && !onlyIfAbsent) this.remember(key); // a write-through that failed must not leave the old value
  }

  async del(key: string) {
    const ok = await this.call('del', () => this.redis.del(key));
    if (ok === undefined) this.remember(key);
  }

  private remember(key: string) {
    if (this.pendingDeletes.size >= MAX_PENDING_DELETES) {
      this.log(`redis: more than ${MAX_PENDING_DELETES} invalidations pending; entries expire by TTL`);
      return;
    }
    this.pendingDeletes.add(key);
  }

  private async flushPendingDeletes() {
    if (this.flushing || this.pendingDeletes.size === 0) return;
    this.flushing = true;
    try {
      const keys = [...this.pendingDeletes];
      for (let i = 0; i < keys.length; i += 500) {
        const batch = keys.slice(i, i + 500);
        // Cluster mode: one DEL per key (keys of a batch live in different slots).
        if (this.cluster) await Promise.all(batch.map((k) => this.redis.del(k)));
        else await this.redis.del(...batch);
        for (const k of batch) this.pendingDeletes.delete(k);
      }
      this.log(`redis: replayed ${keys.length} invalidations`);
    } catch (err) {
      this.log('redis: replaying invalidations failed; will retry', err);
    } finally {
      this.flushing = false;
    }
  }

  async health(): Promise<CacheHealth> {
    if (!this.wasReady) {
      // Still opening its first connection (a loaded machine, TLS, IAM auth): not "down" yet. Wait for it, bounded.
      let onReady = () => {};
      await settle(new Promise<void>((r) => this.redis.once('ready', (onReady = r))), this.degradedTimeoutMs);
      this.redis.off('ready', onReady);
    }
    try {
      const pong = await this.redis.ping();
      if (pong === 'PONG') {
        if (this.breaker.state !== 'closed') this.breaker.success();
        if (this.pendingDeletes.size) await this.flushPendingDeletes();
        return 'ok';
      }
      return 'degraded';
    } catch {
      return 'degraded';
    }
  }

  async close() {
    if (this.refresher) clearInterval(this.refresher);
    this.redis.disconnect();
  }
}

/**
 * A small in-process cache (L1, ~1 s) in front of Redis: hot keys are answered without a network round trip.
 * Writes update this process's L1 at once; other pods see a change after at most CACHE_L1_TTL_MS (their L1
 * entries expire), which bounds cross-pod staleness. If-Match keeps writes safe regardless. Expired entries
 * stay (LRU-bounded) for getStale: the last resort while Redis and the database both fail.
 */
export class TieredCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly l1: StaleLru;
  constructor(
    readonly l2: RedisCache,
    private readonly l1TtlMs: number,
    maxEntries: number,
    private readonly metrics: Metrics,
  ) {
    this.l1 = new StaleLru(maxEntries);
  }
  async get(key: string) {
    const v = this.l1.get(key);
    if (v !== undefined) {
      this.metrics.cacheL1Hits.inc();
      return v;
    }
    const remote = await this.l2.get(key);
    if (remote !== undefined) this.l1.set(key, remote, this.l1TtlMs);
    return remote;
  }
  /** Redis first (shared, newest); this pod's expired L1 copy when Redis can't answer either. */
  async getStale(key: string) {
    const local = this.l1.getStale(key);
    if (local !== undefined && this.l2.breaker.state !== 'closed') return local; // Redis is known down: don't wait for it
    return (await this.l2.getStale(key)) ?? local;
  }
  async set(key: string, value: string, ttlSeconds: number, onlyIfAbsent = false) {
    if (!onlyIfAbsent || !this.l1.hasFresh(key)) this.l1.set(key, value, Math.min(this.l1TtlMs, ttlSeconds * 1000));
    await this.l2.set(key, value, ttlSeconds, onlyIfAbsent);
  }
  async del(key: string) {
    this.l1.delete(key);
    await this.l2.del(key);
  }
  health() {
    return this.l2.health();
  }
  async close() {
    this.l1.clear();
    await this.l2.close();
  }
}

export async function createCache(cfg: Config, target: RedisTarget | undefined, metrics: Metrics, log: (msg: string, err?: unknown) => void): Promise<Cache> {
  if (!target) return new MemoryCache(cfg.cacheMaxEntries);
  const password = target.password ? await target.password() : undefined;
  const redis = new RedisCache(target, cfg, metrics, log, password);
  return cfg.cacheL1TtlMs > 0 ? new TieredCache(redis, cfg.cacheL1TtlMs, cfg.cacheL1MaxEntries, metrics) : redis;
}
