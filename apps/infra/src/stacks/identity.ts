import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { defaultCognitoDomainPrefix, PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { Identity } from '@awp/identity';

/**
 * `<env>-identity`: the issuer of the access tokens the service requires on writes — a Cognito user pool with the
 * `catalogue` resource server and machine-to-machine app clients, or, with `identity.mode: "external"` in the
 * environment file, nothing but the outputs that pass an external OpenID Connect issuer to the workloads stack.
 */
export function identityStack(scope: Construct, env: EnvironmentConfig): { stack: PlatformStack; identity: Identity } {
  const stack = new PlatformStack(scope, { env, layer: 'identity' });
  // The layer's section passes through as it is; the default domain prefix needs the environment name and account.
  const identity = new Identity(stack, 'identity', { settings: env.identity, namePrefix: env.name, region: env.region, defaultDomainPrefix: defaultCognitoDomainPrefix(env) });
  // Named outputs for callers and operators; none is secret (client secrets never leave Cognito and the state).
  new TerraformOutput(stack, 'issuer_url', { value: identity.issuer, description: 'The iss claim of the access tokens (OpenID discovery: <issuer>/.well-known/openid-configuration)' });
  new TerraformOutput(stack, 'audience', { value: identity.audience, description: `Accepted values of the ${identity.audienceClaim} claim, comma-separated` });
  new TerraformOutput(stack, 'audience_claim', { value: identity.audienceClaim });
  new TerraformOutput(stack, 'write_scope', { value: identity.writeScope, description: 'The scope a token needs to write to the catalogue' });
  if (identity.cognito) {
    new TerraformOutput(stack, 'token_endpoint', { value: identity.cognito.tokenEndpoint, description: 'POST grant_type=client_credentials&scope=catalogue/write with the client id and secret (HTTP Basic)' });
    new TerraformOutput(stack, 'client_ids', { value: identity.cognito.clientIds, description: 'App client id per caller; the secret: aws cognito-idp describe-user-pool-client (see libs/identity README)' });
    new TerraformOutput(stack, 'user_pool_id', { value: identity.cognito.userPoolId });
  }
  return { stack, identity };
}
