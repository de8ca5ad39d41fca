import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { CognitoResourceServer } from '@cdktf/provider-aws/lib/cognito-resource-server';
import { CognitoRiskConfiguration } from '@cdktf/provider-aws/lib/cognito-risk-configuration';
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { CognitoUserPoolDomain } from '@cdktf/provider-aws/lib/cognito-user-pool-domain';
import { DataAwsCognitoUserPoolClients } from '@cdktf/provider-aws/lib/data-aws-cognito-user-pool-clients';
import { DataAwsCognitoUserPools } from '@cdktf/provider-aws/lib/data-aws-cognito-user-pools';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { cognitoDomainPrefixProblem, parseSettings } from '@awp/config';
import { identitySettings, MIN_ACCESS_TOKEN_MINUTES, type CognitoIssuerSettings, type IdentitySettings, type ResolvedIdentitySettings } from './settings';

/** The resource server of the catalogue API and its write scope: Cognito names the scope `<identifier>/<scope>`. */
export const CATALOGUE_RESOURCE_SERVER = 'catalogue';
export const CATALOGUE_WRITE_SCOPE_NAME = 'write';
export const CATALOGUE_WRITE_SCOPE = `${CATALOGUE_RESOURCE_SERVER}/${CATALOGUE_WRITE_SCOPE_NAME}`;

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

export interface IdentityProps {
  /** The layer's settings (`identitySettings`, libs/identity/src/settings.ts): documented there, with their defaults. */
  readonly settings: IdentitySettings;
  /** Prefix of every name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
  /** The region of the user pool (the token endpoint's host carries it). */
  readonly region: string;
  /**
   * The Cognito domain prefix when `settings.domainPrefix` is unset. It must be unique per region across every AWS
   * account, so it is made of names the settings do not hold: the platform passes `<env>-auth-<account id>`.
   * @default none: a Cognito issuer then needs settings.domainPrefix
   */
  readonly defaultDomainPrefix?: string;
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

/** An external issuer's contract: the settings' literals (checked there: https, normalized, a scope token). */
function externalContract(s: Extract<ResolvedIdentitySettings, { mode: 'external' }>): IssuerContract & { cognito?: undefined } {
  return { issuer: s.issuer, audience: s.audience.join(','), audienceClaim: s.audienceClaim, writeScope: s.writeScope };
}

/** The user pool's name: the Identity construct creates it, `lookupIssuer` finds it by this name. */
export function cognitoPoolName(namePrefix: string): string {
  return `${namePrefix}-catalogue-issuer`;
}

/** An app client's name: the Identity construct names each configured client so, `lookupIssuer` picks them by it. */
export function cognitoClientName(namePrefix: string, clientName: string): string {
  return `${namePrefix}-${clientName}`;
}

/**
 * The issuer's contract read with metadata lookups instead of the identity stack's remote state, for a stack whose
 * plan must not read that state (it holds the app clients' secrets; the pull-request plan role is denied it). A
 * Cognito issuer: the pool found by name (ListUserPools, exactly one), the ids of the clients the settings configure,
 * picked by name (ListUserPoolClients: ids and names, no secret; a postcondition wants exactly one of each), so a
 * client someone adds by hand in the console is never an accepted audience. An external issuer:
 * the settings' literals, no lookup. Needs the identity stack applied first (a declared stack dependency).
 */
export function lookupIssuer(scope: Construct, id: string, props: Pick<IdentityProps, 'settings' | 'namePrefix' | 'region'>): IssuerContract {
  const s = parseSettings(identitySettings, props.settings, `lookupIssuer ${id}`);
  if (s.mode === 'external') return externalContract(s);
  const at = new Construct(scope, id);
  const name = cognitoPoolName(props.namePrefix);
  const pools = new DataAwsCognitoUserPools(at, 'pool', {
    name,
    lifecycle: { postcondition: [{ condition: 'length(self.ids) == 1', errorMessage: `expected exactly one Cognito user pool named ${name} (created by the identity stack: apply it first)` }] },
  });
  const poolId = Fn.element(pools.ids, 0);
  const names = s.clients.map((c) => cognitoClientName(props.namePrefix, c.name));
  // Client names are not unique in Cognito: exactly one of each, or a hand-made namesake could take the audience.
  const each = `[${names.map((n) => JSON.stringify(n)).join(', ')}]`;
  const clients = new DataAwsCognitoUserPoolClients(at, 'clients', {
    userPoolId: poolId,
    lifecycle: {
      postcondition: [
        {
          condition: `alltrue([for n in ${each} : length([for c in self.client_names : c if c == n]) == 1])`,
          errorMessage: `expected exactly one app client named each of ${names.join(', ')} in the Cognito user pool ${name} (created by the identity stack from its settings.clients: apply it first; rename or delete a client made by hand with one of these names)`,
        },
      ],
    },
  });
  const byName = Fn.zipmap(clients.clientNames, clients.clientIds);
  const partition = new DataAwsPartition(at, 'partition');
  return {
    // The pool's `endpoint` is `cognito-idp.<region>.<dns suffix>/<pool id>`: the same value, built from metadata.
    issuer: `https://cognito-idp.${props.region}.${partition.dnsSuffix}/${poolId}`,
    // Only the configured clients: every other client of the pool (one made by hand in the console) is no audience.
    audience: Fn.join(',', Fn.sort(names.map((n) => Fn.lookup(byName, n)))),
    audienceClaim: 'client_id',
    writeScope: CATALOGUE_WRITE_SCOPE,
  };
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

  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedIdentitySettings;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const s = parseSettings(identitySettings, props.settings, `Identity ${this.node.path}`);
    this.settings = s;
    // An external issuer was checked by the settings (https, normalized, a scope token): nothing is created.
    const contract = s.mode === 'external' ? externalContract(s) : this.createCognito(s, props);
    this.issuer = contract.issuer;
    this.audience = contract.audience;
    this.audienceClaim = contract.audienceClaim;
    this.writeScope = contract.writeScope;
    this.cognito = 'cognito' in contract ? contract.cognito : undefined;
  }

  private createCognito(c: CognitoIssuerSettings, props: IdentityProps): IssuerContract & { cognito: CognitoIssuerOutputs } {
    const { featurePlan, threatProtection, clients } = c;
    const accessMinutes = c.accessTokenValidityMinutes;
    // The prefix is a setting when given (checked there); otherwise the wiring's default, checked here.
    const domainPrefix = c.domainPrefix ?? props.defaultDomainPrefix;
    if (domainPrefix === undefined) throw new Error(`Identity ${this.node.path}: settings.domainPrefix: expected a Cognito domain prefix (or the defaultDomainPrefix prop)`);
    const prefixProblem = cognitoDomainPrefixProblem(domainPrefix);
    if (prefixProblem) throw new Error(`Identity ${this.node.path}: defaultDomainPrefix: ${prefixProblem}`);

    const pool = new CognitoUserPool(this, 'user-pool', {
      name: cognitoPoolName(props.namePrefix),
      deletionProtection: c.deletionProtection ? 'ACTIVE' : 'INACTIVE',
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
    new CognitoUserPoolDomain(this, 'domain', { domain: domainPrefix, userPoolId: pool.id });

    const clientIds: Record<string, string> = {};
    for (const client of clients) {
      const appClient = new CognitoUserPoolClient(this, `client-${client.name}`, {
        name: cognitoClientName(props.namePrefix, client.name),
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
        tokenEndpoint: `https://${domainPrefix}.auth.${props.region}.amazoncognito.com/oauth2/token`,
        clientIds,
      },
    };
  }
}
