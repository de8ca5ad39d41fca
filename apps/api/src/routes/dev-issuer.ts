import type { FastifyPluginAsync } from 'fastify';
import { DEV_ISSUER_PATH, type DevIssuer } from '../auth/dev-issuer';

/**
 * Embedded mode's dev issuer: its public keys and discovery document. Dev-only paths, hidden from the API contract;
 * registered only while the dev issuer runs.
 */
const devIssuerRoutes: FastifyPluginAsync<{ dev: DevIssuer; writeScope: string }> = async (app, { dev, writeScope }) => {
  app.get(`${DEV_ISSUER_PATH}/.well-known/jwks.json`, { schema: { hide: true } }, async (_req, reply) => reply.header('cache-control', 'no-store').send(dev.jwks));
  app.get(`${DEV_ISSUER_PATH}/.well-known/openid-configuration`, { schema: { hide: true } }, async () => dev.discovery(writeScope));
};
export default devIssuerRoutes;
