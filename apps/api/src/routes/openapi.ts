import type { FastifyPluginAsync } from 'fastify';

/** `GET /openapi.json`: the document plugins/swagger.ts builds (what schemathesis fuzzes). */
const openapiRoutes: FastifyPluginAsync = async (app) => {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
export default openapiRoutes;
