import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { parseSettings } from '@awp/config';
import { AlarmTopic } from './alarm-topic';
import { foldChildIds, type AlarmSet } from './alarm-set';
import { AlbAlarms } from './alb-alarms';
import { CacheAlarms } from './cache-alarms';
import { ClusterAlarms } from './cluster-alarms';
import { EdgeAlarms } from './edge-alarms';
import { RdsAlarms } from './rds-alarms';
import { ServiceDashboard } from './service-dashboard';
import { ServiceLogs } from './service-logs';
import { ServiceSlo } from './service-slo';
import { WorkloadAlarms } from './workload-alarms';
import { AlarmSlackChannel } from './slack-channel';
import type { ClusterSource, DataSource, EdgeSource, NetworkSource, WorkloadsSource } from './sources';
import { observabilitySettings, type ObservabilitySettings, type ResolvedObservabilitySettings } from './settings';

export interface ServiceLogProps {
  /**
   * The log group the service's container logs land in.
   * @default `/aws/containerinsights/<clusterName>/application` (where the CloudWatch Observability add-on's Fluent Bit writes)
   */
  readonly logGroupName?: string;
  /**
   * Create (and own) the log group here, with settings.logRetentionDays and the network's logs key. Set false when
   * another stack created it already.
   * @default true
   */
  readonly create?: boolean;
}

export interface ObservabilityProps {
  /** The layer's settings (`observabilitySettings`, libs/observability/src/settings.ts): documented there, with their defaults. */
  readonly settings: ObservabilitySettings;
  /** Prefix of every name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
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
  /** Where the service's log group is (needs `cluster` and `workloads`). @default created here */
  readonly serviceLogs?: ServiceLogProps;
}

// The concerns composed below. Their resources keep the logical ids they had as this construct's own children
// (see foldChildIds): splitting the construct must not make Terraform destroy and re-create alarms.
const PARTS = ['slack', 'cluster-alarms', 'workload-alarms', 'rds-alarms', 'cache-alarms', 'alb-alarms', 'slo', 'edge-alarms', 'service-logs', 'dashboard'] as const;

