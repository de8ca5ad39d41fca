import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { foldChildIds, keepLogicalId } from './alarm-set';
import { ClusterAlarms } from './cluster-alarms';
import { EdgeAlarms } from './edge-alarms';
import { Observability } from './observability';
import { RdsAlarms } from './rds-alarms';
import { ServiceDashboard } from './service-dashboard';
import { ServiceSlo } from './service-slo';

function stackWithProviders() {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const usEast1 = new AwsProvider(stack, 'aws-us-east-1', { region: 'us-east-1', alias: 'us_east_1' });
  return { stack, usEast1 };
}
const synth = (stack: TerraformStack) => JSON.parse(Testing.synth(stack)) as Record<string, Record<string, Record<string, Record<string, any>>>>;
const common = { namePrefix: 'prod', topicArn: 'arn:aws:sns:eu-west-1:111111111111:prod-alarms' };

describe('logical ids of the composed constructs', () => {
  it('Observability keeps the ids its resources had as its own children (no Terraform re-creation)', () => {
    const { stack, usEast1 } = stackWithProviders();
    new Observability(stack, 'observability', {
      settings: {},
      namePrefix: 'prod',
      network: { logsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/logs' },
      cluster: { clusterName: 'prod-eks', maxNodeCount: 4 },
      workloads: { namespace: 'api', deploymentName: 'api', serviceName: 'api', maxReplicas: 6 },
      edge: { albArnSuffix: 'app/a/1', targetGroupArnSuffix: 'targetgroup/t/2', distributionId: 'E1', webAclName: 'acl' },
      usEast1Provider: usEast1,
    });
    const json = synth(stack);
    // The ids released with the single-constructor version (prod-observability, observability/<id>).
    expect(Object.keys(json.resource.aws_cloudwatch_metric_alarm)).toEqual(
      expect.arrayContaining(['observability_node-cpu_BF20992F', 'observability_slo-latency_806EA0AB', 'observability_waf-blocked_6F58B263', 'observability_error-logs_593ED769']),
    );
    expect(Object.keys(json.resource.aws_cloudwatch_composite_alarm)).toEqual(['observability_service-degraded_B052FE61']);
    expect(Object.keys(json.resource.aws_cloudwatch_dashboard)).toEqual(['observability_dashboard_FADF3BBC']);
    expect(Object.keys(json.resource.aws_cloudwatch_log_group)).toEqual(['observability_service-logs_6ABC881C']);
  });

  it('a construct used on its own gets the ordinary ids of its path', () => {
    const { stack } = stackWithProviders();
    new ClusterAlarms(stack, 'nodes', { ...common, clusterName: 'c', maxNodeCount: 3 });
    expect(Object.keys(synth(stack).resource.aws_cloudwatch_metric_alarm).sort()).toEqual(['nodes_node-cpu_AC8444D8', 'nodes_node-memory_17F4B2F5', 'nodes_nodes-at-max_743D7903'].sort());
  });

  it('refuses two folded resources that would share one Terraform address', () => {
    const { stack } = stackWithProviders();
    const parent = new Construct(stack, 'obs');
    foldChildIds(parent, ['a', 'b']);
    keepLogicalId(new CloudwatchLogGroup(new Construct(parent, 'a'), 'logs', { name: 'x' }));
    expect(() => keepLogicalId(new CloudwatchLogGroup(new Construct(parent, 'b'), 'logs', { name: 'y' }))).toThrow(/test\/obs\/b\/logs: its kept logical id obs_logs_\w+ is already test\/obs\/a\/logs's/);
  });
});

describe('the concern constructs on their own', () => {
  it('ClusterAlarms refuses a maxNodeCount that is not a positive integer, naming itself', () => {
    const { stack } = stackWithProviders();
    expect(() => new ClusterAlarms(stack, 'nodes', { ...common, clusterName: 'c', maxNodeCount: 2.5 })).toThrow('ClusterAlarms test/nodes: maxNodeCount must be a positive integer');
  });

  it('an alarm set refuses invalid thresholds, naming itself', () => {
    const { stack } = stackWithProviders();
    const rds = (id: string, thresholds: object) => () => new RdsAlarms(stack, id, { ...common, thresholds, primaryInstanceId: 'db', instanceMemoryGib: 4, allocatedStorageGb: 20, maxConnections: 400 });
    // The same section as the environment file's observability.thresholds: its rules, its messages.
    expect(rds('rds', { hpaAtMaxMinutes: 7, periodSeconds: 300 })).toThrow('RdsAlarms test/rds: invalid settings (1 problem):\n  thresholds.hpaAtMaxMinutes: expected a multiple of periodSeconds (5 min), got 7');
    expect(rds('rds-2', { hpaAtMaxMinutes: 0.5 })).toThrow(/RdsAlarms test\/rds-2: .*\n {2}thresholds\.hpaAtMaxMinutes: expected int/);
    expect(() => new ServiceDashboard(stack, 'dash', { namePrefix: 'prod', region: 'eu-west-1', thresholds: { periodSeconds: 30 as 60 } })).toThrow(/ServiceDashboard test\/dash: .*\n {2}thresholds\.periodSeconds: /);
  });

  it('EdgeAlarms refuses CloudFront without the us-east-1 provider and topic', () => {
    const { stack } = stackWithProviders();
    expect(() => new EdgeAlarms(stack, 'edge', { ...common, distributionId: 'E1' })).toThrow('EdgeAlarms test/edge: distributionId or a CLOUDFRONT web ACL needs usEast1');
  });

  it('EdgeAlarms refuses a REGIONAL web ACL without its region, and puts the Region dimension on it with one', () => {
    const { stack } = stackWithProviders();
    expect(() => new EdgeAlarms(stack, 'edge', { ...common, webAclName: 'acl', webAclScope: 'REGIONAL' })).toThrow('EdgeAlarms test/edge: a REGIONAL web ACL needs region');
    new EdgeAlarms(stack, 'edge-ok', { ...common, webAclName: 'acl', webAclScope: 'REGIONAL', region: 'eu-west-1' });
    const [alarm] = Object.values(synth(stack).resource.aws_cloudwatch_metric_alarm);
    expect(alarm.dimensions).toEqual({ WebACL: 'acl', Rule: 'ALL', Region: 'eu-west-1' });
    expect(alarm.provider).toBeUndefined();
    expect(alarm.alarm_actions).toEqual([common.topicArn]);
  });

  it('ServiceSlo: the members notify nobody, the composite pages for either on the given topic', () => {
    const { stack } = stackWithProviders();
    const slo = new ServiceSlo(stack, 'slo', { ...common, thresholds: { latencyP99Seconds: 0.25 }, albArnSuffix: 'app/a/1', targetGroupArnSuffix: 'targetgroup/t/2' });
    const json = synth(stack);
    const members = Object.values(json.resource.aws_cloudwatch_metric_alarm);
    expect(members).toHaveLength(2);
    for (const m of members) expect(m.alarm_actions).toBeUndefined();
    expect(members.find((m) => m.alarm_name === 'prod-slo-latency-p99')?.threshold).toBe(0.25);
    const [composite] = Object.values(json.resource.aws_cloudwatch_composite_alarm);
    expect(composite.alarm_rule).toMatch(/^ALARM\("\$\{aws_cloudwatch_metric_alarm\.slo_slo-latency_\w+\.alarm_name\}"\) OR ALARM\("\$\{aws_cloudwatch_metric_alarm\.slo_slo-errors_\w+\.alarm_name\}"\)$/);
    expect(composite.alarm_actions).toEqual([common.topicArn]);
    expect(composite.ok_actions).toEqual([common.topicArn]);
    expect(slo.alarms).toHaveLength(2);
  });
});
