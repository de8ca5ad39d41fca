import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { ConfigError } from '@awp/config';
import { validateEnvironment, type EnvironmentConfig } from '../src/environment';
import { DATA_SOURCE_READS, PULL_REQUEST_PLAN_SKIPS, PULL_REQUEST_SECRET_STATES } from '../src/bootstrap/plan-reads';
import { buildEnvironment } from '../src/platform';
import { synthesize } from '../src/synth';
import { all, only as one } from '@awp/guardrails/testing';
import { REPO, editEnv, readStack, tempWorkspace } from './helpers';

type Json = Record<string, any>;
const ENV_DIR = path.join(REPO, 'environments');
const rawEnv = (name: string): Json => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-identity-')), 'cdktf.out');
const result = synthesize({ dir: ENV_DIR, outdir, layers: ['identity', 'workloads'] });
const authEnv = (workloads: Json): Record<string, string> => {
  const container = one(workloads, 'kubernetes_deployment_v1').spec.template.spec.container[0];
  return Object.fromEntries(container.env.filter((e: Json) => e.name.startsWith('AUTH_')).map((e: Json) => [e.name, e.value]));
};

/** Builds one environment (a modified copy of a checked-in file) in a fresh app; returns its stacks' JSON. */
function build(name: string, edit: (raw: Json) => void): Record<string, Json> {
  const raw = rawEnv(name);
  edit(raw);
  const { config, problems } = validateEnvironment(raw, `environments/${name}.json`);
  if (!config) throw new ConfigError(problems);
  const stacks = buildEnvironment(Testing.app(), config as EnvironmentConfig);
  return Object.fromEntries([...stacks].map(([layer, stack]) => [layer, JSON.parse(Testing.synth(stack)) as Json]));
}

