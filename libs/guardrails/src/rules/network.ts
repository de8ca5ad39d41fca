import type { GuardrailRule, StackView } from '../types';
import { ANYWHERE, blocks, ingressEntries, isTruthy } from '../util';

const WEB_PORTS = [80, 443];

/** True when a load balancer in the stack uses the security group (given as address or `${address.id}`). */
function isLoadBalancerGroup(stack: StackView, sg: string): boolean {
  const address = sg.replace(/^\$\{/, '').replace(/\.id\}$/, '');
  return stack.ofType('aws_lb').some((lb) => JSON.stringify(lb.config.security_groups ?? []).includes(`\${${address}.id}`));
}

/** Rules for the network layer (and any security group in any layer). */
export const networkRules: GuardrailRule[] = [
  {
    id: 'AWP-NET-001',
    severity: 'error',
    description: 'No ingress from anywhere (0.0.0.0/0, ::/0), except ports 80/443 on a load balancer security group.',
    fix: 'Admit a security group or a managed prefix list instead of a CIDR; only a public load balancer may take 80/443 from anywhere.',
    appliesTo: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'],
    check: ({ element, stack }) =>
      ingressEntries(element)
        .filter((e) => e.cidrs.some((c) => ANYWHERE.includes(c)))
        .filter((e) => !(e.from === e.to && WEB_PORTS.includes(e.from) && isLoadBalancerGroup(stack, e.sg)))
        .map((e) => `ingress from anywhere on ports ${e.from}-${e.to}`),
  },
  {
    id: 'AWP-NET-002',
    severity: 'error',
    description: "Every VPC's default security group is managed and stripped of all rules.",
    fix: 'Add an aws_default_security_group for the VPC with no ingress and no egress blocks.',
    appliesTo: ['aws_vpc', 'aws_default_security_group'],
    check: ({ element, stack }) => {
      if (element.type === 'aws_default_security_group') {
        const rules = blocks(element.config.ingress).length + blocks(element.config.egress).length;
        return rules > 0 ? `default security group keeps ${rules} rule(s)` : undefined;
      }
      return stack.referencing(element.address, 'aws_default_security_group').length ? undefined : 'VPC has no managed (rule-free) default security group';
    },
  },
  {
    id: 'AWP-NET-003',
    severity: 'error',
    description: 'Every VPC has flow logs.',
    fix: 'Add an aws_flow_log for the VPC (the Network construct does) to an encrypted log group with retention.',
    appliesTo: ['aws_vpc'],
    check: ({ element, stack }) => (stack.referencing(element.address, 'aws_flow_log').length ? undefined : 'VPC has no flow log'),
  },
  {
    id: 'AWP-NET-004',
    severity: 'error',
    description: 'Subnets do not hand out public IPs on launch.',
    fix: 'Set mapPublicIpOnLaunch to false; load balancers and NAT gateways get their addresses without it.',
    appliesTo: ['aws_subnet'],
    check: ({ element }) => (isTruthy(element.config.map_public_ip_on_launch) ? 'subnet maps public IPs on launch' : undefined),
  },
];
