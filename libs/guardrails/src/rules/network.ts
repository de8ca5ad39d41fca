import type { GuardrailRule, StackView } from '../types';
import { ANYWHERE, blocks, ingressEntries, isTruthy } from '../util';

const WEB_PORTS = [80, 443];

/** Egress entries that allow every protocol and port to anywhere, from inline blocks or separate rule resources. */
function openEgress(element: { type: string; config: Record<string, unknown> }): boolean {
  const c = element.config;
  const everywhere = (cidrs: unknown[]) => cidrs.some((x) => ANYWHERE.includes(String(x)));
  switch (element.type) {
    case 'aws_security_group':
      return blocks(c.egress).some((e) => String(e.protocol) === '-1' && everywhere([...((e.cidr_blocks as unknown[]) ?? []), ...((e.ipv6_cidr_blocks as unknown[]) ?? [])]));
    case 'aws_security_group_rule':
      return c.type === 'egress' && String(c.protocol) === '-1' && everywhere([...((c.cidr_blocks as unknown[]) ?? []), ...((c.ipv6_cidr_blocks as unknown[]) ?? [])]);
    case 'aws_vpc_security_group_egress_rule':
      return String(c.ip_protocol) === '-1' && everywhere([c.cidr_ipv4, c.cidr_ipv6]);
    default:
      return false;
  }
}

/** The statements of a policy written as JSON text in the synthesized stack (undefined for a reference or none). */
function literalStatements(policy: unknown): Record<string, unknown>[] | undefined {
  if (typeof policy !== 'string' || policy.startsWith('${')) return undefined;
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    return (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Record<string, unknown>[];
  } catch {
    return undefined;
  }
}
const isStar = (v: unknown) => v === '*' || (Array.isArray(v) && v.includes('*'));

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
  {
    id: 'AWP-NET-005',
    severity: 'error',
    description: 'No security group allows every protocol and port out to anywhere: egress names its ports and destinations.',
    fix: 'Replace the all-traffic egress with rules per port (e.g. 443 to 0.0.0.0/0, 5432 to the data subnets, DNS and node ports to the group itself).',
    appliesTo: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_egress_rule'],
    check: ({ element }) => (openEgress(element) ? 'egress of every protocol and port to anywhere' : undefined),
  },
  {
    id: 'AWP-NET-006',
    severity: 'error',
    description: "Every VPC endpoint has a policy, and no statement of it allows everything to everyone: each Allow names resources or carries a condition (e.g. this account's principals or buckets).",
    fix: 'Set the endpoint policy (the Network construct limits interface endpoints to aws:PrincipalAccount and the S3 endpoint to aws:ResourceAccount plus the AWS buckets image pulls need).',
    appliesTo: ['aws_vpc_endpoint'],
    check: ({ element }) => {
      const policy = element.config.policy;
      if (policy === undefined || policy === null || policy === '') return 'endpoint has no policy (AWS attaches full access for any principal to any resource)';
      const statements = literalStatements(policy);
      if (!statements) return undefined; // a policy document reference: checked where it is written
      return statements
        .filter((st) => st.Effect === 'Allow' && !st.Condition && isStar(st.Resource ?? '*'))
        .map((st) => `endpoint policy statement ${st.Sid ? `"${String(st.Sid)}" ` : ''}allows resource "*" without a condition`);
    },
  },
];
