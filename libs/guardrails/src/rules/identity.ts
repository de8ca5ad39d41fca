import type { GuardrailRule } from '../types';
import { at, blocks, isExpression, isTruthy } from '../util';

/** Token lifetime limits the platform allows (Cognito itself allows up to 1 day for access/ID, 10 years for refresh). */
export const MAX_ACCESS_TOKEN_SECONDS = 3600;
export const MAX_ID_TOKEN_SECONDS = 3600;
export const MAX_REFRESH_TOKEN_SECONDS = 30 * 86400;

const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/**
 * The lifetime of one token kind of an app client in seconds, as Cognito computes it: the value in its unit
 * (`token_validity_units`; default hours for access and ID tokens, days for refresh tokens), or Cognito's default
 * when unset (1 hour, 1 hour, 30 days). Undefined for an expression, which is only known at apply.
 */
function lifetimeSeconds(config: Record<string, unknown>, kind: 'access_token' | 'id_token' | 'refresh_token'): number | undefined {
  const value = config[`${kind}_validity`];
  if (value === undefined || value === null) return kind === 'refresh_token' ? 30 * 86400 : 3600;
  if (isExpression(value)) return undefined;
  const n = Number(value);
  const unit = String(at(blocks(config.token_validity_units)[0] ?? {}, kind) ?? (kind === 'refresh_token' ? 'days' : 'hours'));
  return Number.isFinite(n) && UNIT_SECONDS[unit] ? n * UNIT_SECONDS[unit] : undefined;
}

