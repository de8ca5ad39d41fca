import type { Construct } from 'constructs';
import { PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import type { DataLayer } from '@awp/data';
import { Edge, type ZoneRef } from '@awp/edge';
import type { Network } from '@awp/network';

/** Seconds the ALB waits beyond the service's own drain before it drops a deregistering target. */
const DEREGISTRATION_MARGIN_SECONDS = 5;

/**
 * `<env>-edge`: records in the dns stack's zone, ACM (CloudFront's certificate and the WAF in us-east-1 through the
 * stack's aliased provider), CloudFront in front of the assets and uploads buckets and the ALB, and the internal ALB
 * in the private subnets as a CloudFront VPC origin. With a created zone it refuses to plan until the zone is delegated.
 */
export function edgeStack(scope: Construct, env: EnvironmentConfig, zone: ZoneRef, network: Network, data: DataLayer): { stack: PlatformStack; edge: Edge } {
  const stack = new PlatformStack(scope, { env, layer: 'edge' });
  const edge = new Edge(stack, 'edge', {
    // The layer's sections pass through as they are; wiring inputs (names, upstream IDs) sit beside them.
    settings: { domain: env.domain, edge: env.edge },
    namePrefix: env.name,
    zone,
    // dev.shop.example.com inside prod's zone: only prod's dns stack can delegate it (docs/first-deploy.md, section 4).
    delegationParentZone: env.parentZone && {
      zone: env.parentZone.zone,
      howTo:
        `the ${env.parentZone.environment}-dns stack writes it: ${env.parentZone.nameServersListed ? 'check' : 'add'} these values as "nameServers" of the entry ` +
        `{ "name": "${env.domain.name}" } in ${env.parentZone.file} (domain.delegations) and apply ${env.parentZone.environment}-dns by hand (the pipeline reaches ${env.parentZone.environment} only after ${env.name})`,
    },
    usEast1Provider: stack.awsUsEast1,
    vpcId: network.vpcId,
    vpcCidr: network.vpcCidr,
    privateSubnetIds: network.privateSubnetIds,
    workloadSecurityGroupId: network.workloadSecurityGroupId,
    assetsBucket: data.buckets.assets,
    logsBucket: data.buckets.logs,
    // The data layer's TLS-only statements, so the policy this stack owns keeps the bucket TLS-only.
    assetsBucketPolicyStatements: data.buckets.assetsBucketPolicyStatements,
    // Uploaded images are served through CloudFront only: this stack owns the uploads bucket policy as well.
    uploadsBucket: data.buckets.uploads,
    uploadsBucketPolicyStatements: data.buckets.uploadsBucketPolicyStatements,
    nodePort: env.service.nodePort,
    deregistrationDelaySeconds: env.service.drainSeconds + DEREGISTRATION_MARGIN_SECONDS,
  });
  return { stack, edge };
}
