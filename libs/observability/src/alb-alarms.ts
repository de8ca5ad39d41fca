import type { Construct } from 'constructs';
import { AlarmSet, type AlarmSetProps } from './alarm-set';

export interface AlbAlarmsProps extends AlarmSetProps {
  /** `app/<name>/<id>`: the ALB's CloudWatch dimension. */
  readonly albArnSuffix: string;
  /** `targetgroup/<name>/<id>`: the service's target group. */
  readonly targetGroupArnSuffix: string;
}

/** The ALB and the service's target group: unhealthy targets and rejected connections. */
export class AlbAlarms extends AlarmSet {
  constructor(scope: Construct, id: string, props: AlbAlarmsProps) {
    super(scope, id, props);
    const t = this.thresholds;
    const tg = { TargetGroup: props.targetGroupArnSuffix, LoadBalancer: props.albArnSuffix };
    this.alarm({ id: 'alb-unhealthy', name: this.name('alb-unhealthy-hosts'), description: `More than ${t.unhealthyHosts} unhealthy targets in the service's target group`, metric: { namespace: 'AWS/ApplicationELB', metricName: 'UnHealthyHostCount', dimensions: tg, stat: 'Maximum' }, comparison: 'GreaterThanThreshold', threshold: t.unhealthyHosts, treatMissingData: 'missing' });
    this.alarm({ id: 'alb-rejected', name: this.name('alb-rejected-connections'), description: `The ALB rejected more than ${t.rejectedConnections} connections per period (its connection limit was hit)`, metric: { namespace: 'AWS/ApplicationELB', metricName: 'RejectedConnectionCount', dimensions: { LoadBalancer: props.albArnSuffix }, stat: 'Sum' }, comparison: 'GreaterThanThreshold', threshold: t.rejectedConnections, treatMissingData: 'notBreaching' });
  }
}
