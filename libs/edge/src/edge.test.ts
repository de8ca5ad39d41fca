import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Edge, type EdgeProps } from './edge';
import type { EdgeSettings } from './settings';
import { DEFAULT_RATE_LIMITS, EdgeWaf, type WafRateLimits } from './waf';
import { all, only } from '@awp/guardrails/testing';

type Json = Record<string, any>;

const ZONE_NS = ['ns-0.awsdns-00.com', 'ns-512.awsdns-00.net'];

/** The Edge of shop.example.com with `edge` settings and props overridden. */
function synth(overrides: Partial<EdgeProps> = {}, edge: EdgeSettings = {}): Json {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const usEast1 = new AwsProvider(stack, 'use1', { region: 'us-east-1', alias: 'us_east_1' });
  new Edge(stack, 'edge', {
    settings: { domain: { name: 'shop.example.com' }, edge },
    namePrefix: 'prod',
    zone: { zoneId: 'Z0SHOP', delegatedNameServers: ZONE_NS },
    usEast1Provider: usEast1,
    vpcId: 'vpc-1',
    vpcCidr: '10.30.0.0/16',
    privateSubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
    workloadSecurityGroupId: 'sg-workload',
    assetsBucket: { name: 'prod-assets', arn: 'arn:aws:s3:::prod-assets', regionalDomainName: 'prod-assets.s3.eu-west-1.amazonaws.com' },
    uploadsBucket: { name: 'prod-uploads', arn: 'arn:aws:s3:::prod-uploads', regionalDomainName: 'prod-uploads.s3.eu-west-1.amazonaws.com' },
    logsBucket: { name: 'prod-logs', arn: 'arn:aws:s3:::prod-logs', regionalDomainName: 'prod-logs.s3.eu-west-1.amazonaws.com' },
    nodePort: 30080,
    deregistrationDelaySeconds: 25,
    ...overrides,
  });
  return JSON.parse(Testing.synth(stack)) as Json;
}

const one = (json: Json, type: string, predicate: (c: Json) => boolean): Json => {
  const hits = all(json, type).filter(predicate);
  if (hits.length !== 1) throw new Error(`expected one matching ${type}, found ${hits.length}`);
  return hits[0];
};
const addressOf = (json: Json, type: string, predicate: (c: Json) => boolean = () => true): string => {
  const hit = Object.entries(json.resource[type] as Record<string, Json>).find(([, c]) => predicate(c));
  if (!hit) throw new Error(`no ${type}`);
  return `${type}.${hit[0]}`;
};

/** Every object key below `value`, recursively. */
function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysOf(v, out);
    }
  }
  return out;
}

