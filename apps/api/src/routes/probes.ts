import type { FastifyPluginAsync } from 'fastify';
import type { AppState } from '../app';
import type { Cache } from '../cache';
import type { Db } from '../db';
import { RETRY_AFTER_SECONDS, sendProblem } from '../plugins/problem';

export interface ProbeOptions {
  db: Db;
  cache: Cache;
  state: AppState;
  /** READY_REQUIRES_DATABASE. */
  readyRequiresDatabase: boolean;
}

/** Kubernetes probes, hidden from the API contract (operational). */
const probeRoutes: FastifyPluginAsync<ProbeOptions> = async (app, { db, cache, state, readyRequiresDatabase }) => {
  // Liveness: the event loop answers. Never shed (load-shedding exempts it).
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    if (state.draining) return sendProblem(reply, 503, 'Service Unavailable', 'draining');
    const [dbOk, cacheHealth] = await Promise.all([
      db.ping().then(() => true, () => false),
      cache.health(),
    ]);
    const body = { status: dbOk ? (cacheHealth === 'ok' ? 'ok' : 'degraded') : readyRequiresDatabase ? 'unavailable' : 'degraded', database: dbOk ? 'ok' : 'down', cache: cacheHealth === 'ok' ? 'ok' : 'down' };
    // A dead cache only degrades (reads fall back to the database). A dead database makes the pod unready,
    // unless READY_REQUIRES_DATABASE=false keeps it in rotation to serve cached reads (see README).
    const ready = dbOk || !readyRequiresDatabase;
    if (!ready) reply.header('retry-after', RETRY_AFTER_SECONDS);
    return reply.code(ready ? 200 : 503).send(body);
  });
};
export default probeRoutes;
