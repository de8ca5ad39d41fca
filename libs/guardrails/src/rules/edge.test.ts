import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudfrontCachePolicy } from '@cdktf/provider-aws/lib/cloudfront-cache-policy';
import { CloudfrontDistribution, type CloudfrontDistributionConfig } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontVpcOrigin } from '@cdktf/provider-aws/lib/cloudfront-vpc-origin';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { Lb, type LbConfig } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SecurityGroupRule } from '@cdktf/provider-aws/lib/security-group-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';
import { checkStack, edgeRules, suppress, type Finding } from '../index';

const TAGS = { Environment: 'prod', Layer: 'edge', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };

function stack(tier = 'prod'): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  s.node.setContext('awp:tier', tier);
  new AwsProvider(s, 'aws', { region: 'eu-west-1', allowedAccountIds: ['333333333333'], defaultTags: [{ tags: TAGS }] });
  return s;
}
const findings = (s: TerraformStack, id?: string): Finding[] => checkStack(s, edgeRules).filter((f) => !id || f.ruleId === id);
const messages = (s: TerraformStack, id: string) => findings(s, id).map((f) => f.message);

// ---- CloudFront -----------------------------------------------------------------------------------------
const GOOD_DISTRIBUTION: CloudfrontDistributionConfig = {
  enabled: true,
  webAclId: 'arn:aws:wafv2:us-east-1:333333333333:global/webacl/x/1',
  viewerCertificate: { acmCertificateArn: 'arn:aws:acm:us-east-1:333333333333:certificate/c', sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' },
  origin: [
    { originId: 's3', domainName: 'b.s3.eu-west-1.amazonaws.com', originAccessControlId: 'oac' },
    { originId: 'api', domainName: 'origin.example.com', customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.2'] } },
  ],
  defaultCacheBehavior: { targetOriginId: 's3', viewerProtocolPolicy: 'redirect-to-https', allowedMethods: ['GET', 'HEAD'], cachedMethods: ['GET', 'HEAD'] },
  orderedCacheBehavior: [{ pathPattern: '/api/*', targetOriginId: 'api', viewerProtocolPolicy: 'https-only', allowedMethods: ['GET', 'HEAD'], cachedMethods: ['GET', 'HEAD'] }],
  loggingConfig: { bucket: 'logs.s3.amazonaws.com' },
  restrictions: { geoRestriction: { restrictionType: 'none' } },
};
const distribution = (s: TerraformStack, patch: Partial<CloudfrontDistributionConfig> = {}) => new CloudfrontDistribution(s, 'cdn', { ...GOOD_DISTRIBUTION, ...patch });

describe('CloudFront rules', () => {
  it('stay quiet on a WAF-protected, TLS 1.2_2021, HTTPS-only, logged distribution', () => {
    const s = stack();
    distribution(s);
    expect(findings(s)).toEqual([]);
  });

  it('AWP-EDGE-001 fires without a web ACL', () => {
    const s = stack();
    distribution(s, { webAclId: undefined });
    expect(messages(s, 'AWP-EDGE-001')).toEqual(['distribution has no web ACL (web_acl_id unset)']);
  });

  it('AWP-EDGE-002 fires on old viewer TLS, the default certificate and old origin protocols', () => {
    const s = stack();
    distribution(s, {
      viewerCertificate: { acmCertificateArn: 'arn:c', sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2019' },
      origin: [{ originId: 'api', domainName: 'o.example.com', customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.1', 'TLSv1.2'] } }],
    });
    expect(messages(s, 'AWP-EDGE-002')).toEqual(['viewer minimum_protocol_version is "TLSv1.2_2019", expected TLSv1.2_2021 or newer', 'origin api allows TLSv1.1']);
    const d = stack();
    distribution(d, { viewerCertificate: { cloudfrontDefaultCertificate: true } });
    expect(messages(d, 'AWP-EDGE-002')).toEqual(['uses the default *.cloudfront.net certificate, which allows TLSv1']);
    const newer = stack();
    distribution(newer, { viewerCertificate: { acmCertificateArn: 'arn:c', sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2025' } });
    expect(messages(newer, 'AWP-EDGE-002')).toEqual([]);
  });

  it('AWP-EDGE-003 fires on a behaviour that allows HTTP and an origin reached over HTTP', () => {
    const s = stack();
    distribution(s, {
      defaultCacheBehavior: { targetOriginId: 's3', viewerProtocolPolicy: 'allow-all', allowedMethods: ['GET', 'HEAD'], cachedMethods: ['GET', 'HEAD'] },
      origin: [{ originId: 'api', domainName: 'o.example.com', customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: 'match-viewer', originSslProtocols: ['TLSv1.2'] } }],
    });
    expect(messages(s, 'AWP-EDGE-003')).toEqual(['behaviour default allows plain HTTP (viewer_protocol_policy "allow-all")', 'origin api is reached with origin_protocol_policy "match-viewer"']);
  });

  it('AWP-EDGE-006 fires on a distribution without logs and a web ACL without a logging configuration', () => {
    const s = stack();
    distribution(s, { loggingConfig: undefined });
    const acl = new Wafv2WebAcl(s, 'acl', { name: 'a', scope: 'CLOUDFRONT', defaultAction: { allow: {} }, visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: 'a', sampledRequestsEnabled: true } });
    expect(messages(s, 'AWP-EDGE-006').sort()).toEqual(['distribution has no access logs (logging_config unset)', 'web ACL has no logging configuration']);
    new Wafv2WebAclLoggingConfiguration(s, 'acl-logs', { resourceArn: acl.arn, logDestinationConfigs: ['arn:aws:logs:us-east-1:333333333333:log-group:aws-waf-logs-x'] });
    expect(messages(s, 'AWP-EDGE-006')).toEqual(['distribution has no access logs (logging_config unset)']);
  });
});

describe('AWP-EDGE-009: S3 through origin access control, bucket policies tied to one distribution', () => {
  const cloudfrontRead = (condition?: { test: string; variable: string; values: string[] }[]) => ({
    sid: 'CloudFrontRead',
    principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }],
    actions: ['s3:GetObject'],
    resources: ['arn:aws:s3:::b/*'],
    condition,
  });

  it('stays quiet on an OAC origin and a policy document whose CloudFront statement names the distribution', () => {
    const s = stack();
    const cdn = distribution(s);
    const doc = new DataAwsIamPolicyDocument(s, 'doc', { statement: [cloudfrontRead([{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [cdn.arn] }])] });
    new S3BucketPolicy(s, 'policy', { bucket: 'b', policy: doc.json });
    expect(messages(s, 'AWP-EDGE-009')).toEqual([]);
  });

  it('fires on an S3 origin without OAC and one with a legacy origin access identity', () => {
    const s = stack();
    distribution(s, {
      origin: [
        { originId: 'public', domainName: 'b.s3.eu-west-1.amazonaws.com' },
        { originId: 'oai', domainName: 'c.s3.eu-west-1.amazonaws.com', s3OriginConfig: { originAccessIdentity: 'origin-access-identity/cloudfront/E1' } },
        { originId: 'api', domainName: 'origin.example.com', customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.2'] } },
      ],
    });
    expect(messages(s, 'AWP-EDGE-009')).toEqual(['origin public reads S3 without origin access control (the bucket would have to be public)', 'origin oai reads S3 through a legacy origin access identity']);
  });

  it('fires on a policy document that lets CloudFront read without AWS:SourceArn, or with a wildcard one', () => {
    const s = stack();
    const open = new DataAwsIamPolicyDocument(s, 'open', { statement: [cloudfrontRead()] });
    new S3BucketPolicy(s, 'open-policy', { bucket: 'b', policy: open.json });
    const wildcard = new DataAwsIamPolicyDocument(s, 'wildcard', { statement: [cloudfrontRead([{ test: 'ArnLike', variable: 'AWS:SourceArn', values: ['arn:aws:cloudfront::333333333333:distribution/*'] }])] });
    new S3BucketPolicy(s, 'wildcard-policy', { bucket: 'c', policy: wildcard.json });
    expect(messages(s, 'AWP-EDGE-009')).toEqual([
      'data.aws_iam_policy_document.open statement CloudFrontRead lets CloudFront read without naming one distribution in AWS:SourceArn',
      'data.aws_iam_policy_document.wildcard statement CloudFrontRead lets CloudFront read without naming one distribution in AWS:SourceArn',
    ]);
  });

  it('fires on a literal JSON bucket policy that lets CloudFront read unscoped, not on a Deny', () => {
    const s = stack();
    const statement = [
      { Sid: 'Read', Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 'AWS:SourceAccount': '333333333333' } } },
      { Sid: 'Tls', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ];
    new S3BucketPolicy(s, 'policy', { bucket: 'b', policy: JSON.stringify({ Version: '2012-10-17', Statement: statement }) });
    expect(messages(s, 'AWP-EDGE-009')).toEqual(['statement Read lets CloudFront read without naming one distribution in AWS:SourceArn']);
    const good = stack();
    statement[0].Condition = { StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::333333333333:distribution/E1' } } as never;
    new S3BucketPolicy(good, 'policy', { bucket: 'b', policy: JSON.stringify({ Version: '2012-10-17', Statement: statement }) });
    expect(messages(good, 'AWP-EDGE-009')).toEqual([]);
  });
});

// ---- ALB ------------------------------------------------------------------------------------------------
function alb(s: TerraformStack, patch: Partial<LbConfig> = {}, ingress: 'prefix-list' | 'anywhere-rule' | 'anywhere-inline' | 'anywhere-legacy' = 'prefix-list'): { lb: Lb; sg: SecurityGroup } {
  const sg = new SecurityGroup(s, 'sg', {
    vpcId: 'vpc',
    ingress: ingress === 'anywhere-inline' ? [{ fromPort: 443, toPort: 443, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }] : undefined,
  });
  if (ingress === 'prefix-list') new VpcSecurityGroupIngressRule(s, 'in', { securityGroupId: sg.id, prefixListId: 'pl-cloudfront', ipProtocol: 'tcp', fromPort: 443, toPort: 443 });
  if (ingress === 'anywhere-rule') new VpcSecurityGroupIngressRule(s, 'in', { securityGroupId: sg.id, cidrIpv6: '::/0', ipProtocol: 'tcp', fromPort: 443, toPort: 443 });
  if (ingress === 'anywhere-legacy') new SecurityGroupRule(s, 'in', { type: 'ingress', securityGroupId: sg.id, cidrBlocks: ['0.0.0.0/0'], protocol: 'tcp', fromPort: 443, toPort: 443 });
  const lb = new Lb(s, 'alb', {
    loadBalancerType: 'application',
    internal: false,
    subnets: ['a', 'b'],
    securityGroups: [sg.id],
    dropInvalidHeaderFields: true,
    enableDeletionProtection: true,
    accessLogs: { bucket: 'logs', prefix: 'alb/prod', enabled: true },
    ...patch,
  });
  return { lb, sg };
}
const httpsListener = (s: TerraformStack, lb: Lb, sslPolicy?: string) =>
  new LbListener(s, 'https', { loadBalancerArn: lb.arn, port: 443, protocol: 'HTTPS', sslPolicy, certificateArn: 'arn:c', defaultAction: [{ type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '403' } }] });
const redirectAction = [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }];

describe('ALB rules', () => {
  it('stay quiet on a CloudFront-only, logged, protected ALB with a TLS 1.3 listener (and a redirecting HTTP listener its group admits)', () => {
    const s = stack();
    const { lb, sg } = alb(s);
    httpsListener(s, lb, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(findings(s)).toEqual([]);
    new VpcSecurityGroupIngressRule(s, 'in-80', { securityGroupId: sg.id, prefixListId: 'pl-cloudfront', ipProtocol: 'tcp', fromPort: 80, toPort: 80 });
    new LbListener(s, 'http', { loadBalancerArn: lb.arn, port: 80, protocol: 'HTTP', defaultAction: redirectAction });
    expect(findings(s)).toEqual([]);
  });

  it('AWP-EDGE-010 fires on a listener whose port no security group of its load balancer admits (the old HTTP:80 listener)', () => {
    const s = stack();
    const { lb } = alb(s);
    httpsListener(s, lb, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
    new LbListener(s, 'http', { loadBalancerArn: lb.arn, port: 80, protocol: 'HTTP', defaultAction: redirectAction });
    expect(messages(s, 'AWP-EDGE-010')).toEqual(['listener on port 80 of aws_lb.alb is unreachable: no ingress rule of aws_security_group.sg admits port 80']);
    // A port range or an all-traffic rule admits it; a load balancer of another stack cannot be judged.
    const ranged = stack();
    const { lb: lb2, sg } = alb(ranged);
    new VpcSecurityGroupIngressRule(ranged, 'all', { securityGroupId: sg.id, referencedSecurityGroupId: 'sg-cloudfront', ipProtocol: '-1' });
    new LbListener(ranged, 'http', { loadBalancerArn: lb2.arn, port: 8080, protocol: 'HTTP', defaultAction: redirectAction });
    expect(messages(ranged, 'AWP-EDGE-010')).toEqual([]);
    const foreign = stack();
    new LbListener(foreign, 'http', { loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:333333333333:loadbalancer/app/x/1', port: 80, protocol: 'HTTP', defaultAction: redirectAction });
    expect(messages(foreign, 'AWP-EDGE-010')).toEqual([]);
  });

  it.each(['anywhere-rule', 'anywhere-inline', 'anywhere-legacy'] as const)('AWP-EDGE-004 fires on an internet-facing ALB reachable from anywhere (%s)', (kind) => {
    const s = stack();
    alb(s, {}, kind);
    expect(messages(s, 'AWP-EDGE-004')).toEqual([expect.stringMatching(/^reachable from anywhere through aws_security_group\.sg: (0\.0\.0\.0\/0|::\/0) on 443-443$/)]);
  });

  it('AWP-EDGE-004 fires on an internet-facing ALB without its own security group, not on an internal one', () => {
    const s = stack();
    alb(s, { securityGroups: undefined });
    expect(messages(s, 'AWP-EDGE-004')).toEqual(['internet-facing ALB has no security group of this stack (the VPC default group or none)']);
    const internal = stack();
    alb(internal, { internal: true }, 'anywhere-rule');
    expect(messages(internal, 'AWP-EDGE-004')).toEqual([]);
  });

  it('AWP-EDGE-005 fires on an HTTP listener that forwards, and on a forwarding rule attached to a redirecting one', () => {
    const s = stack();
    const { lb } = alb(s);
    new LbListener(s, 'http', { loadBalancerArn: lb.arn, port: 80, protocol: 'HTTP', defaultAction: [{ type: 'forward', targetGroupArn: 'arn:tg' }] });
    expect(messages(s, 'AWP-EDGE-005')).toEqual(['HTTP listener does not redirect to HTTPS by default']);

    const r = stack();
    const { lb: lb2 } = alb(r);
    const http = new LbListener(r, 'http', { loadBalancerArn: lb2.arn, port: 80, protocol: 'HTTP', defaultAction: redirectAction });
    new LbListenerRule(r, 'sneaky', { listenerArn: http.arn, condition: [{ pathPattern: { values: ['/x'] } }], action: [{ type: 'forward', targetGroupArn: 'arn:tg' }] });
    expect(messages(r, 'AWP-EDGE-005')).toEqual([expect.stringMatching(/^listener rule aws_lb_listener_rule\.sneaky serves plain HTTP$/)]);
  });

  it('AWP-EDGE-006 fires on an ALB without access logs (unset or disabled)', () => {
    const s = stack();
    alb(s, { accessLogs: undefined });
    expect(messages(s, 'AWP-EDGE-006')).toEqual(['load balancer does not write access logs (access_logs unset or disabled)']);
    const d = stack();
    alb(d, { accessLogs: { bucket: 'logs', enabled: false } });
    expect(messages(d, 'AWP-EDGE-006')).toEqual(['load balancer does not write access logs (access_logs unset or disabled)']);
  });

  it('AWP-EDGE-007 fires on an old TLS policy, the default policy and an ALB that keeps invalid headers', () => {
    const s = stack();
    const { lb } = alb(s, { dropInvalidHeaderFields: false });
    httpsListener(s, lb, 'ELBSecurityPolicy-TLS13-1-0-2021-06');
    expect(messages(s, 'AWP-EDGE-007').sort()).toEqual(['ALB passes invalid header fields to targets (drop_invalid_header_fields unset)', 'HTTPS listener uses "ELBSecurityPolicy-TLS13-1-0-2021-06"']);
    const d = stack();
    httpsListener(d, alb(d).lb);
    expect(messages(d, 'AWP-EDGE-007')).toEqual(['HTTPS listener uses the default policy (TLS 1.0)']);
  });

  it('AWP-EDGE-008 fires on an unprotected ALB in prod only', () => {
    const s = stack('prod');
    alb(s, { enableDeletionProtection: false });
    expect(messages(s, 'AWP-EDGE-008')).toEqual(['prod load balancer without deletion protection']);
    const dev = stack('dev');
    alb(dev, { enableDeletionProtection: false });
    expect(messages(dev, 'AWP-EDGE-008')).toEqual([]);
  });

  it('a reasoned suppression marks a finding instead of hiding it', () => {
    const s = stack('prod');
    const { lb } = alb(s, { enableDeletionProtection: false });
    suppress(lb, 'AWP-EDGE-008', 'throw-away load test environment');
    expect(findings(s, 'AWP-EDGE-008')).toEqual([expect.objectContaining({ suppressedBecause: 'throw-away load test environment' })]);
  });
});

// ---- CloudFront in front of load balancers, Bot Control, Authorization ------------------------------------
describe('AWP-EDGE-011: load balancers only as CloudFront VPC origins, no shared-secret header', () => {
  const vpcOriginDistribution = (s: TerraformStack, lb: Lb, patch: Partial<CloudfrontDistributionConfig> = {}) => {
    const vpcOrigin = new CloudfrontVpcOrigin(s, 'vpc-origin', {
      vpcOriginEndpointConfig: [{ name: 'api', arn: lb.arn, httpPort: 80, httpsPort: 443, originProtocolPolicy: 'https-only', originSslProtocols: [{ items: ['TLSv1.2'], quantity: 1 }] }],
    });
    const origin = { originId: 'api', domainName: 'origin.example.com', vpcOriginConfig: { vpcOriginId: vpcOrigin.id } };
    return distribution(s, { origin: [{ originId: 's3', domainName: 'b.s3.eu-west-1.amazonaws.com', originAccessControlId: 'oac' }, origin], ...patch });
  };

  it('stays quiet on an internal ALB behind a VPC origin (and the VPC origin passes AWP-EDGE-002/003)', () => {
    const s = stack();
    const { lb } = alb(s, { internal: true });
    vpcOriginDistribution(s, lb);
    expect(findings(s)).toEqual([]);
  });

  it('fires on an internet-facing ALB beside a distribution, and on a custom origin that reaches it directly or through a record', () => {
    const s = stack();
    const { lb } = alb(s);
    const record = new Route53Record(s, 'origin', { zoneId: 'Z', name: 'origin.example.com', type: 'A', alias: { name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true } });
    const custom = { httpPort: 80, httpsPort: 443, originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.2'] };
    distribution(s, {
      origin: [
        { originId: 'direct', domainName: lb.dnsName, customOriginConfig: custom },
        { originId: 'aliased', domainName: record.fqdn, customOriginConfig: custom },
      ],
      defaultCacheBehavior: { targetOriginId: 'direct', viewerProtocolPolicy: 'redirect-to-https', allowedMethods: ['GET', 'HEAD'], cachedMethods: ['GET', 'HEAD'] },
      orderedCacheBehavior: undefined,
    });
    expect(messages(s, 'AWP-EDGE-011').sort()).toEqual([
      'internet-facing ALB in a stack with a CloudFront distribution: anyone can bypass the distribution and its web ACL',
      'origin aliased reaches a load balancer over the internet (custom_origin_config), not as a VPC origin',
      'origin direct reaches a load balancer over the internet (custom_origin_config), not as a VPC origin',
    ]);
  });

  it('fires on an origin header that is a shared secret: a computed value or a secret-sounding name', () => {
    const s = stack();
    const { lb } = alb(s, { internal: true });
    const secret = new DataAwsSecretsmanagerSecretVersion(s, 'secret', { secretId: 'x' });
    const d = vpcOriginDistribution(s, lb);
    d.addOverride('origin.1.custom_header', [
      { name: 'X-Origin-Verify', value: secret.secretString },
      { name: 'X-Forwarded-Team', value: 'storefront' },
      { name: 'X-Api-Key', value: 'literal' },
    ]);
    expect(messages(s, 'AWP-EDGE-011')).toEqual([
      'origin api sends header X-Origin-Verify as a shared secret (any ReadOnlyAccess principal can read it and replay it from its own distribution)',
      'origin api sends header X-Api-Key as a shared secret (any ReadOnlyAccess principal can read it and replay it from its own distribution)',
    ]);
  });

  it('AWP-EDGE-002/003 fire on a VPC origin that allows plain HTTP or TLS 1.1', () => {
    const s = stack();
    const { lb } = alb(s, { internal: true });
    new CloudfrontVpcOrigin(s, 'vpc-origin', {
      vpcOriginEndpointConfig: [{ name: 'api', arn: lb.arn, httpPort: 80, httpsPort: 443, originProtocolPolicy: 'match-viewer', originSslProtocols: [{ items: ['TLSv1.1', 'TLSv1.2'], quantity: 2 }] }],
    });
    expect([messages(s, 'AWP-EDGE-002'), messages(s, 'AWP-EDGE-003')]).toEqual([['VPC origin allows TLSv1.1'], ['VPC origin is reached with origin_protocol_policy "match-viewer"']]);
  });
});

describe('AWP-EDGE-012: Bot Control scoped to what browsers load', () => {
  const botRule = (extra: Record<string, unknown>, overrideAction: Record<string, unknown> = { none: {} }) => ({
    name: 'Bots',
    priority: 1,
    overrideAction,
    statement: { managed_rule_group_statement: { vendor_name: 'AWS', name: 'AWSManagedRulesBotControlRuleSet', ...extra } },
    visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: 'b', sampledRequestsEnabled: true },
  });
  const acl = (s: TerraformStack, rule: Record<string, unknown>) => {
    const a = new Wafv2WebAcl(s, 'acl', { name: 'a', scope: 'CLOUDFRONT', defaultAction: { allow: {} }, rule: [rule as never], visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: 'a', sampledRequestsEnabled: true } });
    new Wafv2WebAclLoggingConfiguration(s, 'logs', { resourceArn: a.arn, logDestinationConfigs: ['arn:aws:logs:us-east-1:333333333333:log-group:aws-waf-logs-x'] });
  };
  const apiPath = { byte_match_statement: { field_to_match: { uri_path: {} }, positional_constraint: 'STARTS_WITH', search_string: '/api/', text_transformation: [{ priority: 0, type: 'NONE' }] } };

  it('fires on Bot Control without a scope-down statement (the old prod ACL), naming the blocking rules', () => {
    const s = stack();
    acl(s, botRule({}));
    expect(messages(s, 'AWP-EDGE-012')).toEqual(['rule Bots: Bot Control without a scope-down statement blocks curl, SDKs, mobile apps and health checkers everywhere (CategoryHttpLibrary, SignalNonBrowserUserAgent)']);
    const half = stack();
    acl(half, botRule({ rule_action_override: [{ name: 'CategoryHttpLibrary', action_to_use: { count: {} } }] }));
    expect(messages(half, 'AWP-EDGE-012')).toEqual([expect.stringMatching(/\(SignalNonBrowserUserAgent\)$/)]);
  });

  it('stays quiet with a scope-down statement, with both non-browser rules counted, or when the whole group only counts', () => {
    for (const rule of [
      botRule({ scope_down_statement: { not_statement: { statement: apiPath } } }),
      botRule({ rule_action_override: ['CategoryHttpLibrary', 'SignalNonBrowserUserAgent'].map((name) => ({ name, action_to_use: { count: {} } })) }),
      botRule({}, { count: {} }),
    ]) {
      const s = stack();
      acl(s, rule);
      expect(messages(s, 'AWP-EDGE-012')).toEqual([]);
    }
  });
});

describe('AWP-EDGE-013: writes to an origin forward Authorization', () => {
  const writes = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];
  const apiBehaviour = (cachePolicyId: string) => ({ pathPattern: '/api/*', targetOriginId: 'api', viewerProtocolPolicy: 'https-only', allowedMethods: writes, cachedMethods: ['GET', 'HEAD'], cachePolicyId });
  const policy = (s: TerraformStack, headers?: string[]) =>
    new CloudfrontCachePolicy(s, 'api-cache', {
      name: 'api',
      minTtl: 0,
      defaultTtl: 0,
      maxTtl: 3600,
      parametersInCacheKeyAndForwardedToOrigin: {
        cookiesConfig: { cookieBehavior: 'none' },
        headersConfig: headers ? { headerBehavior: 'whitelist', headers: { items: headers } } : { headerBehavior: 'none' },
        queryStringsConfig: { queryStringBehavior: 'all' },
      },
    });

  it('fires on the managed CachingDisabled policy (the old /api/* behaviour) and on an own policy without Authorization', () => {
    const s = stack();
    distribution(s, { orderedCacheBehavior: [apiBehaviour('4135ea2d-6df8-44a3-9df3-4b5a84be39ad')] });
    expect(messages(s, 'AWP-EDGE-013')).toEqual(['behaviour /api/* accepts writes but its cache policy (managed CachingDisabled) does not forward Authorization to origin api']);
    const own = stack();
    distribution(own, { orderedCacheBehavior: [apiBehaviour(policy(own, ['Accept']).id)] });
    expect(messages(own, 'AWP-EDGE-013')).toEqual(['behaviour /api/* accepts writes but its cache policy does not forward Authorization to origin api']);
  });

  it('stays quiet with Authorization in the key, for read-only behaviours, and for S3 origins', () => {
    const s = stack();
    distribution(s, { orderedCacheBehavior: [apiBehaviour(policy(s, ['authorization']).id)] });
    expect(messages(s, 'AWP-EDGE-013')).toEqual([]);
    const reads = stack();
    distribution(reads); // GET/HEAD only on /api/*
    expect(messages(reads, 'AWP-EDGE-013')).toEqual([]);
    const s3 = stack();
    distribution(s3, { defaultCacheBehavior: { targetOriginId: 's3', viewerProtocolPolicy: 'redirect-to-https', allowedMethods: writes, cachedMethods: ['GET', 'HEAD'], cachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' } });
    expect(messages(s3, 'AWP-EDGE-013')).toEqual([]);
  });
});