const human = (seconds: number) => (seconds % 86400 === 0 ? `${seconds / 86400} d` : seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

/** Rules for the identity layer: Cognito user pools, their app clients, and identity pools wherever they appear. */
export const identityRules: GuardrailRule[] = [
  {
    id: 'AWP-IDN-001',
    severity: 'error',
    description: 'Cognito identity pools hand out AWS credentials to authenticated identities only: no unauthenticated (guest) identities, no basic (classic) flow.',
    fix: 'Set allow_unauthenticated_identities = false and allow_classic_flow = false; give guests nothing rather than a role.',
    appliesTo: ['aws_cognito_identity_pool'],
    check: ({ element }) => {
      const out: string[] = [];
      // A guest identity is an AWS credential for anyone on the internet who knows the pool id (it is public).
      if (isTruthy(element.config.allow_unauthenticated_identities)) out.push('allow_unauthenticated_identities is true: anyone with the (public) pool id gets AWS credentials');
      // The basic flow lets a caller pick any role the pool may assume instead of the one the pool's rules choose.
      if (isTruthy(element.config.allow_classic_flow)) out.push('allow_classic_flow is true: the basic (classic) flow bypasses the enhanced flow\'s role selection');
      return out;
    },
  },
  {
    id: 'AWP-IDN-002',
    severity: 'error',
    description: 'No self sign-up: only administrators create users in a user pool (admin_create_user_config.allow_admin_create_user_only).',
    fix: 'Set adminCreateUserConfig { allowAdminCreateUserOnly: true }; onboard users through AdminCreateUser.',
    appliesTo: ['aws_cognito_user_pool'],
    // Cognito's default is an open pool: anyone holding a public client id can SignUp and then sign in with
    // every flow and scope that client allows.
    check: ({ element }) =>
      isTruthy(at(element.config, 'admin_create_user_config.allow_admin_create_user_only')) ? undefined : 'self sign-up is open (admin_create_user_config.allow_admin_create_user_only is not true)',
  },
  {
    id: 'AWP-IDN-003',
    severity: 'error',
    description: `Token lifetimes stay bounded: app clients issue access and ID tokens for at most ${human(MAX_ACCESS_TOKEN_SECONDS)} and refresh tokens for at most ${human(MAX_REFRESH_TOKEN_SECONDS)}.`,
    fix: 'Set access_token_validity / id_token_validity / refresh_token_validity with explicit token_validity_units within the bounds.',
    appliesTo: ['aws_cognito_user_pool_client'],
    // A bearer token cannot be revoked at the resource server: its lifetime is how long a leaked one stays good.
    check: ({ element }) => {
      const limits = { access_token: MAX_ACCESS_TOKEN_SECONDS, id_token: MAX_ID_TOKEN_SECONDS, refresh_token: MAX_REFRESH_TOKEN_SECONDS } as const;
      return (Object.keys(limits) as (keyof typeof limits)[]).flatMap((kind) => {
        const seconds = lifetimeSeconds(element.config, kind);
        return seconds !== undefined && seconds > limits[kind] ? [`${kind.replace('_', ' ')}s live ${human(seconds)}, more than ${human(limits[kind])}`] : [];
      });
    },
  },
  {
    id: 'AWP-IDN-004',
    severity: 'error',
    description: 'No implicit grant: app clients never hand out tokens in a redirect URL (allowed_oauth_flows excludes "implicit").',
    fix: 'Use "code" (with PKCE) for browsers and apps, "client_credentials" for machines.',
    appliesTo: ['aws_cognito_user_pool_client'],
    // OAuth 2.0 Security BCP (RFC 9700 §2.1.2): tokens in the URL fragment leak through history, referrers and
    // injection, and are not bound to the client that asked for them.
    check: ({ element }) => ((element.config.allowed_oauth_flows as unknown[] | undefined) ?? []).includes('implicit') ? 'allowed_oauth_flows includes "implicit"' : undefined,
  },
  {
    id: 'AWP-IDN-005',
    severity: 'error',
    description: 'In prod, user pools are deletion-protected (deleting one deletes every user, client id and client secret with it).',
    fix: 'Set deletion_protection = "ACTIVE" (environment field identity.deletionProtection).',
    appliesTo: ['aws_cognito_user_pool'],
    check: ({ element, stack }) => (stack.tier === 'prod' && element.config.deletion_protection !== 'ACTIVE' ? `prod user pool without deletion protection (deletion_protection ${JSON.stringify(element.config.deletion_protection ?? 'unset: INACTIVE')})` : undefined),
  },
  {
    id: 'AWP-IDN-006',
    severity: 'error',
    description: 'In prod, user pools run threat protection in full-function mode: the Plus feature plan with advanced_security_mode "ENFORCED".',
    fix: 'Set user_pool_tier = "PLUS" and user_pool_add_ons { advanced_security_mode = "ENFORCED" } (environment fields identity.featurePlan and identity.threatProtection).',
    appliesTo: ['aws_cognito_user_pool'],
    // Blocks sign-ins with leaked passwords and risky sign-ins of human users; audit mode only counts them.
    check: ({ element, stack }) => {
      if (stack.tier !== 'prod') return undefined;
      const out: string[] = [];
      const tier = element.config.user_pool_tier;
      if (tier !== 'PLUS') out.push(`user_pool_tier is ${JSON.stringify(tier ?? 'unset (ESSENTIALS)')}: threat protection needs PLUS`);
      const mode = at(element.config, 'user_pool_add_ons.advanced_security_mode');
      if (mode !== 'ENFORCED') out.push(`threat protection is ${JSON.stringify(mode ?? 'unset (OFF)')}, not "ENFORCED"`);
      return out;
    },
  },
  {
    id: 'AWP-IDN-007',
    severity: 'error',
    description: 'In prod, user pools require MFA of every human user (mfa_configuration "ON" with a second factor configured).',
    fix: 'Set mfa_configuration = "ON" and software_token_mfa_configuration { enabled = true } (or email/SMS MFA).',
    appliesTo: ['aws_cognito_user_pool'],
    // A password alone is one phishing page away from a token; machine clients (client credentials) are not affected.
    check: ({ element, stack }) => {
      if (stack.tier !== 'prod') return undefined;
      const c = element.config;
      if (c.mfa_configuration !== 'ON') return `mfa_configuration is ${JSON.stringify(c.mfa_configuration ?? 'unset (OFF)')}, not "ON"`;
      const factor = isTruthy(at(c, 'software_token_mfa_configuration.enabled')) || blocks(c.sms_configuration).length > 0 || blocks(c.email_mfa_configuration).length > 0;
      return factor ? undefined : 'mfa_configuration is "ON" without a second factor (software token, SMS or email) configured';
    },
  },
];
