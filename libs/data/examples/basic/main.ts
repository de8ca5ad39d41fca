// The smallest stack a team writes with @awp/data: a plain cdktf App and TerraformStack, the team's own AWS provider
// with its tags, and the DataLayer (PostgreSQL, Valkey, S3 buckets, KMS keys, secrets) on its documented defaults
// but for deletion protection and final snapshots (a sandbox). The network it stands in is the team's own: its IDs
// are Terraform variables here (`-var vpc_id=…`), cross-stack references when the team builds the network in cdktf.
// `npx tsx main.ts` (or compile and `node main.js`; examples/README.md) writes cdktf.out/stacks/team-data.
import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataLayer } from '@awp/data';
import { ALL_RULES, Guardrails } from '@awp/guardrails';

const app = new App();
const stack = new TerraformStack(app, 'team-data');
new AwsProvider(stack, 'aws', {
  region: 'eu-central-1',
  allowedAccountIds: ['123456789012'],
  // The guardrails require these six tags on every taggable resource; default tags put them there.
  defaultTags: [{ tags: { Environment: 'sandbox', Layer: 'data', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' } }],
});

// Wiring from the team's network (e.g. @awp/network's outputs): the isolated subnets hold the database and cache.
const vpcId = new TerraformVariable(stack, 'vpc_id', { type: 'string', description: 'The VPC the database and cache live in' });
const isolatedSubnetIds = new TerraformVariable(stack, 'isolated_subnet_ids', { type: 'list(string)', description: 'Subnets without a route to the internet, one per AZ' });
const workloadSecurityGroupId = new TerraformVariable(stack, 'workload_security_group_id', { type: 'string', description: 'The security group of the pods that may connect' });
const logsKeyArn = new TerraformVariable(stack, 'logs_key_arn', { type: 'string', description: 'The KMS key that encrypts CloudWatch log groups' });

const data = new DataLayer(stack, 'data', {
  // Every other setting (instance classes, backups, replicas, encryption…) keeps its default: libs/data/src/settings.ts.
  settings: { database: { deletionProtection: false, finalSnapshot: false }, cache: { finalSnapshot: false } },
  namePrefix: 'sandbox',
  vpcId: vpcId.stringValue,
  isolatedSubnetIds: isolatedSubnetIds.listValue,
  workloadSecurityGroupId: workloadSecurityGroupId.stringValue,
  logsKeyArn: logsKeyArn.stringValue,
  siteDomain: 'sandbox.example.com',
  // Bucket names are global: the account id in them keeps them unique.
  bucketNames: { assets: 'sandbox-assets-123456789012', uploads: 'sandbox-uploads-123456789012', logs: 'sandbox-logs-123456789012' },
});

// What the team's service stack reads; access is granted there with the parts' grant helpers
// (data.database.grantConnect(role, user), data.buckets.uploads.grantReadWrite(role), …).
new TerraformOutput(stack, 'database_endpoint', { value: data.database.endpoint });
new TerraformOutput(stack, 'cache_endpoint', { value: data.cache.configurationEndpoint });
new TerraformOutput(stack, 'uploads_bucket', { value: data.buckets.uploads.name });

// The platform's policy rules on the team's stack: synth fails listing every error-severity finding.
const guardrails = new Guardrails(ALL_RULES).applyTo(app);
app.synth();
guardrails.assertClean();