describe('prod-identity', () => {
  const json = readStack(outdir, 'prod-identity');
  const prod = rawEnv('prod');

  it('stands alone in the graph, and the workloads stack depends on it', () => {
    const stacks = Object.fromEntries(result.stacks.map((s) => [s.name, s.dependencies]));
    expect(stacks['prod-identity']).toEqual([]);
    expect(stacks['prod-workloads']).toContain('prod-identity');
  });

  it('runs a Cognito pool with the settings of environments/prod.json: Plus, threat protection enforced, deletion protection, no self sign-up, MFA', () => {
    const pool = one(json, 'aws_cognito_user_pool');
    expect(pool).toEqual(expect.objectContaining({ name: 'prod-catalogue-issuer', user_pool_tier: 'PLUS', deletion_protection: 'ACTIVE', mfa_configuration: 'ON' }));
    expect(pool.user_pool_add_ons.advanced_security_mode).toBe('ENFORCED');
    expect(pool.admin_create_user_config.allow_admin_create_user_only).toBe(true);
    expect(all(json, 'aws_cognito_risk_configuration')).toHaveLength(1);
    expect(json.resource.aws_cognito_identity_pool).toBeUndefined();
  });

  it('has the catalogue/write resource server, a client-credentials client per caller and the token endpoint domain', () => {
    const rs = one(json, 'aws_cognito_resource_server');
    expect(`${rs.identifier}/${rs.scope[0].scope_name}`).toBe('catalogue/write');
    const clients = all(json, 'aws_cognito_user_pool_client');
    expect(clients.map((c) => c.name)).toEqual(prod.identity.clients.map((c: Json) => `prod-${c.name}`));
    expect(clients.every((c) => c.allowed_oauth_flows.join() === 'client_credentials' && c.allowed_oauth_scopes.join() === 'catalogue/write' && c.generate_secret === true)).toBe(true);
    expect(clients.every((c) => c.access_token_validity <= 60 && c.token_validity_units[0].access_token === 'minutes')).toBe(true);
    expect(one(json, 'aws_cognito_user_pool_domain').domain).toBe('prod-auth-333333333333');
  });

  it('names its outputs for callers and operators, none of them a secret', () => {
    expect(Object.keys(json.output).filter((k) => !k.startsWith('cross-stack-output-')).sort()).toEqual(['audience', 'audience_claim', 'client_ids', 'issuer_url', 'token_endpoint', 'user_pool_id', 'write_scope']);
    expect(json.output.token_endpoint.value).toBe('https://prod-auth-333333333333.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(json.output.issuer_url.value).toMatch(/^https:\/\/\$\{aws_cognito_user_pool\.[^.]+\.endpoint\}$/);
  });

  it('keeps the client secrets out of every synthesized file: only Cognito and the identity state hold them', () => {
    for (const s of readdirSync(path.join(outdir, 'stacks'))) expect([s, readFileSync(path.join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8').includes('client_secret')]).toEqual([s, false]);
  });
});

describe('dev-identity', () => {
  it('relaxes to what environments/dev.json asks: Essentials, no threat protection, no deletion protection', () => {
    const pool = one(readStack(outdir, 'dev-identity'), 'aws_cognito_user_pool');
    expect([pool.user_pool_tier, pool.user_pool_add_ons.advanced_security_mode, pool.deletion_protection]).toEqual(['ESSENTIALS', 'OFF', 'INACTIVE']);
    // Staging audits before prod enforces (AWS's advice: two weeks of audit mode first).
    expect(one(readStack(outdir, 'staging-identity'), 'aws_cognito_user_pool').user_pool_add_ons.advanced_security_mode).toBe('AUDIT');
  });
});

describe('the issuer wired to the pods', () => {
  it("looks the pool's issuer URL and client ids up by metadata (no remote state of identity: its state holds the client secrets)", () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const workloads = readStack(outdir, `${env}-workloads`);
      const auth = authEnv(workloads);
      expect(Object.keys(auth).sort()).toEqual(['AUTH_AUDIENCE', 'AUTH_AUDIENCE_CLAIM', 'AUTH_ISSUER', 'AUTH_WRITE_SCOPE']);
      const pools = Object.values(workloads.data.aws_cognito_user_pools as Record<string, Json>)[0];
      expect(Object.keys(workloads.data.aws_cognito_user_pools)).toHaveLength(1);
      expect(pools.name).toBe(`${env}-catalogue-issuer`);
      expect(pools.lifecycle.postcondition[0].condition).toBe('length(self.ids) == 1');
      expect(auth.AUTH_ISSUER).toMatch(/^https:\/\/cognito-idp\.eu-west-1\.\$\{data\.aws_partition\.[\w-]+\.dns_suffix\}\/\$\{element\(data\.aws_cognito_user_pools\.[\w-]+\.ids, 0\)\}$/);
      // The ids of the clients identity creates, picked by name: a client made by hand in the console is no audience.
      const identityClients = all(readStack(outdir, `${env}-identity`), 'aws_cognito_user_pool_client').map((c) => c.name as string);
      expect(identityClients.length).toBeGreaterThan(0);
      const [key, clients] = Object.entries(workloads.data.aws_cognito_user_pool_clients as Record<string, Json>)[0]!;
      const byName = `zipmap(data.aws_cognito_user_pool_clients.${key}.client_names, data.aws_cognito_user_pool_clients.${key}.client_ids)`;
      expect(auth.AUTH_AUDIENCE).toBe(`\${join(",", sort([${identityClients.map((n) => `${byName}[${JSON.stringify(n)}]`).join(', ')}]))}`);
      expect(clients.lifecycle.postcondition[0].condition).toBe(`alltrue([for n in [${identityClients.map((n) => JSON.stringify(n)).join(', ')}] : length([for c in self.client_names : c if c == n]) == 1])`);
      expect(auth.AUTH_AUDIENCE_CLAIM).toBe('client_id'); // Cognito access tokens have no aud
      expect(auth.AUTH_WRITE_SCOPE).toBe('catalogue/write');
      // the pool the identity stack creates is the one looked up
      expect(one(readStack(outdir, `${env}-identity`), 'aws_cognito_user_pool').name).toBe(pools.name);
    }
  });

  it('the pull-request plan role can plan every stack it is not told to skip: none reads a state it is denied, none reads a client secret', () => {
    const denied = PULL_REQUEST_SECRET_STATES;
    for (const dir of readdirSync(path.join(outdir, 'stacks'))) {
      const json = readStack(outdir, dir);
      const layer = dir.replace(/^[a-z]+-/, '');
      if (PULL_REQUEST_PLAN_SKIPS.includes(layer)) continue;
      const states = Object.values((json.data?.terraform_remote_state ?? {}) as Record<string, Json>).map((r) => String(r.config.key));
      expect([dir, states.filter((k) => denied.some((l) => k.endsWith(`/${l}.tfstate`)))]).toEqual([dir, []]);
      // no data source that returns a secret with its metadata (DescribeUserPoolClient)
      expect([dir, Object.keys(json.data ?? {}).filter((t) => DATA_SOURCE_READS[t]?.content === 'secret-in-metadata')]).toEqual([dir, []]);
    }
  });

  it('passes an external issuer from the environment file instead, with no Cognito resource anywhere', () => {
    const stacks = build('prod', (raw) => {
      raw.identity = { mode: 'external', issuer: 'https://tenant.eu.auth0.com/', audience: ['https://catalogue.example.com'], writeScope: 'write:catalogue' };
    });
    expect(stacks.identity.resource).toBeUndefined();
    expect(stacks.identity.output.issuer_url.value).toBe('https://tenant.eu.auth0.com/');
    expect(authEnv(stacks.workloads)).toEqual({
      AUTH_ISSUER: 'https://tenant.eu.auth0.com/',
      AUTH_AUDIENCE: 'https://catalogue.example.com',
      AUTH_AUDIENCE_CLAIM: 'aud',
      AUTH_WRITE_SCOPE: 'write:catalogue',
    });
    expect(JSON.stringify(stacks).includes('aws_cognito')).toBe(false);
  });

  it('refuses a plain-http external issuer before anything is written, naming the file and field', () => {
    const ws = tempWorkspace();
    editEnv(ws, 'dev', (raw) => {
      raw.identity = { mode: 'external', issuer: 'http://login.example.com', audience: ['catalogue'] };
    });
    const out = path.join(ws, 'cdktf.out');
    expect(() => synthesize({ dir: path.join(ws, 'environments'), outdir: out })).toThrow(/environments\/dev\.json: identity\.issuer: expected an https URL/);
    expect(readdirSync(ws)).not.toContain('cdktf.out');
  });
});
