/**
 * A small evaluator of a synthesized `aws_wafv2_web_acl` (snake_case JSON) against sample requests, for tests: which
 * rule acts on a request, and what the viewer gets. It implements the statement types the edge layer synthesizes
 * (byte match on the URI path, method or a single header with NONE/LOWERCASE/URL_DECODE, size constraint on the body,
 * and/or/not, rate-based, managed rule groups with scope-down statements and rule action overrides) and throws on
 * anything else, so a new statement type cannot be silently treated as "no match".
 *
 * AWS managed rule groups are opaque; each is modelled by the documented rules that a sample request can trigger
 * (AWS WAF Developer Guide, "AWS Managed Rules rule groups list"). The model is deliberately small: a sample request
 * that none of these rules matches passes the group.
 */

import { cidrWithin, parseCidr, type Cidr } from '@awp/config';

type Json = Record<string, any>;

export interface SampleRequest {
  readonly method: string;
  /** Path and query, e.g. `/api/v1/products?limit=1`. */
  readonly uri: string;
  /** Header names in any case. */
  readonly headers?: Record<string, string>;
  readonly bodyBytes?: number;
  /** What the client IP is, for the IP-list groups: a cloud host (GitHub runners, Route 53 checkers), Tor, a known bad actor. */
  readonly ip?: 'residential' | 'hosting' | 'anonymous' | 'reputation-bad';
  /** The client's IPv4 address, for IP set references (none: an address in no set). */
  readonly sourceIp?: string;
}

export interface Verdict {
  readonly action: 'allow' | 'block';
  /** The rule (and managed rule) that ended evaluation, or `default`. */
  readonly by: string;
  /** Rules that only counted on the way. */
  readonly counted: readonly string[];
  readonly status: number;
  /** Rate-based rules the request reached and whose scope it matched: their counters for its IP go up. */
  readonly rateCounted: readonly string[];
}

export interface EvaluateOptions {
  /** Rate-based rules whose limit the request's IP is over (by rule name): they act on its matching requests. */
  readonly rateExceeded?: ReadonlySet<string>;
  /** The stack's IP sets, by the ARN expression the ACL references (`ipSetsOf`). */
  readonly ipSets?: Readonly<Record<string, readonly string[]>>;
}

/** The `aws_wafv2_ip_set` resources of a synthesized stack, keyed by the `${…arn}` expression rules reference them by. */
export function ipSetsOf(stack: Json): Record<string, readonly string[]> {
  return Object.fromEntries(Object.entries<Json>(stack.resource?.aws_wafv2_ip_set ?? {}).map(([name, set]) => [`\${aws_wafv2_ip_set.${name}.arn}`, set.addresses]));
}

/** curl, SDKs, HTTP libraries and health checkers: what Bot Control's non-browser rules look for. */
const NON_BROWSER_UA = /^(curl|wget|python-requests|python-urllib|go-http-client|okhttp|java|axios|node-fetch|undici|aws-sdk|amazon-route53-health-check-service|postmanruntime)/i;
const BROWSER_UA = /mozilla\/5\.0 .*(chrome|firefox|safari|edg)\//i;

const headerOf = (req: SampleRequest, name: string): string | undefined => Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
const pathOf = (req: SampleRequest) => req.uri.split('?')[0];

function transform(value: string, transformations: Json[] | undefined): string {
  let v = value;
  for (const t of [...(transformations ?? [])].sort((a, b) => a.priority - b.priority)) {
    if (t.type === 'NONE') continue;
    else if (t.type === 'LOWERCASE') v = v.toLowerCase();
    else if (t.type === 'URL_DECODE') v = decodeURIComponent(v);
    else throw new Error(`waf-evaluator: text transformation ${t.type} not implemented`);
  }
  return v;
}

function fieldOf(req: SampleRequest, field: Json): string | undefined {
  if (field.uri_path) return pathOf(req);
  if (field.method) return req.method;
  if (field.single_header) return headerOf(req, field.single_header.name);
  throw new Error(`waf-evaluator: field_to_match ${JSON.stringify(field)} not implemented`);
}

