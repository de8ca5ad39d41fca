import { Testing, TerraformStack, App } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { SecurityGroupRule } from '@cdktf/provider-aws/lib/security-group-rule';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { ElasticacheParameterGroup } from '@cdktf/provider-aws/lib/elasticache-parameter-group';
import { replacementSuffix } from '@awp/config';
import { checkStack, Guardrails, GuardrailError, suppress, genericRules, networkRules, formatFindings, ALL_RULES } from '../index';

const TAGS = { Environment: 'dev', Layer: 't', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };

function stack(withProvider = true, tier?: string): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  if (tier) s.node.setContext('awp:tier', tier);
  if (withProvider) new AwsProvider(s, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  return s;
}
const ids = (s: TerraformStack, rules = ALL_RULES) => checkStack(s, rules).map((f) => f.ruleId);

describe('generic rules', () => {
  it('AWP-GEN-001 fires on a provider without the required default tags', () => {
    const s = stack(false);
    new AwsProvider(s, 'aws', { region: 'eu-west-1', allowedAccountIds: ['1'], defaultTags: [{ tags: { Owner: 'x' } }] });
    const f = checkStack(s, genericRules);
    expect(f.map((x) => x.ruleId)).toEqual(['AWP-GEN-001']);
    expect(f[0].message).toMatch(/lack Environment, Layer, CostCenter, Repository, ManagedBy/);
    expect(ids(stack(), genericRules)).toEqual([]);
  });

  it('AWP-GEN-002 fires on a provider without allowed_account_ids', () => {
    const s = stack(false);
    new AwsProvider(s, 'aws', { region: 'eu-west-1', defaultTags: [{ tags: TAGS }] });
    expect(ids(s, genericRules)).toEqual(['AWP-GEN-002']);
  });

  it('AWP-LOG-001 and AWP-LOG-002 fire on an unencrypted log group without retention', () => {
    const s = stack();
    new CloudwatchLogGroup(s, 'bad', { name: 'bad' });
    new CloudwatchLogGroup(s, 'good', { name: 'good', kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/x', retentionInDays: 30 });
    const f = checkStack(s, genericRules);
    expect(f.map((x) => [x.ruleId, x.path])).toEqual([
      ['AWP-LOG-001', 'test/bad'],
      ['AWP-LOG-002', 'test/bad'],
    ]);
  });
});

it('AWP-LOG-003 fires on a prod log group kept less than a year, and only in prod', () => {
  const prod = stack(true, 'prod');
  new CloudwatchLogGroup(prod, 'short', { name: 'short', kmsKeyId: 'k', retentionInDays: 30 });
  new CloudwatchLogGroup(prod, 'long', { name: 'long', kmsKeyId: 'k', retentionInDays: 365 });
  expect(checkStack(prod, genericRules).map((f) => `${f.ruleId} ${f.path} ${f.message}`)).toEqual(['AWP-LOG-003 test/short prod log group keeps logs 30 days (< 365)']);
  const dev = stack(true, 'dev');
  new CloudwatchLogGroup(dev, 'short', { name: 'short', kmsKeyId: 'k', retentionInDays: 30 });
  expect(checkStack(dev, genericRules)).toEqual([]);
});

describe('network rules', () => {
  it('AWP-NET-001 fires on SSH from anywhere, inline or as a rule resource', () => {
    const s = stack();
    new SecurityGroup(s, 'inline', { name: 'i', ingress: [{ fromPort: 22, toPort: 22, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }] });
    const sg = new SecurityGroup(s, 'sg', { name: 's' });
    new VpcSecurityGroupIngressRule(s, 'v6', { securityGroupId: sg.id, cidrIpv6: '::/0', ipProtocol: 'tcp', fromPort: 5432, toPort: 5432 });
    new SecurityGroupRule(s, 'legacy', { type: 'ingress', securityGroupId: sg.id, cidrBlocks: ['0.0.0.0/0'], protocol: '-1', fromPort: 0, toPort: 65535 });
    const f = checkStack(s, networkRules);
    expect(f.map((x) => `${x.ruleId} ${x.path} ${x.message}`).sort()).toEqual([
      'AWP-NET-001 test/inline ingress from anywhere on ports 22-22',
      'AWP-NET-001 test/legacy ingress from anywhere on ports 0-65535',
      'AWP-NET-001 test/v6 ingress from anywhere on ports 5432-5432',
    ]);
  });

  it('AWP-NET-001 allows 443 from anywhere only on a load balancer security group', () => {
    const s = stack();
    const lbSg = new SecurityGroup(s, 'lb-sg', { name: 'lb' });
    new Lb(s, 'lb', { securityGroups: [lbSg.id], subnets: ['subnet-1'] });
    new VpcSecurityGroupIngressRule(s, 'https', { securityGroupId: lbSg.id, cidrIpv4: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 443, toPort: 443 });
    const other = new SecurityGroup(s, 'app-sg', { name: 'app' });
    new VpcSecurityGroupIngressRule(s, 'app-https', { securityGroupId: other.id, cidrIpv4: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 443, toPort: 443 });
    expect(checkStack(s, networkRules).map((x) => x.path)).toEqual(['test/app-https']);
  });

  it('AWP-NET-002 and AWP-NET-003 fire on a VPC without a stripped default group and flow logs', () => {
    const s = stack();
    new Vpc(s, 'vpc', { cidrBlock: '10.0.0.0/16' });
    expect(ids(s, networkRules).sort()).toEqual(['AWP-NET-002', 'AWP-NET-003']);

    const ok = stack();
    const vpc = new Vpc(ok, 'vpc', { cidrBlock: '10.0.0.0/16' });
    new DefaultSecurityGroup(ok, 'default', { vpcId: vpc.id, ingress: [], egress: [] });
    new FlowLog(ok, 'flow', { vpcId: vpc.id, trafficType: 'ALL', logDestination: 'arn:aws:logs:x' });
    expect(ids(ok, networkRules)).toEqual([]);

    const leaky = stack();
    const v2 = new Vpc(leaky, 'vpc', { cidrBlock: '10.0.0.0/16' });
    new DefaultSecurityGroup(leaky, 'default', { vpcId: v2.id, egress: [{ fromPort: 0, toPort: 0, protocol: '-1', cidrBlocks: ['0.0.0.0/0'] }] });
    new FlowLog(leaky, 'flow', { vpcId: v2.id, trafficType: 'ALL', logDestination: 'arn:aws:logs:x' });
    expect(checkStack(leaky, networkRules).map((f) => f.message)).toEqual(['default security group keeps 1 rule(s)']);
  });

  it('AWP-NET-004 fires on a subnet that maps public IPs', () => {
    const s = stack();
    new Subnet(s, 'pub', { vpcId: 'vpc-1', cidrBlock: '10.0.0.0/24', mapPublicIpOnLaunch: true });
    new Subnet(s, 'priv', { vpcId: 'vpc-1', cidrBlock: '10.0.1.0/24' });
    expect(checkStack(s, networkRules).map((x) => `${x.ruleId} ${x.path}`)).toEqual(['AWP-NET-004 test/pub']);
  });
});

describe('network rules: egress and endpoint policies', () => {
  const messages = (s: TerraformStack, id: string) => checkStack(s, networkRules).filter((f) => f.ruleId === id).map((f) => f.message);

  it('AWP-NET-005 fires on all-traffic egress to anywhere, inline or as a rule, and accepts egress that names ports', () => {
    const s = stack();
    const sg = new SecurityGroup(s, 'open-inline', { vpcId: 'vpc-1', egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }] });
    new VpcSecurityGroupEgressRule(s, 'open-rule', { securityGroupId: sg.id, ipProtocol: '-1', cidrIpv6: '::/0' });
    new SecurityGroupRule(s, 'open-classic', { type: 'egress', securityGroupId: sg.id, protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] });
    new VpcSecurityGroupEgressRule(s, 'https', { securityGroupId: sg.id, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0' });
    new VpcSecurityGroupEgressRule(s, 'self', { securityGroupId: sg.id, ipProtocol: '-1', referencedSecurityGroupId: sg.id });
    expect(messages(s, 'AWP-NET-005')).toEqual(['egress of every protocol and port to anywhere', 'egress of every protocol and port to anywhere', 'egress of every protocol and port to anywhere']);
  });

  it('AWP-NET-006 fires on an endpoint without a policy and on an unconditional Allow of every resource', () => {
    const s = stack();
    new VpcEndpoint(s, 'no-policy', { vpcId: 'vpc-1', serviceName: 'com.amazonaws.eu-west-1.sts' });
    new VpcEndpoint(s, 'full-access', {
      vpcId: 'vpc-1',
      serviceName: 'com.amazonaws.eu-west-1.logs',
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'All', Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }),
    });
    new VpcEndpoint(s, 'scoped', {
      vpcId: 'vpc-1',
      serviceName: 'com.amazonaws.eu-west-1.s3',
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceAccount': '111111111111' } } },
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*' },
        ],
      }),
    });
    expect(messages(s, 'AWP-NET-006')).toEqual(['endpoint has no policy (AWS attaches full access for any principal to any resource)', 'endpoint policy statement "All" allows resource "*" without a condition']);
  });
});

