import { runInNewContext } from 'node:vm';
import { apiViewerRequestFunctionCode } from './api-function';

interface Result {
  uri?: string;
  statusCode?: number;
  querystring?: unknown;
}

/** Runs the generated code as CloudFront would: a `handler(event)` function in its own context. */
function run(uri: string): Result {
  const code = apiViewerRequestFunctionCode('/api', ['/metrics', '/readyz']);
  const sandbox: { event: unknown; result?: Result } = { event: { request: { uri, method: 'GET', querystring: { a: { value: '1' } }, headers: {} } } };
  runInNewContext(`${code}\nresult = handler(event);`, sandbox);
  return sandbox.result as Result;
}

describe('API viewer-request function', () => {
  it('strips the public prefix and keeps the rest of the request', () => {
    expect(run('/api/v1/products')).toMatchObject({ uri: '/v1/products', querystring: { a: { value: '1' } } });
    expect(run('/api/openapi.json').uri).toBe('/openapi.json');
    expect(run('/api/').uri).toBe('/');
  });

  it.each(['/api/metrics', '/api/readyz', '/api/METRICS', '/api//metrics', '/api/%6Detrics', '/api/metrics/', '/api/metrics/x'])('hides the internal endpoint %s', (uri) => {
    expect(run(uri)).toEqual({ statusCode: 404, statusDescription: 'Not Found' });
  });

  it('does not hide paths that merely start with the same letters', () => {
    expect(run('/api/metricsfoo').uri).toBe('/metricsfoo');
  });

  it('answers 400 to undecodable paths', () => {
    expect(run('/api/%E0%A4%A').statusCode).toBe(400);
  });

  it('refuses prefixes and paths it cannot embed safely', () => {
    expect(() => apiViewerRequestFunctionCode('api', [])).toThrow(/apiPathPrefix/);
    expect(() => apiViewerRequestFunctionCode('/api', ['metrics"; evil()'])).toThrow(/blockedApiPaths/);
  });
});
