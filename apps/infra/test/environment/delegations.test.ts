import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigError } from '@awp/config';
import { loadEnvironment, loadEnvironments, validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const raw = (name: string) => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));
const problems = (env: unknown) => validateEnvironment(env, 'environments/x.json').problems.map((p) => `${p.path}: ${p.message}`);
const NS = ['ns-1111.awsdns-11.org', 'ns-2222.awsdns-22.co.uk', 'ns-333.awsdns-33.com', 'ns-444.awsdns-44.net'];

/** The three environment files in a scratch folder, prod's edited by `edit`. */
function envDir(edit: (prod: any) => void = () => undefined): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'awp-delegations-'));
  for (const f of ['dev.json', 'staging.json']) copyFileSync(path.join(ENV_DIR, f), path.join(dir, f));
  const prod = raw('prod');
  edit(prod);
  writeFileSync(path.join(dir, 'prod.json'), JSON.stringify(prod));
  return dir;
}

function loadError(names: string[] | undefined, dir: string): ConfigError {
  try {
    loadEnvironments(names, { dir, relativeTo: dir });
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('domain.delegations (one file)', () => {
  it('prod delegates dev and staging, without name servers until their dns stacks exist', () => {
    const { config } = validateEnvironment(raw('prod'), 'prod.json');
    expect(config?.domain.delegations).toEqual([{ name: 'dev.shop.example.com' }, { name: 'staging.shop.example.com' }]);
    expect(validateEnvironment(raw('dev'), 'dev.json').config?.domain.delegations).toEqual([]);
  });

  it('reports a one-file rule of the domain section (libs/edge settings.test.ts has one test per rule) at the file\'s field path', () => {
    const env = raw('prod');
    env.domain.delegations = [{ name: 'dev.shop.example.com', dsRecords: [`2371 13 2 ${'AB'.repeat(32)}`] }];
    expect(problems(env)).toEqual(['domain.delegations[0].dsRecords: expected nameServers as well: a DS record belongs to a delegation']);
  });
});

describe('zones across environment files', () => {
  it('loads the repository\'s files and tells dev and staging which file delegates them', () => {
    const [dev, staging, prod] = loadEnvironments(undefined, { dir: ENV_DIR, relativeTo: path.dirname(ENV_DIR) });
    expect(dev.parentZone).toEqual({ zone: 'shop.example.com', environment: 'prod', file: 'environments/prod.json', nameServersListed: false });
    expect(staging.parentZone?.environment).toBe('prod');
    expect(prod.parentZone).toBeUndefined();
    // Loading dev alone (as its pipeline does) still reads prod's delegations.
    expect(loadEnvironment('dev', { dir: ENV_DIR }).parentZone?.zone).toBe('shop.example.com');
  });

  it('refuses a created zone inside another environment\'s zone that does not delegate it, naming both files and what to add', () => {
    const dir = envDir((prod) => {
      prod.domain.delegations = [{ name: 'staging.shop.example.com' }];
    });
    for (const names of [undefined, ['dev'], ['prod']]) {
      const error = loadError(names, dir);
      expect(error.problems).toEqual([
        {
          file: 'prod.json',
          path: 'domain.delegations',
          message:
            'expected an entry for "dev.shop.example.com": dev.json creates that zone inside this environment\'s zone "shop.example.com", so only this zone can delegate it; ' +
            'add { "name": "dev.shop.example.com" } (and its "nameServers" once dev-dns has been applied)',
        },
      ]);
    }
    // staging alone is not concerned.
    expect(loadEnvironments(['staging'], { dir })).toHaveLength(1);
  });

  it('reports name servers once listed', () => {
    const dir = envDir((prod) => {
      prod.domain.delegations[0].nameServers = NS;
    });
    expect(loadEnvironment('dev', { dir }).parentZone?.nameServersListed).toBe(true);
  });
});
