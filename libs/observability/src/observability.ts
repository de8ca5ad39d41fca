import { TerraformIterator, Token, type ITerraformIterator, type TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { ChatbotSlackChannelConfiguration } from '@cdktf/provider-aws/lib/chatbot-slack-channel-configuration';
import { CloudwatchCompositeAlarm } from '@cdktf/provider-aws/lib/cloudwatch-composite-alarm';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmMetricQuery } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { AlarmTopic } from './alarm-topic';
import { expression, metric, renderDashboard, text, type DashboardRow, type MetricWidget, type Widget } from './dashboard';

/** Alarm thresholds; the defaults are the scaling plan's (80 % of capacity, p99 100 ms). */
export interface AlarmThresholds {
  /** Node CPU, pod CPU against its limit, RDS CPU, ElastiCache CPU and engine CPU (percent). @default 80 */
  readonly cpuPercent: number;
  /** Node memory, pod memory against its limit, ElastiCache memory usage; RDS freeable memory below 100 - x % (percent). @default 80 */
  readonly memoryPercent: number;
  /** RDS free storage below this share of the allocated storage (percent). @default 20 */
  readonly storageFreePercent: number;
  /** RDS connections above this share of max_connections (percent). @default 80 */
  readonly connectionsPercent: number;
  /** RDS ReplicaLag and ElastiCache ReplicationLag (seconds). @default 30 */
  readonly replicaLagSeconds: number;
  /** The latency SLO on the ALB's TargetResponseTime p99 (seconds). @default 0.1 */
  readonly latencyP99Seconds: number;
  /** The error SLO: ALB 5xx (target and load balancer) per request (percent). @default 1 */
  readonly errorRatePercent: number;
  /** CloudFront 5xxErrorRate (percent). @default 5 */
  readonly cdnErrorRatePercent: number;
  /** ElastiCache evictions per period per node. @default 1000 */
  readonly cacheEvictions: number;
  /** Alarm when more targets than this are unhealthy. @default 0 */
  readonly unhealthyHosts: number;
  /** ALB rejected connections per period. @default 0 */
  readonly rejectedConnections: number;
  /** WAF blocked requests per period. @default 1000 */
  readonly wafBlockedRequests: number;
  /** The service's error log lines per period. @default 10 */
  readonly errorLogs: number;
  /** Minutes the deployment may run at the HPA's maximum before alarming. @default 15 */
  readonly hpaAtMaxMinutes: number;
  /** Minutes the node groups may run at their maximum size (all nodes the cluster may have) before alarming. @default 15 */
  readonly nodeGroupAtMaxMinutes: number;
  /** Periods that must breach (all of them) before an alarm fires. @default 3 */
  readonly evaluationPeriods: number;
  /** Alarm period in seconds. @default 60 */
  readonly periodSeconds: number;
}

export const DEFAULT_THRESHOLDS: AlarmThresholds = {
  cpuPercent: 80,
  memoryPercent: 80,
  storageFreePercent: 20,
  connectionsPercent: 80,
  replicaLagSeconds: 30,
  latencyP99Seconds: 0.1,
  errorRatePercent: 1,
  cdnErrorRatePercent: 5,
  cacheEvictions: 1000,
  unhealthyHosts: 0,
  rejectedConnections: 0,
  wafBlockedRequests: 1000,
  errorLogs: 10,
  hpaAtMaxMinutes: 15,
  nodeGroupAtMaxMinutes: 15,
  evaluationPeriods: 3,
  periodSeconds: 60,
};

/** From the network layer. */
export interface NetworkSource {
  /** CMK for CloudWatch Logs in the region: the service log group is encrypted with it. */
  readonly logsKeyArn: string;
}

/** From the cluster layer. */
export interface ClusterSource {
  readonly clusterName: string;
  /**
   * The most worker nodes the cluster may run: the sum of its node groups' `maxSize` (`Cluster.maxNodeCount`).
   * The at-max alarm compares Container Insights' `cluster_node_count` with it.
   */
  readonly maxNodeCount: number;
}

/** From the workloads layer (and the environment's HPA bounds). */
export interface WorkloadsSource {
  readonly namespace: string;
  readonly deploymentName: string;
  /** The Kubernetes Service in front of the pods (Container Insights' `Service` dimension). */
  readonly serviceName: string;
  /** The HPA's maxReplicas. */
  readonly maxReplicas: number;
}

export interface PostgresSource {
  readonly primaryInstanceId: string;
  /** Read replica identifiers (a token list is fine). @default none */
  readonly replicaInstanceIds?: string[];
  /** Memory of the instance class in GiB (FreeableMemory threshold); see rdsInstanceMemoryGib(). */
  readonly instanceMemoryGib: number;
  /** Allocated storage in GB (FreeStorageSpace threshold). */
  readonly allocatedStorageGb: number;
  /** The database's max_connections (DatabaseConnections threshold); see rdsPostgresDefaultMaxConnections(). */
  readonly maxConnections: number;
}

export interface RedisSource {
  readonly replicationGroupId: string;
  /** Member cache cluster ids (one node each); a token list is fine. */
  readonly memberClusterIds: string[];
}

