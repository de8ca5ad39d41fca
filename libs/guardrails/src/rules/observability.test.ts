import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudwatchCompositeAlarm } from '@cdktf/provider-aws/lib/cloudwatch-composite-alarm';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { checkStack, observabilityRules } from '../index';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:alarms';

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(s, 'aws', { region: 'eu-west-1' });
  return s;
}
const base = (name: string): CloudwatchMetricAlarmConfig => ({ alarmName: name, namespace: 'AWS/RDS', metricName: 'CPUUtilization', statistic: 'Average', period: 60, evaluationPeriods: 3, threshold: 80, comparisonOperator: 'GreaterThanThreshold' });
const findings = (s: TerraformStack) => checkStack(s, observabilityRules).map((f) => [f.ruleId, f.path, f.message]);

describe('observability rules', () => {
  it('AWP-OBS-001 fires on a metric alarm that notifies nobody, and stays quiet on one that does', () => {
    const s = stack();
    new CloudwatchMetricAlarm(s, 'silent', base('silent'));
    new CloudwatchMetricAlarm(s, 'disabled', { ...base('disabled'), alarmActions: [TOPIC], okActions: [TOPIC], actionsEnabled: false });
    new CloudwatchMetricAlarm(s, 'good', { ...base('good'), alarmActions: [TOPIC], okActions: [TOPIC] });
    expect(findings(s)).toEqual([
      ['AWP-OBS-001', 'test/silent', 'metric alarm has no alarm actions and no composite alarm covers it'],
      ['AWP-OBS-001', 'test/disabled', 'metric alarm has no alarm actions and no composite alarm covers it'],
    ]);
  });

  it('AWP-OBS-001 accepts composite members (by reference or by name) when the composite pages, and fires on a composite without actions', () => {
    const s = stack();
    const byRef = new CloudwatchMetricAlarm(s, 'member-ref', base('member-ref'));
    new CloudwatchMetricAlarm(s, 'member-name', base('member-name'));
    new CloudwatchCompositeAlarm(s, 'degraded', { alarmName: 'degraded', alarmRule: `ALARM("${byRef.alarmName}") OR ALARM("member-name")`, alarmActions: [TOPIC], okActions: [TOPIC] });
    expect(findings(s)).toEqual([]);

    const bad = stack();
    const m = new CloudwatchMetricAlarm(bad, 'member', base('member'));
    new CloudwatchCompositeAlarm(bad, 'mute', { alarmName: 'mute', alarmRule: `ALARM("${m.alarmName}")` });
    expect(findings(bad)).toEqual([
      ['AWP-OBS-001', 'test/member', expect.stringMatching(/^metric alarm has no alarm actions and its composite alarm\(s\) aws_cloudwatch_composite_alarm\.mute have none either$/)],
      ['AWP-OBS-001', 'test/mute', 'composite alarm has no alarm actions (or actions_enabled is false)'],
    ]);
  });

  it('AWP-OBS-002 fires on an unencrypted topic and on the AWS-managed SNS key, not on a CMK', () => {
    const s = stack();
    new SnsTopic(s, 'plain', { name: 'plain' });
    new SnsTopic(s, 'managed', { name: 'managed', kmsMasterKeyId: 'alias/aws/sns' });
    new SnsTopic(s, 'cmk', { name: 'cmk', kmsMasterKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abc' });
    expect(findings(s)).toEqual([
      ['AWP-OBS-002', 'test/plain', 'SNS topic is not encrypted (kms_master_key_id unset)'],
      ['AWP-OBS-002', 'test/managed', 'SNS topic uses the AWS-managed key alias/aws/sns: CloudWatch alarms cannot publish to it'],
    ]);
  });

  it('AWP-OBS-003 warns when a notifying alarm does not say it recovered', () => {
    const s = stack();
    new CloudwatchMetricAlarm(s, 'no-ok', { ...base('no-ok'), alarmActions: [TOPIC] });
    new CloudwatchCompositeAlarm(s, 'composite-no-ok', { alarmName: 'c', alarmRule: 'ALARM("no-ok")', alarmActions: [TOPIC] });
    const f = checkStack(s, observabilityRules);
    expect(f.map((x) => [x.ruleId, x.severity, x.path])).toEqual([
      ['AWP-OBS-003', 'warning', 'test/no-ok'],
      ['AWP-OBS-003', 'warning', 'test/composite-no-ok'],
    ]);
  });
});
