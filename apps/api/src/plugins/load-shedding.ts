import fp from 'fastify-plugin';
import type { FastifyReply } from 'fastify';
import type { Metrics } from '../metrics';
import { LoadGuard } from '../pressure';
import { sendProblem } from './problem';

declare module 'fastify' {
  interface FastifyInstance {
    /** The requests being answered (health checks included). The request-deadline sweeper walks it. */
    inflight: Set<FastifyReply>;
  }
}

export interface LoadSheddingOptions {
  /** MAX_EVENT_LOOP_DELAY_MS (0 = off). */
  maxEventLoopDelayMs: number;
  /** MAX_INFLIGHT. */
  maxInflight: number;
  metrics: Metrics;
}

/**
 * Overload protection: 503 + Retry-After instead of queueing into collapse. `/healthz` is never shed.
 * Registered after the problem and access-log plugins, before everything else that runs per request.
 */
export default fp<LoadSheddingOptions>(
  async (app, { maxEventLoopDelayMs, maxInflight, metrics }) => {
    // 1: event-loop delay (CPU saturation) → 503 before latency collapses, only when the delay is this process'
    // own doing: a slow machine is no reason to refuse cached reads (pressure.ts). Sampling starts at listen.
    const guard = new LoadGuard(maxEventLoopDelayMs);
    app.addHook('onListen', (done) => {
      guard.start();
      done();
    });
    app.addHook('onClose', async () => guard.stop());
    // 2: a hard cap on concurrent requests. A request leaves the set when its response is sent (onResponse), or,
    // if its client went away first, at the next sweep of the request-deadline plugin (socket destroyed). No
    // listener per request: adding and removing one was ~3 µs of a ~110 µs cached read.
    const inflight = new Set<FastifyReply>();
    app.decorate('inflight', inflight);
    app.addHook('onResponse', (_req, reply, done) => {
      inflight.delete(reply);
      done();
    });
    // One onRequest hook for both rules (a hook call per request each costs more than the checks).
    app.addHook('onRequest', (req, reply, done) => {
      if (req.url !== '/healthz') {
        if (guard.shedding) {
          metrics.shed.inc({ reason: 'pressure_eventLoopDelay' });
          void sendProblem(reply, 503, 'Service Unavailable', 'the service is overloaded; retry later');
          return;
        }
        if (inflight.size >= maxInflight) {
          metrics.shed.inc({ reason: 'inflight' });
          void sendProblem(reply, 503, 'Service Unavailable', 'too many requests in flight; retry later');
          return;
        }
      }
      inflight.add(reply);
      done();
    });
  },
  { name: 'load-shedding', fastify: '5.x', dependencies: ['problem'] },
);