/**
 * The observability layer: alarm topics (KMS-encrypted SNS, email and optional Slack through AWS Chatbot),
 * CloudWatch alarms at the scaling plan's thresholds on every layer's resources, the latency/error SLO with a
 * composite "service degraded" alarm that pages once, one dashboard built from typed widgets, and the
 * service's log group with a metric filter that turns error logs into a metric with an alarm.
 *
 * It composes one construct per concern, each usable on its own: `AlarmTopic`, `AlarmSlackChannel`, `ClusterAlarms`,
 * `WorkloadAlarms`, `RdsAlarms`, `CacheAlarms`, `AlbAlarms`, `ServiceSlo`, `EdgeAlarms`, `ServiceLogs`, `ServiceDashboard`.
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
  /** The settings in force (defaults filled in); `settings.thresholds` are the alarm thresholds. */
  readonly settings: ResolvedObservabilitySettings;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const s = parseSettings(observabilitySettings, props.settings, `Observability ${this.node.path}`);
    this.settings = s;
    const t = s.thresholds;
    const prefix = props.namePrefix;
    const name = (...parts: string[]) => [prefix, ...parts].join('-');
    const edge = props.edge;
    const webAclScope = edge?.webAclScope ?? 'CLOUDFRONT';
    const needsUsEast1 = Boolean(edge?.distributionId) || Boolean(edge?.webAclName && webAclScope === 'CLOUDFRONT');
    if (needsUsEast1 && !props.usEast1Provider) {
      throw new Error(`Observability ${this.node.path}: edge.distributionId or a CLOUDFRONT web ACL needs usEast1Provider (their metrics and alarms live in us-east-1)`);
    }
    // Checked here too (ClusterAlarms checks its own prop) so the message names this construct's field.
    const maxNodes = props.cluster?.maxNodeCount;
    if (props.cluster && (!Number.isInteger(maxNodes) || (maxNodes as number) < 1)) {
      throw new Error(`Observability ${this.node.path}: cluster.maxNodeCount must be a positive integer (the sum of the node groups' maxSize), got ${String(maxNodes)}`);
    }
    foldChildIds(this, PARTS);

    const region = new DataAwsRegion(this, 'region');
    const partition = new DataAwsPartition(this, 'partition');
    const caller = new DataAwsCallerIdentity(this, 'caller');

    // ---- Notifications -----------------------------------------------------------------------------
    const topic = { emails: s.alarmEmails, kmsDeletionWindowDays: s.kmsDeletionWindowDays };
    const regional = new AlarmTopic(this, 'topic', { name: name('alarms'), ...topic });
    // An alarm can only notify a topic in its own region: CloudFront/WAF alarms (us-east-1) get a twin topic there.
    const usEast1 = needsUsEast1
      ? new AlarmTopic(this, 'topic-us-east-1', { name: name('alarms-us-east-1'), provider: props.usEast1Provider, ...topic })
      : undefined;
    this.topicArn = regional.topicArn;
    this.usEast1TopicArn = usEast1?.topicArn;
    if (s.chatbot) {
      new AlarmSlackChannel(this, 'slack', {
        configurationName: name('alarms'),
        slack: { teamId: s.chatbot.slackTeamId, channelId: s.chatbot.slackChannelId },
        topicArns: [regional.topicArn, ...(usEast1 ? [usEast1.topicArn] : [])],
        partition: partition.partition,
        accountId: caller.accountId,
      });
    }

    // ---- Alarms, one construct per concern, in the order the dashboard's alarm widget lists them -----------
    const common = { namePrefix: prefix, thresholds: t, topicArn: regional.topicArn };
    const sets: AlarmSet[] = [];
    const { cluster, workloads, data } = props;
    if (cluster) sets.push(new ClusterAlarms(this, 'cluster-alarms', { ...common, clusterName: cluster.clusterName, maxNodeCount: cluster.maxNodeCount }));
    if (cluster && workloads) sets.push(new WorkloadAlarms(this, 'workload-alarms', { ...common, clusterName: cluster.clusterName, ...workloads }));
    // settings.databaseMaxConnections, when set, overrides the max_connections the wiring states (RDS's default for the class).
    const database = data?.database && { ...data.database, maxConnections: s.databaseMaxConnections ?? data.database.maxConnections };
    if (database) sets.push(new RdsAlarms(this, 'rds-alarms', { ...common, ...database }));
    if (data?.cache) sets.push(new CacheAlarms(this, 'cache-alarms', { ...common, memberClusterIds: data.cache.memberClusterIds }));
    if (edge) {
      const alb = { albArnSuffix: edge.albArnSuffix, targetGroupArnSuffix: edge.targetGroupArnSuffix };
      sets.push(new AlbAlarms(this, 'alb-alarms', { ...common, ...alb }));
      const slo = new ServiceSlo(this, 'slo', { ...common, ...alb });
      sets.push(slo);
      this.compositeAlarmName = slo.compositeAlarmName;
      if (edge.distributionId || edge.webAclName) {
        sets.push(
          new EdgeAlarms(this, 'edge-alarms', {
            ...common,
            distributionId: edge.distributionId,
            webAclName: edge.webAclName,
            webAclScope,
            region: region.region,
            usEast1: usEast1 && props.usEast1Provider ? { provider: props.usEast1Provider, topicArn: usEast1.topicArn } : undefined,
          }),
        );
      }
    }

    // ---- Service logs: error lines become a metric ---------------------------------------------------
    this.errorLogMetric = ServiceLogs.errorLogMetric(prefix);
    if (cluster && workloads) {
      const logs = props.serviceLogs ?? {};
      const serviceLogs = new ServiceLogs(this, 'service-logs', {
        ...common,
        clusterName: cluster.clusterName,
        namespace: workloads.namespace,
        deploymentName: workloads.deploymentName,
        logsKeyArn: props.network.logsKeyArn,
        logGroupName: logs.logGroupName,
        create: logs.create,
        retentionDays: s.logRetentionDays,
      });
      sets.push(serviceLogs);
      this.serviceLogGroupName = serviceLogs.logGroupName;
    }

    // ---- Dashboard ---------------------------------------------------------------------------------------
    const alarms: CloudwatchMetricAlarm[] = sets.flatMap((s) => s.alarms);
    const dashboard = new ServiceDashboard(this, 'dashboard', { namePrefix: prefix, region: region.region, thresholds: t, alarms, edge, data, cluster, workloads });
    this.dashboardName = dashboard.dashboardName;
  }
}
