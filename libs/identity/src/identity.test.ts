import { Testing, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { SettingsError } from '@awp/config';
import { CATALOGUE_WRITE_SCOPE, Identity, identitySettings, lookupIssuer, type IdentityProps, type IdentitySettings } from './index';
import { all } from '@awp/guardrails/testing';

type CognitoInput = Partial<Extract<IdentitySettings, { mode: 'cognito' }>>;
type ExternalInput = Extract<IdentitySettings, { mode: 'external' }>;

type Json = Record<string, any>;
const TAGS = { Environment: 'test', Layer: 'identity', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };

function synth(props: Partial<IdentityProps> = {}, cognito: CognitoInput = {}, tier = 'prod'): { json: Json; stack: TerraformStack; identity: Identity } {
  const stack = new TerraformStack(Testing.app(), 'test');
  stack.node.setContext('awp:tier', tier);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  const identity = new Identity(stack, 'identity', {
    namePrefix: 'test',
    region: 'eu-west-1',
    defaultDomainPrefix: 'test-auth-111111111111',
    settings: { mode: 'cognito', ...cognito },
    ...props,
  });
  // Consumers read the contract; an output makes its expressions visible in the JSON.
  new TerraformOutput(stack, 'contract', { value: { issuer: identity.issuer, audience: identity.audience, claim: identity.audienceClaim, scope: identity.writeScope } });
  return { json: JSON.parse(Testing.synth(stack)), stack, identity };
}
const one = (json: Json, type: string): Json => {
  const list = all(json, type);
  expect(list).toHaveLength(1);
  return list[0];
};
const address = (json: Json, type: string) => `${type}.${Object.keys(json.resource[type])[0]}`;

describe('Identity with Cognito (the default)', () => {
  const { json, stack, identity } = synth({}, { clients: [{ name: 'catalogue-writer' }, { name: 'back-office' }] });
  const pool = one(json, 'aws_cognito_user_pool');
  const poolAddress = address(json, 'aws_cognito_user_pool');

  it('creates a user pool nobody can sign up to, with MFA, admin-only recovery, threat protection and deletion protection', () => {
    expect(pool.admin_create_user_config).toEqual({ allow_admin_create_user_only: true });
    expect(pool.mfa_configuration).toBe('ON');
    expect(pool.software_token_mfa_configuration).toEqual({ enabled: true });
    expect(pool.account_recovery_setting.recovery_mechanism).toEqual([{ name: 'admin_only', priority: 1 }]);
    expect(pool.user_pool_tier).toBe('PLUS');
    expect(pool.user_pool_add_ons).toEqual({ advanced_security_mode: 'ENFORCED' });
    expect(pool.deletion_protection).toBe('ACTIVE');
    expect(pool.password_policy).toEqual(expect.objectContaining({ minimum_length: 14, require_symbols: true, temporary_password_validity_days: 1, password_history_size: 24 }));
    // Full-function threat protection blocks leaked passwords and high- and medium-risk sign-ins.
    const risk = one(json, 'aws_cognito_risk_configuration');
    expect(risk.user_pool_id).toBe(`\${${poolAddress}.id}`);
    expect(risk.compromised_credentials_risk_configuration.actions.event_action).toBe('BLOCK');
    expect(risk.account_takeover_risk_configuration.actions.high_action.event_action).toBe('BLOCK');
  });

  it('defines the catalogue resource server with the write scope, and a prefix domain for the token endpoint', () => {
    const rs = one(json, 'aws_cognito_resource_server');
    expect([rs.identifier, rs.scope.map((s: Json) => s.scope_name)]).toEqual(['catalogue', ['write']]);
    expect(`${rs.identifier}/${rs.scope[0].scope_name}`).toBe(CATALOGUE_WRITE_SCOPE);
    const domain = one(json, 'aws_cognito_user_pool_domain');
    expect(domain).toEqual(expect.objectContaining({ domain: 'test-auth-111111111111', user_pool_id: `\${${poolAddress}.id}` }));
    expect(domain.certificate_arn).toBeUndefined();
    expect(identity.cognito?.tokenEndpoint).toBe('https://test-auth-111111111111.auth.eu-west-1.amazoncognito.com/oauth2/token');
  });

  it('gives each machine caller its own confidential client: client credentials only, the write scope only, short-lived tokens', () => {
    const clients = all(json, 'aws_cognito_user_pool_client');
    expect(clients.map((c) => c.name).sort()).toEqual(['test-back-office', 'test-catalogue-writer']);
    for (const c of clients) {
      expect(c.generate_secret).toBe(true);
      expect(c.allowed_oauth_flows).toEqual(['client_credentials']);
      expect(c.allowed_oauth_flows_user_pool_client).toBe(true);
      expect(c.allowed_oauth_scopes).toEqual(['catalogue/write']);
      expect(c.explicit_auth_flows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']); // no password, SRP or custom sign-in
      expect([c.access_token_validity, c.token_validity_units[0].access_token]).toEqual([60, 'minutes']);
      expect(c.callback_urls).toBeUndefined();
      expect(c.depends_on).toEqual([address(json, 'aws_cognito_resource_server')]);
    }
    expect(Object.keys(identity.cognito?.clientIds ?? {})).toEqual(['catalogue-writer', 'back-office']);
  });

  it("hands the service the pool's issuer URL, the client ids as audience in client_id, and the scope", () => {
    const contract = json.output.contract.value;
    expect(contract.issuer).toBe(`https://\${${poolAddress}.endpoint}`);
    // In the order of the clients prop (the synthesized JSON sorts its keys).
    const ids = ['catalogue-writer', 'back-office'].map((n) => `aws_cognito_user_pool_client.${Object.keys(json.resource.aws_cognito_user_pool_client).find((k) => k.includes(`client-${n}_`))}.id`);
    expect(contract.audience).toBe(`\${join(",", [${ids.join(', ')}])}`);
    expect(contract.claim).toBe('client_id');
    expect(contract.scope).toBe('catalogue/write');
  });

  it('never writes a client secret into the synthesized JSON', () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/client_secret/);
  });

  it('passes every guardrail in a prod stack', () => {
    expect(checkStack(stack, ALL_RULES).filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('relaxes for dev: Essentials without threat protection, no risk configuration, deletion protection off', () => {
    const dev = synth({}, { featurePlan: 'ESSENTIALS', threatProtection: 'OFF', deletionProtection: false, accessTokenValidityMinutes: 15 }, 'dev').json;
    const p = one(dev, 'aws_cognito_user_pool');
    expect([p.user_pool_tier, p.user_pool_add_ons.advanced_security_mode, p.deletion_protection]).toEqual(['ESSENTIALS', 'OFF', 'INACTIVE']);
    expect(dev.resource.aws_cognito_risk_configuration).toBeUndefined();
    expect(one(dev, 'aws_cognito_user_pool_client').access_token_validity).toBe(15);
  });

  it.each<[string, CognitoInput, string | RegExp]>([
    ['threat protection without Plus', { featurePlan: 'ESSENTIALS', threatProtection: 'AUDIT' }, 'settings.threatProtection: expected "OFF" with featurePlan "ESSENTIALS": threat protection needs the PLUS feature plan, got "AUDIT"'],
    ['an access token lifetime above an hour', { accessTokenValidityMinutes: 61 }, /settings\.accessTokenValidityMinutes: Too big: expected number to be <=60/],
    ['a duplicate client', { clients: [{ name: 'a' }, { name: 'a' }] }, 'settings.clients[1].name: expected unique client names, "a" appears twice'],
    ['no client', { clients: [] }, /settings\.clients: Too small/],
    ['a client name in capitals', { clients: [{ name: 'Writer' }] }, 'settings.clients[0].name: expected a lowercase name like "catalogue-writer"'],
    ['a reserved word in the domain prefix', { domainPrefix: 'prod-cognito-1' }, 'settings.domainPrefix: expected a prefix without "cognito"'],
    ['an unknown field', { featurPlan: 'PLUS' } as CognitoInput, 'settings: unknown field "featurPlan"'],
  ])('refuses what the environment file refuses: %s, naming the construct and the field', (_what, cognito, message) => {
    expect(() => synth({}, cognito)).toThrow(SettingsError);
    expect(() => synth({}, cognito)).toThrow(/^Identity test\/identity: invalid settings \(1 problem\):\n/);
    expect(() => synth({}, cognito)).toThrow(message);
  });

  it('takes its defaults from the settings section, the only place they are written', () => {
    expect(identity.settings).toEqual({ ...identitySettings.parse(undefined), clients: [{ name: 'catalogue-writer' }, { name: 'back-office' }] });
    const defaults = synth().identity;
    expect(defaults.settings).toEqual(identitySettings.parse(undefined));
    expect(defaults.settings).toEqual({ mode: 'cognito', featurePlan: 'PLUS', threatProtection: 'ENFORCED', deletionProtection: true, accessTokenValidityMinutes: 60, clients: [{ name: 'catalogue-writer' }] });
  });

  it('uses settings.domainPrefix over the wiring default, and checks the default it is given', () => {
    expect(synth({}, { domainPrefix: 'shop-auth' }).identity.cognito?.tokenEndpoint).toBe('https://shop-auth.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(() => synth({ defaultDomainPrefix: 'aws-dev-auth-1' })).toThrow('Identity test/identity: defaultDomainPrefix: expected a prefix without "aws"');
    expect(() => synth({ defaultDomainPrefix: undefined })).toThrow('Identity test/identity: settings.domainPrefix: expected a Cognito domain prefix');
  });
});

describe('Identity with an external issuer', () => {
  const external: ExternalInput = { mode: 'external', issuer: 'https://login.example.com/tenant', audience: ['https://api.example.com', 'catalogue'], audienceClaim: 'aud', writeScope: 'catalogue:write' };

  it('creates nothing and passes the issuer through', () => {
    const { json, identity } = synth({ settings: external });
    expect(json.resource).toBeUndefined();
    expect(json.output.contract.value).toEqual({ issuer: 'https://login.example.com/tenant', audience: 'https://api.example.com,catalogue', claim: 'aud', scope: 'catalogue:write' });
    expect(identity.cognito).toBeUndefined();
  });

  it("keeps an issuer's own trailing slash byte for byte (Auth0's issuers end with one)", () => {
    expect(synth({ settings: { ...external, issuer: 'https://tenant.eu.auth0.com/' } }).identity.issuer).toBe('https://tenant.eu.auth0.com/');
  });

  it.each<[string, Partial<typeof external>, RegExp]>([
    ['plain http', { issuer: 'http://login.example.com' }, /settings\.issuer: expected an https URL/],
    ['a relative URL', { issuer: 'login.example.com' }, /settings\.issuer: expected an absolute https URL/],
    ['a query', { issuer: 'https://login.example.com/?tenant=1' }, /settings\.issuer: expected no query or fragment/],
    ['a host in capitals', { issuer: 'https://Login.Example.com/t' }, /settings\.issuer: expected the URL in normalized form.*parses as "https:\/\/login\.example\.com\/t"/],
    ['a default port', { issuer: 'https://login.example.com:443/t' }, /settings\.issuer: expected the URL in normalized form/],
    ['an empty path segment', { issuer: 'https://login.example.com//t' }, /settings\.issuer: expected no empty path segment/],
    ['credentials', { issuer: 'https://u:p@login.example.com' }, /settings\.issuer: expected no credentials/],
    ['a scope with a space', { writeScope: 'catalogue write' }, /settings\.writeScope: expected one OAuth scope token/],
    ['no audience', { audience: [] }, /settings\.audience: Too small/],
    ['an audience with a comma', { audience: ['a,b'] }, /settings\.audience\[0\]: expected an audience value without commas or spaces/],
  ])('refuses %s, naming the construct and the field', (_what, patch, message) => {
    expect(() => synth({ settings: { ...external, ...patch } })).toThrow(/^Identity test\/identity: invalid settings/);
    expect(() => synth({ settings: { ...external, ...patch } })).toThrow(message);
  });

  it('refuses Cognito settings next to an external issuer', () => {
    expect(() => synth({ settings: { ...external, domainPrefix: 'x' } as ExternalInput })).toThrow('settings: unknown field "domainPrefix"');
  });
});

describe('lookupIssuer (a consumer whose plan must not read the identity state)', () => {
  const lookup = (settings: IdentitySettings): Json => {
    const stack = new TerraformStack(Testing.app(), 'consumer');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const c = lookupIssuer(stack, 'issuer', { settings, namePrefix: 'test', region: 'eu-west-1' });
    new TerraformOutput(stack, 'contract', { value: { issuer: c.issuer, audience: c.audience, claim: c.audienceClaim, scope: c.writeScope } });
    return JSON.parse(Testing.synth(stack));
  };

  it('finds the pool the construct creates by name (exactly one) and its client ids, with no resource, no remote state and no client-secret read', () => {
    const json = lookup({ mode: 'cognito' });
    expect(json.resource).toBeUndefined();
    expect(Object.keys(json.data).sort()).toEqual(['aws_cognito_user_pool_clients', 'aws_cognito_user_pools', 'aws_partition']);
    const pools = Object.values(json.data.aws_cognito_user_pools as Record<string, Json>)[0];
    expect(pools.name).toBe(synth().json.resource.aws_cognito_user_pool[Object.keys(synth().json.resource.aws_cognito_user_pool)[0]].name);
    expect(pools.lifecycle.postcondition).toEqual([{ condition: 'length(self.ids) == 1', error_message: expect.stringContaining('exactly one Cognito user pool named test-catalogue-issuer') }]);
    const contract = json.output.contract.value;
    expect(contract.issuer).toMatch(/^https:\/\/cognito-idp\.eu-west-1\.\$\{data\.aws_partition\.[\w-]+\.dns_suffix\}\/\$\{element\(data\.aws_cognito_user_pools\.[\w-]+\.ids, 0\)\}$/);
    expect([contract.claim, contract.scope]).toEqual(['client_id', CATALOGUE_WRITE_SCOPE]);
    expect(JSON.stringify(json)).not.toMatch(/terraform_remote_state|aws_cognito_user_pool_client"|client_secret/);
  });

  it('accepts only the clients the settings configure, by the names the construct gives them: not every client of the pool', () => {
    const settings: IdentitySettings = { mode: 'cognito', clients: [{ name: 'writer-b' }, { name: 'writer-a' }] };
    const json = lookup(settings);
    const [key, clients] = Object.entries(json.data.aws_cognito_user_pool_clients as Record<string, Json>)[0]!;
    const byName = `zipmap(data.aws_cognito_user_pool_clients.${key}.client_names, data.aws_cognito_user_pool_clients.${key}.client_ids)`;
    // the ids of exactly these names, sorted; a client made by hand in the console is not one of them
    expect(json.output.contract.value.audience).toBe(`\${join(",", sort([${byName}["test-writer-b"], ${byName}["test-writer-a"]]))}`);
    expect(json.output.contract.value.audience).not.toMatch(/sort\(data\.aws_cognito_user_pool_clients\.[\w-]+\.client_ids\)/);
    // each expected client exactly once (Cognito client names are not unique), with a message that says which
    expect(clients.lifecycle.postcondition).toEqual([
      {
        condition: 'alltrue([for n in ["test-writer-b", "test-writer-a"] : length([for c in self.client_names : c if c == n]) == 1])',
        error_message: expect.stringContaining('expected exactly one app client named each of test-writer-b, test-writer-a in the Cognito user pool test-catalogue-issuer'),
      },
    ]);
    // the names looked up are the names the construct creates
    const created = Object.values(synth({}, { clients: [{ name: 'writer-b' }, { name: 'writer-a' }] }).json.resource.aws_cognito_user_pool_client as Record<string, Json>).map((c) => c.name).sort();
    expect(created).toEqual(['test-writer-a', 'test-writer-b']);
  });

  it('passes an external issuer through with no lookup', () => {
    const json = lookup({ mode: 'external', issuer: 'https://login.example.com/tenant', audience: ['catalogue'] });
    expect(json.data).toBeUndefined();
    expect(json.output.contract.value).toEqual({ issuer: 'https://login.example.com/tenant', audience: 'catalogue', claim: 'aud', scope: 'catalogue:write' });
  });
});
