import type { Construct } from 'constructs';
import { AlarmSet, type GlobalAlarmSetProps } from './alarm-set';

export interface EdgeAlarmsProps extends GlobalAlarmSetProps {
  /** The CloudFront distribution; its metrics live in us-east-1 (needs `usEast1`). @default no CloudFront alarm */
  readonly distributionId?: string;
  /** The WAF web ACL's name. @default no WAF alarm */
  readonly webAclName?: string;
  /** CLOUDFRONT web ACLs report in us-east-1 without a Region dimension. @default 'CLOUDFRONT' */
  readonly webAclScope?: 'CLOUDFRONT' | 'REGIONAL';
  /** The region of a REGIONAL web ACL (its metrics' `Region` dimension). Required with `webAclScope: 'REGIONAL'`. @default none */
  readonly region?: string;
}

/** The edge in front of the ALB: CloudFront's 5xx error rate and spikes of WAF-blocked requests. */
export class EdgeAlarms extends AlarmSet {
  constructor(scope: Construct, id: string, props: EdgeAlarmsProps) {
    super(scope, id, props);
    const t = this.thresholds;
    const global = (props.webAclScope ?? 'CLOUDFRONT') === 'CLOUDFRONT';
    if ((props.distributionId || (props.webAclName && global)) && !props.usEast1) {
      throw new Error(`EdgeAlarms ${this.node.path}: distributionId or a CLOUDFRONT web ACL needs usEast1 (their metrics and alarms live in us-east-1)`);
    }
    if (props.webAclName && !global && !props.region) throw new Error(`EdgeAlarms ${this.node.path}: a REGIONAL web ACL needs region (its metrics' Region dimension)`);
    if (props.distributionId) {
      this.alarm({
        id: 'cdn-5xx',
        name: this.name('cdn-5xx-rate'),
        description: `CloudFront 5xxErrorRate above ${t.cdnErrorRatePercent} %`,
        metric: { namespace: 'AWS/CloudFront', metricName: '5xxErrorRate', dimensions: { DistributionId: props.distributionId, Region: 'Global' }, stat: 'Average' },
        comparison: 'GreaterThanThreshold',
        threshold: t.cdnErrorRatePercent,
        treatMissingData: 'notBreaching',
        provider: props.usEast1?.provider,
      });
    }
    if (props.webAclName) {
      this.alarm({
        id: 'waf-blocked',
        name: this.name('waf-blocked-spike'),
        description: `WAF blocked more than ${t.wafBlockedRequests} requests per period: an attack or a rule blocking real users`,
        metric: { namespace: 'AWS/WAFV2', metricName: 'BlockedRequests', dimensions: { WebACL: props.webAclName, Rule: 'ALL', ...(global ? {} : { Region: props.region as string }) }, stat: 'Sum' },
        comparison: 'GreaterThanThreshold',
        threshold: t.wafBlockedRequests,
        treatMissingData: 'notBreaching',
        provider: global ? props.usEast1?.provider : undefined,
      });
    }
  }
}
