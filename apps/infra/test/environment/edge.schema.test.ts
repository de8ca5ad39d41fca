import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const raw = (name: string) => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));

/** Validates a modified copy and returns the problems as "path: message" lines. */
function problems(env: unknown): string[] {
  return validateEnvironment(env, 'environments/x.json').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('edge and domain sections of the environment schema', () => {
  it('fills production-safe edge defaults', () => {
    const env = raw('staging');
    delete env.edge;
    const { config } = validateEnvironment(env, 'staging.json');
    expect(config?.edge).toEqual({
      wafRateLimit: 2000,
      botControl: false,
      maxRequestBodyBytes: 65536,
      priceClass: 'PriceClass_100',
      deletionProtection: true,
      dnssec: true,
      logRetentionDays: 365,
    });
    expect(config?.domain.delegationResolverUrl).toBe('https://dns.google/resolve');
  });

  it('accepts every environment file as it is', () => {
    for (const name of ['dev', 'staging', 'prod']) expect(problems(raw(name))).toEqual([]);
  });

  it('refuses a log retention CloudWatch does not offer', () => {
    const env = raw('dev');
    env.edge.logRetentionDays = 45;
    expect(problems(env)).toEqual([expect.stringMatching(/^edge\.logRetentionDays: /)]);
  });

  it('refuses a body limit WAF cannot inspect, naming the field', () => {
    const env = raw('dev');
    env.edge.maxRequestBodyBytes = 65537;
    expect(problems(env)).toEqual(['edge.maxRequestBodyBytes: expected at most 65536: WAF inspects at most 64 KB of a CloudFront request body']);
  });

  it('has no origin secret settings any more (the ALB is a VPC origin): a file that still sets them is refused by name', () => {
    const env = raw('dev');
    env.edge.originSecretVersion = 2;
    expect(problems(env)).toEqual([expect.stringMatching(/^edge: .*originSecretVersion/)]);
  });

  it('refuses a delegation resolver that is not an https URL', () => {
    const env = raw('dev');
    env.domain.delegationResolverUrl = 'http://dns.google/resolve';
    expect(problems(env)).toEqual(['domain.delegationResolverUrl: expected an https URL without a query, like https://dns.google/resolve']);
    env.domain.delegationResolverUrl = 'https://cloudflare-dns.com/dns-query';
    expect(problems(env)).toEqual([]);
  });

  it('refuses a looked-up zone that does not contain the site name', () => {
    const env = raw('dev');
    env.domain.hostedZone = { mode: 'lookup', name: 'example.org' };
    expect(problems(env)).toEqual(['domain.hostedZone.name: expected a zone containing "dev.shop.example.com" (its parent domain or the name itself), got "example.org"']);
    env.domain.hostedZone = { mode: 'lookup', name: 'shop.example.com' };
    expect(problems(env)).toEqual([]);
    // A suffix that is not a label boundary is not a parent zone.
    env.domain.hostedZone = { mode: 'lookup', name: 'p.example.com' };
    expect(problems(env)).toEqual([expect.stringMatching(/^domain\.hostedZone\.name: expected a zone containing/)]);
  });
});
