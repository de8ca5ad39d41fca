/**
 * The CloudFront Function (cloudfront-js-2.0, viewer request) on the API behaviour: it maps the public
 * `<prefix>/…` path onto the service's own paths (`/api/v1/products` → `/v1/products`) and answers 404 for the
 * service's internal endpoints (metrics, readiness), which must never be reachable from the internet.
 * The code is generated from data, so a test can run it in Node exactly as CloudFront would.
 */
export function apiViewerRequestFunctionCode(prefix: string, blockedPaths: readonly string[]): string {
  if (!/^\/[a-z0-9-]+$/.test(prefix)) throw new Error(`apiPathPrefix: expected a single path segment like "/api", got "${prefix}"`);
  for (const p of blockedPaths) {
    if (!/^\/[A-Za-z0-9._/-]*$/.test(p)) throw new Error(`blockedApiPaths: expected absolute paths like "/metrics", got "${p}"`);
  }
  return [
    `var PREFIX = ${JSON.stringify(prefix)};`,
    `var BLOCKED = ${JSON.stringify(blockedPaths.map((p) => p.toLowerCase()))};`,
    'function handler(event) {',
    '  var request = event.request;',
    '  var uri = request.uri.substring(PREFIX.length);',
    "  if (uri === '' || uri.charAt(0) !== '/') uri = '/' + uri;",
    // Compare a normalised form (decoded, single slashes, lower case) so /METRICS, //metrics or %6Detrics cannot slip through.
    '  var check;',
    '  try { check = decodeURIComponent(uri); } catch (e) {',
    "    return { statusCode: 400, statusDescription: 'Bad Request' };",
    '  }',
    "  check = check.replace(/\\/+/g, '/').toLowerCase();",
    "  if (check.length > 1 && check.charAt(check.length - 1) === '/') check = check.substring(0, check.length - 1);",
    '  for (var i = 0; i < BLOCKED.length; i++) {',
    "    if (check === BLOCKED[i] || check.indexOf(BLOCKED[i] + '/') === 0) {",
    "      return { statusCode: 404, statusDescription: 'Not Found' };",
    '    }',
    '  }',
    '  request.uri = uri;',
    '  return request;',
    '}',
    '',
  ].join('\n');
}
