import path from 'node:path';
import { all, guardrailErrors, only, runExample } from './testing';

const careless = path.join(__dirname, '../test/fixtures/untagged-bucket-example.ts');

describe('@awp/guardrails/testing', () => {
  const json = { resource: { aws_s3_bucket: { a: { bucket: 'a' }, b: { bucket: 'b' } }, aws_vpc: { v: { cidr_block: '10.0.0.0/16' } } }, data: { http: { ns: { url: 'u' } } } };

  it('all lists the blocks of a type (none for a missing type), resources by default, data sources with kind', () => {
    expect(all(json, 'aws_s3_bucket').map((b) => b.bucket)).toEqual(['a', 'b']);
    expect(all(json, 'aws_kms_key')).toEqual([]);
    expect(all({}, 'aws_vpc')).toEqual([]);
    expect(all(json, 'http', 'data')).toEqual([{ url: 'u' }]);
  });

  it('only returns the one block and refuses none or several, naming the type', () => {
    expect(only(json, 'aws_vpc')).toEqual({ cidr_block: '10.0.0.0/16' });
    expect(() => only(json, 'aws_s3_bucket')).toThrow('expected one aws_s3_bucket, found 2');
    expect(() => only(json, 'http')).toThrow('expected one http, found 0');
    expect(only(json, 'http', 'data')).toEqual({ url: 'u' });
  });

  it('runExample fails when the example does (its own assertClean on a guardrail error)', () => {
    expect(() => runExample(careless)).toThrow(/AWP-/);
  });

  it('guardrailErrors reports the error findings of a synthesized stack', () => {
    process.env.ASSERT_CLEAN = 'false';
    try {
      const stacks = runExample(careless);
      expect(Object.keys(stacks)).toEqual(['careless']);
      expect(guardrailErrors('careless', stacks.careless).length).toBeGreaterThan(0);
    } finally {
      delete process.env.ASSERT_CLEAN;
    }
  });
});
