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
}

export interface Verdict {
  readonly action: 'allow' | 'block';
  /** The rule (and managed rule) that ended evaluation, or `default`. */
  readonly by: string;
  /** Rules that only counted on the way. */
  readonly counted: readonly string[];
  readonly status: number;
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

function matches(req: SampleRequest, statement: Json): boolean {
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
      return (s.statement as Json[]).every((x) => matches(req, x));
    case 'or_statement':
      return (s.statement as Json[]).some((x) => matches(req, x));
    case 'not_statement':
      return !matches(req, s.statement);
    case 'rate_based_statement':
      return false; // one sample request never exceeds a per-IP rate
    default:
      throw new Error(`waf-evaluator: statement ${type} not implemented`);
  }
}

/** Evaluates the web ACL's rules in priority order, as WAF does: the first terminating action wins. */
export function evaluateWebAcl(acl: Json, req: SampleRequest): Verdict {
  const counted: string[] = [];
  const blockStatus = (action: Json) => action.block?.custom_response?.response_code ?? 403;
  for (const rule of [...(acl.rule as Json[])].sort((a, b) => a.priority - b.priority)) {
    const group = rule.statement.managed_rule_group_statement;
    if (group) {
      if (group.scope_down_statement && !matches(req, group.scope_down_statement)) continue;
      const model = MANAGED_MODELS[group.name];
      if (!model) throw new Error(`waf-evaluator: managed group ${group.name} not modelled`);
      const overrides = new Map<string, Json>(((group.rule_action_override ?? []) as Json[]).map((o) => [o.name, o.action_to_use]));
      for (const [name, hit] of model(req, group)) {
        if (!hit) continue;
        const action = overrides.get(name) ?? { block: {} };
        if (rule.override_action?.count || action.count) counted.push(`${rule.name}/${name}`);
        else return { action: 'block', by: `${rule.name}/${name}`, counted, status: 403 };
      }
      continue;
    }
    if (!matches(req, rule.statement)) continue;
    if (rule.action.count) counted.push(rule.name);
    else if (rule.action.allow) return { action: 'allow', by: rule.name, counted, status: 200 };
    else return { action: 'block', by: rule.name, counted, status: blockStatus(rule.action) };
  }
  return acl.default_action.allow ? { action: 'allow', by: 'default', counted, status: 200 } : { action: 'block', by: 'default', counted, status: 403 };
}
