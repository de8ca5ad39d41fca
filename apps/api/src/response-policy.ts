import type { FastifyInstance } from 'fastify';

/**
 * Cache rules every response follows, whatever produced it (route, validation, 404, shedding, timeout):
 *  - a response to a request that carried `Authorization` is the caller's own: `private, no-store`, so neither
 *    CloudFront (which forwards the header to the origin) nor any shared cache keeps it;
 *  - an error is never stored anywhere (`no-store`): a cached 4xx/5xx would be served to everyone (issue 17, item 8).
 */
export function installResponsePolicy(app: FastifyInstance): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.headers.authorization !== undefined) reply.header('cache-control', 'private, no-store');
    else if (reply.statusCode >= 400) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
