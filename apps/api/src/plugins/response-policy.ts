import fp from 'fastify-plugin';
import type { AppState } from '../app';

/**
 * Response rules every answer follows, whatever produced it (route, validation, 404, shedding, timeout):
 *  - a response to a request that carried `Authorization` is the caller's own: `private, no-store`, so neither
 *    CloudFront (which forwards the header to the origin) nor any shared cache keeps it;
 *  - an error is never stored anywhere (`no-store`): a cached 4xx/5xx would be served to everyone (issue 17, item 8);
 *  - draining (SIGTERM, see main.ts): the listener is closed; a request still arriving on an open keep-alive
 *    connection is served, and the connection closed after its response, so clients move to another pod without
 *    seeing an error (hence Fastify's return503OnClosing is off).
 */
export default fp<{ state: AppState }>(
  async (app, { state }) => {
    app.addHook('onSend', (req, reply, payload, done) => {
      if (state.draining) reply.header('connection', 'close');
      if (req.headers.authorization !== undefined) reply.header('cache-control', 'private, no-store');
      else if (reply.statusCode >= 400) reply.header('cache-control', 'no-store');
      done(null, payload);
    });
  },
  { name: 'response-policy', fastify: '5.x' },
);