/** From the data layer. */
export interface DataSource {
  readonly postgres?: PostgresSource;
  readonly redis?: RedisSource;
}

/** From the edge layer. */
export interface EdgeSource {
  /** `app/<name>/<id>`: the ALB's CloudWatch dimension. */
  readonly albArnSuffix: string;
  /** `targetgroup/<name>/<id>`: the service's target group. */
  readonly targetGroupArnSuffix: string;
  /** The CloudFront distribution; its metrics live in us-east-1 (needs `usEast1Provider`). @default no CloudFront alarm */
  readonly distributionId?: string;
  /** The WAF web ACL's name. @default no WAF alarm */
  readonly webAclName?: string;
  /** CLOUDFRONT web ACLs report in us-east-1 without a Region dimension. @default 'CLOUDFRONT' */
  readonly webAclScope?: 'CLOUDFRONT' | 'REGIONAL';
}

export interface SlackChannel {
  /** The Slack workspace id (authorized once for AWS Chatbot in the console). */
  readonly teamId: string;
  readonly channelId: string;
}

export interface NotificationProps {
  /** Email addresses subscribed to the topic(s). @default none */
  readonly emails?: readonly string[];
  /** An AWS Chatbot (Amazon Q Developer in chat) Slack channel subscribed to the topic(s). @default none */
  readonly slack?: SlackChannel;
  /** Days before a deleted topic key is gone for good. @default 30 */
  readonly kmsDeletionWindowDays?: number;
}

export interface ServiceLogProps {
  /**
   * The log group the service's container logs land in.
   * @default `/aws/containerinsights/<clusterName>/application` (where the CloudWatch Observability add-on's Fluent Bit writes)
   */
  readonly logGroupName?: string;
  /**
   * Create (and own) the log group here with retention and KMS. Set false when another stack created it already.
   * @default true
   */
  readonly create?: boolean;
  /** Retention of the log group when created here. @default 365 */
  readonly retentionDays?: number;
}

export interface ObservabilityProps {
  /** Prefix of every name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
  /** Thresholds; each one not given takes its DEFAULT_THRESHOLDS value. @default DEFAULT_THRESHOLDS */
  readonly thresholds?: Partial<AlarmThresholds>;
  /** Who is told. @default a topic without subscribers */
  readonly notifications?: NotificationProps;
  readonly network: NetworkSource;
  /** @default no node, pod or node-group alarms */
  readonly cluster?: ClusterSource;
  /** @default no pod or HPA alarms, no service log metric */
  readonly workloads?: WorkloadsSource;
  /** @default no RDS or ElastiCache alarms */
  readonly data?: DataSource;
  /** @default no ALB, CloudFront, WAF alarms and no SLO */
  readonly edge?: EdgeSource;
  /** An AWS provider in us-east-1: CloudFront and CLOUDFRONT-WAF alarms and their topic live there. Required with `edge.distributionId` or a CLOUDFRONT web ACL. @default none */
  readonly usEast1Provider?: TerraformProvider;
  /** The service's log group and error-log metric (needs `cluster` and `workloads`). @default created with 365 days retention */
  readonly serviceLogs?: ServiceLogProps;
}

type Comparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
type MissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

interface MetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** A statistic, or a percentile such as p99 (becomes extended_statistic). */
  readonly stat: string;
}

interface AlarmSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly metric?: MetricSpec;
  readonly math?: { readonly expression: string; readonly label: string; readonly metrics: Record<string, MetricSpec> };
  readonly comparison: Comparison;
  readonly threshold: number;
  /** @default thresholds.evaluationPeriods */
  readonly evaluationPeriods?: number;
  readonly treatMissingData: MissingData;
  /** False for members of a composite alarm: the composite notifies, once. @default true */
  readonly notify?: boolean;
  readonly forEach?: ITerraformIterator;
  readonly provider?: TerraformProvider;
}

const GIB = 1024 ** 3;

/**
 * Calls `fn` once per id: for a literal array once per element; for a token list (unknown length until
 * apply, e.g. ElastiCache member clusters from another stack) once with a for_each iterator.
 */
function eachId(ids: string[], fn: (value: string, key: string, forEach?: ITerraformIterator) => void): void {
  if (Token.isUnresolved(ids)) {
    const it = TerraformIterator.fromList(ids);
    fn(it.value as string, 'each', it);
  } else {
    ids.forEach((v, i) => fn(v, String(i)));
  }
}

/**
 * The observability layer: alarm topics (KMS-encrypted SNS, email and optional Slack through AWS Chatbot),
 * CloudWatch alarms at the scaling plan's thresholds on every layer's resources, the latency/error SLO with a
 * composite "service degraded" alarm that pages once, one dashboard built from typed widgets, and the
 * service's log group with a metric filter that turns error logs into a metric with an alarm.
 */
