import fp from 'fastify-plugin';
import type { Metrics } from '../metrics';
import { elapsedSeconds } from './access-log';

/**
 * HTTP metrics: `http_request_duration_seconds{method,route,status_code}` for every answer (route templates, so the
 * cardinality is bounded; `unmatched` for 404s), and the Prometheus endpoint `GET /metrics` (hidden from the API
 * contract: operational). The registry itself (`src/metrics.ts`) is shared with the cache and the pools.
 */
export default fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    app.addHook('onResponse', (req, reply, done) => {
      metrics.observeHttp(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, elapsedSeconds(req));
      done();
    });
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['access-log'] },
);
