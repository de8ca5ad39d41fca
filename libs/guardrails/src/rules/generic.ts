import { REPLACEMENT_ATTRIBUTES, REQUIRED_TAGS, replacementSuffix } from '@awp/config';
import type { GuardrailRule } from '../types';
import { at, isExpression, isTruthy } from '../util';

/** Rules every layer shares. */
export const genericRules: GuardrailRule[] = [
  {
    id: 'AWP-GEN-001',
    severity: 'error',
    description: 'Every AWS provider applies the required default tags, so every resource carries them.',
    fix: `Create the stack with PlatformStack (it sets default_tags) or add ${REQUIRED_TAGS.join(', ')} to the provider's default_tags.`,
    appliesTo: ['provider.aws'],
    check: ({ element }) => {
      const tags = (at(element.config, 'default_tags.tags') ?? {}) as Record<string, unknown>;
      const missing = REQUIRED_TAGS.filter((t) => !tags[t]);
      return missing.length ? `provider default_tags lack ${missing.join(', ')}` : undefined;
    },
  },
  {
    id: 'AWP-GEN-002',
    severity: 'error',
    description: 'Every AWS provider pins the account (allowed_account_ids), so config cannot be applied to the wrong account.',
    fix: 'Set allowed_account_ids on the provider (PlatformStack does it from the environment file).',
    appliesTo: ['provider.aws'],
    check: ({ element }) => {
      const ids = element.config.allowed_account_ids;
      return Array.isArray(ids) && ids.length > 0 ? undefined : 'provider has no allowed_account_ids';
    },
  },
  {
    id: 'AWP-LOG-001',
    severity: 'error',
    description: 'CloudWatch log groups are encrypted with a customer-managed KMS key.',
    fix: 'Set kmsKeyId to a CMK whose policy admits logs.<region>.amazonaws.com.',
    appliesTo: ['aws_cloudwatch_log_group'],
    check: ({ element }) => (element.config.kms_key_id ? undefined : 'log group is not encrypted with a KMS key (kms_key_id unset)'),
  },
  {
    id: 'AWP-LOG-002',
    severity: 'error',
    description: 'CloudWatch log groups have a retention period (never "keep forever" by omission).',
    fix: 'Set retentionInDays from the environment file (e.g. observability.logRetentionDays).',
    appliesTo: ['aws_cloudwatch_log_group'],
    check: ({ element }) => {
      const days = element.config.retention_in_days;
      if (isExpression(days)) return undefined;
      return typeof days === 'number' && days > 0 ? undefined : 'log group has no retention_in_days';
    },
  },
];

/** Prod keeps logs at least a year (checkov CKV_AWS_338 asks it of every environment; ours relax it below prod). */
genericRules.push({
  id: 'AWP-LOG-003',
  severity: 'error',
  description: 'In prod, CloudWatch log groups keep logs for at least 365 days.',
  fix: 'Set the log retention in environments/prod.json to 365 or more.',
  appliesTo: ['aws_cloudwatch_log_group'],
  check: ({ element, stack }) => {
    const days = element.config.retention_in_days;
    if (stack.tier !== 'prod' || typeof days !== 'number' || days === 0) return undefined;
    return days < 365 ? `prod log group keeps logs ${days} days (< 365)` : undefined;
  },
});

/**
 * Types whose name is unique (per account and region, or per VPC) and that take a `name_prefix` (provider 6.25).
 * Types with a unique name but no prefix are REPLACEMENT_ATTRIBUTES' keys (@awp/config).
 */
export const PREFIXABLE_UNIQUE_NAME_TYPES = [
  'aws_security_group', 'aws_db_parameter_group', 'aws_db_subnet_group', 'aws_db_option_group', 'aws_lb', 'aws_lb_target_group',
  'aws_launch_template', 'aws_iam_role', 'aws_iam_policy', 'aws_iam_instance_profile', 'aws_cloudwatch_log_group',
];

/** create_before_destroy makes the new resource while the old one still holds its name: a fixed name collides. */
genericRules.push({
  id: 'AWP-GEN-003',
  severity: 'error',
  description: 'A resource with a unique name that is replaced create-before-destroy has a name that cannot collide: name_prefix, or (types without one) a name ending in a hash of the attributes that force the replacement.',
  fix: 'Use namePrefix instead of name; for a type without name_prefix, end the name with replacementSuffix() of its REPLACEMENT_ATTRIBUTES (@awp/config), or drop createBeforeDestroy.',
  appliesTo: [...PREFIXABLE_UNIQUE_NAME_TYPES, ...Object.keys(REPLACEMENT_ATTRIBUTES)],
  check: ({ element }) => {
    const c = element.config;
    if (!isTruthy(at(c, 'lifecycle.create_before_destroy'))) return undefined;
    const forcing = REPLACEMENT_ATTRIBUTES[element.type];
    if (!forcing) {
      return c.name !== undefined ? `create_before_destroy with a fixed name ${JSON.stringify(c.name)}: the replacement fails with a duplicate name; use name_prefix` : undefined;
    }
    const suffix = replacementSuffix(forcing.map((a) => (c[a] === undefined ? undefined : String(c[a]))));
    return typeof c.name === 'string' && c.name.endsWith(`-${suffix}`)
      ? undefined
      : `create_before_destroy on a type without name_prefix, and the name ${JSON.stringify(c.name)} does not end in -${suffix} (the hash of ${forcing.join(', ')}): a replacement would reuse the name`;
  },
});
