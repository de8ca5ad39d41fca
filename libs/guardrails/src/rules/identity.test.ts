import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CognitoIdentityPool, type CognitoIdentityPoolConfig } from '@cdktf/provider-aws/lib/cognito-identity-pool';
import { CognitoUserPool, type CognitoUserPoolConfig } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient, type CognitoUserPoolClientConfig } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { checkStack } from '../aspect';
import { suppress } from '../engine';
import { identityRules } from './identity';

function stackOf(tier: 'dev' | 'prod', build: (s: TerraformStack) => void): TerraformStack {
  const stack = new TerraformStack(Testing.app(), `t-${tier}`);
  stack.node.setContext('awp:tier', tier);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  build(stack);
  return stack;
}
const findings = (stack: TerraformStack, id?: string) => checkStack(stack, identityRules).filter((f) => (!id || f.ruleId === id) && !f.suppressedBecause).map((f) => `${f.ruleId} ${f.message}`);

const GOOD_POOL: CognitoUserPoolConfig = {
  name: 'prod-issuer',
  deletionProtection: 'ACTIVE',
  userPoolTier: 'PLUS',
  userPoolAddOns: { advancedSecurityMode: 'ENFORCED' },
  adminCreateUserConfig: { allowAdminCreateUserOnly: true },
  mfaConfiguration: 'ON',
  softwareTokenMfaConfiguration: { enabled: true },
};
const GOOD_CLIENT: Omit<CognitoUserPoolClientConfig, 'userPoolId'> = {
  name: 'writer',
  generateSecret: true,
  allowedOauthFlowsUserPoolClient: true,
  allowedOauthFlows: ['client_credentials'],
  allowedOauthScopes: ['catalogue/write'],
  accessTokenValidity: 60,
  idTokenValidity: 5,
  refreshTokenValidity: 60,
  tokenValidityUnits: [{ accessToken: 'minutes', idToken: 'minutes', refreshToken: 'minutes' }],
};
const pool = (s: TerraformStack, patch: Partial<CognitoUserPoolConfig> = {}) => new CognitoUserPool(s, 'pool', { ...GOOD_POOL, ...patch });
const client = (s: TerraformStack, patch: Partial<CognitoUserPoolClientConfig> = {}, id = 'client') => new CognitoUserPoolClient(s, id, { ...GOOD_CLIENT, userPoolId: pool(s).id, ...patch });

