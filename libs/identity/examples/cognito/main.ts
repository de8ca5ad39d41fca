// The smallest stack a team writes with @awp/identity: a plain cdktf App and TerraformStack, the team's own AWS
// provider with its tags, and the Identity construct as a Cognito issuer of client-credentials access tokens (the
// user pool, the `catalogue/write` resource server, one app client per calling system, the token endpoint's domain)
// on its documented defaults but for the callers' names and the domain prefix (unique per region across AWS).
// `npx tsx main.ts` (or compile and `node main.js`; examples/README.md) writes cdktf.out/stacks/team-identity.
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, Guardrails } from '@awp/guardrails';
import { Identity } from '@awp/identity';

const app = new App();
const stack = new TerraformStack(app, 'team-identity');
new AwsProvider(stack, 'aws', {
  region: 'eu-central-1',
  allowedAccountIds: ['123456789012'], // change me: your account
  // The guardrails require these six tags on every taggable resource; default tags put them there.
  defaultTags: [{ tags: { Environment: 'sandbox', Layer: 'identity', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' } }],
});

const identity = new Identity(stack, 'identity', {
  // Every other setting (feature plan, threat protection, deletion protection, token lifetime) keeps its
  // production default: libs/identity/src/settings.ts. `{ mode: 'external', issuer, audience }` uses another issuer.
  // Change me: the domain prefix must be unique per region across all AWS accounts (the platform uses
  // `<env>-auth-<account id>`); this one is taken as soon as anyone applies the example.
  settings: { mode: 'cognito', clients: [{ name: 'orders-service' }, { name: 'nightly-import' }], domainPrefix: 'team-a-sandbox-auth' },
  namePrefix: 'sandbox',
  region: 'eu-central-1',
});

// What the service that verifies the tokens reads (issuer, audience, scope), and what the callers need.
new TerraformOutput(stack, 'issuer_url', { value: identity.issuer });
new TerraformOutput(stack, 'audience', { value: identity.audience });
new TerraformOutput(stack, 'write_scope', { value: identity.writeScope });
new TerraformOutput(stack, 'token_endpoint', { value: identity.cognito?.tokenEndpoint });
new TerraformOutput(stack, 'client_ids', { value: identity.cognito?.clientIds });

// The platform's policy rules on the team's stack: synth fails listing every error-severity finding.
const guardrails = new Guardrails(ALL_RULES).applyTo(app);
app.synth();
guardrails.assertClean();