describe('suppressions and the aspect', () => {
  it('a suppression needs a reason and marks the finding instead of dropping it', () => {
    const s = stack();
    const group = new CloudwatchLogGroup(s, 'legacy', { name: 'legacy', retentionInDays: 7 });
    expect(() => suppress(group, 'AWP-LOG-001', '')).toThrow(/reason of at least 10 characters/);
    expect(() => suppress(group, 'log-1', 'a good long reason')).toThrow(/not a rule id/);
    suppress(group, 'AWP-LOG-001', 'third-party tool reads it without KMS access');
    const f = checkStack(s, genericRules);
    expect(f).toHaveLength(1);
    expect(f[0].suppressedBecause).toBe('third-party tool reads it without KMS access');
    expect(formatFindings(f)).toMatch(/suppressed: third-party tool/);
  });

  it('collects findings from every stack during synth and raises one error listing all', () => {
    const app = new App({ outdir: require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'gr-')), stackTraces: false });
    for (const name of ['one', 'two']) {
      const s = new TerraformStack(app, name);
      new AwsProvider(s, 'aws', { region: 'eu-west-1', allowedAccountIds: ['1'], defaultTags: [{ tags: TAGS }] });
      new CloudwatchLogGroup(s, 'g', { name, retentionInDays: 1 });
    }
    const guardrails = new Guardrails(ALL_RULES);
    guardrails.applyTo(app);
    app.synth();
    expect(guardrails.errors.map((f) => `${f.stack} ${f.ruleId}`)).toEqual(['one AWP-LOG-001', 'two AWP-LOG-001']);
    expect(() => guardrails.assertClean()).toThrow(GuardrailError);
    expect(() => guardrails.assertClean()).toThrow(/2 errors[\s\S]*one\/g[\s\S]*two\/g[\s\S]*fix: Set kmsKeyId/);
  });
});

