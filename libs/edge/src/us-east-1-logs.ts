import { Construct } from 'constructs';
import type { TerraformProvider } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { policyJson, type PolicyStatement } from '@awp/config';

export interface UsEast1LogsProps {
  readonly namePrefix: string;
  /** The layer that owns the groups (`edge`, `dns`): part of the key alias and the resource policy's name. */
  readonly layer: string;
  readonly provider: TerraformProvider;
  readonly retentionDays: number;
  readonly accountId: string;
  readonly partition: string;
  readonly kmsDeletionWindowDays: number;
  /** Create the web ACL's log group `aws-waf-logs-<prefix>-edge`. */
  readonly waf?: boolean;
  /** Create the Route 53 query log group `/aws/route53/<domain>` for this (created) zone. */
  readonly queryLogDomain?: string;
}

/**
 * Log groups in us-east-1, where CLOUDFRONT-scoped WAF and Route 53 query logging deliver: the WAF log group (its
 * name must start with `aws-waf-logs-`; the edge layer) and a zone's query log group (the dns layer), encrypted with
 * a CMK in us-east-1 (the network layer's logs key is regional, and CloudWatch Logs only uses a key of its own
 * region), plus the resource policy that lets the log delivery services write to exactly these groups.
 */
export class UsEast1Logs extends Construct {
  readonly keyArn: string;
  readonly wafLogGroup?: CloudwatchLogGroup;
  readonly queryLogGroup?: CloudwatchLogGroup;
  /** Resources that deliver logs (WAF logging, query logging) depend on it. */
  readonly deliveryPolicy: CloudwatchLogResourcePolicy;

  constructor(scope: Construct, id: string, props: UsEast1LogsProps) {
    super(scope, id);
    const { partition, accountId } = props;
    const wafGroupName = props.waf ? `aws-waf-logs-${props.namePrefix}-edge` : undefined;
    const queryGroupName = props.queryLogDomain ? `/aws/route53/${props.queryLogDomain}` : undefined;
    const groupArn = (name: string) => `arn:${partition}:logs:us-east-1:${accountId}:log-group:${name}`;
    const groupNames = [wafGroupName, queryGroupName].filter((n): n is string => n !== undefined);
    if (groupNames.length === 0) throw new Error(`UsEast1Logs ${this.node.path}: nothing to log (set waf or queryLogDomain)`);

    // Key and resource policies as typed JSON (@awp/config policyJson): "Resource": "*" there means the key itself.
    const keyPolicy = policyJson([
      { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'CloudWatchLogsUsesKeyForTheseLogGroups',
        Effect: 'Allow',
        Principal: { Service: 'logs.us-east-1.amazonaws.com' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        // Only these log groups may use the key (the encryption context names the log group).
        Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': groupNames.map(groupArn) } },
      },
    ]);
    const key = new KmsKey(this, 'key', {
      provider: props.provider,
      description: `${props.namePrefix}: ${props.layer} log groups in us-east-1 (${groupNames.join(', ')})`,
      enableKeyRotation: true,
      deletionWindowInDays: props.kmsDeletionWindowDays,
      policy: keyPolicy,
    });
    new KmsAlias(this, 'key-alias', { provider: props.provider, name: `alias/${props.namePrefix}-${props.layer}-logs`, targetKeyId: key.keyId });
    this.keyArn = key.arn;

    if (wafGroupName) {
      this.wafLogGroup = new CloudwatchLogGroup(this, 'waf', {
        provider: props.provider,
        name: wafGroupName,
        retentionInDays: props.retentionDays,
        kmsKeyId: key.arn,
      });
    }
    if (queryGroupName) {
      this.queryLogGroup = new CloudwatchLogGroup(this, 'route53-queries', {
        provider: props.provider,
        name: queryGroupName,
        retentionInDays: props.retentionDays,
        kmsKeyId: key.arn,
      });
    }

    // Written explicitly (WAF would otherwise add an account-wide policy of its own on first delivery).
    const delivery: PolicyStatement[] = [];
    if (this.wafLogGroup) {
      delivery.push({
        Sid: 'WafLogDelivery',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${this.wafLogGroup.arn}:*`,
        Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': `arn:${partition}:logs:us-east-1:${accountId}:*` } },
      });
    }
    if (this.queryLogGroup) {
      delivery.push({
        Sid: 'Route53QueryLogs',
        Effect: 'Allow',
        Principal: { Service: 'route53.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${this.queryLogGroup.arn}:*`,
        Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': `arn:${partition}:route53:::hostedzone/*` } },
      });
    }
    this.deliveryPolicy = new CloudwatchLogResourcePolicy(this, 'delivery', {
      provider: props.provider,
      policyName: `${props.namePrefix}-${props.layer}-log-delivery`,
      policyDocument: policyJson(delivery),
    });
  }
}