describe('identity rules', () => {
  it('stay quiet on a locked-down prod pool, a bounded client-credentials client and an authenticated-only identity pool', () => {
    const s = stackOf('prod', (st) => {
      client(st);
      new CognitoIdentityPool(st, 'ids', { identityPoolName: 'ids', allowUnauthenticatedIdentities: false, allowClassicFlow: false });
    });
    expect(findings(s)).toEqual([]);
  });

  it('AWP-IDN-001 fires on guest identities and on the classic flow', () => {
    const bad = (patch: Partial<CognitoIdentityPoolConfig>) => stackOf('dev', (st) => new CognitoIdentityPool(st, 'ids', { identityPoolName: 'ids', ...patch }));
    expect(findings(bad({ allowUnauthenticatedIdentities: true }), 'AWP-IDN-001')).toEqual(['AWP-IDN-001 allow_unauthenticated_identities is true: anyone with the (public) pool id gets AWS credentials']);
    expect(findings(bad({ allowClassicFlow: true }), 'AWP-IDN-001')).toEqual([expect.stringMatching(/allow_classic_flow is true/)]);
    expect(findings(bad({}), 'AWP-IDN-001')).toEqual([]);
  });

  it('AWP-IDN-002 fires on an open pool, in every tier, and when the setting is left at Cognito\'s default', () => {
    expect(findings(stackOf('dev', (st) => pool(st, { adminCreateUserConfig: { allowAdminCreateUserOnly: false } })), 'AWP-IDN-002')).toEqual([
      'AWP-IDN-002 self sign-up is open (admin_create_user_config.allow_admin_create_user_only is not true)',
    ]);
    expect(findings(stackOf('dev', (st) => pool(st, { adminCreateUserConfig: undefined })), 'AWP-IDN-002')).toHaveLength(1);
  });

  it('AWP-IDN-003 fires on access, ID and refresh tokens beyond their bounds, in the units the client declares', () => {
    const s = stackOf('dev', (st) =>
      client(st, { accessTokenValidity: 2, idTokenValidity: 90, refreshTokenValidity: 31, tokenValidityUnits: [{ accessToken: 'hours', idToken: 'minutes', refreshToken: 'days' }] }),
    );
    expect(findings(s, 'AWP-IDN-003')).toEqual([
      'AWP-IDN-003 access tokens live 2 h, more than 1 h',
      'AWP-IDN-003 id tokens live 90 min, more than 1 h',
      'AWP-IDN-003 refresh tokens live 31 d, more than 30 d',
    ]);
    // Without units Cognito reads access/ID validity in hours: 24 means a day.
    expect(findings(stackOf('dev', (st) => client(st, { accessTokenValidity: 24, tokenValidityUnits: undefined, idTokenValidity: undefined, refreshTokenValidity: undefined })), 'AWP-IDN-003')).toEqual([
      'AWP-IDN-003 access tokens live 1 d, more than 1 h',
    ]);
    // Cognito's defaults (1 h, 1 h, 30 d) are within the bounds.
    expect(findings(stackOf('dev', (st) => client(st, { accessTokenValidity: undefined, idTokenValidity: undefined, refreshTokenValidity: undefined, tokenValidityUnits: undefined })), 'AWP-IDN-003')).toEqual([]);
  });

  it('AWP-IDN-004 fires on the implicit grant', () => {
    const s = stackOf('dev', (st) => client(st, { allowedOauthFlows: ['code', 'implicit'], callbackUrls: ['https://app.example.com/cb'] }));
    expect(findings(s, 'AWP-IDN-004')).toEqual(['AWP-IDN-004 allowed_oauth_flows includes "implicit"']);
  });

  it('AWP-IDN-005 fires on a prod pool without deletion protection, not on a dev one', () => {
    expect(findings(stackOf('prod', (st) => pool(st, { deletionProtection: 'INACTIVE' })), 'AWP-IDN-005')).toEqual(['AWP-IDN-005 prod user pool without deletion protection (deletion_protection "INACTIVE")']);
    expect(findings(stackOf('prod', (st) => pool(st, { deletionProtection: undefined })), 'AWP-IDN-005')).toHaveLength(1);
    expect(findings(stackOf('dev', (st) => pool(st, { deletionProtection: 'INACTIVE' })), 'AWP-IDN-005')).toEqual([]);
  });

  it('AWP-IDN-006 fires on a prod pool below Plus or with threat protection in audit mode or off', () => {
    expect(findings(stackOf('prod', (st) => pool(st, { userPoolTier: 'ESSENTIALS', userPoolAddOns: { advancedSecurityMode: 'OFF' } })), 'AWP-IDN-006')).toEqual([
      'AWP-IDN-006 user_pool_tier is "ESSENTIALS": threat protection needs PLUS',
      'AWP-IDN-006 threat protection is "OFF", not "ENFORCED"',
    ]);
    expect(findings(stackOf('prod', (st) => pool(st, { userPoolAddOns: { advancedSecurityMode: 'AUDIT' } })), 'AWP-IDN-006')).toEqual(['AWP-IDN-006 threat protection is "AUDIT", not "ENFORCED"']);
    expect(findings(stackOf('dev', (st) => pool(st, { userPoolTier: 'ESSENTIALS', userPoolAddOns: undefined })), 'AWP-IDN-006')).toEqual([]);
  });

  it('AWP-IDN-007 fires on a prod pool with optional MFA or MFA without a factor', () => {
    expect(findings(stackOf('prod', (st) => pool(st, { mfaConfiguration: 'OPTIONAL' })), 'AWP-IDN-007')).toEqual(['AWP-IDN-007 mfa_configuration is "OPTIONAL", not "ON"']);
    expect(findings(stackOf('prod', (st) => pool(st, { softwareTokenMfaConfiguration: undefined })), 'AWP-IDN-007')).toEqual([expect.stringMatching(/without a second factor/)]);
    expect(findings(stackOf('dev', (st) => pool(st, { mfaConfiguration: 'OFF' })), 'AWP-IDN-007')).toEqual([]);
  });

  it('can be suppressed with a reason', () => {
    const s = stackOf('prod', (st) => suppress(pool(st, { mfaConfiguration: 'OPTIONAL' }), 'AWP-IDN-007', 'service accounts only; reviewed in #16'));
    expect(findings(s, 'AWP-IDN-007')).toEqual([]);
  });
});
