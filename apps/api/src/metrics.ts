import client from 'prom-client';
import type { PoolStats } from './db';

export interface Metrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status_code'>;
  cacheRequests: client.Counter<'result'>;
  cacheErrors: client.Counter<'op'>;
  cacheL1Hits: client.Counter;
  breakerState: client.Gauge;
  shed: client.Counter<'reason'>;
  /** httpDuration.observe through a cached child per (method, route, status): no label hashing per request. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
}

/** One registry per app instance (tests start several), so nothing leaks through prom-client's global registry. */
export function createMetrics(poolStats: () => PoolStats[]): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template (not raw URL, to bound cardinality)',
    labelNames: ['method', 'route', 'status_code'] as const,
    // Buckets around the SLO (p99 < 100 ms) and our target (< 10 ms).
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const cacheRequests = new client.Counter({
    name: 'cache_requests_total',
    help: 'Product cache look-ups by result: hit, negative_hit (cached 404), miss, bypass (breaker open or error)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const cacheErrors = new client.Counter({
    name: 'cache_errors_total',
    help: 'Cache operations that failed (Redis unreachable or slow)',
    labelNames: ['op'] as const,
    registers: [registry],
  });
  const cacheL1Hits = new client.Counter({
    name: 'cache_l1_hits_total',
    help: 'Hits answered by the in-process L1 in front of Redis (a subset of cache_requests_total hits)',
    registers: [registry],
  });
  const breakerState = new client.Gauge({
    name: 'cache_circuit_open',
    help: '1 while the Redis circuit breaker is open (cache bypassed), else 0',
    registers: [registry],
  });
  const shed = new client.Counter({
    name: 'http_requests_shed_total',
    help: 'Requests refused with 503 to protect the process (load shedding, draining, timeouts)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new client.Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by pool (primary, read) and state (total, idle, waiting clients)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const s of poolStats()) {
        this.set({ pool: s.pool, state: 'total' }, s.total);
        this.set({ pool: s.pool, state: 'idle' }, s.idle);
        this.set({ pool: s.pool, state: 'waiting' }, s.waiting);
      }
    },
  });
  const httpChildren = new Map<string, client.Histogram.Internal<'method' | 'route' | 'status_code'>>();
  const observeHttp = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = httpChildren.get(key);
    if (!child) httpChildren.set(key, (child = httpDuration.labels(method, route, String(status))));
    child.observe(seconds);
  };
  return { registry, httpDuration, cacheRequests, cacheErrors, cacheL1Hits, breakerState, shed, observeHttp };
}
