// The smallest stack a team writes with @awp/compute: a plain cdktf App and TerraformStack, the team's own AWS
// provider with its tags, and the Cluster construct (EKS, one managed node group, add-ons, Pod Identity roles for
// the service and its migration Job, the ECR repository) on its documented defaults but for the Kubernetes version
// and the node group, which have none. The network it stands in is the team's own: its IDs are Terraform variables
// here (`-var private_subnet_ids=[…]`), cross-stack references when the team builds the network in cdktf.
// `npx tsx main.ts` (or compile and `node main.js`; examples/README.md) writes cdktf.out/stacks/team-cluster.
import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Cluster } from '@awp/compute';
import { ALL_RULES, Guardrails } from '@awp/guardrails';

const app = new App();
const stack = new TerraformStack(app, 'team-cluster');
new AwsProvider(stack, 'aws', {
  region: 'eu-central-1',
  allowedAccountIds: ['123456789012'],
  // The guardrails require these six tags on every taggable resource; default tags put them there.
  defaultTags: [{ tags: { Environment: 'sandbox', Layer: 'cluster', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' } }],
});

// Wiring from the team's network (e.g. @awp/network's outputs) and the team's deploy role.
const privateSubnetIds = new TerraformVariable(stack, 'private_subnet_ids', { type: 'list(string)', description: 'Subnets with a NAT route, one per AZ: the nodes and the API endpoint live there' });
const workloadSecurityGroupId = new TerraformVariable(stack, 'workload_security_group_id', { type: 'string', description: 'The security group of the nodes and pods' });
const logsKeyArn = new TerraformVariable(stack, 'logs_key_arn', { type: 'string', description: 'The KMS key that encrypts CloudWatch log groups' });

const cluster = new Cluster(stack, 'cluster', {
  // Every other setting (add-on and chart versions, private endpoint, log retention…) keeps its default:
  // libs/compute/src/settings.ts.
  settings: {
    kubernetesVersion: '1.33',
    nodeGroups: [{ name: 'general', instanceTypes: ['t3.large'], minSize: 1, desiredSize: 2, maxSize: 3 }],
    deletionProtection: false,
  },
  clusterName: 'sandbox-eks',
  privateSubnetIds: privateSubnetIds.listValue,
  workloadSecurityGroupId: workloadSecurityGroupId.stringValue,
  logsKeyArn: logsKeyArn.stringValue,
  repositoryName: 'sandbox-api',
  // The role that deploys the team's workloads gets cluster-admin through an EKS access entry.
  adminRoleArns: ['arn:aws:iam::123456789012:role/team-a-deploy'],
  serviceNamespace: 'api',
  serviceAccountName: 'api',
});

// What the team's workloads stack and pipeline read.
new TerraformOutput(stack, 'cluster_name', { value: cluster.clusterName });
new TerraformOutput(stack, 'cluster_endpoint', { value: cluster.clusterEndpoint });
new TerraformOutput(stack, 'ecr_repository_url', { value: cluster.ecrRepositoryUrl });
new TerraformOutput(stack, 'service_role_name', { value: cluster.serviceRoleName });

// The platform's policy rules on the team's stack: synth fails listing every error-severity finding.
const guardrails = new Guardrails(ALL_RULES).applyTo(app);
app.synth();
guardrails.assertClean();
