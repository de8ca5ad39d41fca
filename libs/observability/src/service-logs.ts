import type { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import { AlarmSet, keepLogicalId, type AlarmSetProps } from './alarm-set';

export interface ServiceLogsProps extends AlarmSetProps {
  /** The EKS cluster (the default log group's name). */
  readonly clusterName: string;
  /** The service's namespace and Deployment: only their pods' lines count. */
  readonly namespace: string;
  readonly deploymentName: string;
  /** CMK for CloudWatch Logs in the region (used when the group is created here). */
  readonly logsKeyArn: string;
  /**
   * The log group the service's container logs land in.
   * @default `/aws/containerinsights/<clusterName>/application` (where the CloudWatch Observability add-on's Fluent Bit writes)
   */
  readonly logGroupName?: string;
  /** Create (and own) the log group here with retention and KMS. Set false when another stack created it already. @default true */
  readonly create?: boolean;
  /** Retention of the log group when created here. @default 365 */
  readonly retentionDays?: number;
}

/** The service's error log lines (pino level >= 50) as a metric, with an alarm; optionally the log group itself. */
export class ServiceLogs extends AlarmSet {
  /** The metric the error-log filter writes for a name prefix: `AWP/<prefix>` `ServiceErrorLogs`. */
  static errorLogMetric(namePrefix: string): { readonly namespace: string; readonly metricName: string } {
    return { namespace: `AWP/${namePrefix}`, metricName: 'ServiceErrorLogs' };
  }

  readonly logGroupName: string;
  readonly errorLogMetric: { readonly namespace: string; readonly metricName: string };

  constructor(scope: Construct, id: string, props: ServiceLogsProps) {
    super(scope, id, props);
    const t = this.thresholds;
    this.errorLogMetric = ServiceLogs.errorLogMetric(props.namePrefix);
    let logGroupName = props.logGroupName ?? `/aws/containerinsights/${props.clusterName}/application`;
    if (props.create ?? true) {
      const group = keepLogicalId(new CloudwatchLogGroup(this, 'service-logs', { name: logGroupName, retentionInDays: props.retentionDays ?? 365, kmsKeyId: props.logsKeyArn }));
      logGroupName = group.name;
    }
    this.logGroupName = logGroupName;
    // Fluent Bit (Container Insights) parses JSON lines into log_processed; pino writes level 50 = error, 60 = fatal.
    const pattern = `{ ($.kubernetes.namespace_name = "${props.namespace}") && ($.kubernetes.pod_name = "${props.deploymentName}-*") && ($.log_processed.level >= 50) }`;
    keepLogicalId(
      new CloudwatchLogMetricFilter(this, 'error-log-filter', {
        name: this.name('service-error-logs'),
        logGroupName,
        pattern,
        metricTransformation: { namespace: this.errorLogMetric.namespace, name: this.errorLogMetric.metricName, value: '1', defaultValue: '0', unit: 'Count' },
      }),
    );
    this.alarm({
      id: 'error-logs',
      name: this.name('service-error-logs'),
      description: `The service logged ${t.errorLogs} or more errors (pino level >= 50) per period`,
      metric: { namespace: this.errorLogMetric.namespace, metricName: this.errorLogMetric.metricName, dimensions: {}, stat: 'Sum' },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: t.errorLogs,
      treatMissingData: 'notBreaching',
    });
  }
}
