// The smallest stack a team writes with @awp/edge's Edge: a plain cdktf App and TerraformStack, the team's own AWS
// providers with their tags (the default region, and us-east-1 where CloudFront's certificate and WAF must live),
// and the site's edge on its documented defaults: ACM certificates, the WAF web ACL, CloudFront in front of the
// assets and uploads buckets and of an internal ALB (a CloudFront VPC origin) that forwards to the service's node
// port, and the records in the site's zone. The zone, network and buckets are the team's own: Terraform variables
// and plain values here, cross-stack references when the team builds them in cdktf (@awp/network, @awp/data).
// `npx tsx main.ts` (or compile and `node main.js`; examples/README.md) writes cdktf.out/stacks/team-site.
import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Edge } from '@awp/edge';
import { ALL_RULES, Guardrails } from '@awp/guardrails';

const app = new App();
const stack = new TerraformStack(app, 'team-site');
// The guardrails require these six tags on every taggable resource; default tags put them there.
const defaultTags = [{ tags: { Environment: 'sandbox', Layer: 'edge', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' } }];
new AwsProvider(stack, 'aws', { region: 'eu-central-1', allowedAccountIds: ['123456789012'], defaultTags });
const usEast1 = new AwsProvider(stack, 'aws-us-east-1', { region: 'us-east-1', alias: 'us_east_1', allowedAccountIds: ['123456789012'], defaultTags });

// Wiring from the team's dns and network stacks (e.g. SiteZone's zoneId, @awp/network's outputs).
const zoneId = new TerraformVariable(stack, 'zone_id', { type: 'string', description: "The site's public hosted zone, already delegated" });
const vpcId = new TerraformVariable(stack, 'vpc_id', { type: 'string', description: 'The VPC the internal ALB lives in' });
const privateSubnetIds = new TerraformVariable(stack, 'private_subnet_ids', { type: 'list(string)', description: 'Subnets of the internal ALB, one per AZ' });
const workloadSecurityGroupId = new TerraformVariable(stack, 'workload_security_group_id', { type: 'string', description: "The security group of the service's nodes" });
// The buckets the distribution serves and logs to: existing buckets, named here. @awp/data's `DataBuckets` makes all
// three right (wire its outputs instead of names). Made another way, they need:
// - logs: ACLs enabled (object ownership BucketOwnerPreferred, not the default BucketOwnerEnforced) and SSE-S3:
//   CloudFront standard logging writes through an ACL grant; and a bucket policy letting ALB log delivery
//   (`logdelivery.elasticloadbalancing.amazonaws.com`, or the region's ELB account in older regions) s3:PutObject
//   under `alb/*AWSLogs/<account id>/` — ALB access logs cannot write to an SSE-KMS bucket.
// - assets and uploads: no bucket policy of their own. This stack writes theirs (CloudFront's origin access control,
//   TLS only; add statements with assetsBucketPolicyStatements / uploadsBucketPolicyStatements): S3 keeps one policy
//   per bucket, so another one would be overwritten, or overwrite this one. With SSE-KMS, the key's policy must let
//   CloudFront (cloudfront.amazonaws.com, this account's distributions) kms:Decrypt.
const bucket = (name: string) => ({ name, arn: `arn:aws:s3:::${name}`, regionalDomainName: `${name}.s3.eu-central-1.amazonaws.com` });

const edge = new Edge(stack, 'edge', {
  // The edge section (WAF rate limits, price class, request body limit, retention…) keeps its defaults:
  // libs/edge/src/settings.ts. The domain section names the site and says how its zone was made.
  settings: { domain: { name: 'sandbox.team-a.example.com', hostedZone: { mode: 'lookup', name: 'sandbox.team-a.example.com' } } },
  namePrefix: 'sandbox',
  // A looked-up, delegated zone: no delegatedNameServers, so no delegation check before the plan.
  zone: { zoneId: zoneId.stringValue },
  usEast1Provider: usEast1,
  vpcId: vpcId.stringValue,
  vpcCidr: '10.42.0.0/16',
  privateSubnetIds: privateSubnetIds.listValue,
  workloadSecurityGroupId: workloadSecurityGroupId.stringValue,
  assetsBucket: bucket('sandbox-assets-123456789012'),
  uploadsBucket: bucket('sandbox-uploads-123456789012'),
  logsBucket: bucket('sandbox-logs-123456789012'),
  // The service's Kubernetes Service of type NodePort; every other prop (health paths, TLS policy…) keeps its default.
  nodePort: 30080,
});

// What the team's workloads (the target group their pods register in) and monitoring read.
new TerraformOutput(stack, 'target_group_arn', { value: edge.targetGroupArn });
new TerraformOutput(stack, 'distribution_id', { value: edge.distributionId });

// The platform's policy rules on the team's stack: synth fails listing every error-severity finding.
const guardrails = new Guardrails(ALL_RULES).applyTo(app);
app.synth();
guardrails.assertClean();
