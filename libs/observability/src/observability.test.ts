import { TerraformStack, Testing, Token } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SettingsError } from '@awp/config';
import { Observability, type ObservabilityProps } from './observability';
import { DEFAULT_THRESHOLDS, observabilitySettings } from './settings';

type Json = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

function build(overrides: Partial<ObservabilityProps> = {}): { json: Json; construct: Observability } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const usEast1 = new AwsProvider(stack, 'aws-us-east-1', { region: 'us-east-1', alias: 'us_east_1' });
  const construct = new Observability(stack, 'obs', {
    settings: { alarmEmails: ['oncall@example.com', 'lead@example.com'] },
    namePrefix: 'prod',
    network: { logsKeyArn: 'arn:aws:kms:eu-west-1:333333333333:key/logs' },
    cluster: { clusterName: 'prod-eks', maxNodeCount: 13 },
    workloads: { namespace: 'api', deploymentName: 'api', serviceName: 'api', maxReplicas: 12 },
    data: {
      database: { primaryInstanceId: 'prod-postgres', replicaInstanceIds: ['prod-postgres-replica-1', 'prod-postgres-replica-2'], instanceMemoryGib: 16, allocatedStorageGb: 100, maxConnections: 1000 },
      cache: { replicationGroupId: 'prod-cache', memberClusterIds: ['prod-cache-0001-001', 'prod-cache-0001-002'] },
    },
    edge: { albArnSuffix: 'app/prod-alb/abc', targetGroupArnSuffix: 'targetgroup/prod-api/def', distributionId: 'E123', webAclName: 'prod-web' },
    usEast1Provider: usEast1,
    ...overrides,
  });
  return { json: JSON.parse(Testing.synth(stack)) as Json, construct };
}

const topicRef = (json: Json, name: string) => {
  const key = Object.entries(json.resource.aws_sns_topic).find(([, t]) => t.name === name)?.[0];
  return `\${aws_sns_topic.${key}.arn}`;
};
const alarms = (json: Json) => Object.entries(json.resource.aws_cloudwatch_metric_alarm ?? {});
const alarmNamed = (json: Json, name: string) => {
  const hit = alarms(json).find(([, a]) => a.alarm_name === name);
  if (!hit) throw new Error(`no alarm named ${name}; have ${alarms(json).map(([, a]) => a.alarm_name).join(', ')}`);
  return hit[1];
};

