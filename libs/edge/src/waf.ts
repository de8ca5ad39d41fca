import { Construct } from 'constructs';
import type { ITerraformDependable, TerraformProvider } from 'cdktf';
import { Wafv2WebAcl, type Wafv2WebAclRule } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';

export interface EdgeWafProps {
  readonly namePrefix: string;
  readonly provider: TerraformProvider;
  /** Requests per 5 minutes per client IP before the rate rule blocks. */
  readonly rateLimit: number;
  readonly botControl: boolean;
  /** Largest request body the API accepts; bigger bodies on API paths are blocked. At most 65536 (WAF's CloudFront inspection maximum). */
  readonly maxRequestBodyBytes: number;
  /** URI prefix of the API (e.g. `/api/`): the body size rule applies there. */
  readonly apiUriPrefix: string;
  /** `aws-waf-logs-…` log group ARN in us-east-1. */
  readonly logGroupArn: string;
  readonly logDependsOn: ITerraformDependable[];
}

/** WAF's CloudFront body inspection sizes: the smallest that covers the API's limit is configured. */
const INSPECTION_LIMITS: readonly [number, string][] = [
  [16 * 1024, 'KB_16'],
  [32 * 1024, 'KB_32'],
  [48 * 1024, 'KB_48'],
  [64 * 1024, 'KB_64'],
];

/** WAF's visibility block, the same for the ACL and every rule: metrics and sampled requests on. */
function visibility(metricName: string) {
  return { cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

/**
 * `statement` is typed `any` by the provider and passed through verbatim, so it is written here in Terraform's
 * snake_case (docs/architecture.md → Pitfalls): camelCase keys would synthesize but fail `terraform validate`.
 */
function managedGroup(name: string, priority: number, extra: Record<string, unknown> = {}): Wafv2WebAclRule {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managed_rule_group_statement: { vendor_name: 'AWS', name, ...extra } },
    visibilityConfig: visibility(name),
  };
}

/**
 * The CLOUDFRONT-scoped web ACL (in us-east-1): IP reputation first (cheapest to drop known bad sources), then
 * the per-IP rate limit, the API body size limit, and AWS's common, known-bad-inputs, SQL injection and
 * anonymous-IP groups, plus Bot Control when enabled. Logs go to CloudWatch with the Authorization and Cookie headers redacted.
 */
export class EdgeWaf extends Construct {
  readonly webAcl: Wafv2WebAcl;
  readonly webAclArn: string;
  readonly webAclName: string;

  constructor(scope: Construct, id: string, props: EdgeWafProps) {
    super(scope, id);
    const inspection = INSPECTION_LIMITS.find(([bytes]) => bytes >= props.maxRequestBodyBytes);
    if (!inspection) {
      throw new Error(`EdgeWaf ${this.node.path}: maxRequestBodyBytes ${props.maxRequestBodyBytes} exceeds 65536, the most WAF inspects of a CloudFront request body`);
    }
    const rules: Wafv2WebAclRule[] = [
      managedGroup('AWSManagedRulesAmazonIpReputationList', 0),
      {
        name: 'RateLimitPerIp',
        priority: 1,
        action: { block: {} },
        statement: { rate_based_statement: { limit: props.rateLimit, aggregate_key_type: 'IP', evaluation_window_sec: 300 } },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      {
        name: 'ApiBodySizeLimit',
        priority: 2,
        action: { block: {} },
        statement: {
          and_statement: {
            statement: [
              {
                byte_match_statement: {
                  field_to_match: { uri_path: {} },
                  positional_constraint: 'STARTS_WITH',
                  search_string: props.apiUriPrefix,
                  text_transformation: [{ priority: 0, type: 'NONE' }],
                },
              },
              {
                size_constraint_statement: {
                  comparison_operator: 'GT',
                  size: props.maxRequestBodyBytes,
                  // Bodies beyond the inspection limit are larger than the API's limit too: block them.
                  field_to_match: { body: { oversize_handling: 'MATCH' } },
                  text_transformation: [{ priority: 0, type: 'NONE' }],
                },
              },
            ],
          },
        },
        visibilityConfig: visibility('ApiBodySizeLimit'),
      },
      managedGroup('AWSManagedRulesCommonRuleSet', 3, {
        // The group's own 8 KB body limit would refuse valid API bodies; ApiBodySizeLimit enforces the real limit.
        rule_action_override: [{ name: 'SizeRestrictions_BODY', action_to_use: { count: {} } }],
      }),
      managedGroup('AWSManagedRulesKnownBadInputsRuleSet', 4),
      managedGroup('AWSManagedRulesSQLiRuleSet', 5),
      managedGroup('AWSManagedRulesAnonymousIpList', 6, {
        // Tor exits and anonymising proxies are blocked; cloud hosting addresses only counted, because Route 53
        // health checkers and legitimate API clients run there.
        rule_action_override: [{ name: 'HostingProviderIPList', action_to_use: { count: {} } }],
      }),
    ];
    if (props.botControl) {
      rules.push(
        managedGroup('AWSManagedRulesBotControlRuleSet', 7, {
          managed_rule_group_configs: [{ aws_managed_rules_bot_control_rule_set: { inspection_level: 'COMMON' } }],
        }),
      );
    }

    const name = `${props.namePrefix}-edge`;
    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      provider: props.provider,
      name,
      description: `${props.namePrefix}: CloudFront web ACL`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      rule: rules,
      associationConfig: { requestBody: [{ cloudfront: { defaultSizeInspectionLimit: inspection[1] } }] },
      visibilityConfig: visibility(`${props.namePrefix}-edge`),
    });
    this.webAclArn = this.webAcl.arn;
    this.webAclName = this.webAcl.name;

    new Wafv2WebAclLoggingConfiguration(this, 'logging', {
      provider: props.provider,
      resourceArn: this.webAcl.arn,
      logDestinationConfigs: [props.logGroupArn],
      // Credentials and sessions never reach the logs.
      redactedFields: [{ singleHeader: { name: 'authorization' } }, { singleHeader: { name: 'cookie' } }],
      dependsOn: props.logDependsOn,
    });
  }
}
