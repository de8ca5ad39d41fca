import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { policyJson } from '@awp/config';

export interface AlarmTopicProps {
  /** Topic name (also the KMS alias `alias/<name>`). */
  readonly name: string;
  /** Email addresses to subscribe (each confirms by mail once). @default none */
  readonly emails?: readonly string[];
  /** The provider of the region the topic lives in (alarms may only notify topics in their own region). @default the stack's default provider */
  readonly provider?: TerraformProvider;
  /** Days before a deleted key is gone for good. @default 30 */
  readonly kmsDeletionWindowDays?: number;
}

/**
 * An SNS topic for CloudWatch alarms, encrypted with its own CMK. The key policy lets CloudWatch
 * (cloudwatch.amazonaws.com) use the key to publish, which alarms need for an encrypted topic; the topic policy
 * admits CloudWatch alarms of this account only and refuses publishing without TLS.
 */
export class AlarmTopic extends Construct {
  readonly topicArn: string;
  readonly topicName: string;
  readonly keyArn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const provider = props.provider;
    const partition = new DataAwsPartition(this, 'partition', { provider });
    const caller = new DataAwsCallerIdentity(this, 'caller', { provider });
    const region = new DataAwsRegion(this, 'region', { provider });
    const account = caller.accountId;
    const alarmArns = `arn:${partition.partition}:cloudwatch:${region.region}:${account}:alarm:*`;

    const root = `arn:${partition.partition}:iam::${account}:root`;
    const keyPolicy = policyJson([
      { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
      // Alarms publish to an encrypted topic only if CloudWatch may generate data keys with its CMK. Confused-deputy
      // guard: only on behalf of this account's alarms (CloudWatch sends aws:SourceAccount and aws:SourceArn with these
      // KMS calls — SNS Developer Guide → "Enable compatibility between event sources from AWS services and encrypted
      // topics"; unlike EventBridge, which sends neither).
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': alarmArns } },
      },
    ]);
    const key = new KmsKey(this, 'key', {
      provider,
      description: `${props.name}: alarm notifications (SNS)`,
      enableKeyRotation: true,
      deletionWindowInDays: props.kmsDeletionWindowDays ?? 30,
      policy: keyPolicy,
    });
    new KmsAlias(this, 'key-alias', { provider, name: `alias/${props.name}`, targetKeyId: key.keyId });

    const topic = new SnsTopic(this, 'topic', { provider, name: props.name, kmsMasterKeyId: key.arn });
    const topicPolicy = policyJson([
      {
        Sid: 'OwnerManages',
        Effect: 'Allow',
        Principal: { AWS: root },
        Action: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:AddPermission', 'sns:RemovePermission', 'sns:DeleteTopic', 'sns:Subscribe', 'sns:ListSubscriptionsByTopic', 'sns:Publish'],
        Resource: topic.arn,
      },
      {
        Sid: 'CloudWatchAlarmsOfThisAccountPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic.arn,
        // Confused-deputy guard: only alarms of this account.
        Condition: { ArnLike: { 'aws:SourceArn': alarmArns }, StringEquals: { 'aws:SourceAccount': account } },
      },
      { Sid: 'DenyPublishWithoutTls', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: topic.arn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
    new SnsTopicPolicy(this, 'topic-policy', { provider, arn: topic.arn, policy: topicPolicy });

    // Keyed by the address, not the position: removing one address never re-creates the others' subscriptions.
    for (const email of props.emails ?? []) {
      new SnsTopicSubscription(this, `email-${email.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, { provider, topicArn: topic.arn, protocol: 'email', endpoint: email });
    }

    this.topicArn = topic.arn;
    this.topicName = topic.name;
    this.keyArn = key.arn;
  }
}
