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
  /** URI prefix of the API (e.g. `/api/`): the body size and bearer-token rules apply there. */
  readonly apiUriPrefix: string;
  /**
   * Paths whose clients are programs, not browsers (the API, the public health check, uploaded images fetched by
   * apps): Bot Control never inspects them. `prefix` ends with `/` (STARTS_WITH), otherwise the path is exact.
   */
  readonly nonBrowserPaths: readonly string[];
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

/** Methods that never change anything: anonymous on the API. Anything else needs a bearer token. */
export const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/** Key of the web ACL's custom response body for the bearer-token rule. */
const BEARER_REQUIRED_BODY = 'bearer-token-required';

type Statement = Record<string, unknown>;

/** A byte match on the URI path: `…/` prefixes are STARTS_WITH, other paths EXACTLY. */
function pathMatch(path: string, transformations: readonly string[] = ['NONE']): Statement {
  return {
    byte_match_statement: {
      field_to_match: { uri_path: {} },
      positional_constraint: path.endsWith('/') ? 'STARTS_WITH' : 'EXACTLY',
      search_string: path,
      text_transformation: transformations.map((type, priority) => ({ priority, type })),
    },
  };
}

const anyOf = (statements: Statement[]): Statement => (statements.length === 1 ? statements[0] : { or_statement: { statement: statements } });

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
 * the per-IP rate limit, API writes without a bearer token, the API body size limit, and AWS's common,
 * known-bad-inputs, SQL injection and anonymous-IP groups, plus Bot Control (storefront paths only) when enabled.
 * Logs go to CloudWatch with the Authorization and Cookie headers redacted.
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
    if (!props.apiUriPrefix.endsWith('/')) throw new Error(`EdgeWaf ${this.node.path}: apiUriPrefix must end with "/", got "${props.apiUriPrefix}"`);
    const api = props.apiUriPrefix;
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
        // Defence in depth in front of the service's own token check: a write to the API without a bearer token never
        // reaches the ALB. The path is decoded and lower-cased (a disguised /%61pi/ is still caught: blocking is the
        // safe direction); the scheme check is case-insensitive ("Bearer" per RFC 6750, any case per RFC 9110).
        // A missing header cannot match a byte match, so NOT(matches "bearer ") is true for it.
        name: 'ApiWriteRequiresBearerToken',
        priority: 2,
        action: {
          block: {
            customResponse: {
              responseCode: 401,
              customResponseBodyKey: BEARER_REQUIRED_BODY,
              responseHeader: [{ name: 'WWW-Authenticate', value: 'Bearer' }],
            },
          },
        },
        statement: {
          and_statement: {
            statement: [
              pathMatch(api, ['URL_DECODE', 'LOWERCASE']),
              { not_statement: { statement: anyOf(SAFE_METHODS.map((m) => ({ byte_match_statement: { field_to_match: { method: {} }, positional_constraint: 'EXACTLY', search_string: m, text_transformation: [{ priority: 0, type: 'NONE' }] } }))) } },
              {
                not_statement: {
                  statement: {
                    byte_match_statement: {
                      field_to_match: { single_header: { name: 'authorization' } },
                      positional_constraint: 'STARTS_WITH',
                      search_string: 'bearer ',
                      text_transformation: [{ priority: 0, type: 'LOWERCASE' }],
                    },
                  },
                },
              },
            ],
          },
        },
        visibilityConfig: visibility('ApiWriteRequiresBearerToken'),
      },
      {
        name: 'ApiBodySizeLimit',
        priority: 3,
        action: { block: {} },
        statement: {
          and_statement: {
            statement: [
              pathMatch(api),
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
      managedGroup('AWSManagedRulesCommonRuleSet', 4, {
        // The group's own 8 KB body limit would refuse valid API bodies; ApiBodySizeLimit enforces the real limit.
        rule_action_override: [{ name: 'SizeRestrictions_BODY', action_to_use: { count: {} } }],
      }),
      managedGroup('AWSManagedRulesKnownBadInputsRuleSet', 5),
      managedGroup('AWSManagedRulesSQLiRuleSet', 6),
      managedGroup('AWSManagedRulesAnonymousIpList', 7, {
        // Tor exits and anonymising proxies are blocked; cloud hosting addresses only counted, because Route 53
        // health checkers and legitimate API clients run there.
        rule_action_override: [{ name: 'HostingProviderIPList', action_to_use: { count: {} } }],
      }),
    ];
    if (props.botControl) {
      if (props.nonBrowserPaths.length === 0) throw new Error(`EdgeWaf ${this.node.path}: Bot Control needs the non-browser paths it must leave alone`);
      rules.push(
        managedGroup('AWSManagedRulesBotControlRuleSet', 8, {
          managed_rule_group_configs: [{ aws_managed_rules_bot_control_rule_set: { inspection_level: 'COMMON' } }],
          // Bot Control's CategoryHttpLibrary and SignalNonBrowserUserAgent block curl, SDKs, mobile apps and health
          // checkers: the API's real clients. It inspects only what browsers load (the storefront); the raw path is
          // compared (no decoding): only genuine API, health and upload paths are exempt.
          scope_down_statement: { not_statement: { statement: anyOf(props.nonBrowserPaths.map((p) => pathMatch(p))) } },
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
      // RFC 9457 problem details, like the service's own 401 (WAF offers application/json as the closest type).
      customResponseBody: [
        {
          key: BEARER_REQUIRED_BODY,
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'This method needs an Authorization: Bearer <access token> header.' }),
        },
      ],
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
