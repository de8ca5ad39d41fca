// The smallest stack a team writes with @awp/network: a plain cdktf App and TerraformStack, the team's own AWS
// provider with its tags, and the Network construct on its documented defaults but for the CIDR, two AZs and one
// NAT gateway (a sandbox). `npx tsx main.ts` (or compile and `node main.js`; examples/README.md) writes
// cdktf.out/stacks/team-network.
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, Guardrails } from '@awp/guardrails';
import { Network } from '@awp/network';

const app = new App();
const stack = new TerraformStack(app, 'team-network');
new AwsProvider(stack, 'aws', {
  region: 'eu-central-1',
  allowedAccountIds: ['123456789012'],
  // The guardrails require these six tags on every taggable resource; default tags put them there.
  defaultTags: [{ tags: { Environment: 'sandbox', Layer: 'network', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' } }],
});

const network = new Network(stack, 'network', {
  namePrefix: 'sandbox',
  region: 'eu-central-1',
  // Every other setting (flow logs, endpoints, retention…) keeps its default: libs/network/src/settings.ts.
  settings: { vpcCidr: '10.42.0.0/16', azCount: 2, natGateways: 'single' },
});

// What the team's other stacks read (through cdktf cross-stack references or `terraform output`).
new TerraformOutput(stack, 'vpc_id', { value: network.vpcId });
new TerraformOutput(stack, 'private_subnet_ids', { value: network.privateSubnetIds });
new TerraformOutput(stack, 'isolated_subnet_ids', { value: network.isolatedSubnetIds });
new TerraformOutput(stack, 'workload_security_group_id', { value: network.workloadSecurityGroupId });
new TerraformOutput(stack, 'logs_key_arn', { value: network.logsKeyArn });

// The platform's policy rules on the team's stack: synth fails listing every error-severity finding.
const guardrails = new Guardrails(ALL_RULES).applyTo(app);
app.synth();
guardrails.assertClean();
