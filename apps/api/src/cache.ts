import crypto from 'node:crypto';
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
  set(key: string, value: string, ttlSeconds: number, onlyIfAbsent?: boolean): Promise<boolean | undefined | void>;
  del(key: string): Promise<void>;
  health(): Promise<CacheHealth>;
  close(): Promise<void>;
}

interface Entry {
  value: string;
  freshUntil: number;
  /** performance.now() when stored: TieredCache trusts an entry only if it was stored while invalidations flowed. */
  storedAt: number;
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
    return this.getStoredSince(key, -Infinity);
  }
  /** A fresh entry stored at or after `since` (ms, performance.now()), else undefined. */
  getStoredSince(key: string, since: number): string | undefined {
    const e = this.lru.get(key);
    return e !== undefined && e.storedAt >= since && e.freshUntil > performance.now() ? e.value : undefined;
  }
  getStale(key: string): string | undefined {
    return this.lru.peek(key)?.value;
  }
  hasFresh(key: string): boolean {
    const e = this.lru.peek(key);
    return e !== undefined && e.freshUntil > performance.now();
  }
  set(key: string, value: string, freshMs: number) {
    const now = performance.now();
    this.lru.set(key, { value, freshUntil: now + freshMs, storedAt: now });
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

/** Redis pub/sub channel of cache invalidations between pods; a message is `<origin> <key> [<key>…]`. */
export const INVALIDATION_CHANNEL = 'awp:cache:invalidations';

/** A heartbeat on the channel (never a cache key: they have no `~`), and how often it is sent and expected. */
const HEARTBEAT = '~heartbeat';
export const HEARTBEAT_MS = 1000;
export const HEARTBEAT_TIMEOUT_MS = 3000;
/** Larger messages are not parsed (one write publishes one key; a replay at most 500). */
const MAX_INVALIDATION_MESSAGE = 64 * 1024;
const CACHE_KEY_RE = /^[A-Za-z0-9:._-]{1,200}$/;

/** What TieredCache hears from the invalidation channel (RedisCache.subscribe). */
export interface InvalidationListener {
  /** Another process changed or deleted these keys; Redis holds the change already. */
  invalidated(keys: string[]): void;
  /** true: subscribed, messages flow from now on (any sent before may have been missed); false: they may not. */
  live(up: boolean): void;
  /** A message that could not be read: treat every entry stored so far as possibly changed. */
  distrustAll(): void;
}

/**
 * A change of a key and its invalidation message. One connection executes commands in order, so the PUBLISH goes out
 * with the change (one round trip). In cluster mode the key's node and the publishing node may differ, so the message
 * waits for the change — and goes out also when the change failed: the write may have landed (its reply lost) or
 * not, and either way other pods must not keep trusting their copy for the long TTL. A lost message is bounded by the
 * L1 TTL.
 */
export async function announce<T>(cluster: boolean, change: () => Promise<T>, publish: () => Promise<unknown>): Promise<T> {
  if (!cluster) return (await Promise.all([change(), publish()]))[0];
  try {
    return await change();
  } finally {
    await publish();
  }
}

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
  /** This process on the invalidation channel: its own messages are not echoed back to it. */
  private readonly origin = crypto.randomUUID();
  private subscriber?: Redis | Cluster;
  private heartbeat?: NodeJS.Timeout;
  /** Set once a TieredCache subscribes: from then on every write-through and delete is published. */
  private publishing = false;

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
      // ioredis' ready check (INFO) stays on: it holds a connection back while a restarted node loads its data, when
      // PUBLISH (the heartbeat) would answer but GET/SET would not. The service's user may run INFO (libs/data ACL).
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
            for (const client of [this.redis, this.subscriber]) {
              if (client instanceof Cluster) {
                if (client.options.redisOptions) client.options.redisOptions.password = pw;
                for (const node of client.nodes('all')) node.options.password = pw;
              } else if (client) client.options.password = pw;
            }
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

  /** true: stored; false: `onlyIfAbsent` and a value was there; undefined: Redis did not answer. */
  async set(key: string, value: string, ttlSeconds: number, onlyIfAbsent = false): Promise<boolean | undefined> {
    if (onlyIfAbsent) {
      const ok = await this.call('set', () => this.redis.set(key, value, 'EX', ttlSeconds, 'NX'));
      return ok === undefined ? undefined : ok === 'OK';
    }
    const ok = await this.call('set', () => this.announced(key, () => this.redis.set(key, value, 'EX', ttlSeconds)));
    if (ok === undefined) this.remember(key); // a write-through that failed must not leave the old value
    return ok === undefined ? undefined : true;
  }

  async del(key: string) {
    const ok = await this.call('del', () => this.announced(key, () => this.redis.del(key)));
    if (ok === undefined) this.remember(key);
  }

  /** Runs a change of `key` and, when publishing, tells the other pods (see `announce`). */
  private async announced<T>(key: string, change: () => Promise<T>): Promise<T> {
    if (!this.publishing) return change();
    return announce(this.cluster, change, () => this.redis.publish(INVALIDATION_CHANNEL, `${this.origin} ${key}`));
  }

  /**
   * Other pods' invalidations, on a connection of their own (a subscribed connection runs no other command).
   *
   * Liveness is proven end to end, not taken from connection events: every HEARTBEAT_MS this process publishes a
   * heartbeat on the channel and counts as subscribed only while its own heartbeats come back (within
   * HEARTBEAT_TIMEOUT_MS). Connection events are not enough: in cluster mode ioredis moves its subscription to
   * another node on a failover without a 'close' or 'ready' on the client, and a silently dead socket (a replaced
   * node, a dropped NAT entry) fires nothing for hours. A heartbeat that comes back after a gap reports `live` again,
   * which makes the L1 distrust everything stored before (messages of the gap may be lost). A 'close' is reported at
   * once. Malformed or oversized messages (anyone with the service's Redis user can publish) distrust everything
   * rather than being parsed: bounded work per message.
   */
  subscribe(listener: InvalidationListener) {
    this.publishing = true;
    const sub = this.redis.duplicate();
    this.subscriber = sub;
    sub.on('error', () => {}); // the command connection reports Redis errors (rate-limited); this one would repeat them
    let up = false;
    let lastBeat = -Infinity;
    const down = (why: string) => {
      if (!up) return;
      up = false;
      listener.live(false);
      this.log(`redis: cache invalidations lost (${why}); the L1 trusts entries for its short TTL until they are back`);
    };
    const beat = () => {
      lastBeat = performance.now();
      // Redis answered a round trip on both connections: as good as the readiness probe's PING (health()).
      if (this.breaker.state !== 'closed') this.breaker.success();
      if (up) return;
      up = true;
      listener.live(true);
      this.log('redis: cache invalidations live');
    };
    sub.on('message', (_channel: string, message: string) => {
      if (message.length > MAX_INVALIDATION_MESSAGE) return listener.distrustAll(); // parse nothing
      const parts = message.split(' ');
      if (parts[0] === this.origin) {
        if (parts[1] === HEARTBEAT) beat();
        return;
      }
      const keys = parts.slice(1);
      if (keys.length === 0 || !keys.every((k) => CACHE_KEY_RE.test(k))) return listener.distrustAll();
      listener.invalidated(keys);
    });
    sub.on('close', () => down('connection closed'));
    sub.on('ready', () => {
      sub.subscribe(INVALIDATION_CHANNEL).catch((err: unknown) => this.log('redis: subscribing to cache invalidations failed', err));
    });
    this.heartbeat = setInterval(() => {
      if (up && performance.now() - lastBeat > HEARTBEAT_TIMEOUT_MS) down('no heartbeat');
      // Fire and forget, past the breaker: a failure shows as a missing heartbeat, a success closes the breaker.
      this.redis.publish(INVALIDATION_CHANNEL, `${this.origin} ${HEARTBEAT}`).catch(() => {});
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
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
        if (this.publishing) await this.redis.publish(INVALIDATION_CHANNEL, `${this.origin} ${batch.join(' ')}`);
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
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.subscriber?.disconnect();
    this.redis.disconnect();
  }
}

/**
 * An in-process cache (L1) in front of Redis: hot keys are answered without a network round trip.
 *
 * Writes update this process' L1 at once. Other pods learn of a change from the invalidation channel (Redis pub/sub,
 * RedisCache.subscribe): while subscribed, an entry lives `subscribedTtlMs` (CACHE_L1_SUBSCRIBED_TTL_MS, 30 s) and
 * another pod's write expires it within a message's flight. While not subscribed (connecting, Redis away, or
 * subscribedTtlMs 0) an entry is trusted for `l1TtlMs` (CACHE_L1_TTL_MS, 1 s) only, which bounds cross-pod staleness
 * as before; on every (re)subscription the entries stored before it stop being trusted (messages may have been
 * missed). A value read while any invalidation arrived is kept for the short TTL only (its reply and the message
 * travel on different connections). If-Match keeps writes safe regardless. Expired entries stay (LRU-bounded) for
 * getStale: the last resort while Redis and the database both fail.
 */
export class TieredCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly l1: StaleLru;
  private subscribed = false;
  /** performance.now() of the current subscription: entries stored before it may have missed an invalidation. */
  private trustedSince = Infinity;
  /** Bumped by every invalidation and subscription change (see the race above). */
  private generation = 0;
  constructor(
    readonly l2: RedisCache,
    private readonly l1TtlMs: number,
    maxEntries: number,
    private readonly metrics: Metrics,
    private readonly subscribedTtlMs = 0,
  ) {
    this.l1 = new StaleLru(maxEntries);
    if (subscribedTtlMs > l1TtlMs) {
      l2.subscribe({
        invalidated: (keys) => {
          this.generation++;
          for (const k of keys) this.l1.delete(k); // gone, also for stale-if-error: another pod changed or deleted it
        },
        live: (up) => {
          this.generation++;
          this.subscribed = up;
          metrics.invalidationsLive.set(up ? 1 : 0);
          if (up) this.trustedSince = performance.now();
        },
        distrustAll: () => {
          this.generation++;
          this.trustedSince = performance.now();
        },
      });
    }
  }
  /** Invalidations flow and this pod's own Redis calls succeed (a write it could not publish is pending). */
  private trusted(): boolean {
    return this.subscribed && this.l2.breaker.state === 'closed';
  }
  private fresh(key: string): string | undefined {
    return this.l1.getStoredSince(key, this.trusted() ? this.trustedSince : performance.now() - this.l1TtlMs);
  }
  private ttlMs(generationBefore: number): number {
    return this.trusted() && this.generation === generationBefore ? this.subscribedTtlMs : this.l1TtlMs;
  }
  async get(key: string) {
    const v = this.fresh(key);
    if (v !== undefined) {
      this.metrics.countL1Hit();
      return v;
    }
    const before = this.generation;
    const remote = await this.l2.get(key);
    if (remote !== undefined) this.l1.set(key, remote, this.ttlMs(before));
    return remote;
  }
  /** Redis first (shared, newest); this pod's expired L1 copy when Redis can't answer either. */
  async getStale(key: string) {
    const local = this.l1.getStale(key);
    if (local !== undefined && this.l2.breaker.state !== 'closed') return local; // Redis is known down: don't wait for it
    return (await this.l2.getStale(key)) ?? local;
  }
  async set(key: string, value: string, ttlSeconds: number, onlyIfAbsent = false) {
    if (!onlyIfAbsent) {
      // A write: this pod reads its own write at once; the others hear of it from the channel.
      this.l1.set(key, value, Math.min(this.trusted() ? this.subscribedTtlMs : this.l1TtlMs, ttlSeconds * 1000));
      await this.l2.set(key, value, ttlSeconds);
      return;
    }
    // A loader's value (read from the database): kept only if Redis took it (NX), else Redis holds a newer one.
    if (this.fresh(key) !== undefined) return;
    const before = this.generation;
    const stored = await this.l2.set(key, value, ttlSeconds, true);
    if (stored === false) return;
    // stored, or Redis did not answer (then this value is all there is, for the short TTL)
    this.l1.set(key, value, Math.min(stored ? this.ttlMs(before) : this.l1TtlMs, ttlSeconds * 1000));
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
  return cfg.cacheL1TtlMs > 0 ? new TieredCache(redis, cfg.cacheL1TtlMs, cfg.cacheL1MaxEntries, metrics, cfg.cacheL1SubscribedTtlMs) : redis;
}
