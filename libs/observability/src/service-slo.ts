import type { Construct } from 'constructs';
import { CloudwatchCompositeAlarm } from '@cdktf/provider-aws/lib/cloudwatch-composite-alarm';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { AlarmSet, keepLogicalId, type AlarmSetProps, type MetricSpec } from './alarm-set';

export interface ServiceSloProps extends AlarmSetProps {
  /** `app/<name>/<id>`: the ALB's CloudWatch dimension. */
  readonly albArnSuffix: string;
  /** `targetgroup/<name>/<id>`: the service's target group (TargetResponseTime). */
  readonly targetGroupArnSuffix: string;
}

/**
 * The service's SLO at the ALB: p99 TargetResponseTime at most `latencyP99Seconds`, 5xx (target and load balancer) at
 * most `errorRatePercent` of requests. The two member alarms notify nobody; the composite `<prefix>-service-degraded`
 * pages once when either breaks (and says OK once).
 */
export class ServiceSlo extends AlarmSet {
  readonly latencyAlarm: CloudwatchMetricAlarm;
  readonly errorRateAlarm: CloudwatchMetricAlarm;
  /** The composite "service degraded" alarm's name. */
  readonly compositeAlarmName: string;

  constructor(scope: Construct, id: string, props: ServiceSloProps) {
    super(scope, id, props);
    const t = this.thresholds;
    const ms = Math.round(t.latencyP99Seconds * 1000);
    const lb = { LoadBalancer: props.albArnSuffix };
    const elb = (metricName: string, stat: string, dimensions: Record<string, string> = lb): MetricSpec => ({ namespace: 'AWS/ApplicationELB', metricName, dimensions, stat });
    // The SLO members notify nobody themselves: the composite below pages once for either.
    this.latencyAlarm = this.alarm({
      id: 'slo-latency',
      name: this.name('slo-latency-p99'),
      description: `SLO: p99 TargetResponseTime above ${ms} ms`,
      metric: elb('TargetResponseTime', 'p99', { TargetGroup: props.targetGroupArnSuffix, LoadBalancer: props.albArnSuffix }),
      comparison: 'GreaterThanThreshold',
      threshold: t.latencyP99Seconds,
      treatMissingData: 'notBreaching',
      notify: false,
    });
    this.errorRateAlarm = this.alarm({
      id: 'slo-errors',
      name: this.name('slo-error-rate'),
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
    const composite = keepLogicalId(
      new CloudwatchCompositeAlarm(this, 'service-degraded', {
        alarmName: this.name('service-degraded'),
        alarmDescription: `Service degraded: the latency SLO (p99 <= ${ms} ms) or the error SLO (<= ${t.errorRatePercent} % 5xx) is breached. Pages once for both.`,
        alarmRule: `ALARM("${this.latencyAlarm.alarmName}") OR ALARM("${this.errorRateAlarm.alarmName}")`,
        actionsEnabled: true,
        alarmActions: [props.topicArn],
        okActions: [props.topicArn],
      }),
    );
    this.compositeAlarmName = composite.alarmName;
  }
}
