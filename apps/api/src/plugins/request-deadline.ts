import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { outcomeUnknownProblem } from '../db-errors';
import type { Metrics } from '../metrics';
import { RETRY_AFTER_SECONDS, sendProblem } from './problem';
import { withFirst } from './route-hooks';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() by which the request must have been answered. */
    deadline?: number;
    /** Set once the body has been received (preValidation): a timeout before it is the client's (408). */
    bodyPhase?: boolean;
  }
}

/**
 * REQUEST_TIMEOUT_MS per request. One sweeper timer over the in-flight requests (load-shedding's set) instead of a
 * timer per request keeps the hot path cheap; a request is answered at most one sweep interval after its deadline:
 * 408 while its body is still arriving (the client is slow), 504 with outcome unknown for a write that may yet
 * commit, 503 for a read.
 */
export default fp<{ requestTimeoutMs: number; metrics: Metrics }>(
  async (app, { requestTimeoutMs, metrics }) => {
    const inflight = app.inflight;
    const sweepMs = Math.max(10, Math.min(100, Math.floor(requestTimeoutMs / 4)));
    const sweeper = setInterval(() => {
      const now = performance.now();
      for (const reply of inflight) {
        if (reply.request.raw.socket?.destroyed) {
          inflight.delete(reply); // its client went away: no answer to give (load-shedding.ts)
          continue;
        }
        if ((reply.request.deadline ?? Infinity) > now) continue;
        inflight.delete(reply);
        if (reply.sent) continue;
        const req = reply.request;
        metrics.shed.inc({ reason: 'timeout' });
        if (!req.bodyPhase && req.method !== 'GET' && req.method !== 'HEAD') {
          void sendProblem(reply, 408, 'Request Timeout', `the request body was not received within ${requestTimeoutMs} ms`, {}, { connection: 'close' });
        } else if (req.method !== 'GET' && req.method !== 'HEAD') {
          // A write still running may yet commit: say so (504), never claim it failed.
          const p = outcomeUnknownProblem(`the request did not complete within ${requestTimeoutMs} ms`);
          void sendProblem(reply, p.status, p.title, p.detail, p.extra, { 'retry-after': RETRY_AFTER_SECONDS });
        } else {
          void sendProblem(reply, 503, 'Service Unavailable', `the request did not complete within ${requestTimeoutMs} ms`);
        }
      }
    }, sweepMs);
    sweeper.unref();
    app.addHook('onClose', async () => clearInterval(sweeper));

    app.addHook('onRequest', (req, _reply, done) => {
      req.deadline = performance.now() + requestTimeoutMs;
      done();
    });
    // Only routes that take a body need to know when it arrived: a GET pays no hook for it.
    const bodyReceived = (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      req.bodyPhase = true;
      done();
    };
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (methods.every((m) => m === 'GET' || m === 'HEAD')) return;
      route.preValidation = withFirst(route.preValidation, bodyReceived);
    });
  },
  { name: 'request-deadline', fastify: '5.x', dependencies: ['problem', 'load-shedding'] },
);
