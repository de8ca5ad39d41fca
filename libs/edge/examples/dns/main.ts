// The smallest stack a team writes with @awp/edge's SiteZone (the dns layer): a plain cdktf App and TerraformStack,
// the team's own AWS providers with their tags (the default region, and us-east-1 where Route 53 query logs and the
// DNSSEC key must live), and the site's public hosted zone with query logging and DNSSEC on their defaults. Apply it
// first: its `name_servers` output is the NS record to create in the parent zone before the site stack is applied,
// then its `ds_record` output the DS record beside it (DNSSEC).
// `npx tsx main.ts` (or compile and `node main.js`; examples/README.md) writes cdktf.out/stacks/team-dns.
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SiteZone } from '@awp/edge';
import { ALL_RULES, Guardrails } from '@awp/guardrails';

const app = new App();
const stack = new TerraformStack(app, 'team-dns');
// The guardrails require these six tags on every taggable resource; default tags put them there.
const defaultTags = [{ tags: { Environment: 'sandbox', Layer: 'dns', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' } }];
new AwsProvider(stack, 'aws', { region: 'eu-central-1', allowedAccountIds: ['123456789012'], defaultTags });
const usEast1 = new AwsProvider(stack, 'aws-us-east-1', { region: 'us-east-1', alias: 'us_east_1', allowedAccountIds: ['123456789012'], defaultTags });

const zone = new SiteZone(stack, 'zone', {
  // domain.hostedZone defaults to { mode: 'create' } ({ mode: 'lookup', name } reads a zone that already exists and is
  // delegated); edge.dnssec and edge.logRetentionDays keep their defaults: libs/edge/src/settings.ts.
  settings: { domain: { name: 'sandbox.team-a.example.com' } },
  namePrefix: 'sandbox',
  usEast1Provider: usEast1,
});

new TerraformOutput(stack, 'zone_id', { value: zone.zoneId });
new TerraformOutput(stack, 'name_servers', { value: zone.nameServers, description: 'Create an NS record for sandbox.team-a.example.com with these values in the parent zone' });
// DNSSEC is on by default: the chain of trust needs this DS record in the parent zone too (after the NS record works).
if (zone.dsRecord) {
  new TerraformOutput(stack, 'ds_record', { value: zone.dsRecord, description: 'DNSSEC: once the delegation works, create a DS record named sandbox.team-a.example.com with this value in the parent zone' });
}

// The platform's policy rules on the team's stack: synth fails listing every error-severity finding.
const guardrails = new Guardrails(ALL_RULES).applyTo(app);
app.synth();
guardrails.assertClean();