/** The documented rules of each AWS managed group that a sample request can trigger: [rule name, matches?]. */
const MANAGED_MODELS: Record<string, (req: SampleRequest, config: Json) => [string, boolean][]> = {
  AWSManagedRulesAmazonIpReputationList: (r) => [['AWSManagedIPReputationList', r.ip === 'reputation-bad']],
  AWSManagedRulesCommonRuleSet: (r) => [
    ['NoUserAgent_HEADER', headerOf(r, 'user-agent') === undefined],
    ['SizeRestrictions_BODY', (r.bodyBytes ?? 0) > 8 * 1024],
  ],
  AWSManagedRulesKnownBadInputsRuleSet: (r) => [['JavaDeserializationRCE_HEADER', /\$\{jndi:/i.test(JSON.stringify(r.headers ?? {}))]],
  AWSManagedRulesSQLiRuleSet: (r) => [['SQLi_QUERYARGUMENTS', /('|%27)\s*(or|%20or)\s/i.test(r.uri.split('?')[1] ?? '')]],
  AWSManagedRulesAnonymousIpList: (r) => [
    ['AnonymousIPList', r.ip === 'anonymous'],
    ['HostingProviderIPList', r.ip === 'hosting'],
  ],
  AWSManagedRulesBotControlRuleSet: (r, config) => {
    const level = config.managed_rule_group_configs?.[0]?.aws_managed_rules_bot_control_rule_set?.inspection_level;
    if (level !== 'COMMON') throw new Error(`waf-evaluator: Bot Control inspection level ${level} not modelled`);
    const ua = headerOf(r, 'user-agent') ?? '';
    return [
      ['CategoryHttpLibrary', NON_BROWSER_UA.test(ua)],
      ['SignalNonBrowserUserAgent', ua !== '' && !BROWSER_UA.test(ua)],
    ];
  },
};

function matches(req: SampleRequest, statement: Json, options: EvaluateOptions = {}): boolean {
  const [[type, s]] = Object.entries(statement) as [string, Json][];
  switch (type) {
    case 'byte_match_statement': {
      const raw = fieldOf(req, s.field_to_match);
      if (raw === undefined) return false; // a missing header matches nothing
      const value = transform(raw, s.text_transformation);
      const search = s.search_string as string;
      switch (s.positional_constraint) {
        case 'EXACTLY':
          return value === search;
        case 'STARTS_WITH':
          return value.startsWith(search);
        case 'ENDS_WITH':
          return value.endsWith(search);
        case 'CONTAINS':
          return value.includes(search);
        default:
          throw new Error(`waf-evaluator: positional constraint ${s.positional_constraint} not implemented`);
      }
    }
    case 'size_constraint_statement': {
      if (!s.field_to_match.body) throw new Error('waf-evaluator: size constraint only on the body');
      const size = req.bodyBytes ?? 0;
      const ops: Record<string, (a: number, b: number) => boolean> = { GT: (a, b) => a > b, GE: (a, b) => a >= b, LT: (a, b) => a < b, LE: (a, b) => a <= b, EQ: (a, b) => a === b, NE: (a, b) => a !== b };
      return ops[s.comparison_operator](size, s.size);
    }
    case 'and_statement':
      return (s.statement as Json[]).every((x) => matches(req, x, options));
    case 'or_statement':
      return (s.statement as Json[]).some((x) => matches(req, x, options));
    case 'not_statement':
      return !matches(req, s.statement, options);
    case 'ip_set_reference_statement': {
      const set = options.ipSets?.[s.arn];
      if (!set) throw new Error(`waf-evaluator: IP set ${s.arn} not given (ipSetsOf(stack))`);
      if (s.ip_set_forwarded_ip_config) throw new Error('waf-evaluator: forwarded IP sets not implemented');
      if (req.sourceIp === undefined) return false;
      const ip = parseCidr(`${req.sourceIp}/32`) as Cidr;
      return set.some((c) => cidrWithin(ip, c));
    }
    case 'rate_based_statement':
      throw new Error('waf-evaluator: a rate-based statement is only valid as a rule\'s top-level statement');
    default:
      throw new Error(`waf-evaluator: statement ${type} not implemented`);
  }
}

/**
 * Evaluates the web ACL's rules in priority order, as WAF does: the first terminating action wins. A rate-based rule
 * acts only when `options.rateExceeded` names it (see `simulateOneIp`); one request alone never exceeds a rate.
 */
export function evaluateWebAcl(acl: Json, req: SampleRequest, options: EvaluateOptions = {}): Verdict {
  const counted: string[] = [];
  const rateCounted: string[] = [];
  const blockStatus = (action: Json) => action.block?.custom_response?.response_code ?? 403;
  for (const rule of [...(acl.rule as Json[])].sort((a, b) => a.priority - b.priority)) {
    const rate = rule.statement.rate_based_statement;
    if (rate) {
      if (rate.aggregate_key_type !== 'IP' || rate.forwarded_ip_config || rate.custom_key) throw new Error(`waf-evaluator: rate aggregation ${rate.aggregate_key_type} not implemented`);
      if (rate.scope_down_statement && !matches(req, rate.scope_down_statement, options)) continue;
      rateCounted.push(rule.name);
      if (!options.rateExceeded?.has(rule.name)) continue;
      if (rule.action.count) counted.push(rule.name);
      else return { action: 'block', by: rule.name, counted, status: blockStatus(rule.action), rateCounted };
      continue;
    }
    const group = rule.statement.managed_rule_group_statement;
    if (group) {
      if (group.scope_down_statement && !matches(req, group.scope_down_statement, options)) continue;
      const model = MANAGED_MODELS[group.name];
      if (!model) throw new Error(`waf-evaluator: managed group ${group.name} not modelled`);
      const overrides = new Map<string, Json>(((group.rule_action_override ?? []) as Json[]).map((o) => [o.name, o.action_to_use]));
      for (const [name, hit] of model(req, group)) {
        if (!hit) continue;
        const action = overrides.get(name) ?? { block: {} };
        if (rule.override_action?.count || action.count) counted.push(`${rule.name}/${name}`);
        else return { action: 'block', by: `${rule.name}/${name}`, counted, status: 403, rateCounted };
      }
      continue;
    }
    if (!matches(req, rule.statement, options)) continue;
    if (rule.action.count) counted.push(rule.name);
    else if (rule.action.allow) return { action: 'allow', by: rule.name, counted, status: 200, rateCounted };
    else return { action: 'block', by: rule.name, counted, status: blockStatus(rule.action), rateCounted };
  }
  return acl.default_action.allow ? { action: 'allow', by: 'default', counted, status: 200, rateCounted } : { action: 'block', by: 'default', counted, status: 403, rateCounted };
}

/** Steady traffic of one kind from one client IP. */
export interface Traffic {
  readonly request: SampleRequest;
  readonly perSecond: number;
}

export interface RateOutcome {
  /** Requests WAF let through / blocked, over the whole run. */
  readonly allowed: number;
  readonly blocked: number;
  /** Blocked requests by the rule that blocked them. */
  readonly blockedBy: Readonly<Record<string, number>>;
  /** The first second (0-based) in which a request was blocked, if any. */
  readonly firstBlockedSecond?: number;
}

/**
 * Runs `traffic` from ONE client IP through the ACL, second by second, for `seconds`. Each rate-based rule counts the
 * IP's requests that reach it and match its scope-down statement over its `evaluation_window_sec` (a sliding window,
 * as WAF counts "the requests for the N seconds immediately preceding the current time"), and acts on the IP's
 * matching requests while that count is above its `limit` (AWS WAF Developer Guide, "Rate-based rule high-level
 * settings"). WAF checks every few seconds and only approximately; this model checks every second, exactly.
 */
export function simulateOneIp(acl: Json, traffic: readonly Traffic[], seconds: number, ipSets: EvaluateOptions['ipSets'] = {}): RateOutcome {
  const rateRules = (acl.rule as Json[]).filter((r) => r.statement.rate_based_statement);
  const history = new Map<string, number[]>(rateRules.map((r) => [r.name as string, []]));
  const blockedBy: Record<string, number> = {};
  let allowed = 0;
  let blocked = 0;
  let firstBlockedSecond: number | undefined;
  for (let t = 0; t < seconds; t++) {
    const exceeded = new Set<string>();
    for (const r of rateRules) {
      const { limit, evaluation_window_sec: window = 300 } = r.statement.rate_based_statement;
      const counts = history.get(r.name) as number[];
      if (counts.slice(Math.max(0, t - window), t).reduce((a, b) => a + b, 0) > limit) exceeded.add(r.name);
    }
    const now = new Map<string, number>();
    for (const { request, perSecond } of traffic) {
      const v = evaluateWebAcl(acl, request, { rateExceeded: exceeded, ipSets });
      for (const name of v.rateCounted) now.set(name, (now.get(name) ?? 0) + perSecond);
      if (v.action === 'allow') allowed += perSecond;
      else {
        blocked += perSecond;
        blockedBy[v.by] = (blockedBy[v.by] ?? 0) + perSecond;
        firstBlockedSecond ??= t;
      }
    }
    for (const r of rateRules) (history.get(r.name) as number[]).push(now.get(r.name) ?? 0);
  }
  return { allowed, blocked, blockedBy, firstBlockedSecond };
}
