import { Construct } from 'constructs';
import type { ITerraformDependable, TerraformProvider } from 'cdktf';
import { Wafv2WebAcl, type Wafv2WebAclRule } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';
import { Wafv2IpSet } from '@cdktf/provider-aws/lib/wafv2-ip-set';
import { edgeSettings, WAF_RATE_LIMIT_RANGE, WAF_RATE_WINDOWS, type ResolvedEdgeSettings } from './settings';

export interface EdgeWafProps {
  readonly namePrefix: string;
  readonly provider: TerraformProvider;
  /** The per-IP rate limits (`DEFAULT_RATE_LIMITS` for the production defaults). */
  readonly rateLimits: WafRateLimits;
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

/**
 * Per-client-IP rate limits of the web ACL, in requests per `windowSeconds`. AWS WAF rate-based rules: the limit is
 * at least 10 (at most 2,000,000,000) and the evaluation window one of 60, 120, 300 or 600 seconds (AWS WAF Developer
 * Guide, "Rate-based rule high-level settings"; the API's RateBasedStatement.EvaluationWindowSec). WAF checks the
 * rate every few seconds, so a burst above the limit passes for a moment before it is blocked.
 */
export interface WafRateLimits {
  /** 60, 120, 300 or 600. */
  readonly windowSeconds: number;
  /** Strict: requests that change something (any method but GET, HEAD, OPTIONS) and requests to `sensitivePaths`. */
  readonly writes: number;
  /** Every request from one IP: reads (GET/HEAD on `/api/*` and the storefront) are what reach it. */
  readonly all: number;
  /** Paths limited like writes whatever the method (`…/` prefixes STARTS_WITH, others EXACTLY). */
  readonly sensitivePaths?: readonly string[];
  /**
   * IPv4 CIDR blocks neither limit counts (an allow-listed load generator): an `aws_wafv2_ip_set`. Every other rule
   * still applies to them.
   * @default [] (no IP set)
   */
  readonly exemptCidrs?: readonly string[];
}

/**
 * Production defaults, read from the `edge` settings' defaults (settings.ts, where they are written). Reads: 50,000
 * per 5 minutes is ≈ 167 req/s per IP sustained, and a one-minute burst of 500 req/s (30,000) from one IP stays under
 * it, so a load test reaches the platform's 500 req/s target from 4 load-generator IPs (125 req/s each, 25 % headroom)
 * and a carrier NAT with many phones behind one address is not cut off. Writes: 600 per 5 minutes (2 per second
 * sustained) per IP.
 */
export const DEFAULT_RATE_LIMITS: WafRateLimits = Object.freeze(wafRateLimitsOf(edgeSettings.parse({})));

/** The rate limits of the `edge` settings, in `EdgeWaf`'s terms. */
export function wafRateLimitsOf(s: Pick<ResolvedEdgeSettings, 'rateLimitWindowSeconds' | 'writeRateLimit' | 'readRateLimit' | 'rateLimitExemptCidrs'>): WafRateLimits {
  return { windowSeconds: s.rateLimitWindowSeconds, writes: s.writeRateLimit, all: s.readRateLimit, exemptCidrs: s.rateLimitExemptCidrs };
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
 * the per-IP rate limits (a strict one for writes and sensitive paths, a high one for every request), API writes without a bearer token, the API body size limit, and AWS's common,
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
    const limits = props.rateLimits;
    const [minLimit, maxLimit] = WAF_RATE_LIMIT_RANGE;
    if (!(WAF_RATE_WINDOWS as readonly number[]).includes(limits.windowSeconds)) {
      throw new Error(`EdgeWaf ${this.node.path}: rateLimits.windowSeconds must be one of ${WAF_RATE_WINDOWS.join(', ')} (AWS WAF), got ${limits.windowSeconds}`);
    }
    for (const key of ['writes', 'all'] as const) {
      const v = limits[key];
      if (!Number.isInteger(v) || v < minLimit || v > maxLimit) throw new Error(`EdgeWaf ${this.node.path}: rateLimits.${key} must be an integer from ${minLimit} to ${maxLimit} (AWS WAF), got ${v}`);
    }
    if (limits.writes > limits.all) throw new Error(`EdgeWaf ${this.node.path}: rateLimits.writes (${limits.writes}) must not exceed rateLimits.all (${limits.all})`);
    const safeMethod = anyOf(SAFE_METHODS.map((m) => ({ byte_match_statement: { field_to_match: { method: {} }, positional_constraint: 'EXACTLY', search_string: m, text_transformation: [{ priority: 0, type: 'NONE' }] } })));
    // One IP's requests, counted over the window (aggregate key IP: CloudFront's viewer address, not X-Forwarded-For).
    const rateRule = (name: string, priority: number, limit: number, scopeDown?: Statement): Wafv2WebAclRule => ({
      name,
      priority,
      action: { block: {} },
      statement: { rate_based_statement: { limit, aggregate_key_type: 'IP', evaluation_window_sec: limits.windowSeconds, ...(scopeDown ? { scope_down_statement: scopeDown } : {}) } },
      visibilityConfig: visibility(name),
    });
    // Writes (and sensitive paths) get their own, strict bucket; reads only the high ceiling of every request, so a
    // load test or a carrier NAT of phones reading the catalogue is not blocked within seconds (docs: libs/edge README).
    const writeScope = anyOf([{ not_statement: { statement: safeMethod } }, ...(limits.sensitivePaths ?? []).map((p) => pathMatch(p, ['URL_DECODE', 'LOWERCASE']))]);
    let notExempt: Statement | undefined;
    if ((limits.exemptCidrs ?? []).length > 0) {
      // AWS WAF IP sets take any IPv4/IPv6 CIDR but /0 (WAFV2 API Reference, IPSet.Addresses); this one is IPv4 only.
      if (limits.exemptCidrs?.some((c) => !/^\d{1,3}(\.\d{1,3}){3}\/([1-9]|[12]\d|3[0-2])$/.test(c))) {
        throw new Error(`EdgeWaf ${this.node.path}: rateLimits.exemptCidrs must be IPv4 CIDR blocks from /1 to /32, got ${JSON.stringify(limits.exemptCidrs)}`);
      }
      const exempt = new Wafv2IpSet(this, 'rate-limit-exempt', {
        provider: props.provider,
        name: `${props.namePrefix}-rate-limit-exempt`,
        description: `${props.namePrefix}: client IPs the rate limits do not count (load generators)`,
        scope: 'CLOUDFRONT',
        ipAddressVersion: 'IPV4',
        addresses: [...(limits.exemptCidrs ?? [])],
      });
      notExempt = { not_statement: { statement: { ip_set_reference_statement: { arn: exempt.arn } } } };
    }
    const rules: Wafv2WebAclRule[] = [
      managedGroup('AWSManagedRulesAmazonIpReputationList', 0),
      rateRule('RateLimitWritesPerIp', 1, limits.writes, notExempt ? { and_statement: { statement: [notExempt, writeScope] } } : writeScope),
      rateRule('RateLimitPerIp', 2, limits.all, notExempt),
      {
        // Defence in depth in front of the service's own token check: a write to the API without a bearer token never
        // reaches the ALB. The path is decoded and lower-cased (a disguised /%61pi/ is still caught: blocking is the
        // safe direction); the scheme check is case-insensitive ("Bearer" per RFC 6750, any case per RFC 9110).
        // A missing header cannot match a byte match, so NOT(matches "bearer ") is true for it.
        name: 'ApiWriteRequiresBearerToken',
        priority: 3,
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
              { not_statement: { statement: safeMethod } },
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
        priority: 4,
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
      managedGroup('AWSManagedRulesCommonRuleSet', 5, {
        // The group's own 8 KB body limit would refuse valid API bodies; ApiBodySizeLimit enforces the real limit.
        rule_action_override: [{ name: 'SizeRestrictions_BODY', action_to_use: { count: {} } }],
      }),
      managedGroup('AWSManagedRulesKnownBadInputsRuleSet', 6),
      managedGroup('AWSManagedRulesSQLiRuleSet', 7),
      managedGroup('AWSManagedRulesAnonymousIpList', 8, {
        // Tor exits and anonymising proxies are blocked; cloud hosting addresses only counted, because Route 53
        // health checkers and legitimate API clients run there.
        rule_action_override: [{ name: 'HostingProviderIPList', action_to_use: { count: {} } }],
      }),
    ];
    if (props.botControl) {
      if (props.nonBrowserPaths.length === 0) throw new Error(`EdgeWaf ${this.node.path}: Bot Control needs the non-browser paths it must leave alone`);
      rules.push(
        managedGroup('AWSManagedRulesBotControlRuleSet', 9, {
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
