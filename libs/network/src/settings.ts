import { z } from 'zod';
import { cidrField, isPrivateRange, kmsDeletionWindowDays, logRetentionDays, parseCidr, planSubnets } from '@awp/config';

/** Interface endpoint service short names (`com.amazonaws.<region>.<name>`). */
export const INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'secretsmanager', 'kms', 'elasticloadbalancing', 'ec2', 'eks', 'eks-auth', 'monitoring'] as const;
export type InterfaceEndpointName = (typeof INTERFACE_ENDPOINTS)[number];
export type NatGatewayMode = 'single' | 'perAz';

/**
 * The network layer's settings: the `network` section of an environment file and the `settings` prop of `Network`.
 * The one place each default is written (docs/architecture.md → Settings: where a knob lives).
 */
export const networkSettings = z
  .strictObject({
    vpcCidr: cidrField.describe("The VPC's IPv4 CIDR block: RFC 1918 between /16 and /24, e.g. 10.20.0.0/16"),
    azCount: z.number().int().min(1).max(6).default(3).describe('Availability zones to spread over (each gets a public, a private and an isolated subnet)'),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected an AZ name like eu-west-1a'))
      .optional()
      .describe('Explicit AZ names (default: <region>a, b, c… up to azCount). Pinned names keep the subnet set from changing when AWS adds a zone.'),
    natGateways: z.enum(['single', 'perAz']).default('perAz').describe('perAz survives an AZ outage; single is cheaper'),
    flowLogRetentionDays: logRetentionDays.default(365).describe('Retention of the VPC flow log group'),
    flowLogTrafficType: z.enum(['ALL', 'ACCEPT', 'REJECT']).default('ALL').describe('Which traffic the flow logs record'),
    flowLogAggregationSeconds: z
      .union([z.literal(60), z.literal(600)])
      .default(60)
      .describe('Flow log max aggregation interval: 60 s records (default) or 600 s (fewer, cheaper records); the only values AWS accepts'),
    interfaceEndpoints: z
      .array(z.enum(INTERFACE_ENDPOINTS))
      .default(['ecr.api', 'ecr.dkr', 'sts', 'logs', 'secretsmanager'])
      .describe('Interface endpoints in the private subnets, so nodes reach these AWS APIs without the NAT gateways'),
    kmsDeletionWindowDays: kmsDeletionWindowDays.default(30).describe('Days before a deleted logs key is gone for good'),
  })
  .superRefine((n, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (n.availabilityZones) {
      const azs = n.availabilityZones;
      if (azs.length !== n.azCount) issue(['availabilityZones'], `expected ${n.azCount} names (azCount), got ${azs.length}`);
      azs.forEach((az, i) => {
        if (azs.indexOf(az) !== i) issue(['availabilityZones', i], `expected distinct zones, "${az}" appears twice`);
      });
    }
    // VPC range: syntax, private space, and room for three subnets per AZ.
    const parsed = parseCidr(n.vpcCidr);
    if (typeof parsed === 'string') {
      issue(['vpcCidr'], parsed);
    } else if (parsed.prefix < 16 || parsed.prefix > 24) {
      issue(['vpcCidr'], `expected a prefix between /16 and /24 (AWS's VPC limits for a usable EKS network), got /${parsed.prefix}`);
    } else if (!isPrivateRange(parsed)) {
      issue(['vpcCidr'], `expected an RFC 1918 private range (10/8, 172.16/12, 192.168/16), got "${n.vpcCidr}"`);
    } else {
      const plan = planSubnets(n.vpcCidr, n.azCount);
      if (typeof plan === 'string') issue(['vpcCidr'], plan);
    }
  });

/** What a caller may pass (defaults optional). */
export type NetworkSettings = z.input<typeof networkSettings>;
/** What the construct uses (defaults filled in). */
export type ResolvedNetworkSettings = z.output<typeof networkSettings>;
