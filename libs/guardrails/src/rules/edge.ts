import type { ElementView, GuardrailRule, StackView } from '../types';
import { ANYWHERE, at, blocks, ingressEntries, isExpression, isTruthy } from '../util';

/** CloudFront viewer TLS policies with TLS 1.2 as the minimum and only modern ciphers (TLSv1.2_2021 and newer). */
const MODERN_CLOUDFRONT_TLS = /^TLSv1\.(2_(20(2[1-9]|[3-9]\d))|3_\d{4})$/;
/** ALB policies that offer TLS 1.3 and refuse anything below TLS 1.2 (includes the FIPS, PQ and Res variants). */
const MODERN_ALB_TLS = /^ELBSecurityPolicy-TLS13-1-[23]-/;
const OLD_ORIGIN_PROTOCOLS = ['SSLv3', 'TLSv1', 'TLSv1.1'];

const ref = (address: string) => `\${${address}.`;
const mentions = (value: unknown, address: string) => JSON.stringify(value ?? null).includes(ref(address));

/** Ingress from anywhere into a security group, from inline blocks and from every kind of separate rule. */
function anywhereIngress(stack: StackView, sgAddress: string): string[] {
  return stack.elements
    .flatMap(ingressEntries)
    .filter((e) => e.sg === sgAddress || mentions(e.sg, sgAddress))
    .flatMap((e) => e.cidrs.filter((c) => ANYWHERE.includes(c)).map((c) => `${c} on ${e.from}-${e.to}`));
}

/** Security group addresses a load balancer lists (`${aws_security_group.x.id}` → `aws_security_group.x`). */
function groupsOf(lb: ElementView): string[] {
  return ((lb.config.security_groups as unknown[]) ?? [])
    .map((s) => /^\$\{(aws_security_group\.[\w-]+)\.id\}$/.exec(String(s))?.[1])
    .filter((s): s is string => Boolean(s));
}

const isApplicationLb = (lb: ElementView) => (lb.config.load_balancer_type ?? 'application') === 'application';

const CLOUDFRONT_SERVICE = 'cloudfront.amazonaws.com';
/** A SourceArn value that names one distribution: no wildcard (an account-wide or cross-account pattern is not enough here). */
const namesOneDistribution = (values: unknown[]) => values.length > 0 && values.every((v) => typeof v === 'string' && !v.includes('*'));

/**
 * Allow statements of a bucket policy that let CloudFront read without naming one distribution in `aws:SourceArn`.
 * The policy is an `aws_iam_policy_document` data source of the stack (by reference) or a literal JSON document.
 */
function unscopedCloudFrontGrants(stack: StackView, policy: unknown): string[] {
  const out: string[] = [];
  const docRef = /^\$\{(data\.aws_iam_policy_document\.[\w-]+)\.json\}$/.exec(String(policy ?? ''))?.[1];
  if (docRef) {
    const doc = stack.elements.find((e) => e.address === docRef);
    blocks(doc?.config.statement).forEach((st, i) => {
      if ((st.effect ?? 'Allow') !== 'Allow') return;
      const toCloudFront = blocks(st.principals).some((p) => p.type === 'Service' && ((p.identifiers as unknown[]) ?? []).includes(CLOUDFRONT_SERVICE));
      if (!toCloudFront) return;
      const scoped = blocks(st.condition).some((c) => String(c.variable).toLowerCase() === 'aws:sourcearn' && namesOneDistribution((c.values as unknown[]) ?? []));
      if (!scoped) out.push(`${docRef} statement ${String(st.sid ?? i)} lets CloudFront read without naming one distribution in AWS:SourceArn`);
    });
    return out;
  }
  let parsed: { Statement?: unknown } | undefined;
  try {
    parsed = typeof policy === 'string' ? (JSON.parse(policy) as { Statement?: unknown }) : undefined;
  } catch {
    return out; // an expression (e.g. jsonencode of tokens): not readable here
  }
  blocks(parsed?.Statement).forEach((st, i) => {
    if (st.Effect !== 'Allow') return;
    const service = (st.Principal as { Service?: unknown } | undefined)?.Service;
    if (![service].flat().includes(CLOUDFRONT_SERVICE)) return;
    const conditions = Object.values((st.Condition as Record<string, Record<string, unknown>> | undefined) ?? {});
    const scoped = conditions.some((byKey) => Object.entries(byKey).some(([k, v]) => k.toLowerCase() === 'aws:sourcearn' && namesOneDistribution([v].flat())));
    if (!scoped) out.push(`statement ${String(st.Sid ?? i)} lets CloudFront read without naming one distribution in AWS:SourceArn`);
  });
  return out;
}


