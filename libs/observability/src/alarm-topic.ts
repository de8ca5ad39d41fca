import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';

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

    const keyPolicy = new DataAwsIamPolicyDocument(this, 'key-policy', {
      provider,
      statement: [
        {
          sid: 'AccountAdministers',
          principals: [{ type: 'AWS', identifiers: [`arn:${partition.partition}:iam::${account}:root`] }],
          actions: ['kms:*'],
          resources: ['*'],
        },
        {
          // Alarms publish to an encrypted topic only if CloudWatch may generate data keys with its CMK.
          sid: 'CloudWatchAlarmsPublish',
          principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        },
      ],
    });
    const key = new KmsKey(this, 'key', {
      provider,
      description: `${props.name}: alarm notifications (SNS)`,
      enableKeyRotation: true,
      deletionWindowInDays: props.kmsDeletionWindowDays ?? 30,
      policy: keyPolicy.json,
    });
    new KmsAlias(this, 'key-alias', { provider, name: `alias/${props.name}`, targetKeyId: key.keyId });

    const topic = new SnsTopic(this, 'topic', { provider, name: props.name, kmsMasterKeyId: key.arn });
    const topicPolicy = new DataAwsIamPolicyDocument(this, 'topic-policy-doc', {
      provider,
      statement: [
        {
          sid: 'OwnerManages',
          principals: [{ type: 'AWS', identifiers: [`arn:${partition.partition}:iam::${account}:root`] }],
          actions: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:AddPermission', 'sns:RemovePermission', 'sns:DeleteTopic', 'sns:Subscribe', 'sns:ListSubscriptionsByTopic', 'sns:Publish'],
          resources: [topic.arn],
        },
        {
          sid: 'CloudWatchAlarmsOfThisAccountPublish',
          principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
          actions: ['sns:Publish'],
          resources: [topic.arn],
          // Confused-deputy guard: only alarms of this account.
          condition: [
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [alarmArns] },
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account] },
          ],
        },
        {
          sid: 'DenyPublishWithoutTls',
          effect: 'Deny',
          principals: [{ type: 'AWS', identifiers: ['*'] }],
          actions: ['sns:Publish'],
          resources: [topic.arn],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ],
    });
    new SnsTopicPolicy(this, 'topic-policy', { provider, arn: topic.arn, policy: topicPolicy.json });

    // Keyed by the address, not the position: removing one address never re-creates the others' subscriptions.
    for (const email of props.emails ?? []) {
      new SnsTopicSubscription(this, `email-${email.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, { provider, topicArn: topic.arn, protocol: 'email', endpoint: email });
    }

    this.topicArn = topic.arn;
    this.topicName = topic.name;
    this.keyArn = key.arn;
  }
}