describe('Edge', () => {
  const json = synth();

  describe('WAF', () => {
    const acl = only(json, 'aws_wafv2_web_acl');
    const rules = acl.rule as Json[];
    const managed = rules.map((r) => r.statement.managed_rule_group_statement?.name).filter(Boolean);

    it('is a CLOUDFRONT web ACL in us-east-1 with metrics on for the ACL and every rule', () => {
      expect(acl.scope).toBe('CLOUDFRONT');
      expect(acl.provider).toBe('aws.us_east_1');
      expect(acl.default_action).toEqual({ allow: {} });
      for (const v of [acl.visibility_config, ...rules.map((r) => r.visibility_config)]) {
        expect(v).toMatchObject({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true });
      }
    });

    it('uses the AWS managed groups (common, known bad inputs, SQLi, IP reputation, anonymous IP)', () => {
      expect(managed).toEqual(
        expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet', 'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesAnonymousIpList']),
      );
      expect(managed).not.toContain('AWSManagedRulesBotControlRuleSet');
      for (const r of rules.filter((x) => x.statement.managed_rule_group_statement)) {
        expect(r.override_action).toEqual({ none: {} });
        expect(r.statement.managed_rule_group_statement.vendor_name).toBe('AWS');
      }
    });

    it('adds Bot Control only when asked, scoped to what browsers load: never the API, the health check or uploads', () => {
      const withBots = only(synth({}, { botControl: true }), 'aws_wafv2_web_acl');
      const bot = (withBots.rule as Json[]).find((r) => r.statement.managed_rule_group_statement?.name === 'AWSManagedRulesBotControlRuleSet');
      expect(bot?.statement.managed_rule_group_statement.managed_rule_group_configs).toEqual([{ aws_managed_rules_bot_control_rule_set: { inspection_level: 'COMMON' } }]);
      const exempt = bot?.statement.managed_rule_group_statement.scope_down_statement.not_statement.statement.or_statement.statement as Json[];
      expect(exempt.map((x) => [x.byte_match_statement.positional_constraint, x.byte_match_statement.search_string])).toEqual([
        ['STARTS_WITH', '/api/'],
        ['EXACTLY', '/healthz'],
        ['STARTS_WITH', '/uploads/'],
      ]);
      // The raw path: a decoded or lower-cased match would widen the exemption.
      for (const x of exempt) expect(x.byte_match_statement).toMatchObject({ field_to_match: { uri_path: {} }, text_transformation: [{ priority: 0, type: 'NONE' }] });
      const noUploads = only(synth({ uploadsBucket: undefined }, { botControl: true }), 'aws_wafv2_web_acl');
      const scoped = (noUploads.rule as Json[]).find((r) => r.name === 'AWSManagedRulesBotControlRuleSet')?.statement.managed_rule_group_statement.scope_down_statement;
      expect(JSON.stringify(scoped)).not.toContain('/uploads/');
    });

    it('blocks API writes (any method but GET, HEAD, OPTIONS) without a bearer token with a 401 problem body', () => {
      const rule = rules.find((r) => r.name === 'ApiWriteRequiresBearerToken');
      expect(rule?.priority).toBeLessThan(rules.find((r) => r.name === 'AWSManagedRulesCommonRuleSet')?.priority);
      expect(rule?.action).toEqual({ block: { custom_response: { response_code: 401, custom_response_body_key: 'bearer-token-required', response_header: [{ name: 'WWW-Authenticate', value: 'Bearer' }] } } });
      const [path, notSafe, notBearer] = rule?.statement.and_statement.statement as Json[];
      expect(path.byte_match_statement).toMatchObject({ search_string: '/api/', positional_constraint: 'STARTS_WITH', text_transformation: [{ priority: 0, type: 'URL_DECODE' }, { priority: 1, type: 'LOWERCASE' }] });
      expect((notSafe.not_statement.statement.or_statement.statement as Json[]).map((m) => [Object.keys(m.byte_match_statement.field_to_match)[0], m.byte_match_statement.search_string])).toEqual([
        ['method', 'GET'],
        ['method', 'HEAD'],
        ['method', 'OPTIONS'],
      ]);
      expect(notBearer.not_statement.statement.byte_match_statement).toMatchObject({ field_to_match: { single_header: { name: 'authorization' } }, positional_constraint: 'STARTS_WITH', search_string: 'bearer ', text_transformation: [{ priority: 0, type: 'LOWERCASE' }] });
      const [body] = acl.custom_response_body as Json[];
      expect(body).toMatchObject({ key: 'bearer-token-required', content_type: 'APPLICATION_JSON' });
      expect(JSON.parse(body.content)).toMatchObject({ status: 401, title: 'Unauthorized' });
    });

    it('has two per-IP rate rules: a strict one scoped to writes, a high one for every request', () => {
      const rate = Object.fromEntries(rules.filter((r) => r.statement.rate_based_statement).map((r) => [r.name, [r.priority, r.action, r.statement.rate_based_statement]]));
      expect(Object.keys(rate)).toEqual(['RateLimitWritesPerIp', 'RateLimitPerIp']);
      const [wp, wAction, writes] = rate.RateLimitWritesPerIp;
      expect([wp, wAction]).toEqual([1, { block: {} }]);
      expect(writes).toMatchObject({ limit: 600, aggregate_key_type: 'IP', evaluation_window_sec: 300 });
      const safe = writes.scope_down_statement.not_statement.statement.or_statement.statement as Json[];
      expect(safe.map((m) => m.byte_match_statement.search_string)).toEqual(['GET', 'HEAD', 'OPTIONS']);
      expect(rate.RateLimitPerIp).toEqual([2, { block: {} }, { limit: 50000, aggregate_key_type: 'IP', evaluation_window_sec: 300 }]);
      const custom = only(synth({ rateLimitSensitivePaths: ['/api/v1/search/'] }, { rateLimitWindowSeconds: 60, writeRateLimit: 100, readRateLimit: 20000 }), 'aws_wafv2_web_acl');
      const customRates = (custom.rule as Json[]).filter((r) => r.statement.rate_based_statement).map((r) => r.statement.rate_based_statement);
      expect(customRates.map((r) => [r.limit, r.evaluation_window_sec])).toEqual([[100, 60], [20000, 60]]);
      // A sensitive path is limited like a write, whatever the method.
      expect(customRates[0].scope_down_statement.or_statement.statement[1].byte_match_statement).toMatchObject({ search_string: '/api/v1/search/', positional_constraint: 'STARTS_WITH' });
    });

    it('refuses settings AWS WAF does not accept, naming the Edge and the field (the settings section is checked, not a copy)', () => {
      expect(() => synth({}, { rateLimitWindowSeconds: 30 as 60 })).toThrow(/^Edge test\/edge: invalid settings \(1 problem\):\n {2}settings\.edge\.rateLimitWindowSeconds: /);
      expect(() => synth({}, { writeRateLimit: 9 })).toThrow("settings.edge.writeRateLimit: expected at least 10 (AWS WAF's smallest rate limit)");
      expect(() => synth({}, { writeRateLimit: 60_000 })).toThrow('settings.edge.writeRateLimit: expected at most readRateLimit (50000): every request counts towards it, got 60000');
      expect(() => synth({}, { rateLimitExemptCidrs: ['0.0.0.0/0'] })).toThrow('settings.edge.rateLimitExemptCidrs[0]: expected a prefix from /1 to /32 (AWS WAF refuses /0)');
    });

    it('EdgeWaf used directly refuses rate limits AWS WAF does not accept (window, range), a write limit above the overall one, a /0', () => {
      const waf = (rateLimits: Partial<WafRateLimits>) => () => {
        const stack = new TerraformStack(Testing.app(), 'waf');
        const provider = new AwsProvider(stack, 'aws', { region: 'us-east-1' });
        new EdgeWaf(stack, 'waf', {
          namePrefix: 'prod', provider, rateLimits: { ...DEFAULT_RATE_LIMITS, ...rateLimits }, botControl: false, maxRequestBodyBytes: 65536,
          apiUriPrefix: '/api/', nonBrowserPaths: ['/api/'], logGroupArn: 'arn:aws:logs:us-east-1:111111111111:log-group:aws-waf-logs-prod', logDependsOn: [],
        });
      };
      expect(waf({})).not.toThrow();
      expect(waf({ windowSeconds: 30 })).toThrow(/rateLimits.windowSeconds must be one of 60, 120, 300, 600 \(AWS WAF\), got 30/);
      expect(waf({ writes: 9 })).toThrow(/rateLimits.writes must be an integer from 10 to 2000000000 \(AWS WAF\), got 9/);
      expect(waf({ all: 2_000_000_001 })).toThrow(/rateLimits.all must be an integer from 10/);
      expect(waf({ writes: 60_000 })).toThrow(/rateLimits.writes \(60000\) must not exceed rateLimits.all \(50000\)/);
      expect(waf({ exemptCidrs: ['0.0.0.0/0'] })).toThrow(/exemptCidrs must be IPv4 CIDR blocks from \/1 to \/32/);
    });

    it('blocks API bodies above the configured size and inspects enough of the body to tell', () => {
      const size = rules.find((r) => r.name === 'ApiBodySizeLimit');
      const [path, body] = size?.statement.and_statement.statement as Json[];
      expect(path.byte_match_statement).toMatchObject({ positional_constraint: 'STARTS_WITH', search_string: '/api/', field_to_match: { uri_path: {} } });
      expect(body.size_constraint_statement).toMatchObject({ comparison_operator: 'GT', size: 65536, field_to_match: { body: { oversize_handling: 'MATCH' } } });
      expect(acl.association_config.request_body[0].cloudfront.default_size_inspection_limit).toBe('KB_64');
      const small = only(synth({}, { maxRequestBodyBytes: 10000 }), 'aws_wafv2_web_acl');
      expect(small.association_config.request_body[0].cloudfront.default_size_inspection_limit).toBe('KB_16');
      // The common group's own 8 KB body rule would refuse valid bodies: it only counts.
      const common = rules.find((r) => r.name === 'AWSManagedRulesCommonRuleSet');
      expect(common?.statement.managed_rule_group_statement.rule_action_override).toEqual([{ name: 'SizeRestrictions_BODY', action_to_use: { count: {} } }]);
    });

    it('refuses a body limit WAF cannot inspect', () => {
      expect(() => synth({}, { maxRequestBodyBytes: 70000 })).toThrow('settings.edge.maxRequestBodyBytes: expected at most 65536: WAF inspects at most 64 KB of a CloudFront request body');
    });

    it('writes every rule statement in snake_case (provider passes `any` through verbatim)', () => {
      const keys = keysOf(rules.map((r) => r.statement));
      expect(keys.length).toBeGreaterThan(20);
      expect(keys.filter((k) => !/^[a-z0-9_]+$/.test(k))).toEqual([]);
      const botKeys = keysOf((only(synth({}, { botControl: true }), 'aws_wafv2_web_acl').rule as Json[]).map((r) => r.statement));
      expect(botKeys.filter((k) => !/^[a-z0-9_]+$/.test(k))).toEqual([]);
    });

    it('logs to an encrypted aws-waf-logs- group in us-east-1 with Authorization and Cookie redacted', () => {
      const logging = only(json, 'aws_wafv2_web_acl_logging_configuration');
      expect(logging.provider).toBe('aws.us_east_1');
      expect(logging.redacted_fields).toEqual([{ single_header: { name: 'authorization' } }, { single_header: { name: 'cookie' } }]);
      const wafGroup = addressOf(json, 'aws_cloudwatch_log_group', (g) => String(g.name).startsWith('aws-waf-logs-'));
      expect(logging.log_destination_configs).toEqual([`\${${wafGroup}.arn}`]);
      const group = json.resource.aws_cloudwatch_log_group[wafGroup.split('.')[1]];
      expect(group).toMatchObject({ name: 'aws-waf-logs-prod-edge', provider: 'aws.us_east_1', retention_in_days: 365 });
      const key = addressOf(json, 'aws_kms_key', (k) => k.enable_key_rotation === true);
      expect(group.kms_key_id).toBe(`\${${key}.arn}`);
      expect(json.resource.aws_kms_key[key.split('.')[1]].provider).toBe('aws.us_east_1');
      expect(logging.depends_on).toEqual([expect.stringMatching(/^aws_cloudwatch_log_resource_policy\./)]);
    });
  });

  describe('keys', () => {
    const keys: Json[] = all(json, 'aws_kms_key').map((k) => ({ ...k, doc: JSON.parse(k.policy) as { Statement: Json[] } }));

    it('has one key, the WAF log key: CloudWatch Logs in us-east-1 may use it for the WAF log group only', () => {
      expect(keys).toHaveLength(1);
      const use = keys[0].doc.Statement.find((st: Json) => st.Principal?.Service === 'logs.us-east-1.amazonaws.com');
      expect(use?.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn']).toEqual([expect.stringMatching(/:logs:us-east-1:.*:log-group:aws-waf-logs-prod-edge$/)]);
      expect(keys[0].doc.Statement.filter((st: Json) => st.Action === 'kms:*').map((st: Json) => st.Principal.AWS)).toEqual([expect.stringMatching(/:root$/)]);
      expect(only(json, 'aws_kms_alias').name).toBe('alias/prod-edge-logs');
    });

    it('admits WAF log delivery only to its own log group', () => {
      const policy = JSON.parse(only(json, 'aws_cloudwatch_log_resource_policy').policy_document) as { Statement: Json[] };
      expect(policy.Statement.map((st) => [st.Principal.Service, st.Resource])).toEqual([['delivery.logs.amazonaws.com', expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*waf.*\.arn\}:\*$/)]]);
      expect(only(json, 'aws_cloudwatch_log_resource_policy')).toMatchObject({ provider: 'aws.us_east_1', policy_name: 'prod-edge-log-delivery' });
    });
  });

  describe('certificates and DNS', () => {
    it('issues the CloudFront certificate in us-east-1 and the ALB certificate in the stack region, both DNS-validated in the given zone', () => {
      const certs = all(json, 'aws_acm_certificate');
      const cdn = certs.find((c) => c.domain_name === 'shop.example.com');
      const alb = certs.find((c) => c.domain_name === 'origin.shop.example.com');
      expect(cdn).toMatchObject({ provider: 'aws.us_east_1', validation_method: 'DNS' });
      expect(alb?.validation_method).toBe('DNS');
      expect(alb?.provider).toBeUndefined();
      const validations = all(json, 'aws_acm_certificate_validation');
      expect(validations).toHaveLength(2);
      expect(validations.map((v) => v.provider ?? 'default').sort()).toEqual(['aws.us_east_1', 'default']);
      for (const v of validations) expect(v.validation_record_fqdns[0]).toMatch(/^\$\{aws_route53_record\..*\.fqdn\}$/);
      const validationRecords = all(json, 'aws_route53_record').filter((r) => String(r.name).includes('domain_validation_options'));
      expect(validationRecords.map((r) => r.zone_id)).toEqual(['Z0SHOP', 'Z0SHOP']);
      // The zone belongs to the dns layer now: nothing here creates or looks up one.
      expect(json.resource.aws_route53_zone).toBeUndefined();
      expect(json.data.aws_route53_zone).toBeUndefined();
    });

    it('waits at most 30 minutes for ACM (not the provider default 75, longer than the apply role session), and checks the delegation first', () => {
      const http = Object.keys(json.data.http as Json);
      expect(http).toHaveLength(1);
      for (const v of all(json, 'aws_acm_certificate_validation')) {
        expect(v.timeouts).toEqual({ create: '30m' });
        const [pre] = v.lifecycle.precondition as Json[];
        expect(pre.condition).toContain(`jsondecode(data.http.${http[0]}.response_body)`);
        expect(pre.error_message).toContain('Create an NS record named shop.example.com in its parent zone example.com');
      }
      expect(only(json, 'http', 'data').url).toBe('https://dns.google/resolve?name=shop.example.com&type=NS');
      expect(Object.values(json.locals)).toEqual([ZONE_NS]);
    });

    it('has no delegation check for a looked-up (delegated) zone, and still a short validation timeout', () => {
      const looked = synth({ zone: { zoneId: 'Z0PARENT' } });
      expect(looked.data.http).toBeUndefined();
      expect(looked.terraform.required_providers.http).toBeUndefined();
      for (const v of all(looked, 'aws_acm_certificate_validation')) expect([v.timeouts, v.lifecycle]).toEqual([{ create: '30m' }, undefined]);
      expect(all(looked, 'aws_route53_record').every((r) => r.zone_id === 'Z0PARENT')).toBe(true);
    });

    it('aliases A and AAAA of the site to CloudFront and origin.<domain> to the internal ALB', () => {
      const records = all(json, 'aws_route53_record');
      const site = records.filter((r) => r.name === 'shop.example.com');
      expect(site.map((r) => r.type).sort()).toEqual(['A', 'AAAA']);
      for (const r of site) {
        expect(r.alias.name).toMatch(/^\$\{aws_cloudfront_distribution\..*\.domain_name\}$/);
        expect(r.alias.zone_id).toMatch(/^\$\{aws_cloudfront_distribution\..*\.hosted_zone_id\}$/);
      }
      const origin = records.find((r) => r.name === 'origin.shop.example.com');
      expect(origin?.alias).toMatchObject({ name: expect.stringMatching(/aws_lb\..*\.dns_name/), evaluate_target_health: true });
    });

    it('health-checks /healthz over HTTPS through CloudFront', () => {
      expect(only(json, 'aws_route53_health_check')).toMatchObject({ type: 'HTTPS', fqdn: 'shop.example.com', port: 443, resource_path: '/healthz', enable_sni: true });
    });
  });

  describe('CloudFront', () => {
    const dist = only(json, 'aws_cloudfront_distribution');
    const origins = dist.origin as Json[];
    const behaviours = dist.ordered_cache_behavior as Json[];

    it('has the web ACL, TLSv1.2_2021, HTTP/2 and 3, the price class and standard logs', () => {
      expect(dist.web_acl_id).toBe(`\${${addressOf(json, 'aws_wafv2_web_acl')}.arn}`);
      expect(dist.viewer_certificate).toMatchObject({ minimum_protocol_version: 'TLSv1.2_2021', ssl_support_method: 'sni-only' });
      expect(dist.viewer_certificate.acm_certificate_arn).toMatch(/aws_acm_certificate_validation\..*cdn-certificate.*\.certificate_arn/);
      expect(dist.http_version).toBe('http2and3');
      expect(dist.is_ipv6_enabled).toBe(true);
      expect(dist.price_class).toBe('PriceClass_100');
      expect(only(synth({}, { priceClass: 'PriceClass_All' }), 'aws_cloudfront_distribution').price_class).toBe('PriceClass_All');
      expect(dist.logging_config).toEqual({ bucket: 'prod-logs.s3.amazonaws.com', prefix: 'cloudfront/prod/', include_cookies: false });
      expect(dist.aliases).toEqual(['shop.example.com']);
    });

    it('reads the assets bucket through origin access control', () => {
      const s3 = origins.find((o) => o.origin_id === 'assets');
      expect(s3?.domain_name).toBe('prod-assets.s3.eu-west-1.amazonaws.com');
      expect(s3?.origin_access_control_id).toBe(`\${${addressOf(json, 'aws_cloudfront_origin_access_control')}.id}`);
      expect(only(json, 'aws_cloudfront_origin_access_control')).toMatchObject({ origin_access_control_origin_type: 's3', signing_behavior: 'always', signing_protocol: 'sigv4' });
    });

    it('reaches the internal ALB through its VPC origin (https-only, TLS 1.2) named origin.<domain>, with no secret header', () => {
      const alb = origins.find((o) => o.origin_id === 'api');
      expect(alb?.domain_name).toMatch(/aws_route53_record\..*origin-alias.*\.fqdn/);
      expect(alb?.vpc_origin_config).toEqual({ vpc_origin_id: `\${${addressOf(json, 'aws_cloudfront_vpc_origin')}.id}`, origin_read_timeout: 30, origin_keepalive_timeout: 5 });
      expect(alb?.custom_origin_config).toBeUndefined();
      expect(alb?.custom_header).toBeUndefined();
      const vpcOrigin = only(json, 'aws_cloudfront_vpc_origin').vpc_origin_endpoint_config[0];
      expect(vpcOrigin).toMatchObject({ arn: `\${${addressOf(json, 'aws_lb')}.arn}`, https_port: 443, origin_protocol_policy: 'https-only', origin_ssl_protocols: [{ items: ['TLSv1.2'], quantity: 1 }] });
    });

    it('redirects viewers to HTTPS on every behaviour and compresses all but the (already compressed) uploaded images', () => {
      for (const b of [dist.default_cache_behavior, ...behaviours]) {
        expect(b.viewer_protocol_policy).toBe('redirect-to-https');
        expect(b.compress).toBe(b.path_pattern !== '/uploads/*');
        expect(b.response_headers_policy_id).toMatch(/aws_cloudfront_response_headers_policy\./);
      }
    });

    it('sends /api/* (keyed on Authorization and the query string, cached only as the service says) and /healthz (never cached) to the ALB', () => {
      const api = behaviours.find((b) => b.path_pattern === '/api/*');
      const apiCache = addressOf(json, 'aws_cloudfront_cache_policy', (p) => p.name === 'prod-api');
      expect(api).toMatchObject({ target_origin_id: 'api', cache_policy_id: `\${${apiCache}.id}`, origin_request_policy_id: 'b689b0a8-53d0-40ab-baf2-68738e2966ac' });
      expect(api?.allowed_methods).toEqual(expect.arrayContaining(['POST', 'PATCH', 'DELETE', 'PUT']));
      expect(api?.function_association).toEqual([{ event_type: 'viewer-request', function_arn: expect.stringMatching(/aws_cloudfront_function\./) }]);
      // Authorization reaches the origin only from the cache policy's key; a policy with every TTL 0 has no key.
      const policy = one(json, 'aws_cloudfront_cache_policy', (p) => p.name === 'prod-api');
      expect(policy).toMatchObject({ min_ttl: 0, default_ttl: 0, max_ttl: 3600 });
      expect(policy.parameters_in_cache_key_and_forwarded_to_origin).toEqual({
        enable_accept_encoding_gzip: true,
        enable_accept_encoding_brotli: true,
        cookies_config: { cookie_behavior: 'none' },
        headers_config: { header_behavior: 'whitelist', headers: { items: ['Authorization'] } },
        query_strings_config: { query_string_behavior: 'all' },
      });
      const health = behaviours.find((b) => b.path_pattern === '/healthz');
      expect(health).toMatchObject({ target_origin_id: 'api', cache_policy_id: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', allowed_methods: ['GET', 'HEAD'] });
      expect(behaviours.findIndex((b) => b.path_pattern === '/healthz')).toBeLessThan(behaviours.findIndex((b) => b.path_pattern === '/assets/*'));
    });

    it('caches hashed assets for a year and everything else by the origin\'s headers', () => {
      const assets = behaviours.find((b) => b.path_pattern === '/assets/*');
      const policy = all(json, 'aws_cloudfront_cache_policy').find((p) => p.name === 'prod-hashed-assets')!;
      expect(assets?.cache_policy_id).toBe(`\${${addressOf(json, 'aws_cloudfront_cache_policy', (p) => p.name === 'prod-hashed-assets')}.id}`);
      expect(policy).toMatchObject({ default_ttl: 31536000, max_ttl: 31536000, min_ttl: 86400 });
      expect(policy.parameters_in_cache_key_and_forwarded_to_origin).toMatchObject({ enable_accept_encoding_brotli: true, enable_accept_encoding_gzip: true });
      expect(dist.default_cache_behavior).toMatchObject({ target_origin_id: 'assets', cache_policy_id: '658327ea-f89d-4fab-a63d-7e88639e58f6' });
    });

    it('sets HSTS, nosniff, frame-options and referrer-policy', () => {
      const policies = all(json, 'aws_cloudfront_response_headers_policy');
      expect(policies.map((p) => p.name).sort()).toEqual(['prod-security-headers', 'prod-uploads-headers']);
      for (const p of policies) {
        const headers = p.security_headers_config;
        expect(headers.strict_transport_security).toMatchObject({ access_control_max_age_sec: 63072000, include_subdomains: true, override: true });
        expect(headers.content_type_options).toEqual({ override: true });
        expect(headers.frame_options).toEqual({ frame_option: 'DENY', override: true });
        expect(headers.referrer_policy).toEqual({ referrer_policy: 'strict-origin-when-cross-origin', override: true });
      }
    });

    it('never caches an error (every code CloudFront can cache) and never replaces an API answer', () => {
      const errors = dist.custom_error_response as Json[];
      expect(errors.map((e) => e.error_code)).toEqual([400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]);
      for (const e of errors) expect(e).toEqual({ error_code: e.error_code, error_caching_min_ttl: 0 });
    });

    it.each(['assets', 'uploads'])('owns the %s bucket policy: this distribution may read, nothing without TLS', (key) => {
      const attachment = one(json, 'aws_s3_bucket_policy', (p) => p.bucket === `prod-${key}`);
      const doc = Object.entries(json.data.aws_iam_policy_document as Record<string, Json>).find(([n]) => n.includes(`${key}-bucket-policy`));
      expect(attachment.policy).toBe(`\${data.aws_iam_policy_document.${doc?.[0]}.json}`);
      const [read, deny, tls12, ...rest] = doc?.[1].statement as Json[];
      expect(rest).toEqual([]);
      // The default TLS statements are the platform's shared ones (libs/config tlsOnlyBucketStatements): TLS 1.2+.
      expect(tls12).toMatchObject({ effect: 'Deny', actions: ['s3:*'], condition: [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }] });
      expect(read).toMatchObject({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::prod-${key}/*`], principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }] });
      expect(read.effect).toBeUndefined(); // Allow is the document's default
      expect(read.condition).toEqual([{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [`\${${addressOf(json, 'aws_cloudfront_distribution')}.arn}`] }]);
      expect(deny).toMatchObject({ effect: 'Deny', actions: ['s3:*'], resources: [`arn:aws:s3:::prod-${key}`, `arn:aws:s3:::prod-${key}/*`], condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
    });

    it('serves uploads under /uploads/* from the uploads bucket through the same OAC, cached for a year, prefix stripped', () => {
      const s3 = origins.find((o) => o.origin_id === 'uploads');
      expect(s3).toEqual({ origin_id: 'uploads', domain_name: 'prod-uploads.s3.eu-west-1.amazonaws.com', origin_access_control_id: `\${${addressOf(json, 'aws_cloudfront_origin_access_control')}.id}` });
      const b = behaviours.find((x) => x.path_pattern === '/uploads/*');
      expect(b).toMatchObject({ target_origin_id: 'uploads', allowed_methods: ['GET', 'HEAD'], cached_methods: ['GET', 'HEAD'], viewer_protocol_policy: 'redirect-to-https' });
      const cache = one(json, 'aws_cloudfront_cache_policy', (p) => p.name === 'prod-immutable-uploads');
      expect(b?.cache_policy_id).toBe(`\${${addressOf(json, 'aws_cloudfront_cache_policy', (p) => p.name === 'prod-immutable-uploads')}.id}`);
      expect(cache).toMatchObject({ min_ttl: 86400, default_ttl: 31536000, max_ttl: 31536000 });
      expect(cache.parameters_in_cache_key_and_forwarded_to_origin).toMatchObject({ cookies_config: { cookie_behavior: 'none' }, headers_config: { header_behavior: 'none' }, query_strings_config: { query_string_behavior: 'none' } });
      const headers = one(json, 'aws_cloudfront_response_headers_policy', (p) => p.name === 'prod-uploads-headers');
      expect(b?.response_headers_policy_id).toBe(`\${${addressOf(json, 'aws_cloudfront_response_headers_policy', (p) => p.name === 'prod-uploads-headers')}.id}`);
      expect(headers.custom_headers_config.items).toEqual([{ header: 'Cache-Control', value: 'public, max-age=31536000, immutable', override: false }]);
      const fn = one(json, 'aws_cloudfront_function', (f) => f.name === 'prod-uploads-path');
      expect(b?.function_association).toEqual([{ event_type: 'viewer-request', function_arn: `\${${addressOf(json, 'aws_cloudfront_function', (f) => f.name === 'prod-uploads-path')}.arn}` }]);
      expect(fn).toMatchObject({ runtime: 'cloudfront-js-2.0', publish: true });
      expect(fn.code).toContain('var PREFIX = "/uploads";');
    });

    it('exposes uploadsBaseUrl = https://<domain>/uploads (the service CDN_BASE_URL) only with an uploads bucket', () => {
      const build = (overrides: Partial<EdgeProps>) => {
        const stack = new TerraformStack(Testing.app(), 'urls');
        new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
        const usEast1 = new AwsProvider(stack, 'use1', { region: 'us-east-1', alias: 'us_east_1' });
        const bucket = (n: string) => ({ name: n, arn: `arn:aws:s3:::${n}`, regionalDomainName: `${n}.s3.eu-west-1.amazonaws.com` });
        return new Edge(stack, 'edge', {
          settings: { domain: { name: 'dev.shop.example.com' } }, namePrefix: 'dev', usEast1Provider: usEast1, vpcId: 'vpc-1', vpcCidr: '10.0.0.0/16', zone: { zoneId: 'Z' }, privateSubnetIds: ['s'],
          workloadSecurityGroupId: 'sg', assetsBucket: bucket('a'), logsBucket: bucket('l'), nodePort: 30080, ...overrides,
        });
      };
      expect(build({ uploadsBucket: { name: 'u', arn: 'arn:aws:s3:::u', regionalDomainName: 'u.s3.eu-west-1.amazonaws.com' } }).uploadsBaseUrl).toBe('https://dev.shop.example.com/uploads');
      expect(build({ uploadsBucket: { name: 'u', arn: 'arn:aws:s3:::u', regionalDomainName: 'u' }, uploadsPathPrefix: '/media' }).uploadsBaseUrl).toBe('https://dev.shop.example.com/media');
      expect(build({}).uploadsBaseUrl).toBeUndefined();
    });

    it('without an uploads bucket: no uploads origin, behaviour or policy; uploadsPathPrefix must not overlap other paths', () => {
      const bare = synth({ uploadsBucket: undefined });
      const d = only(bare, 'aws_cloudfront_distribution');
      expect((d.origin as Json[]).map((o) => o.origin_id).sort()).toEqual(['api', 'assets']);
      expect((d.ordered_cache_behavior as Json[]).map((b) => b.path_pattern)).not.toContain('/uploads/*');
      expect(all(bare, 'aws_s3_bucket_policy').map((p) => p.bucket)).toEqual(['prod-assets']);
      expect(() => synth({ uploadsPathPrefix: '/api' })).toThrow(/uploadsPathPrefix "\/api" overlaps/);
      expect(() => synth({ uploadsPathPrefix: '/assets' })).toThrow(/overlaps/);
      expect(() => synth({ uploadsPathPrefix: 'uploads' })).toThrow(/uploadsPathPrefix: expected a single path segment/);
    });
  });

  describe('ALB', () => {
    const lb = only(json, 'aws_lb');
    const listeners = all(json, 'aws_lb_listener');
    const sg = addressOf(json, 'aws_security_group');

    it('is internal in the private subnets, drops invalid headers, logs access, is deletion-protected', () => {
      expect(lb).toMatchObject({ internal: true, load_balancer_type: 'application', subnets: ['subnet-a', 'subnet-b', 'subnet-c'], drop_invalid_header_fields: true, enable_deletion_protection: true });
      expect(lb.access_logs).toEqual({ bucket: 'prod-logs', prefix: 'alb/prod', enabled: true });
      expect(only(synth({}, { deletionProtection: false }), 'aws_lb').enable_deletion_protection).toBe(false);
    });

    it('has one listener, HTTPS with TLS 1.3/1.2 and the regional certificate, forwarding to the service (no port 80 nothing could reach)', () => {
      expect(listeners).toHaveLength(1);
      expect(listeners[0]).toMatchObject({ port: 443, protocol: 'HTTPS', ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
      expect(listeners[0].certificate_arn).toMatch(/aws_acm_certificate_validation\..*alb-certificate.*\.certificate_arn/);
      expect(listeners[0].default_action).toEqual([{ type: 'forward', target_group_arn: `\${${addressOf(json, 'aws_lb_target_group')}.arn}` }]);
    });

    it('answers 404 itself for the internal endpoints, whatever reaches it', () => {
      const rule = only(json, 'aws_lb_listener_rule');
      expect(rule.listener_arn).toMatch(/aws_lb_listener\..*https.*\.arn/);
      expect(rule.condition).toEqual([{ path_pattern: { values: ['/metrics', '/metrics/*', '/readyz', '/readyz/*'] } }]);
      expect(rule.action).toEqual([{ type: 'fixed-response', fixed_response: { content_type: 'text/plain', message_body: 'Not Found', status_code: '404' } }]);
      const many = all(synth({ blockedApiPaths: ['/metrics', '/readyz', '/debug'] }), 'aws_lb_listener_rule');
      expect(many.map((r) => [r.priority, r.condition[0].path_pattern.values.length])).toEqual([[10, 5], [11, 1]]);
    });

    it("is a CloudFront VPC origin and admits only CloudFront's VPC-origin security group on 443", () => {
      const vpcOrigin = only(json, 'aws_cloudfront_vpc_origin');
      expect(vpcOrigin.depends_on).toEqual([expect.stringMatching(/^aws_lb_listener\./)]);
      const serviceSg = only(json, 'aws_security_group', 'data');
      expect(serviceSg).toMatchObject({ name: 'CloudFront-VPCOrigins-Service-SG', vpc_id: 'vpc-1', depends_on: [addressOf(json, 'aws_cloudfront_vpc_origin')] });
      expect(lb.security_groups).toEqual([`\${${sg}.id}`]);
      const ingress = all(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.security_group_id === `\${${sg}.id}`);
      expect(ingress).toEqual([expect.objectContaining({ referenced_security_group_id: expect.stringMatching(/^\$\{data\.aws_security_group\.[\w-]+\.id\}$/), ip_protocol: 'tcp', from_port: 443, to_port: 443 })]);
      for (const r of ingress) expect([r.cidr_ipv4, r.cidr_ipv6, r.prefix_list_id]).toEqual([undefined, undefined, undefined]);
      expect(json.data.aws_ec2_managed_prefix_list).toBeUndefined();
      const egress = all(json, 'aws_vpc_security_group_egress_rule');
      expect(egress).toEqual([expect.objectContaining({ security_group_id: `\${${sg}.id}`, cidr_ipv4: '10.30.0.0/16', from_port: 30080, to_port: 30080 })]);
      expect(only(json, 'aws_security_group').ingress).toBeUndefined();
    });

    it('opens the workload security group to the ALB on the NodePort', () => {
      const rule = all(json, 'aws_vpc_security_group_ingress_rule').find((r) => r.security_group_id === 'sg-workload');
      expect(rule).toMatchObject({ referenced_security_group_id: `\${${sg}.id}`, from_port: 30080, to_port: 30080, ip_protocol: 'tcp' });
    });

    it('targets the NodePort on instances, checks /readyz and drains for the configured delay', () => {
      const tg = only(json, 'aws_lb_target_group');
      expect(tg).toMatchObject({ target_type: 'instance', port: 30080, protocol: 'HTTP', vpc_id: 'vpc-1', deregistration_delay: '25' });
      expect(tg.health_check).toMatchObject({ path: '/readyz', port: 'traffic-port', matcher: '200' });
      // Replaced before destroyed (the listener points at it), so the name is a prefix, not a fixed name.
      expect(tg).toMatchObject({ name_prefix: 'prod-', lifecycle: { create_before_destroy: true } });
      expect(tg.name).toBeUndefined();
      expect(only(json, 'aws_security_group')).toMatchObject({ name_prefix: 'prod-edge-alb-', lifecycle: { create_before_destroy: true } });
    });
  });

  describe('no shared secret anywhere', () => {
    it('has no origin secret, no secret read at plan time, no ephemeral resource', () => {
      expect(json.resource.aws_secretsmanager_secret).toBeUndefined();
      expect(json.data?.aws_secretsmanager_secret_version).toBeUndefined();
      expect(json.ephemeral).toBeUndefined();
      expect(JSON.stringify(json)).not.toMatch(/origin-verify|X-Origin-Verify|secretsmanager/i);
      // Every data source is metadata an ordinary read-only role may read, or public DNS.
      expect(Object.keys(json.data).sort()).toEqual(['aws_caller_identity', 'aws_iam_policy_document', 'aws_partition', 'aws_security_group', 'http']);
    });
  });
});
