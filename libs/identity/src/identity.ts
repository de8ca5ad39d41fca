import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { CognitoResourceServer } from '@cdktf/provider-aws/lib/cognito-resource-server';
import { CognitoRiskConfiguration } from '@cdktf/provider-aws/lib/cognito-risk-configuration';
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { CognitoUserPoolDomain } from '@cdktf/provider-aws/lib/cognito-user-pool-domain';
import { cognitoDomainPrefixProblem, issuerUrlProblem, scopeTokenProblem } from '@awp/config';

/** The resource server of the catalogue API and its write scope: Cognito names the scope `<identifier>/<scope>`. */
export const CATALOGUE_RESOURCE_SERVER = 'catalogue';
export const CATALOGUE_WRITE_SCOPE_NAME = 'write';
export const CATALOGUE_WRITE_SCOPE = `${CATALOGUE_RESOURCE_SERVER}/${CATALOGUE_WRITE_SCOPE_NAME}`;

/** Cognito's bounds for an access token's lifetime are 5 minutes to 1 day; the platform allows at most 1 hour. */
export const MAX_ACCESS_TOKEN_MINUTES = 60;
const MIN_ACCESS_TOKEN_MINUTES = 5;

export type FeaturePlan = 'LITE' | 'ESSENTIALS' | 'PLUS';
export type ThreatProtectionMode = 'OFF' | 'AUDIT' | 'ENFORCED';

/**
 * What the service needs to verify a token (the pods' AUTH_* variables). Values are Terraform expressions for a
 * Cognito issuer (cdktf turns them into cross-stack references) and literals for an external one.
 */
export interface IssuerContract {
  /** The `iss` claim, byte for byte (AUTH_ISSUER). */
  readonly issuer: string;
  /** Accepted audience values, comma-separated (AUTH_AUDIENCE): Cognito's app client ids. */
  readonly audience: string;
  /** The claim that carries the audience (AUTH_AUDIENCE_CLAIM): `client_id` for Cognito access tokens, which have no `aud`. */
  readonly audienceClaim: string;
  /** The scope a write needs (AUTH_WRITE_SCOPE). */
  readonly writeScope: string;
}

export interface CognitoIssuerProps {
  /**
   * Prefix of the Cognito domain that serves the token endpoint (`<prefix>.auth.<region>.amazoncognito.com`):
   * unique per region across every AWS account; no "aws", "amazon" or "cognito".
   */
  readonly domainPrefix: string;
  /**
   * Machine-to-machine callers: one app client each (client credentials grant, the write scope only), so one
   * caller can be revoked or rotated without the others.
   * @default [{ name: 'catalogue-writer' }]
   */
  readonly clients?: readonly { readonly name: string }[];
  /**
   * Lifetime of an access token, 5–60 minutes: how long a leaked token stays good.
   * @default 60
   */
  readonly accessTokenValidityMinutes?: number;
  /**
   * The user pool feature plan. Threat protection needs PLUS, billed per monthly active *user*: nothing while the
   * pool holds only machine clients (client-credentials tokens are billed per request on every plan).
   * @default 'PLUS'
   */
  readonly featurePlan?: FeaturePlan;
  /**
   * Threat protection (compromised-credential and account-takeover detection) for user sign-ins. It watches human
   * users only — a client-credentials grant is not a sign-in — and guards any operator accounts added later.
   * @default 'ENFORCED'
   */
  readonly threatProtection?: ThreatProtectionMode;
  /**
   * Cognito refuses DeleteUserPool while on: deleting the pool deletes every client id and secret with it.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

export interface ExternalIssuerProps {
  /** The issuer identifier, exactly as the tokens' `iss` claim carries it (https, no query or fragment). */
  readonly issuer: string;
  /** Accepted audience values (any one must match). */
  readonly audience: readonly string[];
  /** @default 'aud' */
  readonly audienceClaim?: string;
  /** @default 'catalogue:write' */
  readonly writeScope?: string;
}

export interface IdentityProps {
  /** Prefix of every name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
  /** The region of the user pool (the token endpoint's host carries it). */
  readonly region: string;
  /**
   * Use an existing OpenID Connect issuer instead of Cognito: nothing is created, the contract passes it through.
   * @default a Cognito user pool (see `cognito`)
   */
  readonly external?: ExternalIssuerProps;
  /** Settings of the Cognito issuer; required unless `external` is set. */
  readonly cognito?: CognitoIssuerProps;
}