export class Observability extends Construct {
  /** The env-region topic every alarm here notifies. */
  readonly topicArn: string;
  /** The us-east-1 topic of the CloudFront/WAF alarms (when there are any). */
  readonly usEast1TopicArn?: string;
  readonly dashboardName: string;
  /** The composite "service degraded" alarm (when `edge` is given). */
  readonly compositeAlarmName?: string;
  /** The service's log group (when `cluster` and `workloads` are given). */
  readonly serviceLogGroupName?: string;
  /** The metric the error-log filter writes. */
  readonly errorLogMetric: { readonly namespace: string; readonly metricName: string };
  /** The thresholds in force (defaults filled in). */
  readonly thresholds: AlarmThresholds;

  private readonly topics: { regional: AlarmTopic; usEast1?: AlarmTopic };
  private readonly singleAlarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const t: AlarmThresholds = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    this.thresholds = t;
    validateThresholds(t, this.node.path);
    const prefix = props.namePrefix;
    const name = (...parts: string[]) => [prefix, ...parts].join('-');
    const period = t.periodSeconds;
    const edge = props.edge;
    const webAclScope = edge?.webAclScope ?? 'CLOUDFRONT';
    const needsUsEast1 = Boolean(edge?.distributionId) || Boolean(edge?.webAclName && webAclScope === 'CLOUDFRONT');
    if (needsUsEast1 && !props.usEast1Provider) {
      throw new Error(`Observability ${this.node.path}: edge.distributionId or a CLOUDFRONT web ACL needs usEast1Provider (their metrics and alarms live in us-east-1)`);
    }

    const region = new DataAwsRegion(this, 'region');
    const partition = new DataAwsPartition(this, 'partition');
    const caller = new DataAwsCallerIdentity(this, 'caller');

    // ---- Notifications -----------------------------------------------------------------------------
    const notifications = props.notifications ?? {};
    const regional = new AlarmTopic(this, 'topic', { name: name('alarms'), emails: notifications.emails, kmsDeletionWindowDays: notifications.kmsDeletionWindowDays });
    // An alarm can only notify a topic in its own region: CloudFront/WAF alarms (us-east-1) get a twin topic there.
    const usEast1 = needsUsEast1
      ? new AlarmTopic(this, 'topic-us-east-1', { name: name('alarms-us-east-1'), emails: notifications.emails, provider: props.usEast1Provider, kmsDeletionWindowDays: notifications.kmsDeletionWindowDays })
      : undefined;
    this.topics = { regional, usEast1 };
    this.topicArn = regional.topicArn;
    this.usEast1TopicArn = usEast1?.topicArn;
    if (notifications.slack) this.slackChannel(name('alarms'), notifications.slack, [regional.topicArn, ...(usEast1 ? [usEast1.topicArn] : [])], partition.partition, caller.accountId);

    const alarm = (spec: AlarmSpec) => this.metricAlarm(spec, t);
    const dashboardRows: DashboardRow[] = [];
    const ms = (v: number) => Math.round(v * 1000);

