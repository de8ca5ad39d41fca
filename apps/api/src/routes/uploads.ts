import fs from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { sendProblem } from '../plugins/problem';
import { IMAGE_TYPES, type LocalStorage } from '../storage';

/**
 * Embedded mode only: this process is the "S3" (an HMAC-signed PUT, the target of the presigned URL) and the "CDN"
 * (GET) for product images. Not in the OpenAPI document. Its own scope: the image content-type parser (with
 * MAX_IMAGE_BYTES as the body limit) applies to these routes only.
 */
const uploadRoutes: FastifyPluginAsync<{ storage: LocalStorage; maxImageBytes: number }> = async (app, { storage: local, maxImageBytes }) => {
  app.addContentTypeParser(Object.keys(IMAGE_TYPES), { parseAs: 'buffer', bodyLimit: maxImageBytes }, (_req, body, done) => done(null, body));
  app.put<{ Params: { '*': string }; Querystring: { expires?: string; sig?: string } }>('/uploads/*', { schema: { hide: true } }, async (req, reply) => {
    const key = req.params['*'];
    const body = req.body as Buffer;
    if (!Buffer.isBuffer(body)) return sendProblem(reply, 415, 'Unsupported Media Type', `send one of ${Object.keys(IMAGE_TYPES).join(', ')}`);
    const why = local.verify(key, String(req.headers['content-type']), body.length, Number(req.query.expires), String(req.query.sig ?? ''));
    if (why) return sendProblem(reply, 403, 'Forbidden', why);
    await local.write(key, body);
    return reply.code(200).send({ key, size: body.length });
  });
  app.get<{ Params: { '*': string } }>('/uploads/*', { schema: { hide: true } }, async (req, reply) => {
    const key = req.params['*'];
    const ext = key.split('.').pop() ?? '';
    const type = Object.entries(IMAGE_TYPES).find(([, e]) => e === ext)?.[0];
    const file = local.filePath(key);
    if (!type || !/^products\//.test(key) || key.includes('..') || !fs.existsSync(file)) {
      return sendProblem(reply, 404, 'Not Found', 'no such image');
    }
    return reply.type(type).header('cache-control', 'public, max-age=31536000, immutable').send(fs.createReadStream(file));
  });
};
export default uploadRoutes;