/** Outputs of the Cognito issuer, for callers and operators (none of them secret). */
export interface CognitoIssuerOutputs {
  readonly userPoolId: string;
  readonly userPoolArn: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`: callers POST client credentials here. */
  readonly tokenEndpoint: string;
  /** App client ids by client name (a client id is not a secret; its client secret is). */
  readonly clientIds: Record<string, string>;
}

/**
 * The identity layer: the issuer of the OAuth 2.0 access tokens the catalogue service requires on every write.
 *
 * By default an Amazon Cognito user pool for machine-to-machine callers: a resource server `catalogue` with the
 * scope `write` (tokens carry `catalogue/write`), one confidential app client per caller restricted to the client
 * credentials grant and that scope, and a Cognito prefix domain for the token endpoint (`/oauth2/token` is served
 * only on a user pool domain). No self sign-up, MFA required for any human user, admin-only account recovery,
 * threat protection and deletion protection on. With `external`, nothing is created and the given OpenID Connect
 * issuer is passed through, validated (https only, normalized, a scope token).
 *
 * The app clients' secrets are generated by Cognito and land in the Terraform state of this stack (never in the
 * synthesized JSON or an output): see the README for how a caller obtains its secret.
 */
export class Identity extends Construct implements IssuerContract {
  readonly issuer: string;
  readonly audience: string;
  readonly audienceClaim: string;
  readonly writeScope: string;
  /** Present when this layer runs the issuer (not `external`). */
  readonly cognito?: CognitoIssuerOutputs;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const contract = props.external ? this.passThrough(props) : this.createCognito(props);
    this.issuer = contract.issuer;
    this.audience = contract.audience;
    this.audienceClaim = contract.audienceClaim;
    this.writeScope = contract.writeScope;
    this.cognito = contract.cognito;
  }

  private fail(field: string, problem: string): never {
    throw new Error(`Identity ${this.node.path}: ${field}: ${problem}`);
  }

  /** An external issuer: validated, nothing created. */
  private passThrough(props: IdentityProps): IssuerContract & { cognito?: CognitoIssuerOutputs } {
    const ext = props.external as ExternalIssuerProps;
    if (props.cognito) this.fail('cognito', 'expected no Cognito settings with an external issuer (nothing of Cognito is created)');
    const issuerProblem = issuerUrlProblem(ext.issuer);
    if (issuerProblem) this.fail('external.issuer', issuerProblem);
    if (ext.audience.length === 0) this.fail('external.audience', 'expected at least one audience value');
    ext.audience.forEach((a) => /^[^,\s]+$/.test(a) || this.fail('external.audience', `expected values without commas or spaces (they are passed comma-separated), got "${a}"`));
    const writeScope = ext.writeScope ?? 'catalogue:write';
    const scopeProblem = scopeTokenProblem(writeScope);
    if (scopeProblem) this.fail('external.writeScope', scopeProblem);
    return { issuer: ext.issuer, audience: ext.audience.join(','), audienceClaim: ext.audienceClaim ?? 'aud', writeScope };
  }

  private createCognito(props: IdentityProps): IssuerContract & { cognito: CognitoIssuerOutputs } {
    const c = props.cognito ?? this.fail('cognito', 'expected Cognito settings (domainPrefix at least) or an external issuer');
    const fail = (field: string, problem: string): never => this.fail(field, problem);
    const name = (suffix: string) => `${props.namePrefix}-${suffix}`;
    const featurePlan = c.featurePlan ?? 'PLUS';
    const threatProtection = c.threatProtection ?? 'ENFORCED';
    const accessMinutes = c.accessTokenValidityMinutes ?? MAX_ACCESS_TOKEN_MINUTES;
    const clients = c.clients ?? [{ name: 'catalogue-writer' }];
    const prefixProblem = cognitoDomainPrefixProblem(c.domainPrefix);
    if (prefixProblem) fail('cognito.domainPrefix', prefixProblem);
    if (threatProtection !== 'OFF' && featurePlan !== 'PLUS') fail('cognito.threatProtection', `expected "OFF" with featurePlan "${featurePlan}": threat protection needs PLUS`);
    if (!Number.isInteger(accessMinutes) || accessMinutes < MIN_ACCESS_TOKEN_MINUTES || accessMinutes > MAX_ACCESS_TOKEN_MINUTES) {
      fail('cognito.accessTokenValidityMinutes', `expected a whole number of minutes between ${MIN_ACCESS_TOKEN_MINUTES} and ${MAX_ACCESS_TOKEN_MINUTES}, got ${accessMinutes}`);
    }
    if (clients.length === 0) fail('cognito.clients', 'expected at least one app client');
    clients.forEach((cl, i) => {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(cl.name)) fail(`cognito.clients[${i}].name`, `expected a lowercase name like "catalogue-writer", got "${cl.name}"`);
      if (clients.findIndex((o) => o.name === cl.name) !== i) fail(`cognito.clients[${i}].name`, `expected unique names, "${cl.name}" appears twice`);
    });

    const pool = new CognitoUserPool(this, 'user-pool', {
      name: name('catalogue-issuer'),
      deletionProtection: c.deletionProtection === false ? 'INACTIVE' : 'ACTIVE',
      userPoolTier: featurePlan,
      userPoolAddOns: { advancedSecurityMode: threatProtection },
      // No self sign-up: only an administrator creates users (an open pool lets anyone on the internet make one).
      adminCreateUserConfig: { allowAdminCreateUserOnly: true },
      // Human users, if an operator ever adds one, need a TOTP second factor; client credentials are unaffected.
      mfaConfiguration: 'ON',
      softwareTokenMfaConfiguration: { enabled: true },
      passwordPolicy: {
        minimumLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireNumbers: true,
        requireSymbols: true,
        temporaryPasswordValidityDays: 1,
        // Password history needs the Essentials or Plus plan.
        ...(featurePlan === 'LITE' ? {} : { passwordHistorySize: 24 }),
      },
      // Recovery through an administrator only: no email or SMS channel an attacker could take over.
      accountRecoverySetting: { recoveryMechanism: [{ name: 'admin_only', priority: 1 }] },
      usernameConfiguration: { caseSensitive: false },
    });

    if (threatProtection === 'ENFORCED') {
      // What full-function threat protection does (SetRiskConfiguration); no email notifications (that needs SES).
      new CognitoRiskConfiguration(this, 'risk', {
        userPoolId: pool.id,
        compromisedCredentialsRiskConfiguration: { eventFilter: ['SIGN_IN', 'PASSWORD_CHANGE', 'SIGN_UP'], actions: { eventAction: 'BLOCK' } },
        accountTakeoverRiskConfiguration: {
          actions: {
            highAction: { eventAction: 'BLOCK', notify: false },
            mediumAction: { eventAction: 'BLOCK', notify: false },
            lowAction: { eventAction: 'MFA_IF_CONFIGURED', notify: false },
          },
        },
      });
    }

    const resourceServer = new CognitoResourceServer(this, 'resource-server', {
      userPoolId: pool.id,
      identifier: CATALOGUE_RESOURCE_SERVER,
      name: 'Catalogue API',
      scope: [{ scopeName: CATALOGUE_WRITE_SCOPE_NAME, scopeDescription: 'Create, change and delete products; upload product images' }],
    });

    // The token endpoint (/oauth2/token) exists only on a user pool domain; a prefix domain needs no certificate.
    new CognitoUserPoolDomain(this, 'domain', { domain: c.domainPrefix, userPoolId: pool.id });

    const clientIds: Record<string, string> = {};
    for (const client of clients) {
      const appClient = new CognitoUserPoolClient(this, `client-${client.name}`, {
        name: name(client.name),
        userPoolId: pool.id,
        // A confidential client: Cognito issues client-credentials tokens only to clients with a secret.
        generateSecret: true,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ['client_credentials'],
        // The scope literally, so the pods get the same literal; dependsOn orders it after the resource server.
        allowedOauthScopes: [CATALOGUE_WRITE_SCOPE],
        dependsOn: [resourceServer],
        // No user sign-in through this client at all (unset, Cognito would allow SRP and custom auth).
        explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        accessTokenValidity: accessMinutes,
        // Client credentials issue neither ID nor refresh tokens; both are kept at their minimums all the same.
        idTokenValidity: MIN_ACCESS_TOKEN_MINUTES,
        refreshTokenValidity: 60,
        tokenValidityUnits: [{ accessToken: 'minutes', idToken: 'minutes', refreshToken: 'minutes' }],
        enableTokenRevocation: true,
        preventUserExistenceErrors: 'ENABLED',
      });
      clientIds[client.name] = appClient.id;
    }

    // Cognito's issuer is `https://cognito-idp.<region>.amazonaws.com/<pool id>`; the pool's `endpoint` is that
    // without the scheme (and right in every partition).
    return {
      issuer: `https://${pool.endpoint}`,
      // Cognito access tokens carry no `aud`: the app client id is in `client_id`.
      audience: Fn.join(',', Object.values(clientIds)),
      audienceClaim: 'client_id',
      writeScope: CATALOGUE_WRITE_SCOPE,
      cognito: {
        userPoolId: pool.id,
        userPoolArn: pool.arn,
        tokenEndpoint: `https://${c.domainPrefix}.auth.${props.region}.amazoncognito.com/oauth2/token`,
        clientIds,
      },
    };
  }
}