/** Address of the element a `${type.name.attr}` expression points at, e.g. `aws_lb.alb` (undefined for literals). */
const referencedAddress = (value: unknown, types: readonly string[]): string | undefined => {
  const m = /\$\{((?:data\.)?([a-z0-9_]+)\.[\w-]+)\./.exec(String(value ?? ''));
  return m && types.includes(m[2]) ? m[1] : undefined;
};

const LOAD_BALANCERS = ['aws_lb', 'aws_alb'];

/** Does this origin domain name lead to a load balancer of the stack (directly, or through a Route 53 alias record)? */
function originIsLoadBalancer(stack: StackView, domainName: unknown): boolean {
  if (referencedAddress(domainName, LOAD_BALANCERS)) return true;
  const record = referencedAddress(domainName, ['aws_route53_record']);
  const config = record ? stack.elements.find((e) => e.address === record)?.config : undefined;
  return blocks(config?.alias).some((a) => referencedAddress(a.name, LOAD_BALANCERS) !== undefined) || ((config?.records as unknown[]) ?? []).some((r) => referencedAddress(r, LOAD_BALANCERS) !== undefined);
}

/** A header CloudFront adds to origin requests that works as a shared secret: a computed value, or a secret-sounding name. */
const SECRET_HEADER_NAME = /verify|secret|token|auth|key|signature|password/i;

/** Bot Control's rules that block every non-browser client (AWS WAF Developer Guide, Bot Control rule group). */
const BOT_CONTROL_NON_BROWSER_RULES = ['CategoryHttpLibrary', 'SignalNonBrowserUserAgent'];

/** Every managed rule group statement below a rule's statement (scope-down statements included). */
function managedGroupStatements(statement: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(statement)) statement.forEach((s) => managedGroupStatements(s, out));
  else if (statement && typeof statement === 'object') {
    for (const [k, v] of Object.entries(statement as Record<string, unknown>)) {
      if (k === 'managed_rule_group_statement') out.push(...blocks(v));
      managedGroupStatements(v, out);
    }
  }
  return out;
}

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** AWS-managed cache policies (by id) with no Authorization in their key, so they never forward it to the origin. */
const MANAGED_CACHE_POLICIES: Record<string, string> = {
  '4135ea2d-6df8-44a3-9df3-4b5a84be39ad': 'CachingDisabled',
  '658327ea-f89d-4fab-a63d-7e88639e58f6': 'CachingOptimized',
  'b2884449-e4de-46a7-ac36-70bc7f1ddd6d': 'CachingOptimizedForUncompressedObjects',
  '08627262-05a9-4f76-9ded-b50ca2e3a84f': 'Elemental-MediaPackage',
};

/** Does this behaviour put Authorization in the cache key (the only way CloudFront forwards it)? Undefined: cannot tell. */
function forwardsAuthorization(stack: StackView, behaviour: Record<string, unknown>): boolean | undefined {
  const policyId = behaviour.cache_policy_id;
  if (typeof policyId === 'string' && MANAGED_CACHE_POLICIES[policyId]) return false;
  const policyRef = referencedAddress(policyId, ['aws_cloudfront_cache_policy']);
  if (policyRef) {
    const policy = stack.elements.find((e) => e.address === policyRef);
    if (!policy) return undefined;
    const headers = blocks(at(policy.config, 'parameters_in_cache_key_and_forwarded_to_origin.headers_config'))[0] ?? {};
    const items = (at(headers, 'headers.items') as unknown[]) ?? [];
    return headers.header_behavior === 'whitelist' && items.some((h) => String(h).toLowerCase() === 'authorization');
  }
  const legacy = blocks(behaviour.forwarded_values)[0];
  if (legacy) return ((legacy.headers as unknown[]) ?? []).some((h) => h === '*' || String(h).toLowerCase() === 'authorization');
  return undefined;
}

