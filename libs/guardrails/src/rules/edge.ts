import type { ElementView, GuardrailRule, StackView } from '../types';
import { ANYWHERE, at, blocks, ingressEntries, isTruthy } from '../util';

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
    description: 'CloudFront speaks TLS 1.2+ only: a custom certificate with minimum protocol TLSv1.2_2021 or newer, and no SSLv3/TLS 1.0/1.1 to origins.',
    fix: 'Use viewerCertificate { acmCertificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" } and originSslProtocols ["TLSv1.2"].',
    appliesTo: ['aws_cloudfront_distribution'],
    check: ({ element }) => {
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
    description: 'Every CloudFront cache behaviour sends viewers to HTTPS (redirect-to-https or https-only), and custom origins are reached over HTTPS only.',
    fix: 'Set viewerProtocolPolicy to "redirect-to-https" on every behaviour and originProtocolPolicy to "https-only".',
    appliesTo: ['aws_cloudfront_distribution'],
    check: ({ element }) => {
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
    fix: 'Give the ALB its own security group whose only ingress is the com.amazonaws.global.cloudfront.origin-facing prefix list on 443.',
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
        if (o.custom_origin_config !== undefined) continue;
        if (at(o, 's3_origin_config.origin_access_identity')) out.push(`origin ${String(o.origin_id)} reads S3 through a legacy origin access identity`);
        else if (!o.origin_access_control_id) out.push(`origin ${String(o.origin_id)} reads S3 without origin access control (the bucket would have to be public)`);
      }
      return out;
    },
  },
];