describe('AWP-GEN-003: create_before_destroy and unique names', () => {
  it('fires on a security group with a fixed name, not on one with a name prefix or without create_before_destroy', () => {
    const s = stack();
    new SecurityGroup(s, 'fixed', { name: 'app', vpcId: 'vpc-1', lifecycle: { createBeforeDestroy: true } });
    new SecurityGroup(s, 'prefixed', { namePrefix: 'app-', vpcId: 'vpc-1', lifecycle: { createBeforeDestroy: true } });
    new SecurityGroup(s, 'plain', { name: 'plain', vpcId: 'vpc-1' });
    const f = checkStack(s, genericRules).filter((x) => x.ruleId === 'AWP-GEN-003');
    expect(f.map((x) => x.address)).toEqual([expect.stringMatching(/^aws_security_group\.fixed/)]);
    expect(f[0].message).toMatch(/fixed name "app".*use name_prefix/);
  });

  it('fires on an ElastiCache parameter group (no name_prefix) whose name does not carry the hash of family and description', () => {
    const s = stack();
    const description = 'cache params';
    new ElasticacheParameterGroup(s, 'fixed', { name: 'cache-valkey8', family: 'valkey8', description, lifecycle: { createBeforeDestroy: true } });
    new ElasticacheParameterGroup(s, 'hashed', { name: `cache-valkey8-${replacementSuffix(['valkey8', description])}`, family: 'valkey8', description, lifecycle: { createBeforeDestroy: true } });
    // The hash of another description: a changed description would replace the group under the same name.
    new ElasticacheParameterGroup(s, 'stale', { name: `cache-valkey8-${replacementSuffix(['valkey8', 'old'])}`, family: 'valkey8', description, lifecycle: { createBeforeDestroy: true } });
    const f = checkStack(s, genericRules).filter((x) => x.ruleId === 'AWP-GEN-003');
    expect(f.map((x) => x.address.split('.')[1].replace(/_[0-9A-F]+$/, '')).sort()).toEqual(['fixed', 'stale']);
  });
});