/** Rules for the edge layer: CloudFront, WAF and the load balancers behind them. */
export const edgeRules: GuardrailRule[] = [
  {
    id: 'AWP-EDGE-001',
    severity: 'error',
    description: 'Every CloudFront distribution has a WAF web ACL attached.',
    fix: 'Set webAclId to the ARN of a CLOUDFRONT-scoped aws_wafv2_web_acl (the Edge construct does).',
    appliesTo: ['aws_cloudfront_distribution'],
    check: ({ element }) => {
      const acl = element.config.web_acl_id;
      return typeof acl === 'string' && acl.length > 0 ? undefined : 'distribution has no web ACL (web_acl_id unset)';
    },
  },
  {
    id: 'AWP-EDGE-002',
    severity: 'error',
    description: 'CloudFront speaks TLS 1.2+ only: a custom certificate with minimum protocol TLSv1.2_2021 or newer, and no SSLv3/TLS 1.0/1.1 to origins (custom and VPC origins).',
    fix: 'Use viewerCertificate { acmCertificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" } and originSslProtocols ["TLSv1.2"].',
    appliesTo: ['aws_cloudfront_distribution', 'aws_cloudfront_vpc_origin'],
    check: ({ element }) => {
      if (element.type === 'aws_cloudfront_vpc_origin') {
        const protocols = (at(element.config, 'vpc_origin_endpoint_config.origin_ssl_protocols.items') as string[] | undefined) ?? [];
        const old = protocols.filter((p) => OLD_ORIGIN_PROTOCOLS.includes(p));
        return old.length ? `VPC origin allows ${old.join(', ')}` : undefined;
      }
      const out: string[] = [];
      const cert = blocks(element.config.viewer_certificate)[0] ?? {};
      if (isTruthy(cert.cloudfront_default_certificate)) out.push('uses the default *.cloudfront.net certificate, which allows TLSv1');
      const min = cert.minimum_protocol_version;
      if (!isTruthy(cert.cloudfront_default_certificate) && !(typeof min === 'string' && MODERN_CLOUDFRONT_TLS.test(min))) {
        out.push(`viewer minimum_protocol_version is ${min === undefined ? 'unset (TLSv1)' : `"${String(min)}"`}, expected TLSv1.2_2021 or newer`);
      }
      for (const o of blocks(element.config.origin)) {
        const old = ((at(o, 'custom_origin_config.origin_ssl_protocols') as string[] | undefined) ?? []).filter((p) => OLD_ORIGIN_PROTOCOLS.includes(p));
        if (old.length) out.push(`origin ${String(o.origin_id)} allows ${old.join(', ')}`);
      }
      return out;
    },
  },
  {
    id: 'AWP-EDGE-003',
    severity: 'error',
    description: 'Every CloudFront cache behaviour sends viewers to HTTPS (redirect-to-https or https-only), and custom and VPC origins are reached over HTTPS only.',
    fix: 'Set viewerProtocolPolicy to "redirect-to-https" on every behaviour and originProtocolPolicy to "https-only" (custom origins and aws_cloudfront_vpc_origin).',
    appliesTo: ['aws_cloudfront_distribution', 'aws_cloudfront_vpc_origin'],
    check: ({ element }) => {
      if (element.type === 'aws_cloudfront_vpc_origin') {
        const policy = at(element.config, 'vpc_origin_endpoint_config.origin_protocol_policy');
        return policy === 'https-only' ? undefined : `VPC origin is reached with origin_protocol_policy "${String(policy)}"`;
      }
      const out: string[] = [];
      const behaviours: Record<string, unknown>[] = [...blocks(element.config.default_cache_behavior).map((b) => ({ ...b, path_pattern: 'default' })), ...blocks(element.config.ordered_cache_behavior)];
      for (const b of behaviours) {
        if (b.viewer_protocol_policy !== 'redirect-to-https' && b.viewer_protocol_policy !== 'https-only') out.push(`behaviour ${String(b.path_pattern)} allows plain HTTP (viewer_protocol_policy "${String(b.viewer_protocol_policy)}")`);
      }
      for (const o of blocks(element.config.origin)) {
        const policy = at(o, 'custom_origin_config.origin_protocol_policy');
        if (policy !== undefined && policy !== 'https-only') out.push(`origin ${String(o.origin_id)} is reached with origin_protocol_policy "${String(policy)}"`);
      }
      return out;
    },
  },
  {
    id: 'AWP-EDGE-004',
    severity: 'error',
    description: 'An internet-facing ALB is not reachable from anywhere: its security groups admit CloudFront (a managed prefix list or a group), never 0.0.0.0/0 or ::/0.',
    fix: 'Make the ALB internal behind a CloudFront VPC origin (AWP-EDGE-011), or give it its own security group whose only ingress is CloudFront (the origin-facing prefix list) on 443.',
    appliesTo: ['aws_lb'],
    check: ({ element, stack }) => {
      if (!isApplicationLb(element) || isTruthy(element.config.internal)) return undefined;
      const groups = groupsOf(element);
      if (groups.length === 0) return 'internet-facing ALB has no security group of this stack (the VPC default group or none)';
      return groups.flatMap((g) => anywhereIngress(stack, g).map((what) => `reachable from anywhere through ${g}: ${what}`));
    },
  },
  {
    id: 'AWP-EDGE-005',
    severity: 'error',
    description: 'HTTP listeners only redirect to HTTPS (default action and every rule).',
    fix: 'Make the port-80 listener\'s default action a redirect { protocol = "HTTPS", port = "443", status_code = "HTTP_301" } and attach no forwarding rules to it.',
    appliesTo: ['aws_lb_listener', 'aws_alb_listener'],
    check: ({ element, stack }) => {
      if (element.config.protocol !== 'HTTP') return undefined;
      const redirects = (actions: unknown) => {
        const list = blocks(actions);
        return list.length > 0 && list.every((a) => a.type === 'redirect' && at(a, 'redirect.protocol') === 'HTTPS');
      };
      const out: string[] = [];
      if (!redirects(element.config.default_action)) out.push('HTTP listener does not redirect to HTTPS by default');
      for (const rule of [...stack.ofType('aws_lb_listener_rule'), ...stack.ofType('aws_alb_listener_rule')]) {
        if (mentions(rule.config.listener_arn, element.address) && !redirects(rule.config.action)) out.push(`listener rule ${rule.address} serves plain HTTP`);
      }
      return out;
    },
  },
  {
    id: 'AWP-EDGE-006',
    severity: 'error',
    description: 'Access logs are on: ALBs write access logs to S3, CloudFront distributions have standard logging, web ACLs have a logging configuration.',
    fix: 'Set accessLogs { bucket, enabled: true } on the ALB, loggingConfig on the distribution, and add an aws_wafv2_web_acl_logging_configuration.',
    appliesTo: ['aws_lb', 'aws_alb', 'aws_cloudfront_distribution', 'aws_wafv2_web_acl'],
    check: ({ element, stack }) => {
      switch (element.type) {
        case 'aws_cloudfront_distribution': {
          const bucket = at(element.config, 'logging_config.bucket');
          // Standard logging v2 (CloudWatch log delivery) also counts when a delivery source names this distribution.
          const v2 = stack.ofType('aws_cloudwatch_log_delivery_source').some((s) => mentions(s.config.resource_arn, element.address));
          return (typeof bucket === 'string' && bucket.length > 0) || v2 ? undefined : 'distribution has no access logs (logging_config unset)';
        }
        case 'aws_wafv2_web_acl':
          return stack.ofType('aws_wafv2_web_acl_logging_configuration').some((l) => mentions(l.config.resource_arn, element.address)) ? undefined : 'web ACL has no logging configuration';
        default: {
          const logs = blocks(element.config.access_logs)[0];
          return logs && isTruthy(logs.enabled) && logs.bucket ? undefined : 'load balancer does not write access logs (access_logs unset or disabled)';
        }
      }
    },
  },
  {
    id: 'AWP-EDGE-007',
    severity: 'error',
    description: 'HTTPS listeners use a TLS 1.3 policy with TLS 1.2 as the minimum; ALBs drop invalid header fields.',
    fix: 'Set sslPolicy "ELBSecurityPolicy-TLS13-1-2-2021-06" (or a newer TLS13-1-2/1-3 policy) and dropInvalidHeaderFields: true.',
    appliesTo: ['aws_lb_listener', 'aws_alb_listener', 'aws_lb'],
    check: ({ element }) => {
      if (element.type === 'aws_lb') {
        return isApplicationLb(element) && !isTruthy(element.config.drop_invalid_header_fields) ? 'ALB passes invalid header fields to targets (drop_invalid_header_fields unset)' : undefined;
      }
      if (element.config.protocol !== 'HTTPS') return undefined;
      const policy = element.config.ssl_policy;
      return typeof policy === 'string' && MODERN_ALB_TLS.test(policy) ? undefined : `HTTPS listener uses ${policy === undefined ? 'the default policy (TLS 1.0)' : `"${String(policy)}"`}`;
    },
  },
  {
    id: 'AWP-EDGE-008',
    severity: 'error',
    description: 'In prod, load balancers are deletion-protected.',
    fix: 'Set enableDeletionProtection: true (environment field edge.deletionProtection).',
    appliesTo: ['aws_lb', 'aws_alb'],
    check: ({ element, stack }) => (stack.tier === 'prod' && !isTruthy(element.config.enable_deletion_protection) ? 'prod load balancer without deletion protection' : undefined),
  },
  {
    id: 'AWP-EDGE-009',
    severity: 'error',
    description: 'CloudFront reads S3 only through origin access control, and a bucket policy lets CloudFront read only for one named distribution (AWS:SourceArn).',
    fix: 'Give every S3 origin an originAccessControlId (no legacy origin access identity, no public bucket), and condition the bucket policy\'s cloudfront.amazonaws.com statement on AWS:SourceArn = the distribution\'s ARN (the Edge construct does both).',
    appliesTo: ['aws_cloudfront_distribution', 'aws_s3_bucket_policy'],
    check: ({ element, stack }) => {
      if (element.type === 'aws_s3_bucket_policy') return unscopedCloudFrontGrants(stack, element.config.policy);
      const out: string[] = [];
      for (const o of blocks(element.config.origin)) {
        if (o.custom_origin_config !== undefined || o.vpc_origin_config !== undefined) continue;
        if (at(o, 's3_origin_config.origin_access_identity')) out.push(`origin ${String(o.origin_id)} reads S3 through a legacy origin access identity`);
        else if (!o.origin_access_control_id) out.push(`origin ${String(o.origin_id)} reads S3 without origin access control (the bucket would have to be public)`);
      }
      return out;
    },
  },
  {
    id: 'AWP-EDGE-010',
    severity: 'error',
    description: 'Every listener of a load balancer is reachable: a security group of the load balancer admits its port (a listener nothing can reach is dead configuration that hides mistakes).',
    fix: "Remove the listener (an internal ALB behind a CloudFront VPC origin needs HTTPS only), or admit its port in the load balancer's security group.",
    appliesTo: ['aws_lb_listener', 'aws_alb_listener'],
    check: ({ element, stack }) => {
      const lbAddress = referencedAddress(element.config.load_balancer_arn, LOAD_BALANCERS);
      const lb = lbAddress ? stack.elements.find((e) => e.address === lbAddress) : undefined;
      if (!lb) return undefined; // a load balancer of another stack: cannot tell
      const groups = groupsOf(lb);
      if (groups.length === 0 || groups.length !== ((lb.config.security_groups as unknown[]) ?? []).length) return undefined; // groups of other stacks
      const port = Number(element.config.port);
      const admitted = stack.elements.flatMap(ingressEntries).some((e) => groups.some((g) => e.sg === g || mentions(e.sg, g)) && e.from <= port && port <= e.to);
      return admitted ? undefined : `listener on port ${port} of ${lb.address} is unreachable: no ingress rule of ${groups.join(', ')} admits port ${port}`;
    },
  },
  {
    id: 'AWP-EDGE-011',
    severity: 'error',
    description: 'CloudFront reaches load balancers only as VPC origins: no internet-facing ALB beside a distribution, no custom origin pointing at a load balancer, no origin header used as a shared secret (readable by anyone with cloudfront:GetDistributionConfig).',
    fix: 'Make the ALB internal (private subnets) and an aws_cloudfront_vpc_origin; give the distribution origin vpc_origin_config and no custom_header secret; admit only CloudFront-VPCOrigins-Service-SG in the ALB security group.',
    appliesTo: ['aws_cloudfront_distribution', 'aws_lb', 'aws_alb'],
    check: ({ element, stack }) => {
      if (element.type !== 'aws_cloudfront_distribution') {
        if (!isApplicationLb(element) || isTruthy(element.config.internal)) return undefined;
        return stack.ofType('aws_cloudfront_distribution').length > 0 ? 'internet-facing ALB in a stack with a CloudFront distribution: anyone can bypass the distribution and its web ACL' : undefined;
      }
      const out: string[] = [];
      for (const o of blocks(element.config.origin)) {
        const id = String(o.origin_id);
        if (o.custom_origin_config !== undefined && originIsLoadBalancer(stack, o.domain_name)) out.push(`origin ${id} reaches a load balancer over the internet (custom_origin_config), not as a VPC origin`);
        for (const h of blocks(o.custom_header)) {
          if (isExpression(h.value) || SECRET_HEADER_NAME.test(String(h.name))) out.push(`origin ${id} sends header ${String(h.name)} as a shared secret (any ReadOnlyAccess principal can read it and replay it from its own distribution)`);
        }
      }
      return out;
    },
  },
  {
    id: 'AWP-EDGE-012',
    severity: 'error',
    description: "AWS WAF Bot Control never blocks the API's programmatic clients: it has a scope-down statement (the storefront only), or counts its non-browser rules.",
    fix: `Add a scope_down_statement that excludes the API, health-check and other machine paths, or set rule_action_override count for ${BOT_CONTROL_NON_BROWSER_RULES.join(' and ')}.`,
    appliesTo: ['aws_wafv2_web_acl'],
    check: ({ element }) => {
      const out: string[] = [];
      for (const rule of blocks(element.config.rule)) {
        if (blocks(rule.override_action)[0]?.count !== undefined) continue; // the whole group only counts
        for (const group of managedGroupStatements(rule.statement)) {
          if (group.name !== 'AWSManagedRulesBotControlRuleSet' || group.scope_down_statement !== undefined) continue;
          const counted = blocks(group.rule_action_override).filter((o) => blocks(o.action_to_use)[0]?.count !== undefined).map((o) => o.name);
          const blocking = BOT_CONTROL_NON_BROWSER_RULES.filter((r) => !counted.includes(r));
          if (blocking.length) out.push(`rule ${String(rule.name)}: Bot Control without a scope-down statement blocks curl, SDKs, mobile apps and health checkers everywhere (${blocking.join(', ')})`);
        }
      }
      return out;
    },
  },
  {
    id: 'AWP-EDGE-013',
    severity: 'error',
    description: "A cache behaviour that accepts writes (POST, PUT, PATCH, DELETE) for a custom or VPC origin forwards Authorization, which CloudFront only does when the header is in the cache policy's key.",
    fix: 'Attach a cache policy of your own with headers_config whitelist ["Authorization"] (max TTL > 0; default TTL 0 leaves caching to the origin); managed cache policies and origin request policies cannot forward it.',
    appliesTo: ['aws_cloudfront_distribution'],
    check: ({ element, stack }) => {
      const toOrigin = new Map(blocks(element.config.origin).map((o) => [String(o.origin_id), o]));
      const behaviours: Record<string, unknown>[] = [...blocks(element.config.default_cache_behavior).map((b) => ({ ...b, path_pattern: 'default' })), ...blocks(element.config.ordered_cache_behavior)];
      const out: string[] = [];
      for (const b of behaviours) {
        const origin = toOrigin.get(String(b.target_origin_id));
        if (!origin || (origin.custom_origin_config === undefined && origin.vpc_origin_config === undefined)) continue;
        if (!((b.allowed_methods as unknown[]) ?? []).some((m) => WRITE_METHODS.includes(String(m)))) continue;
        if (forwardsAuthorization(stack, b) === false) {
          const managed = MANAGED_CACHE_POLICIES[String(b.cache_policy_id)];
          out.push(`behaviour ${String(b.path_pattern)} accepts writes but its cache policy${managed ? ` (managed ${managed})` : ''} does not forward Authorization to origin ${String(b.target_origin_id)}`);
        }
      }
      return out;
    },
  },
];
