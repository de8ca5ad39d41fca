import { Construct } from 'constructs';
import { ChatbotSlackChannelConfiguration } from '@cdktf/provider-aws/lib/chatbot-slack-channel-configuration';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { keepLogicalId } from './alarm-set';

export interface SlackChannel {
  /** The Slack workspace id (authorized once for AWS Chatbot in the console). */
  readonly teamId: string;
  readonly channelId: string;
}

export interface AlarmSlackChannelProps {
  /** The channel configuration's name, `<prefix>-alarms`; its role is `<name>-chatbot` and may read alarms named `<prefix>-*`. */
  readonly configurationName: string;
  readonly slack: SlackChannel;
  /** The alarm topics the channel subscribes to. */
  readonly topicArns: string[];
  /** The partition and account the alarms are in. @default read with aws_partition and aws_caller_identity */
  readonly partition?: string;
  readonly accountId?: string;
}

/**
 * Alarms in Slack through AWS Chatbot (Amazon Q Developer in chat): a channel configuration on the alarm topics, with
 * a role trusted by `chatbot.amazonaws.com` that may read only the alarms and metrics, and `CloudWatchReadOnlyAccess`
 * as the channel guardrail.
 */
export class AlarmSlackChannel extends Construct {
  constructor(scope: Construct, id: string, props: AlarmSlackChannelProps) {
    super(scope, id);
    const partition = props.partition ?? keepLogicalId(new DataAwsPartition(this, 'partition')).partition;
    const account = props.accountId ?? keepLogicalId(new DataAwsCallerIdentity(this, 'caller')).accountId;
    const configName = props.configurationName;
    const trust = keepLogicalId(
      new DataAwsIamPolicyDocument(this, 'chatbot-trust', {
        statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['chatbot.amazonaws.com'] }] }],
      }),
    );
    const role = keepLogicalId(new IamRole(this, 'chatbot-role', { name: `${configName}-chatbot`, assumeRolePolicy: trust.json, description: 'AWS Chatbot: read the alarms it posts to Slack' }));
    // Read-only and only what a notification needs: the alarm itself and its metric graph.
    const read = keepLogicalId(
      new DataAwsIamPolicyDocument(this, 'chatbot-read', {
        statement: [
          { sid: 'ReadOwnAlarms', actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], resources: [`arn:${partition}:cloudwatch:*:${account}:alarm:${configName.replace(/-alarms$/, '')}-*`] },
          { sid: 'ReadMetrics', actions: ['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:GetMetricWidgetImage', 'cloudwatch:ListMetrics'], resources: ['*'] },
        ],
      }),
    );
    keepLogicalId(new IamRolePolicy(this, 'chatbot-read-policy', { role: role.id, name: 'read-alarms', policy: read.json }));
    keepLogicalId(
      new ChatbotSlackChannelConfiguration(this, 'chatbot-slack', {
        configurationName: configName,
        iamRoleArn: role.arn,
        slackTeamId: props.slack.teamId,
        slackChannelId: props.slack.channelId,
        snsTopicArns: props.topicArns,
        // Guardrail: whatever a Slack user asks, the channel can only read CloudWatch.
        guardrailPolicyArns: [`arn:${partition}:iam::aws:policy/CloudWatchReadOnlyAccess`],
        loggingLevel: 'ERROR',
      }),
    );
  }
}
