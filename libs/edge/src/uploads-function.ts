/**
 * The CloudFront Function (cloudfront-js-2.0, viewer request) on the uploads behaviour. The service stores images
 * at the bucket's top level (`products/<id>/<random>.<ext>`) and hands out `<CDN_BASE_URL>/<key>` with
 * `CDN_BASE_URL = https://<domain><prefix>`; CloudFront forwards the whole path to the origin, so the prefix is
 * stripped here (`/uploads/products/…` → `/products/…`). A path with no key (`/uploads/`) is answered 404 at the
 * edge: nothing to list. The code is generated from data, so a test can run it in Node exactly as CloudFront would.
 */
export function uploadsViewerRequestFunctionCode(prefix: string): string {
  if (!/^\/[a-z0-9-]+$/.test(prefix)) throw new Error(`uploadsPathPrefix: expected a single path segment like "/uploads", got "${prefix}"`);
  return [
    `var PREFIX = ${JSON.stringify(prefix)};`,
    'function handler(event) {',
    '  var request = event.request;',
    '  var key = request.uri.substring(PREFIX.length).replace(/^\\/+/, "");',
    "  if (key === '' || key.charAt(key.length - 1) === '/') {",
    "    return { statusCode: 404, statusDescription: 'Not Found' };",
    '  }',
    "  request.uri = '/' + key;",
    '  return request;',
    '}',
    '',
  ].join('\n');
}
