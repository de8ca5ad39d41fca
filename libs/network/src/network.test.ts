import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { SettingsError } from '@awp/config';
import { Network, type NetworkSettings } from './index';
import { all } from '@awp/guardrails/testing';

type Json = Record<string, any>;
const TAGS = { Environment: 'test', Layer: 'network', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };

function synth(settings: Partial<NetworkSettings> = {}): { json: Json; stack: TerraformStack; network: Network } {
  const stack = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  const network = new Network(stack, 'network', { namePrefix: 'test', region: 'eu-west-1', clusterName: 'test-eks', settings: { vpcCidr: '10.30.0.0/16', ...settings } });
  return { json: JSON.parse(Testing.synth(stack)), stack, network };
}

describe('Network', () => {
  const { json, stack, network } = synth();

  it('creates a DNS-enabled VPC with public, private and isolated subnets in each of 3 AZs', () => {
    expect(all(json, 'aws_vpc')).toEqual([expect.objectContaining({ cidr_block: '10.30.0.0/16', enable_dns_hostnames: true, enable_dns_support: true })]);
    const subnets = all(json, 'aws_subnet');
    expect(subnets).toHaveLength(9);
    const byTier = (t: string) => subnets.filter((s) => s.tags.Tier === t).map((s) => s.cidr_block);
    expect(byTier('private')).toEqual(['10.30.0.0/18', '10.30.64.0/18', '10.30.128.0/18']);
    expect(byTier('public')).toEqual(['10.30.192.0/21', '10.30.200.0/21', '10.30.208.0/21']);
    expect(byTier('isolated')).toEqual(['10.30.224.0/21', '10.30.232.0/21', '10.30.240.0/21']);
    expect(subnets.every((s) => s.map_public_ip_on_launch !== true)).toBe(true);
    expect([...new Set(subnets.map((s) => s.availability_zone))]).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    // The zones are pinned by name (checkov CKV_AWS_394) and checked at plan time.
    const lookup = Object.values(json.data.aws_availability_zones)[0] as Json;
    expect(lookup.filter).toEqual([{ name: 'zone-name', values: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }]);
    expect(lookup.lifecycle.postcondition[0].condition).toBe('${length(self.names) == 3}');
    expect(network.privateSubnetIds).toHaveLength(3);
  });

  it('tags subnets for Kubernetes load balancer discovery', () => {
    const subnets = all(json, 'aws_subnet');
    const pub = subnets.filter((s) => s.tags.Tier === 'public');
    const priv = subnets.filter((s) => s.tags.Tier === 'private');
    const iso = subnets.filter((s) => s.tags.Tier === 'isolated');
    expect(pub.every((s) => s.tags['kubernetes.io/role/elb'] === '1' && s.tags['kubernetes.io/cluster/test-eks'] === 'shared')).toBe(true);
    expect(priv.every((s) => s.tags['kubernetes.io/role/internal-elb'] === '1')).toBe(true);
    expect(iso.every((s) => !Object.keys(s.tags).some((k) => k.startsWith('kubernetes.io')))).toBe(true);
  });

  it('routes public subnets to the internet gateway, private ones to their own AZ NAT, isolated ones nowhere', () => {
    expect(all(json, 'aws_nat_gateway')).toHaveLength(3);
    expect(all(json, 'aws_eip').every((e) => e.domain === 'vpc')).toBe(true);
    const routes = all(json, 'aws_route');
    expect(routes.filter((r) => r.gateway_id?.includes('aws_internet_gateway'))).toHaveLength(1);
    const natRoutes = routes.filter((r) => r.nat_gateway_id);
    expect(new Set(natRoutes.map((r) => r.nat_gateway_id)).size).toBe(3);
    const isolatedTables = Object.entries(json.resource.aws_route_table).filter(([, t]: [string, any]) => t.tags.Name.startsWith('test-isolated')).map(([k]) => k);
    expect(isolatedTables).toHaveLength(3);
    expect(routes.some((r) => isolatedTables.some((t) => r.route_table_id.includes(t)))).toBe(false);
  });

  it('uses one NAT gateway for every AZ in single mode', () => {
    const single = synth({ natGateways: 'single' }).json;
    expect(all(single, 'aws_nat_gateway')).toHaveLength(1);
    expect(new Set(all(single, 'aws_route').filter((r) => r.nat_gateway_id).map((r) => r.nat_gateway_id)).size).toBe(1);
  });

  it('sends flow logs to a KMS-encrypted log group with retention, through a role only this account can use', () => {
    const [group] = all(json, 'aws_cloudwatch_log_group');
    expect(group.retention_in_days).toBe(365);
    expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\..*\.arn\}$/);
    expect(all(json, 'aws_flow_log')).toEqual([expect.objectContaining({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs', max_aggregation_interval: 60 })]);
    const trust = json.data.aws_iam_policy_document;
    const flowTrust = Object.values(trust).find((d: any) => JSON.stringify(d).includes('vpc-flow-logs.amazonaws.com')) as Json;
    expect(flowTrust.statement[0].condition[0]).toEqual(expect.objectContaining({ test: 'StringEquals', variable: 'aws:SourceAccount' }));
    expect(all(json, 'aws_kms_key')).toEqual([expect.objectContaining({ enable_key_rotation: true, deletion_window_in_days: 30 })]);
    const keyPolicy = JSON.parse(all(json, 'aws_kms_key')[0].policy);
    expect(keyPolicy.Statement.map((st: Json) => st.Principal)).toEqual([{ AWS: expect.stringMatching(/:root$/) }, { Service: expect.stringMatching(/^logs\./) }]);
    expect(keyPolicy.Statement[1].Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toMatch(/:logs:/);
    expect(all(synth({ flowLogRetentionDays: 30 }).json, 'aws_cloudwatch_log_group')[0].retention_in_days).toBe(30);
  });

  it('strips the default security group and keeps the workload group closed to the outside', () => {
    expect(all(json, 'aws_default_security_group')).toEqual([expect.objectContaining({ ingress: [], egress: [] })]);
    const ingress = all(json, 'aws_vpc_security_group_ingress_rule');
    expect(ingress.every((r) => r.cidr_ipv4 !== '0.0.0.0/0')).toBe(true);
    expect(ingress.find((r) => r.from_port === 443)?.cidr_ipv4).toBe('10.30.0.0/16');
  });

  it('names both security groups by prefix: they are replaced create-before-destroy (AWP-GEN-003)', () => {
    const groups = Object.values<Json>(json.resource.aws_security_group);
    expect(groups.map((g) => g.name_prefix).sort()).toEqual(['test-vpc-endpoints-', 'test-workload-']);
    expect(groups.every((g) => g.name === undefined && g.lifecycle.create_before_destroy === true)).toBe(true);
  });

  it('names every port of the workload group: DNS and node ports inside it, HTTPS out, PostgreSQL and Valkey to the isolated subnets only', () => {
    const [address] = Object.entries<Json>(json.resource.aws_security_group).find(([, g]) => g.name_prefix === 'test-workload-')!;
    const ref = `\${aws_security_group.${address}.id}`;
    const rules = (type: string) =>
      all(json, type)
        .filter((r) => r.security_group_id === ref)
        .map((r) => `${r.ip_protocol} ${r.from_port}-${r.to_port} ${r.referenced_security_group_id === ref ? 'self' : r.cidr_ipv4}`)
        .sort();
    expect(rules('aws_vpc_security_group_ingress_rule')).toEqual(['tcp 1025-65535 self', 'tcp 53-53 self', 'udp 53-53 self']);
    expect(rules('aws_vpc_security_group_egress_rule')).toEqual([
      'tcp 1025-65535 self',
      'tcp 443-443 0.0.0.0/0',
      'tcp 53-53 self',
      'tcp 5432-5432 10.30.224.0/21',
      'tcp 5432-5432 10.30.232.0/21',
      'tcp 5432-5432 10.30.240.0/21',
      'tcp 6379-6379 10.30.224.0/21',
      'tcp 6379-6379 10.30.232.0/21',
      'tcp 6379-6379 10.30.240.0/21',
      'udp 53-53 self',
    ]);
    expect(all(json, 'aws_vpc_security_group_ingress_rule').concat(all(json, 'aws_vpc_security_group_egress_rule')).some((r) => r.ip_protocol === '-1')).toBe(false);
    expect(network.privateSubnetCidrs).toEqual(['10.30.0.0/18', '10.30.64.0/18', '10.30.128.0/18']);
    expect(network.isolatedSubnetCidrs).toEqual(['10.30.224.0/21', '10.30.232.0/21', '10.30.240.0/21']);
  });

  it("limits the S3 gateway endpoint to this account's buckets and the AWS buckets image pulls read", () => {
    const s3 = all(json, 'aws_vpc_endpoint').find((e) => e.vpc_endpoint_type === 'Gateway')!;
    const policy = JSON.parse(s3.policy);
    expect(policy.Statement).toEqual([
      { Sid: 'ThisAccountsBuckets', Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\..*\.account_id\}$/) } } },
      { Sid: 'EcrImageLayers', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: expect.stringMatching(/^arn:.*:s3:::prod-\$\{data\.aws_region\..*\.region\}-starport-layer-bucket\/\*$/) },
      { Sid: 'RegistryK8sIoImageLayers', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: expect.stringMatching(/^arn:.*:s3:::prod-registry-k8s-io-\$\{data\.aws_region\..*\.region\}\/\*$/) },
    ]);
  });

  it("limits the interface endpoints to this account's principals (and STS web identity to this account's roles)", () => {
    const iface = all(json, 'aws_vpc_endpoint').filter((e) => e.vpc_endpoint_type === 'Interface');
    for (const e of iface) {
      const [first, ...rest] = JSON.parse(e.policy).Statement;
      expect(first).toEqual({ Sid: 'ThisAccountsPrincipals', Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': expect.stringMatching(/account_id\}$/) } } });
      if (e.service_name.endsWith('.sts')) expect(rest).toEqual([expect.objectContaining({ Action: 'sts:AssumeRoleWithWebIdentity', Resource: expect.stringMatching(/^arn:.*:iam::\$\{data\.aws_caller_identity\..*\}:role\/\*$/) })]);
      else expect(rest).toEqual([]);
    }
  });

  it('creates the S3 gateway endpoint on private and isolated tables and the configured interface endpoints', () => {
    const endpoints = all(json, 'aws_vpc_endpoint');
    const s3 = endpoints.find((e) => e.vpc_endpoint_type === 'Gateway')!;
    expect(s3.service_name).toMatch(/\.s3$/);
    expect(s3.route_table_ids).toHaveLength(6);
    const iface = endpoints.filter((e) => e.vpc_endpoint_type === 'Interface');
    expect(iface.map((e) => e.service_name.split('}.')[1]).sort()).toEqual(['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'sts']);
    expect(iface.every((e) => e.private_dns_enabled === true && e.subnet_ids.length === 3)).toBe(true);
    const fewer = all(synth({ interfaceEndpoints: ['sts'] }).json, 'aws_vpc_endpoint');
    expect(fewer.filter((e) => e.vpc_endpoint_type === 'Interface')).toHaveLength(1);
  });

  it('passes every guardrail', () => {
    expect(checkStack(stack, ALL_RULES).filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('refuses a VPC range that cannot hold the subnets, naming the construct and the field', () => {
    expect(() => synth({ vpcCidr: '10.0.0.0/25' })).toThrow(SettingsError);
    expect(() => synth({ vpcCidr: '10.0.0.0/25' })).toThrow('Network test/network: invalid settings (1 problem):\n  settings.vpcCidr: expected a prefix between /16 and /24');
    expect(() => synth({ vpcCidr: '10.0.0.0/24', azCount: 6 })).toThrow(/settings\.vpcCidr: \/24 is too small for 6 AZs/);
  });

  it('refuses what the settings refuse in an environment file: a public range, AZ names that disagree with azCount', () => {
    expect(() => synth({ vpcCidr: '8.8.0.0/16' })).toThrow('settings.vpcCidr: expected an RFC 1918 private range');
    expect(() => synth({ availabilityZones: ['eu-west-1a', 'eu-west-1b'] })).toThrow('settings.availabilityZones: expected 3 names (azCount), got 2');
    expect(() => synth({ natGateways: 'one' as 'single' })).toThrow(/settings\.natGateways: /);
  });

  it('takes its defaults from the settings section, the only place they are written', () => {
    expect(network.settings).toEqual({
      vpcCidr: '10.30.0.0/16',
      azCount: 3,
      natGateways: 'perAz',
      flowLogRetentionDays: 365,
      flowLogTrafficType: 'ALL',
      flowLogAggregationSeconds: 60,
      interfaceEndpoints: ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'secretsmanager'],
      kmsDeletionWindowDays: 30,
    });
    expect(network.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('aggregates flow logs over 60 s unless told 600 s, and refuses what AWS refuses', () => {
    expect(all(json, 'aws_flow_log')[0].max_aggregation_interval).toBe(60);
    expect(all(synth({ flowLogAggregationSeconds: 600 }).json, 'aws_flow_log')[0].max_aggregation_interval).toBe(600);
    expect(() => synth({ flowLogAggregationSeconds: 300 as 60 })).toThrow(/settings\.flowLogAggregationSeconds: /);
  });

  it('spreads over as many AZs as asked, by count or by name', () => {
    expect(all(synth({ azCount: 2 }).json, 'aws_subnet').map((s) => s.availability_zone)).toEqual(expect.arrayContaining(['eu-west-1a', 'eu-west-1b']));
    const two = synth({ azCount: 2, availabilityZones: ['eu-west-1b', 'eu-west-1c'] }).json;
    expect(all(two, 'aws_subnet')).toHaveLength(6);
    expect(all(two, 'aws_nat_gateway')).toHaveLength(2);
  });
});
