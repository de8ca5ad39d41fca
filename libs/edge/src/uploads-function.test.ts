import { runInNewContext } from 'node:vm';
import { uploadsViewerRequestFunctionCode } from './uploads-function';

interface Result {
  uri?: string;
  statusCode?: number;
}

/** Runs the generated code as CloudFront would: a `handler(event)` function in its own context. */
function run(uri: string, prefix = '/uploads'): Result {
  const code = uploadsViewerRequestFunctionCode(prefix);
  const sandbox: { event: unknown; result?: Result } = { event: { request: { uri, method: 'GET', querystring: {}, headers: {} } } };
  runInNewContext(`${code}\nresult = handler(event);`, sandbox);
  return sandbox.result as Result;
}

describe('uploads viewer-request function', () => {
  it('maps /uploads/<key> onto the object key at the bucket top level', () => {
    const key = 'products/3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c/0123456789abcdef0123456789abcdef.webp';
    expect(run(`/uploads/${key}`).uri).toBe(`/${key}`);
    expect(run('/uploads//products/x.png').uri).toBe('/products/x.png');
    expect(run('/media/products/x.png', '/media').uri).toBe('/products/x.png');
  });

  it.each(['/uploads/', '/uploads//', '/uploads/products/'])('answers 404 at the edge for %s (no key, nothing to list)', (uri) => {
    expect(run(uri)).toEqual({ statusCode: 404, statusDescription: 'Not Found' });
  });

  it('refuses a prefix it cannot embed safely', () => {
    expect(() => uploadsViewerRequestFunctionCode('/up"; evil()')).toThrow(/uploadsPathPrefix/);
    expect(() => uploadsViewerRequestFunctionCode('/a/b')).toThrow(/single path segment/);
  });
});
