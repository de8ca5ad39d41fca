import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { keepLogicalId } from './alarm-set';
import { expression, metric, renderDashboard, text, type DashboardRow, type MetricWidget, type Widget } from './dashboard';
import { ServiceLogs } from './service-logs';
import type { ClusterSource, DataSource, EdgeSource, WorkloadsSource } from './sources';
import { resolveThresholds, type AlarmThresholdsSettings } from './settings';

export interface ServiceDashboardProps {
  /** Prefix of the name (`<prefix>-service`) and of the alarm names the header cites. */
  readonly namePrefix: string;
  /** The region of the regional widgets (the stack's region). */
  readonly region: string;
  /** The thresholds the header states and the SLO lines draw (`alarmThresholdsSettings`, src/settings.ts: defaults there). */
  readonly thresholds?: AlarmThresholdsSettings;
  /** Alarms for the alarm-status widget (the first 100: the widget's limit). @default no alarm-status widget */
  readonly alarms?: readonly CloudwatchMetricAlarm[];
  /** @default no traffic, latency, error, CloudFront or WAF widgets */
  readonly edge?: EdgeSource;
  /** @default no cache or DB widgets */
  readonly data?: DataSource;
  /** @default no node widget */
  readonly cluster?: ClusterSource;
  /** With `cluster`: running pods against the HPA max, pods against limits, service error logs. @default none of them */
  readonly workloads?: WorkloadsSource;
}

/**
 * The service's CloudWatch dashboard `<prefix>-service`, built from typed widgets: a header with the SLO and alarm
 * status; traffic, latency against the SLO and 5xx rate; CloudFront and WAF; cache and DB load; pods, HPA and nodes.
 */
export class ServiceDashboard extends Construct {
  readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const t = resolveThresholds(props.thresholds, `ServiceDashboard ${this.node.path}`);
    const region = props.region;
    const alarms = props.alarms ?? [];
    const errorLogMetric = ServiceLogs.errorLogMetric(props.namePrefix);
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
        ...(alarms.length ? [{ type: 'alarm' as const, title: 'Alarms', alarmArns: alarms.slice(0, 100).map((a) => a.arn), width: 12, height: 4 }] : []),
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
    const cache = props.data?.cache;
    if (cache) {
      // SEARCH finds every member of the replication group (ids start with it) without knowing their count.
      const search = (m: string, stat: string) => `SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName="${m}" "${cache.replicationGroupId}"', '${stat}', ${t.periodSeconds})`;
      data.push({ type: 'metric', title: 'Cache hit ratio (%)', region, lines: [expression('hits', `AVG(${search('CacheHitRate', 'Average')})`, 'hit rate')], leftAxis: { min: 0, max: 100 }, width: 8 });
      data.push({ type: 'metric', title: 'Cache load: engine CPU and memory (%)', region, lines: [expression('cpu', search('EngineCPUUtilization', 'Average'), ''), expression('mem', search('DatabaseMemoryUsagePercentage', 'Average'), '')], leftAxis: { min: 0, max: 100 }, width: 8 });
    }
    const pg = props.data?.database;
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
      scaling.push({ type: 'metric', title: 'Service error logs', region, stat: 'Sum', lines: [metric(errorLogMetric.namespace, errorLogMetric.metricName, {}, { label: 'error lines' })], leftAxis: { min: 0 }, width: 8 });
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
    const dashboard = keepLogicalId(new CloudwatchDashboard(this, 'dashboard', { dashboardName: `${props.namePrefix}-service`, dashboardBody: renderDashboard(rows) }));
    this.dashboardName = dashboard.dashboardName;
  }
}
