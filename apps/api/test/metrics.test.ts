import client from 'prom-client';
import { HTTP_BUCKETS, RequestDurations, createMetrics } from '../src/metrics';

// The hot-path metrics (src/metrics.ts) are written without prom-client's per-call label work; what a scrape
// shows must be exactly what prom-client would have shown.

const OBSERVATIONS: [string, string, number, number][] = [
  ['GET', '/v1/products/:id', 200, 0.0004],
  ['GET', '/v1/products/:id', 200, 0.001], // on a bucket's bound: counted in that bucket (le)
  ['GET', '/v1/products/:id', 200, 0.0031],
  ['GET', '/v1/products/:id', 404, 0.002],
  ['POST', '/v1/products', 201, 0.7],
  ['GET', 'unmatched', 404, 9], // above the last bound: +Inf only
];

test('http_request_duration_seconds renders exactly as a prom-client Histogram with the same observations', async () => {
  const ours = new client.Registry();
  const durations = new RequestDurations();
  ours.registerMetric(durations as unknown as client.Metric);
  const theirs = new client.Registry();
  const h = new client.Histogram({ name: durations.name, help: durations.help, labelNames: ['method', 'route', 'status_code'], buckets: HTTP_BUCKETS, registers: [theirs] });
  for (const [m, r, s, v] of OBSERVATIONS) {
    durations.observe(m, r, s, v);
    h.observe({ method: m, route: r, status_code: String(s) }, v);
  }
  const text = await ours.metrics();
  expect(text).toBe(await theirs.metrics());
  expect(text).toContain('http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/products/:id",status_code="200"} 2');
  expect(text).toContain('http_request_duration_seconds_bucket{le="5",method="GET",route="unmatched",status_code="404"} 0');
  expect(text).toContain('http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 1');
  durations.reset();
  expect(await ours.metrics()).not.toContain('_bucket');
});

test('cache counters counted on the hot path appear at the next scrape, once', async () => {
  const m = createMetrics(() => []);
  for (let i = 0; i < 3; i++) m.countCacheRequest('hit');
  m.countCacheRequest('miss');
  m.countL1Hit();
  m.countL1Hit();
  let text = await m.registry.metrics();
  expect(text).toContain('cache_requests_total{result="hit"} 3');
  expect(text).toContain('cache_requests_total{result="miss"} 1');
  expect(text).toContain('cache_l1_hits_total 2');
  m.countCacheRequest('hit');
  text = await m.registry.metrics();
  expect(text).toContain('cache_requests_total{result="hit"} 4'); // added once, not again
  expect(text).toContain('cache_l1_hits_total 2');
});
