import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cognitoDomainPrefix } from '@awp/config';
import { validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const raw = (name: string) => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));

/** Validates a modified copy and returns the problems as "path: message" lines. */
function problems(env: unknown): string[] {
  return validateEnvironment(env, 'environments/x.json').problems.map((p) => `${p.path}: ${p.message}`);
}
const EXTERNAL = { mode: 'external', issuer: 'https://login.example.com/tenant', audience: ['catalogue-api'] };

describe('identity section of the environment schema', () => {
  it('defaults to a production-safe Cognito issuer', () => {
    const env = raw('staging');
    delete env.identity;
    const { config } = validateEnvironment(env, 'staging.json');
    expect(config?.identity).toEqual({ mode: 'cognito', featurePlan: 'PLUS', threatProtection: 'ENFORCED', deletionProtection: true, accessTokenValidityMinutes: 60, clients: [{ name: 'catalogue-writer' }] });
    expect(config && cognitoDomainPrefix(config)).toBe('staging-auth-222222222222');
  });

  it('accepts an external issuer with its defaults (aud claim, catalogue:write)', () => {
    const env = raw('prod');
    env.identity = EXTERNAL;
    const { config, problems: found } = validateEnvironment(env, 'prod.json');
    expect(found).toEqual([]);
    expect(config?.identity).toEqual({ ...EXTERNAL, audienceClaim: 'aud', writeScope: 'catalogue:write' });
  });

  it('refuses threat protection without the Plus plan', () => {
    const env = raw('dev');
    env.identity.threatProtection = 'AUDIT';
    expect(problems(env)).toEqual(['identity.threatProtection: expected "OFF" with featurePlan "ESSENTIALS": threat protection needs the PLUS feature plan, got "AUDIT"']);
  });

  it('refuses token lifetimes outside 5-60 minutes and duplicate clients', () => {
    const env = raw('dev');
    env.identity.accessTokenValidityMinutes = 61;
    env.identity.clients = [{ name: 'writer' }, { name: 'writer' }];
    expect(problems(env)).toEqual([expect.stringMatching(/^identity\.accessTokenValidityMinutes: /), 'identity.clients[1].name: expected unique client names, "writer" appears twice']);
  });

  it('refuses a Cognito domain prefix with a reserved word, also when derived from the environment name', () => {
    const env = raw('dev');
    env.identity.domainPrefix = 'shop-amazon-auth';
    expect(problems(env)).toEqual(['identity.domainPrefix: expected a prefix without "amazon" (Cognito refuses prefix domains containing aws, amazon or cognito), got "shop-amazon-auth"']);
    delete env.identity.domainPrefix;
    env.name = 'aws-dev';
    expect(problems(env)).toEqual([expect.stringMatching(/^identity\.domainPrefix: expected a prefix without "aws".*"aws-dev-auth-111111111111" \(the default <env>-auth-<account id>; set identity\.domainPrefix\)$/)]);
    env.identity.domainPrefix = 'shop-dev-auth';
    expect(problems(env)).toEqual([]);
  });

  it('requires enforced threat protection and deletion protection of a prod Cognito pool', () => {
    const env = raw('prod');
    env.identity = { mode: 'cognito', threatProtection: 'AUDIT', deletionProtection: false };
    expect(problems(env)).toEqual([
      'identity.threatProtection: expected "ENFORCED" in prod (with featurePlan "PLUS"), got "AUDIT"',
      'identity.deletionProtection: expected true: a deleted prod user pool takes every client id and secret with it',
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an http issuer', { issuer: 'http://login.example.com' }, 'identity.issuer: expected an https URL (tokens from a plain-http issuer can be forged in transit), got "http://login.example.com"'],
    ['an issuer with a fragment', { issuer: 'https://login.example.com/#x' }, 'identity.issuer: expected no query or fragment (an issuer identifier has neither), got "https://login.example.com/#x"'],
    ['an issuer not in normal form', { issuer: 'https://login.example.com/a/../t' }, 'identity.issuer: expected the URL in normalized form, exactly as the tokens\' "iss" claim carries it: got "https://login.example.com/a/../t", which parses as "https://login.example.com/t"'],
    ['no audience', { audience: [] }, 'identity.audience: Too small: expected array to have >=1 items'],
    ['an audience with a comma', { audience: ['a,b'] }, 'identity.audience[0]: expected an audience value without commas or spaces (the pods receive the list comma-separated)'],
    ['a claim name with a space', { audienceClaim: 'client id' }, 'identity.audienceClaim: expected a claim name like "aud" or "client_id"'],
    ['a scope with a space', { writeScope: 'catalogue write' }, 'identity.writeScope: expected one OAuth scope token (printable ASCII, no spaces, quotes or backslashes), got "catalogue write"'],
    ['a Cognito field', { featurePlan: 'PLUS' }, 'identity: unknown field "featurePlan"'],
  ])('refuses %s for an external issuer, naming the field', (_what, patch, message) => {
    const env = raw('dev');
    env.identity = { ...EXTERNAL, ...patch };
    expect(problems(env)).toEqual([message]);
  });
});
