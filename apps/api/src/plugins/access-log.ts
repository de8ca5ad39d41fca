import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { flushLogs } from '../log-stream';

declare module 'fastify' {
  interface FastifyRequest {
    startedAt?: bigint;
  }
}

/** The request URL for the access log, with token-like query values (RFC 6750 §2.3 `access_token`) blanked. */
export function loggableUrl(url: string): string {
  return url.includes('token=') ? url.replace(/([?&][^=&]*token=)[^&]*/gi, '$1[redacted]') : url;
}

/** Seconds since the request arrived (0 if it was refused before the clock started). */
export function elapsedSeconds(req: FastifyRequest): number {
  return req.startedAt ? Number(process.hrtime.bigint() - req.startedAt) / 1e9 : 0;
}

/**
 * One access-log line per request (Fastify's own request logging is off, see app.ts), with the request id echoed
 * back as `x-request-id` (taken from a valid incoming one, see genReqId). Its clock starts first, so every answer,
 * shed ones included, carries the id and a duration.
 */
export default fp(
  async (app) => {
    app.addHook('onRequest', (req, reply, done) => {
      req.startedAt = process.hrtime.bigint();
      reply.header('x-request-id', req.id);
      done();
    });
    app.addHook('onResponse', (req, reply, done) => {
      const route = req.routeOptions.url ?? 'unmatched';
      req.log.info({ method: req.method, url: loggableUrl(req.url), route, statusCode: reply.statusCode, ms: Math.round(elapsedSeconds(req) * 1e4) / 10 }, 'request');
      // Who changed what, who was refused, what failed: out at once, not with the next batch (log-stream.ts).
      if ((req.method !== 'GET' && req.method !== 'HEAD') || reply.statusCode === 401 || reply.statusCode === 403 || reply.statusCode >= 500) flushLogs();
      done();
    });
  },
  { name: 'access-log', fastify: '5.x' },
);
