import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import type { AuthConfig } from '../auth/config';
import { securitySchemes } from './auth';

/**
 * The OpenAPI 3.0.3 document of the `/v1` API (@fastify/swagger): built from the routes' own schemas, so register
 * it before them; routes with `hide: true` (probes, metrics, uploads, dev issuer) are not part of the contract.
 * Shared schemas keep their `$id` as the component name. Served by routes/openapi.ts.
 */
export default fp<{ auth: AuthConfig }>(
  async (app, { auth }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'Catalogue API', version: '1.0.0', description: 'Product catalogue of the AWS web platform.' },
        servers: [{ url: '/' }],
        components: { securitySchemes: securitySchemes(auth) },
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    });
  },
  { name: 'swagger', fastify: '5.x' },
);