    // ---- Cluster: nodes and node groups ---------------------------------------------------------
    const cluster = props.cluster;
    if (cluster) {
      const ci = (metricName: string, stat = 'Average'): MetricSpec => ({ namespace: 'ContainerInsights', metricName, dimensions: { ClusterName: cluster.clusterName }, stat });
      alarm({ id: 'node-cpu', name: name('eks-node-cpu'), description: `Average node CPU of cluster above ${t.cpuPercent} % (Container Insights node_cpu_utilization)`, metric: ci('node_cpu_utilization'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing' });
      alarm({ id: 'node-memory', name: name('eks-node-memory'), description: `Average node memory of cluster above ${t.memoryPercent} % (Container Insights node_memory_utilization)`, metric: ci('node_memory_utilization'), comparison: 'GreaterThanThreshold', threshold: t.memoryPercent, treatMissingData: 'missing' });
      // EKS managed node groups publish no AWS/AutoScaling group metrics (collection is off on the EKS-owned ASGs)
      // and Container Insights has no node-group dimension: the cluster's node count against the sum of the groups'
      // maxSize is the signal that exists. Minimum per period: every sample of the window was at the maximum.
      if (!Number.isInteger(cluster.maxNodeCount) || cluster.maxNodeCount < 1) {
        throw new Error(`Observability ${this.node.path}: cluster.maxNodeCount must be a positive integer (the sum of the node groups' maxSize), got ${String(cluster.maxNodeCount)}`);
      }
      alarm({
        id: 'nodes-at-max',
        name: name('eks-nodes-at-max'),
        description: `The cluster has run at its node groups' maximum size (${cluster.maxNodeCount} nodes) for ${t.nodeGroupAtMaxMinutes} min: the autoscaler cannot add nodes; raise compute.nodeGroups[].maxSize (Container Insights cluster_node_count)`,
        metric: ci('cluster_node_count', 'Minimum'),
        comparison: 'GreaterThanOrEqualToThreshold',
        threshold: cluster.maxNodeCount,
        evaluationPeriods: (t.nodeGroupAtMaxMinutes * 60) / period,
        treatMissingData: 'notBreaching',
      });
    }

    // ---- Workloads: pods against limits, HPA at max ---------------------------------------------------
    const workloads = props.workloads;
    if (cluster && workloads) {
      const pod = (metricName: string): MetricSpec => ({ namespace: 'ContainerInsights', metricName, dimensions: { ClusterName: cluster.clusterName, Namespace: workloads.namespace, PodName: workloads.deploymentName }, stat: 'Average' });
      alarm({ id: 'pod-cpu', name: name('pod-cpu-over-limit'), description: `Service pods use more than ${t.cpuPercent} % of their CPU limit`, metric: pod('pod_cpu_utilization_over_pod_limit'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing' });
      alarm({ id: 'pod-memory', name: name('pod-memory-over-limit'), description: `Service pods use more than ${t.memoryPercent} % of their memory limit (OOM kill ahead)`, metric: pod('pod_memory_utilization_over_pod_limit'), comparison: 'GreaterThanThreshold', threshold: t.memoryPercent, treatMissingData: 'missing' });
      // Container Insights has no HPA metric: the running pods behind the Service reaching maxReplicas is the same signal.
      alarm({
        id: 'hpa-at-max',
        name: name('hpa-at-max'),
        description: `The service has run at the HPA maximum (${workloads.maxReplicas} pods) for ${t.hpaAtMaxMinutes} min: raise service.replicas.max or the node groups`,
        metric: { namespace: 'ContainerInsights', metricName: 'service_number_of_running_pods', dimensions: { ClusterName: cluster.clusterName, Namespace: workloads.namespace, Service: workloads.serviceName }, stat: 'Minimum' },
        comparison: 'GreaterThanOrEqualToThreshold',
        threshold: workloads.maxReplicas,
        evaluationPeriods: (t.hpaAtMaxMinutes * 60) / period,
        treatMissingData: 'notBreaching',
      });
    }

    // ---- Data: RDS ------------------------------------------------------------------------------
    const pg = props.data?.postgres;
    if (pg) {
      const rds = (instance: string, metricName: string, stat: string): MetricSpec => ({ namespace: 'AWS/RDS', metricName, dimensions: { DBInstanceIdentifier: instance }, stat });
      const storageBytes = Math.round(pg.allocatedStorageGb * GIB * (t.storageFreePercent / 100));
      const memoryBytes = Math.round(pg.instanceMemoryGib * GIB * ((100 - t.memoryPercent) / 100));
      const connections = Math.floor(pg.maxConnections * (t.connectionsPercent / 100));
      const instanceAlarms = (instance: string, key: string, role: 'primary' | 'replica', forEach?: ITerraformIterator) => {
        alarm({ id: `rds-${key}-cpu`, name: name('rds-cpu', instance), description: `RDS ${role} CPU above ${t.cpuPercent} %`, metric: rds(instance, 'CPUUtilization', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing', forEach });
        alarm({ id: `rds-${key}-storage`, name: name('rds-free-storage', instance), description: `RDS ${role} free storage below ${t.storageFreePercent} % of ${pg.allocatedStorageGb} GB`, metric: rds(instance, 'FreeStorageSpace', 'Minimum'), comparison: 'LessThanThreshold', threshold: storageBytes, treatMissingData: 'missing', forEach });
        alarm({ id: `rds-${key}-memory`, name: name('rds-freeable-memory', instance), description: `RDS ${role} freeable memory below ${100 - t.memoryPercent} % of ${pg.instanceMemoryGib} GiB`, metric: rds(instance, 'FreeableMemory', 'Minimum'), comparison: 'LessThanThreshold', threshold: memoryBytes, treatMissingData: 'missing', forEach });
        alarm({ id: `rds-${key}-connections`, name: name('rds-connections', instance), description: `RDS ${role} connections above ${t.connectionsPercent} % of max_connections (${pg.maxConnections})`, metric: rds(instance, 'DatabaseConnections', 'Maximum'), comparison: 'GreaterThanThreshold', threshold: connections, treatMissingData: 'missing', forEach });
        if (role === 'replica') {
          alarm({ id: `rds-${key}-lag`, name: name('rds-replica-lag', instance), description: `RDS replica lag above ${t.replicaLagSeconds} s: reads are stale`, metric: rds(instance, 'ReplicaLag', 'Maximum'), comparison: 'GreaterThanThreshold', threshold: t.replicaLagSeconds, treatMissingData: 'missing', forEach });
        }
      };
      instanceAlarms(pg.primaryInstanceId, 'primary', 'primary');
      eachId(pg.replicaInstanceIds ?? [], (replica, key, forEach) => instanceAlarms(replica, `replica-${key}`, 'replica', forEach));
    }

    // ---- Data: ElastiCache ----------------------------------------------------------------------------
    const redis = props.data?.redis;
    if (redis) {
      eachId(redis.memberClusterIds, (member, key, forEach) => {
        const ec = (metricName: string, stat: string): MetricSpec => ({ namespace: 'AWS/ElastiCache', metricName, dimensions: { CacheClusterId: member }, stat });
        alarm({ id: `cache-${key}-cpu`, name: name('cache-cpu', member), description: `ElastiCache node host CPU above ${t.cpuPercent} %`, metric: ec('CPUUtilization', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing', forEach });
        alarm({ id: `cache-${key}-engine-cpu`, name: name('cache-engine-cpu', member), description: `ElastiCache engine (main thread) CPU above ${t.cpuPercent} %`, metric: ec('EngineCPUUtilization', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing', forEach });
        alarm({ id: `cache-${key}-memory`, name: name('cache-memory', member), description: `ElastiCache memory usage above ${t.memoryPercent} % of maxmemory`, metric: ec('DatabaseMemoryUsagePercentage', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.memoryPercent, treatMissingData: 'missing', forEach });
        alarm({ id: `cache-${key}-evictions`, name: name('cache-evictions', member), description: `ElastiCache evicts more than ${t.cacheEvictions} keys per period: the cache is too small`, metric: ec('Evictions', 'Sum'), comparison: 'GreaterThanThreshold', threshold: t.cacheEvictions, treatMissingData: 'notBreaching', forEach });
        // Only replicas report ReplicationLag; on primaries the metric is absent, which is not a breach.
        alarm({ id: `cache-${key}-lag`, name: name('cache-replication-lag', member), description: `ElastiCache replication lag above ${t.replicaLagSeconds} s`, metric: ec('ReplicationLag', 'Maximum'), comparison: 'GreaterThanThreshold', threshold: t.replicaLagSeconds, treatMissingData: 'notBreaching', forEach });
      });
    }

    // ---- Edge: ALB, the SLO, CloudFront, WAF ----------------------------------------------------------
    if (edge) {
      const lb = { LoadBalancer: edge.albArnSuffix };
      const tg = { TargetGroup: edge.targetGroupArnSuffix, LoadBalancer: edge.albArnSuffix };
      const elb = (metricName: string, stat: string, dimensions: Record<string, string> = lb): MetricSpec => ({ namespace: 'AWS/ApplicationELB', metricName, dimensions, stat });
      alarm({ id: 'alb-unhealthy', name: name('alb-unhealthy-hosts'), description: `More than ${t.unhealthyHosts} unhealthy targets in the service's target group`, metric: elb('UnHealthyHostCount', 'Maximum', tg), comparison: 'GreaterThanThreshold', threshold: t.unhealthyHosts, treatMissingData: 'missing' });
      alarm({ id: 'alb-rejected', name: name('alb-rejected-connections'), description: `The ALB rejected more than ${t.rejectedConnections} connections per period (its connection limit was hit)`, metric: elb('RejectedConnectionCount', 'Sum'), comparison: 'GreaterThanThreshold', threshold: t.rejectedConnections, treatMissingData: 'notBreaching' });

      // The SLO members notify nobody themselves: the composite below pages once for either.
      const latency = alarm({
        id: 'slo-latency',
        name: name('slo-latency-p99'),
        description: `SLO: p99 TargetResponseTime above ${ms(t.latencyP99Seconds)} ms`,
        metric: elb('TargetResponseTime', 'p99', tg),
        comparison: 'GreaterThanThreshold',
        threshold: t.latencyP99Seconds,
        treatMissingData: 'notBreaching',
        notify: false,
      });
      const errors = alarm({
        id: 'slo-errors',
        name: name('slo-error-rate'),
        description: `SLO: 5xx responses (target and load balancer) above ${t.errorRatePercent} % of requests`,
        // Below 10 requests a period the rate is noise (one error in three requests is not an outage).
        math: {
          expression: 'IF(requests >= 10, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)',
          label: '5xx rate (%)',
          metrics: { requests: elb('RequestCount', 'Sum'), target5xx: elb('HTTPCode_Target_5XX_Count', 'Sum'), elb5xx: elb('HTTPCode_ELB_5XX_Count', 'Sum') },
        },
        comparison: 'GreaterThanThreshold',
        threshold: t.errorRatePercent,
        treatMissingData: 'notBreaching',
        notify: false,
      });
      const composite = new CloudwatchCompositeAlarm(this, 'service-degraded', {
        alarmName: name('service-degraded'),
        alarmDescription: `Service degraded: the latency SLO (p99 <= ${ms(t.latencyP99Seconds)} ms) or the error SLO (<= ${t.errorRatePercent} % 5xx) is breached. Pages once for both.`,
        alarmRule: `ALARM("${latency.alarmName}") OR ALARM("${errors.alarmName}")`,
        actionsEnabled: true,
        alarmActions: [regional.topicArn],
        okActions: [regional.topicArn],
      });
      this.compositeAlarmName = composite.alarmName;

      if (edge.distributionId) {
        alarm({
          id: 'cdn-5xx',
          name: name('cdn-5xx-rate'),
          description: `CloudFront 5xxErrorRate above ${t.cdnErrorRatePercent} %`,
          metric: { namespace: 'AWS/CloudFront', metricName: '5xxErrorRate', dimensions: { DistributionId: edge.distributionId, Region: 'Global' }, stat: 'Average' },
          comparison: 'GreaterThanThreshold',
          threshold: t.cdnErrorRatePercent,
          treatMissingData: 'notBreaching',
          provider: props.usEast1Provider,
        });
      }
      if (edge.webAclName) {
        const global = webAclScope === 'CLOUDFRONT';
        alarm({
          id: 'waf-blocked',
          name: name('waf-blocked-spike'),
          description: `WAF blocked more than ${t.wafBlockedRequests} requests per period: an attack or a rule blocking real users`,
          metric: { namespace: 'AWS/WAFV2', metricName: 'BlockedRequests', dimensions: { WebACL: edge.webAclName, Rule: 'ALL', ...(global ? {} : { Region: region.region }) }, stat: 'Sum' },
          comparison: 'GreaterThanThreshold',
          threshold: t.wafBlockedRequests,
          treatMissingData: 'notBreaching',
          provider: global ? props.usEast1Provider : undefined,
        });
      }
    }

    // ---- Service logs: error lines become a metric ---------------------------------------------------
    this.errorLogMetric = { namespace: `AWP/${prefix}`, metricName: 'ServiceErrorLogs' };
    if (cluster && workloads) {
      const logs = props.serviceLogs ?? {};
      let logGroupName = logs.logGroupName ?? `/aws/containerinsights/${cluster.clusterName}/application`;
      if (logs.create ?? true) {
        const group = new CloudwatchLogGroup(this, 'service-logs', { name: logGroupName, retentionInDays: logs.retentionDays ?? 365, kmsKeyId: props.network.logsKeyArn });
        logGroupName = group.name;
      }
      this.serviceLogGroupName = logGroupName;
      // Fluent Bit (Container Insights) parses JSON lines into log_processed; pino writes level 50 = error, 60 = fatal.
      const pattern = `{ ($.kubernetes.namespace_name = "${workloads.namespace}") && ($.kubernetes.pod_name = "${workloads.deploymentName}-*") && ($.log_processed.level >= 50) }`;
      new CloudwatchLogMetricFilter(this, 'error-log-filter', {
        name: name('service-error-logs'),
        logGroupName,
        pattern,
        metricTransformation: { namespace: this.errorLogMetric.namespace, name: this.errorLogMetric.metricName, value: '1', defaultValue: '0', unit: 'Count' },
      });
      alarm({
        id: 'error-logs',
        name: name('service-error-logs'),
        description: `The service logged ${t.errorLogs} or more errors (pino level >= 50) per period`,
        metric: { namespace: this.errorLogMetric.namespace, metricName: this.errorLogMetric.metricName, dimensions: {}, stat: 'Sum' },
        comparison: 'GreaterThanOrEqualToThreshold',
        threshold: t.errorLogs,
        treatMissingData: 'notBreaching',
      });
    }

    // ---- Dashboard ---------------------------------------------------------------------------------------
    dashboardRows.push(...this.dashboardRows(props, t, region.region));
    const dashboard = new CloudwatchDashboard(this, 'dashboard', { dashboardName: name('service'), dashboardBody: renderDashboard(dashboardRows) });
    this.dashboardName = dashboard.dashboardName;
  }

  private metricAlarm(spec: AlarmSpec, t: AlarmThresholds): CloudwatchMetricAlarm {
    const notify = spec.notify ?? true;
    const topic = spec.provider ? this.topics.usEast1 : this.topics.regional;
    if (!topic) throw new Error(`Observability ${this.node.path}: alarm ${spec.id} needs the us-east-1 topic`);
    const evaluationPeriods = spec.evaluationPeriods ?? t.evaluationPeriods;
    const single = spec.metric;
    const statistic = single && !single.stat.startsWith('p') ? single.stat : undefined;
    const extendedStatistic = single?.stat.startsWith('p') ? single.stat : undefined;
    const metricQuery: CloudwatchMetricAlarmMetricQuery[] | undefined = spec.math
      ? [
          { id: 'e1', expression: spec.math.expression, label: spec.math.label, returnData: true },
          ...Object.entries(spec.math.metrics).map(([qid, m]) => ({
            id: qid,
            returnData: false,
            metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, period: t.periodSeconds, stat: m.stat },
          })),
        ]
      : undefined;
    const a = new CloudwatchMetricAlarm(this, spec.id, {
      provider: spec.provider,
      forEach: spec.forEach,
      alarmName: spec.name,
      alarmDescription: spec.description,
      comparisonOperator: spec.comparison,
      threshold: spec.threshold,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: spec.treatMissingData,
      ...(single
        ? { namespace: single.namespace, metricName: single.metricName, dimensions: Object.keys(single.dimensions).length ? single.dimensions : undefined, period: t.periodSeconds, statistic, extendedStatistic }
        : { metricQuery }),
      actionsEnabled: true,
      ...(notify ? { alarmActions: [topic.topicArn], okActions: [topic.topicArn] } : {}),
    });
    if (!spec.forEach && !spec.provider) this.singleAlarms.push(a);
    return a;
  }

  private slackChannel(configName: string, slack: SlackChannel, topicArns: string[], partition: string, account: string): void {
    const trust = new DataAwsIamPolicyDocument(this, 'chatbot-trust', {
      statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['chatbot.amazonaws.com'] }] }],
    });
    const role = new IamRole(this, 'chatbot-role', { name: `${configName}-chatbot`, assumeRolePolicy: trust.json, description: 'AWS Chatbot: read the alarms it posts to Slack' });
    // Read-only and only what a notification needs: the alarm itself and its metric graph.
    const read = new DataAwsIamPolicyDocument(this, 'chatbot-read', {
      statement: [
        { sid: 'ReadOwnAlarms', actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], resources: [`arn:${partition}:cloudwatch:*:${account}:alarm:${configName.replace(/-alarms$/, '')}-*`] },
        { sid: 'ReadMetrics', actions: ['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:GetMetricWidgetImage', 'cloudwatch:ListMetrics'], resources: ['*'] },
      ],
    });
    new IamRolePolicy(this, 'chatbot-read-policy', { role: role.id, name: 'read-alarms', policy: read.json });
    new ChatbotSlackChannelConfiguration(this, 'chatbot-slack', {
      configurationName: configName,
      iamRoleArn: role.arn,
      slackTeamId: slack.teamId,
      slackChannelId: slack.channelId,
      snsTopicArns: topicArns,
      // Guardrail: whatever a Slack user asks, the channel can only read CloudWatch.
      guardrailPolicyArns: [`arn:${partition}:iam::aws:policy/CloudWatchReadOnlyAccess`],
      loggingLevel: 'ERROR',
    });
  }

  private dashboardRows(props: ObservabilityProps, t: AlarmThresholds, region: string): DashboardRow[] {
    const rows: DashboardRow[] = [];
    const ms = Math.round(t.latencyP99Seconds * 1000);
    const edge = props.edge;
    const cluster = props.cluster;
    const workloads = props.workloads;
    rows.push({
      widgets: [
        text(
          [
            `# ${props.namePrefix}: service health`,
            `SLO: p99 latency <= **${ms} ms** at the ALB, 5xx <= **${t.errorRatePercent} %**; the composite alarm *${props.namePrefix}-service-degraded* pages once when either breaks.`,
            `Thresholds: CPU/memory ${t.cpuPercent}/${t.memoryPercent} %, evaluated over ${t.evaluationPeriods} x ${t.periodSeconds} s.`,
          ].join('\n\n'),
          { width: 12, height: 4 },
        ),
        ...(this.singleAlarms.length ? [{ type: 'alarm' as const, title: 'Alarms', alarmArns: this.singleAlarms.slice(0, 100).map((a) => a.arn), width: 12, height: 4 }] : []),
      ],
    });
    if (edge) {
      const lb = { LoadBalancer: edge.albArnSuffix };
      const tg = { TargetGroup: edge.targetGroupArnSuffix, LoadBalancer: edge.albArnSuffix };
      const widgets: Widget[] = [
        { type: 'metric', title: 'Traffic: ALB requests', region, stat: 'Sum', lines: [metric('AWS/ApplicationELB', 'RequestCount', lb, { label: 'requests' })], width: 8 },
        {
          type: 'metric',
          title: `Latency: p50 / p99 vs the ${ms} ms SLO`,
          region,
          lines: [metric('AWS/ApplicationELB', 'TargetResponseTime', tg, { stat: 'p50', label: 'p50' }), metric('AWS/ApplicationELB', 'TargetResponseTime', tg, { stat: 'p99', label: 'p99' })],
          horizontalAnnotations: [{ value: t.latencyP99Seconds, label: `SLO p99 ${ms} ms`, color: '#d62728', fill: 'above' }],
          leftAxis: { min: 0, label: 'seconds', showUnits: false },
          width: 8,
        },
        {
          type: 'metric',
          title: 'Errors: 5xx rate (%)',
          region,
          stat: 'Sum',
          lines: [
            metric('AWS/ApplicationELB', 'RequestCount', lb, { id: 'requests', visible: false }),
            metric('AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', lb, { id: 'target5xx', visible: false }),
            metric('AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', lb, { id: 'elb5xx', visible: false }),
            expression('rate', '100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests', '5xx %'),
          ],
          horizontalAnnotations: [{ value: t.errorRatePercent, label: `SLO ${t.errorRatePercent} %`, color: '#d62728' }],
          leftAxis: { min: 0 },
          width: 8,
        },
      ];
      rows.push({ widgets });
      const cdn: MetricWidget[] = [];
      if (edge.distributionId) {
        const dims = { DistributionId: edge.distributionId, Region: 'Global' };
        cdn.push({ type: 'metric', title: 'CloudFront: requests', region: 'us-east-1', stat: 'Sum', lines: [metric('AWS/CloudFront', 'Requests', dims)], width: 8 });
        cdn.push({ type: 'metric', title: 'CloudFront: 5xx error rate (%)', region: 'us-east-1', lines: [metric('AWS/CloudFront', '5xxErrorRate', dims), metric('AWS/CloudFront', '4xxErrorRate', dims)], width: 8 });
      }
      if (edge.webAclName) {
        const global = (edge.webAclScope ?? 'CLOUDFRONT') === 'CLOUDFRONT';
        cdn.push({ type: 'metric', title: 'WAF: blocked vs allowed', region: global ? 'us-east-1' : region, stat: 'Sum', lines: ['BlockedRequests', 'AllowedRequests'].map((m) => metric('AWS/WAFV2', m, { WebACL: edge.webAclName as string, Rule: 'ALL', ...(global ? {} : { Region: region }) })), width: 8 });
      }
      if (cdn.length) rows.push({ widgets: cdn });
    }
    const data: Widget[] = [];
    const redis = props.data?.redis;
    if (redis) {
      // SEARCH finds every member of the replication group (ids start with it) without knowing their count.
      const search = (m: string, stat: string) => `SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName="${m}" "${redis.replicationGroupId}"', '${stat}', ${t.periodSeconds})`;
      data.push({ type: 'metric', title: 'Cache hit ratio (%)', region, lines: [expression('hits', `AVG(${search('CacheHitRate', 'Average')})`, 'hit rate')], leftAxis: { min: 0, max: 100 }, width: 8 });
      data.push({ type: 'metric', title: 'Cache load: engine CPU and memory (%)', region, lines: [expression('cpu', search('EngineCPUUtilization', 'Average'), ''), expression('mem', search('DatabaseMemoryUsagePercentage', 'Average'), '')], leftAxis: { min: 0, max: 100 }, width: 8 });
    }
    const pg = props.data?.postgres;
    if (pg) {
      const ids = [pg.primaryInstanceId, ...(Token.isUnresolved(pg.replicaInstanceIds ?? []) ? [] : (pg.replicaInstanceIds ?? []))];
      data.push({
        type: 'metric',
        title: 'DB load: CPU (%) and connections',
        region,
        lines: ids.flatMap((id, i) => [
          metric('AWS/RDS', 'CPUUtilization', { DBInstanceIdentifier: id }, { label: i === 0 ? 'primary CPU' : `replica ${i} CPU` }),
          metric('AWS/RDS', 'DatabaseConnections', { DBInstanceIdentifier: id }, { label: i === 0 ? 'primary connections' : `replica ${i} connections`, yAxis: 'right', stat: 'Maximum' }),
        ]),
        leftAxis: { min: 0, max: 100 },
        width: 8,
      });
    }
    if (data.length) rows.push({ widgets: data });
    const scaling: Widget[] = [];
    if (cluster && workloads) {
      scaling.push({
        type: 'metric',
        title: `Scaling: running pods (HPA max ${workloads.maxReplicas})`,
        region,
        stat: 'Maximum',
        lines: [metric('ContainerInsights', 'service_number_of_running_pods', { ClusterName: cluster.clusterName, Namespace: workloads.namespace, Service: workloads.serviceName }, { label: 'pods' })],
        horizontalAnnotations: [{ value: workloads.maxReplicas, label: 'HPA max' }],
        leftAxis: { min: 0 },
        width: 8,
      });
      scaling.push({
        type: 'metric',
        title: `Pods: CPU / memory against limits (%)`,
        region,
        lines: ['pod_cpu_utilization_over_pod_limit', 'pod_memory_utilization_over_pod_limit'].map((m) => metric('ContainerInsights', m, { ClusterName: cluster.clusterName, Namespace: workloads.namespace, PodName: workloads.deploymentName })),
        horizontalAnnotations: [{ value: t.cpuPercent, label: `${t.cpuPercent} %` }],
        leftAxis: { min: 0, max: 100 },
        width: 8,
      });
      scaling.push({ type: 'metric', title: 'Service error logs', region, stat: 'Sum', lines: [metric(this.errorLogMetric.namespace, this.errorLogMetric.metricName, {}, { label: 'error lines' })], leftAxis: { min: 0 }, width: 8 });
    }
    if (cluster) {
      scaling.push({
        type: 'metric',
        title: 'Scaling: nodes and their CPU / memory (%)',
        region,
        lines: [
          metric('ContainerInsights', 'cluster_node_count', { ClusterName: cluster.clusterName }, { label: `nodes (max ${cluster.maxNodeCount})`, stat: 'Maximum', yAxis: 'right' }),
          metric('ContainerInsights', 'node_cpu_utilization', { ClusterName: cluster.clusterName }, { label: 'node CPU' }),
          metric('ContainerInsights', 'node_memory_utilization', { ClusterName: cluster.clusterName }, { label: 'node memory' }),
        ],
        leftAxis: { min: 0, max: 100 },
        width: 8,
      });
    }
    if (scaling.length) rows.push({ widgets: scaling });
    return rows;
  }
}

function validateThresholds(t: AlarmThresholds, where: string): void {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(t)) if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${k} must be a non-negative number, got ${String(v)}`);
  if (![10, 30, 60].includes(t.periodSeconds) && t.periodSeconds % 60 !== 0) problems.push(`periodSeconds must be 10, 30 or a multiple of 60, got ${t.periodSeconds}`);
  for (const k of ['hpaAtMaxMinutes', 'nodeGroupAtMaxMinutes'] as const) {
    if ((t[k] * 60) % t.periodSeconds !== 0 || t[k] * 60 < t.periodSeconds) problems.push(`${k} (${t[k]} min) must be a whole number of periods (${t.periodSeconds} s)`);
  }
  if (t.evaluationPeriods < 1 || !Number.isInteger(t.evaluationPeriods)) problems.push(`evaluationPeriods must be a positive integer, got ${t.evaluationPeriods}`);
  if (problems.length) throw new Error(`Observability ${where}: invalid thresholds: ${problems.join('; ')}`);
}
