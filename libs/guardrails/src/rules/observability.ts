import type { ElementView, GuardrailRule, StackView } from '../types';

const hasActions = (e: ElementView) => Array.isArray(e.config.alarm_actions) && e.config.alarm_actions.length > 0 && e.config.actions_enabled !== false && e.config.actions_enabled !== 'false';

/** Composite alarms whose rule names the metric alarm, by reference (`${address.alarm_name}`) or by its literal name. */
function compositesOf(alarm: ElementView, stack: StackView): ElementView[] {
  const name = alarm.config.alarm_name;
  return stack
    .ofType('aws_cloudwatch_composite_alarm')
    .filter((c) => stack.referencing(alarm.address, 'aws_cloudwatch_composite_alarm').includes(c) || (typeof name === 'string' && String(c.config.alarm_rule ?? '').includes(`"${name}"`)));
}

/** Rules for the observability layer (and any alarm or topic in any layer). */
export const observabilityRules: GuardrailRule[] = [
  {
    id: 'AWP-OBS-001',
    severity: 'error',
    description: 'Every CloudWatch alarm notifies someone: it has alarm actions, or it is a member of a composite alarm that has them.',
    fix: 'Set alarm_actions (and ok_actions) to the alarm topic, or reference the alarm from a composite alarm with actions (SLO members page through the composite, once).',
    appliesTo: ['aws_cloudwatch_metric_alarm', 'aws_cloudwatch_composite_alarm'],
    check: ({ element, stack }) => {
      if (hasActions(element)) return undefined;
      if (element.type === 'aws_cloudwatch_composite_alarm') return 'composite alarm has no alarm actions (or actions_enabled is false)';
      const composites = compositesOf(element, stack);
      if (composites.length === 0) return 'metric alarm has no alarm actions and no composite alarm covers it';
      return composites.some(hasActions) ? undefined : `metric alarm has no alarm actions and its composite alarm(s) ${composites.map((c) => c.address).join(', ')} have none either`;
    },
  },
  {
    id: 'AWP-OBS-002',
    severity: 'error',
    description: "SNS topics are encrypted with a customer-managed KMS key (the AWS-managed alias/aws/sns key cannot be used by CloudWatch alarms).",
    fix: 'Set kms_master_key_id to a CMK whose key policy lets cloudwatch.amazonaws.com call kms:Decrypt and kms:GenerateDataKey* (the AlarmTopic construct does).',
    appliesTo: ['aws_sns_topic'],
    check: ({ element }) => {
      const key = element.config.kms_master_key_id;
      if (!key) return 'SNS topic is not encrypted (kms_master_key_id unset)';
      if (key === 'alias/aws/sns') return 'SNS topic uses the AWS-managed key alias/aws/sns: CloudWatch alarms cannot publish to it';
      return undefined;
    },
  },
  {
    id: 'AWP-OBS-003',
    severity: 'warning',
    description: 'An alarm that notifies also says when it recovers (ok_actions), so nobody keeps working on a resolved page.',
    fix: 'Set ok_actions to the same topic as alarm_actions.',
    appliesTo: ['aws_cloudwatch_metric_alarm', 'aws_cloudwatch_composite_alarm'],
    check: ({ element }) => {
      if (!hasActions(element)) return undefined;
      const ok = element.config.ok_actions;
      return Array.isArray(ok) && ok.length > 0 ? undefined : 'alarm notifies on ALARM but not on OK (ok_actions unset)';
    },
  },
];

