import { readFileSync } from 'node:fs';
import path from 'node:path';
import { domainSettings, edgeSettings } from '@awp/edge';
import { validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const raw = (name: string) => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));

/** Validates a modified copy and returns the problems as "path: message" lines. */
function problems(env: unknown): string[] {
  return validateEnvironment(env, 'environments/x.json').problems.map((p) => `${p.path}: ${p.message}`);
}

/**
 * The sections themselves (every default, one negative test per rule) are tested beside them, in
 * libs/edge/src/settings.test.ts; here: that the assembled schema takes them as they are, with the file's paths.
 */
describe('edge and domain sections of the environment schema', () => {
  it('fills the edge section from its own defaults (libs/edge settings.ts) when a file leaves it out', () => {
    const env = raw('staging');
    delete env.edge;
    const { config } = validateEnvironment(env, 'staging.json');
    expect(config?.edge).toEqual(edgeSettings.parse({}));
    expect(config?.domain).toEqual(domainSettings.parse(env.domain));
  });

  it('accepts every environment file as it is', () => {
    for (const name of ['dev', 'staging', 'prod']) expect(problems(raw(name))).toEqual([]);
  });

  it('reports a section rule at the file\'s field path (edge.…, domain.…)', () => {
    const env = raw('dev');
    env.edge.writeRateLimit = 60000;
    env.domain.hostedZone = { mode: 'lookup', name: 'example.org' };
    expect(problems(env)).toEqual([
      'domain.hostedZone.name: expected a zone containing "dev.shop.example.com" (its parent domain or the name itself), got "example.org"',
      'edge.writeRateLimit: expected at most readRateLimit (50000): every request counts towards it, got 60000',
    ]);
  });

  it('has no origin secret settings any more (the ALB is a VPC origin): a file that still sets them is refused by name', () => {
    const env = raw('dev');
    env.edge.originSecretVersion = 2;
    expect(problems(env)).toEqual([expect.stringMatching(/^edge: .*originSecretVersion/)]);
  });
});