describe('Observability construct', () => {
  const { json } = build();

  it('encrypts the topic with a rotating CMK whose policy lets CloudWatch publish', () => {
    const topics = Object.values(json.resource.aws_sns_topic);
    expect(topics).toHaveLength(2); // env region + us-east-1
    for (const t of topics) expect(t.kms_master_key_id).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
    for (const k of Object.values(json.resource.aws_kms_key)) expect(k.enable_key_rotation).toBe(true);
    const keys = Object.values(json.resource.aws_kms_key);
    expect(keys).toHaveLength(2);
    for (const k of keys) {
      const policy = JSON.parse(String(k.policy)) as { Statement: { Sid: string; Principal: { Service?: string }; Action: string[]; Condition?: Record<string, Record<string, string>> }[] };
      const cw = policy.Statement.find((st) => st.Sid === 'CloudWatchAlarmsPublish');
      expect(cw?.Principal.Service).toBe('cloudwatch.amazonaws.com');
      expect(cw?.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
      // The key serves this account's alarms only (confused deputy): the account, and alarm ARNs of its region.
      expect(cw?.Condition?.StringEquals['aws:SourceAccount']).toMatch(/^\$\{data\.aws_caller_identity\..+\.account_id\}$/);
      expect(cw?.Condition?.ArnLike['aws:SourceArn']).toMatch(/^arn:\$\{data\.aws_partition\..+\}:cloudwatch:\$\{data\.aws_region\..+\}:\$\{data\.aws_caller_identity\..+\}:alarm:\*$/);
      // No other statement lets a service principal use the key.
      expect(policy.Statement.filter((st) => st.Principal.Service && !st.Condition)).toEqual([]);
    }
    const topicPolicy = JSON.parse(String(Object.values(json.resource.aws_sns_topic_policy)[0].policy)) as { Statement: { Sid: string; Effect: string; Condition?: Record<string, Record<string, string>> }[] };
    expect(topicPolicy.Statement.find((st) => st.Sid === 'CloudWatchAlarmsOfThisAccountPublish')?.Condition?.StringEquals['aws:SourceAccount']).toMatch(/data\.aws_caller_identity/);
    expect(topicPolicy.Statement.find((st) => st.Sid === 'DenyPublishWithoutTls')).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  it('subscribes every email to both topics, keyed by address', () => {
    const subs = Object.entries(json.resource.aws_sns_topic_subscription);
    expect(subs).toHaveLength(4);
    expect(subs.map(([, s]) => s.endpoint).sort()).toEqual(['lead@example.com', 'lead@example.com', 'oncall@example.com', 'oncall@example.com']);
    expect(subs.every(([, s]) => s.protocol === 'email')).toBe(true);
    expect(subs.map(([n]) => n).join(' ')).toMatch(/oncall-example-com/);
  });

  it('sends alarm and OK actions of every notifying alarm to the topic of its region', () => {
    const regional = topicRef(json, 'prod-alarms');
    const usEast1 = topicRef(json, 'prod-alarms-us-east-1');
    for (const [, a] of alarms(json)) {
      if (String(a.alarm_name).includes('-slo-')) continue;
      const expected = a.provider === 'aws.us_east_1' ? usEast1 : regional;
      expect(a.alarm_actions).toEqual([expected]);
      expect(a.ok_actions).toEqual([expected]);
    }
  });

  it('alarms at 80 % on CPU and memory of nodes, pods, RDS and ElastiCache', () => {
    expect(alarmNamed(json, 'prod-eks-node-cpu')).toMatchObject({ namespace: 'ContainerInsights', metric_name: 'node_cpu_utilization', threshold: 80, dimensions: { ClusterName: 'prod-eks' } });
    expect(alarmNamed(json, 'prod-eks-node-memory')).toMatchObject({ metric_name: 'node_memory_utilization', threshold: 80 });
    expect(alarmNamed(json, 'prod-pod-cpu-over-limit')).toMatchObject({ metric_name: 'pod_cpu_utilization_over_pod_limit', threshold: 80, dimensions: { ClusterName: 'prod-eks', Namespace: 'api', PodName: 'api' } });
    expect(alarmNamed(json, 'prod-pod-memory-over-limit')).toMatchObject({ metric_name: 'pod_memory_utilization_over_pod_limit', threshold: 80 });
    expect(alarmNamed(json, 'prod-rds-cpu-prod-postgres')).toMatchObject({ namespace: 'AWS/RDS', metric_name: 'CPUUtilization', threshold: 80, comparison_operator: 'GreaterThanThreshold' });
    expect(alarmNamed(json, 'prod-cache-engine-cpu-prod-cache-0001-002')).toMatchObject({ metric_name: 'EngineCPUUtilization', threshold: 80, dimensions: { CacheClusterId: 'prod-cache-0001-002' } });
    expect(alarmNamed(json, 'prod-cache-memory-prod-cache-0001-001')).toMatchObject({ metric_name: 'DatabaseMemoryUsagePercentage', threshold: 80 });
  });

  it('derives RDS storage, memory and connection thresholds from the instance', () => {
    expect(alarmNamed(json, 'prod-rds-free-storage-prod-postgres')).toMatchObject({ metric_name: 'FreeStorageSpace', comparison_operator: 'LessThanThreshold', threshold: 20 * 1024 ** 3 });
    expect(alarmNamed(json, 'prod-rds-freeable-memory-prod-postgres')).toMatchObject({ metric_name: 'FreeableMemory', threshold: Math.round(16 * 1024 ** 3 * 0.2) });
    expect(alarmNamed(json, 'prod-rds-connections-prod-postgres')).toMatchObject({ metric_name: 'DatabaseConnections', threshold: 800 });
    // Replica lag only on replicas, one set per replica.
    expect(alarmNamed(json, 'prod-rds-replica-lag-prod-postgres-replica-2')).toMatchObject({ metric_name: 'ReplicaLag', threshold: 30 });
    expect(alarms(json).filter(([, a]) => a.metric_name === 'ReplicaLag')).toHaveLength(2);
    expect(alarms(json).filter(([, a]) => a.metric_name === 'CPUUtilization' && a.namespace === 'AWS/RDS')).toHaveLength(3);
  });

  it('covers ElastiCache evictions and replication lag per member', () => {
    expect(alarms(json).filter(([, a]) => a.metric_name === 'Evictions')).toHaveLength(2);
    expect(alarmNamed(json, 'prod-cache-replication-lag-prod-cache-0001-002')).toMatchObject({ metric_name: 'ReplicationLag', treat_missing_data: 'notBreaching' });
    expect(alarmNamed(json, 'prod-cache-cpu-prod-cache-0001-001')).toMatchObject({ metric_name: 'CPUUtilization', namespace: 'AWS/ElastiCache' });
  });

  it('alarms on HPA at max replicas and on the node groups at their maximum size for N minutes', () => {
    expect(alarmNamed(json, 'prod-hpa-at-max')).toMatchObject({ metric_name: 'service_number_of_running_pods', threshold: 12, comparison_operator: 'GreaterThanOrEqualToThreshold', evaluation_periods: 15, datapoints_to_alarm: 15 });
    // Container Insights' cluster_node_count (published for EKS), not AWS/AutoScaling group metrics (not collected for
    // EKS managed node groups): every sample of 15 one-minute periods at the sum of the groups' maxSize.
    const nodes = alarmNamed(json, 'prod-eks-nodes-at-max');
    expect(nodes).toMatchObject({
      namespace: 'ContainerInsights',
      metric_name: 'cluster_node_count',
      dimensions: { ClusterName: 'prod-eks' },
      statistic: 'Minimum',
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      threshold: 13,
      period: 60,
      evaluation_periods: 15,
      datapoints_to_alarm: 15,
      treat_missing_data: 'notBreaching',
    });
    expect(nodes.metric_query).toBeUndefined();
    expect(JSON.stringify(json)).not.toContain('AWS/AutoScaling');
    const { json: slow } = build({ settings: { thresholds: { nodeGroupAtMaxMinutes: 30, periodSeconds: 300 } } });
    expect(alarmNamed(slow, 'prod-eks-nodes-at-max')).toMatchObject({ period: 300, evaluation_periods: 6, datapoints_to_alarm: 6 });
  });

  it('refuses a maxNodeCount that is not a positive integer, naming the construct', () => {
    expect(() => build({ cluster: { clusterName: 'prod-eks', maxNodeCount: 0 } })).toThrow(/obs: cluster.maxNodeCount must be a positive integer .*got 0/);
    expect(() => build({ cluster: { clusterName: 'prod-eks', maxNodeCount: 2.5 } })).toThrow(/maxNodeCount must be a positive integer/);
  });

  it('alarms on ALB unhealthy hosts and rejected connections', () => {
    expect(alarmNamed(json, 'prod-alb-unhealthy-hosts')).toMatchObject({ metric_name: 'UnHealthyHostCount', dimensions: { TargetGroup: 'targetgroup/prod-api/def', LoadBalancer: 'app/prod-alb/abc' }, threshold: 0 });
    expect(alarmNamed(json, 'prod-alb-rejected-connections')).toMatchObject({ metric_name: 'RejectedConnectionCount', statistic: 'Sum' });
  });

  it('has the p99 latency SLO at 0.1 s and the error-rate SLO, both paged only through the composite', () => {
    const p99 = alarmNamed(json, 'prod-slo-latency-p99');
    expect(p99).toMatchObject({ metric_name: 'TargetResponseTime', extended_statistic: 'p99', threshold: 0.1 });
    expect(p99.statistic).toBeUndefined();
    const errors = alarmNamed(json, 'prod-slo-error-rate');
    expect(JSON.stringify(errors.metric_query)).toMatch(/HTTPCode_Target_5XX_Count.*HTTPCode_ELB_5XX_Count|HTTPCode_ELB_5XX_Count.*HTTPCode_Target_5XX_Count/);
    for (const member of [p99, errors]) {
      expect(member.alarm_actions).toBeUndefined();
      expect(member.ok_actions).toBeUndefined();
    }
    const composites = Object.entries(json.resource.aws_cloudwatch_composite_alarm);
    expect(composites).toHaveLength(1);
    const [compositeKey, composite] = composites[0];
    expect(composite.alarm_name).toBe('prod-service-degraded');
    const memberKeys = alarms(json).filter(([, a]) => String(a.alarm_name).includes('-slo-')).map(([k]) => k);
    for (const k of memberKeys) expect(composite.alarm_rule).toContain(`ALARM("\${aws_cloudwatch_metric_alarm.${k}.alarm_name}")`);
    expect(composite.alarm_actions).toEqual([topicRef(json, 'prod-alarms')]);
    expect(composite.ok_actions).toEqual(composite.alarm_actions);
    expect(compositeKey).toMatch(/service-degraded/);
  });

  it('creates CloudFront and WAF alarms in us-east-1 on the us-east-1 topic', () => {
    const cdn = alarmNamed(json, 'prod-cdn-5xx-rate');
    expect(cdn).toMatchObject({ namespace: 'AWS/CloudFront', metric_name: '5xxErrorRate', provider: 'aws.us_east_1', dimensions: { DistributionId: 'E123', Region: 'Global' } });
    const waf = alarmNamed(json, 'prod-waf-blocked-spike');
    expect(waf).toMatchObject({ namespace: 'AWS/WAFV2', metric_name: 'BlockedRequests', provider: 'aws.us_east_1', dimensions: { WebACL: 'prod-web', Rule: 'ALL' } });
    expect(cdn.alarm_actions).toEqual([topicRef(json, 'prod-alarms-us-east-1')]);
  });

  it('owns the service log group with retention and KMS, and turns pino errors into an alarmed metric', () => {
    const group = Object.values(json.resource.aws_cloudwatch_log_group)[0];
    expect(group).toMatchObject({ name: '/aws/containerinsights/prod-eks/application', retention_in_days: 365, kms_key_id: 'arn:aws:kms:eu-west-1:333333333333:key/logs' });
    const filter = Object.values(json.resource.aws_cloudwatch_log_metric_filter)[0];
    expect(filter.pattern).toBe('{ ($.kubernetes.namespace_name = "api") && ($.kubernetes.pod_name = "api-*") && ($.log_processed.level >= 50) }');
    expect(filter.metric_transformation).toMatchObject({ namespace: 'AWP/prod', name: 'ServiceErrorLogs', value: '1' });
    expect(alarmNamed(json, 'prod-service-error-logs')).toMatchObject({ namespace: 'AWP/prod', metric_name: 'ServiceErrorLogs', threshold: 10, statistic: 'Sum' });
  });

  it('uses an existing log group when told not to create one', () => {
    const { json: j, construct } = build({ serviceLogs: { create: false, logGroupName: '/existing/app' } });
    expect(j.resource.aws_cloudwatch_log_group).toBeUndefined();
    expect(Object.values(j.resource.aws_cloudwatch_log_metric_filter)[0].log_group_name).toBe('/existing/app');
    expect(construct.serviceLogGroupName).toBe('/existing/app');
  });

  it('builds a dashboard with traffic, p50/p99 against the 100 ms line, errors, cache hit ratio, DB/cache load and scaling', () => {
    const dash = Object.values(json.resource.aws_cloudwatch_dashboard)[0];
    expect(dash.dashboard_name).toBe('prod-service');
    const body = JSON.parse(String(dash.dashboard_body)) as { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; annotations?: { horizontal: { value: number; label: string }[] } } }[] };
    const titles = body.widgets.map((w) => w.properties.title ?? '');
    for (const t of [/^Traffic/, /^Latency: p50 \/ p99 vs the 100 ms SLO/, /^Errors/, /^Cache hit ratio/, /^DB load/, /^Cache load/, /^Scaling: running pods/, /^Scaling: nodes/]) {
      expect(titles.some((x) => t.test(x))).toBe(true);
    }
    const latency = body.widgets.find((w) => w.properties.title?.startsWith('Latency'));
    expect(latency?.properties.annotations?.horizontal[0]).toMatchObject({ value: 0.1, label: 'SLO p99 100 ms' });
    expect(JSON.stringify(latency?.properties.metrics)).toContain('"stat":"p99"');
    expect(JSON.stringify(latency?.properties.metrics)).toContain('"stat":"p50"');
    expect(body.widgets.some((w) => w.type === 'text')).toBe(true);
    expect(body.widgets.some((w) => w.type === 'alarm')).toBe(true);
  });

  it('creates one alarm per member via for_each when ids are a token list from another stack', () => {
    const { json: j } = build({
      data: { cache: { replicationGroupId: 'prod-cache', memberClusterIds: Token.asList('${aws_elasticache_replication_group.x.member_clusters}') } },
      cluster: { clusterName: '${aws_eks_cluster.x.name}', maxNodeCount: 9 },
    });
    const evictions = alarms(j).filter(([, a]) => a.metric_name === 'Evictions');
    expect(evictions).toHaveLength(1);
    expect(evictions[0][1].for_each).toContain('aws_elasticache_replication_group.x.member_clusters');
    expect(evictions[0][1].dimensions).toEqual({ CacheClusterId: '${each.value}' });
    expect(evictions[0][1].alarm_name).toBe('prod-cache-evictions-${each.value}');
    // The node-count alarm is one alarm on the cluster (referenced), whatever the number of node groups.
    expect(alarmNamed(j, 'prod-eks-nodes-at-max')).toMatchObject({ dimensions: { ClusterName: '${aws_eks_cluster.x.name}' }, threshold: 9 });
    expect(alarmNamed(j, 'prod-eks-nodes-at-max').for_each).toBeUndefined();
  });

  it('adds a Slack channel through AWS Chatbot with a read-only role when configured', () => {
    const { json: j } = build({ settings: { chatbot: { slackTeamId: 'T0123ABCDE', slackChannelId: 'C0123ABCDE' } } });
    const chat = Object.values(j.resource.aws_chatbot_slack_channel_configuration)[0];
    expect(chat).toMatchObject({ slack_team_id: 'T0123ABCDE', slack_channel_id: 'C0123ABCDE', configuration_name: 'prod-alarms' });
    expect(chat.sns_topic_arns).toHaveLength(2);
    expect(chat.guardrail_policy_arns).toEqual([expect.stringMatching(/:iam::aws:policy\/CloudWatchReadOnlyAccess$/)]);
    const trust = Object.entries(j.data.aws_iam_policy_document).find(([n]) => n.includes('chatbot-trust'))?.[1];
    expect(JSON.stringify(trust)).toContain('chatbot.amazonaws.com');
    expect(j.resource.aws_iam_role).toBeDefined();
    // Without the setting there is no chat integration.
    expect(json.resource.aws_chatbot_slack_channel_configuration).toBeUndefined();
  });

  it('refuses CloudFront alarms without a us-east-1 provider, naming the construct', () => {
    expect(() => build({ usEast1Provider: undefined })).toThrow(/obs: edge.distributionId or a CLOUDFRONT web ACL needs usEast1Provider/);
  });

  it('refuses what the environment file refuses, naming the construct and the field', () => {
    expect(() => build({ settings: { thresholds: { hpaAtMaxMinutes: 7, periodSeconds: 300 } } })).toThrow(SettingsError);
    expect(() => build({ settings: { thresholds: { hpaAtMaxMinutes: 7, periodSeconds: 300 } } })).toThrow(
      'Observability test/obs: invalid settings (1 problem):\n  settings.thresholds.hpaAtMaxMinutes: expected a multiple of periodSeconds (5 min), got 7',
    );
    expect(() => build({ settings: { thresholds: { cpuPercent: -1 } } })).toThrow(/settings\.thresholds\.cpuPercent: /);
    expect(() => build({ settings: { thresholds: { evaluationPeriods: 300, periodSeconds: 300 } } })).toThrow(/settings\.thresholds\.evaluationPeriods: expected evaluationPeriods x periodSeconds <= 86400/);
    expect(() => build({ settings: { alarmEmails: ['a@example.com', 'a@example.com'] } })).toThrow('settings.alarmEmails[1]: expected unique addresses, "a@example.com" appears twice');
    expect(() => build({ settings: { chatbot: { slackTeamId: 'my-team', slackChannelId: 'C0123ABCDE' } } })).toThrow('settings.chatbot.slackTeamId: expected a Slack workspace id like T0123ABCDE');
    expect(() => build({ settings: { thresholds: { cpuPrecent: 70 } as object } })).toThrow('settings.thresholds: unknown field "cpuPrecent"');
  });

  it('takes its defaults from the settings section, the only place they are written', () => {
    const { construct } = build({ settings: undefined });
    expect(construct.settings).toEqual(observabilitySettings.parse({}));
    expect(construct.settings).toEqual({ logRetentionDays: 365, alarmEmails: [], kmsDeletionWindowDays: 30, thresholds: DEFAULT_THRESHOLDS });
    expect(DEFAULT_THRESHOLDS).toMatchObject({ cpuPercent: 80, memoryPercent: 80, latencyP99Seconds: 0.1, errorRatePercent: 1, hpaAtMaxMinutes: 15, evaluationPeriods: 3, periodSeconds: 60 });
    const keys = Object.values(json.resource.aws_kms_key);
    for (const k of keys) expect(k.deletion_window_in_days).toBe(30);
  });

  it('applies the settings: log retention and the topic keys\' deletion window', () => {
    const { json: j } = build({ settings: { logRetentionDays: 90, kmsDeletionWindowDays: 7 } });
    expect(Object.values(j.resource.aws_cloudwatch_log_group)[0].retention_in_days).toBe(90);
    for (const k of Object.values(j.resource.aws_kms_key)) expect(k.deletion_window_in_days).toBe(7);
    expect(() => build({ settings: { kmsDeletionWindowDays: 3 } })).toThrow(/settings\.kmsDeletionWindowDays: /);
  });

  it('takes settings.databaseMaxConnections over the max_connections the data wiring states', () => {
    const { json: j } = build({ settings: { databaseMaxConnections: 500 } });
    expect(alarmNamed(j, 'prod-rds-connections-prod-postgres')).toMatchObject({ threshold: 400 });
    expect(alarmNamed(j, 'prod-rds-connections-prod-postgres').alarm_description).toContain('(500)');
  });

  it('takes thresholds from the settings', () => {
    const { json: j } = build({ settings: { thresholds: { cpuPercent: 70, latencyP99Seconds: 0.25, evaluationPeriods: 5 } } });
    expect(alarmNamed(j, 'prod-eks-node-cpu')).toMatchObject({ threshold: 70, evaluation_periods: 5 });
    expect(alarmNamed(j, 'prod-slo-latency-p99').threshold).toBe(0.25);
  });
});
