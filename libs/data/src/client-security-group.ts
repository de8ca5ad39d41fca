import type { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';

export interface ClientOnlySecurityGroupProps {
  readonly vpcId: string;
  /** Group name prefix (a replacement is created before the old group goes, so the name must vary). */
  readonly namePrefix: string;
  readonly name: string;
  readonly description: string;
  /** The only source admitted: the clients' security group (no CIDR ingress, no egress: a data store calls nobody). */
  readonly clientSecurityGroupId: string;
  readonly port: number;
  readonly ruleDescription: string;
}

/**
 * A data store's security group: one TCP port, from one client security group, nothing else. Created in `scope`
 * as `sg` and `from-workloads`, so the Terraform addresses stay those of the construct using it.
 */
export function clientOnlySecurityGroup(scope: Construct, props: ClientOnlySecurityGroupProps): SecurityGroup {
  const group = new SecurityGroup(scope, 'sg', {
    namePrefix: props.namePrefix,
    description: props.description,
    vpcId: props.vpcId,
    tags: { Name: props.name },
    lifecycle: { createBeforeDestroy: true },
  });
  new VpcSecurityGroupIngressRule(scope, 'from-workloads', {
    securityGroupId: group.id,
    referencedSecurityGroupId: props.clientSecurityGroupId,
    ipProtocol: 'tcp',
    fromPort: props.port,
    toPort: props.port,
    description: props.ruleDescription,
  });
  return group;
}
