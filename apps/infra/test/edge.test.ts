import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { loadEnvironments, type EnvironmentConfig } from '@awp/config';
import type { Edge } from '@awp/edge';
import { buildEnvironment } from '../src/platform';
import { synthesize } from '../src/synth';
import { REPO, editEnv, readStack, tempWorkspace } from './helpers';

type Json = Record<string, any>;

const ENV_DIR = path.join(REPO, 'environments');
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-edge-')), 'cdktf.out');
const result = synthesize({ dir: ENV_DIR, outdir });
const prod = readStack(outdir, 'prod-edge');
const dev = readStack(outdir, 'dev-edge');
const [devEnv, stagingEnv, prodEnv] = loadEnvironments(['dev', 'staging', 'prod'], { dir: ENV_DIR });

const values = (json: Json, type: string, kind = 'resource'): Json[] => Object.values(json[kind]?.[type] ?? {});
const one = (json: Json, type: string, kind = 'resource'): Json => {
  const all = values(json, type, kind);
  if (all.length !== 1) throw new Error(`expected one ${type}, got ${all.length}`);
  return all[0];
};
const address = (json: Json, type: string, pick: (c: Json) => boolean = () => true): string => `${type}.${Object.entries<Json>(json.resource[type]).find(([, c]) => pick(c))?.[0]}`;

/** Builds one environment in a fresh app and returns its edge stack's JSON. */
function synthEdge(env: EnvironmentConfig): Json {
  const stack = buildEnvironment(Testing.app(), env).get('edge');
  if (!stack) throw new Error('no edge stack');
  return JSON.parse(Testing.synth(stack)) as Json;
}

/** Attribute and block names of every element, skipping user maps (tags) and provider pass-through maps. */
function nonSnakeKeys(json: Json): string[] {
  const bad: string[] = [];
  const walk = (v: unknown, where: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'tags' || k === '//') continue;
        if (!/^[a-z0-9_]+$/.test(k)) bad.push(`${where}.${k}`);
        walk(x, `${where}.${k}`);
      }
    }
  };
  for (const section of ['resource', 'data', 'ephemeral']) {
    for (const [type, byName] of Object.entries<Json>(json[section] ?? {})) for (const [n, c] of Object.entries<Json>(byName)) walk(c, `${type}.${n}`);
  }
  return bad;
}

describe('edge stacks', () => {
  it('npm run synth produces dev-, staging- and prod-edge, after network and data, with no guardrail errors', () => {
    const edge = result.stacks.filter((s) => s.layer === 'edge');
    expect(edge.map((s) => s.name)).toEqual(['dev-edge', 'staging-edge', 'prod-edge']);
    for (const s of edge) expect(s.dependencies).toEqual([`${s.env}-data`, `${s.env}-network`]);
    expect(result.findings.filter((f) => f.stack.endsWith('-edge') && !f.suppressedBecause)).toEqual([]);
  });

  it('prod: a CLOUDFRONT web ACL in us-east-1 with >= 4 managed groups, a rate rule from the file, Bot Control as configured', () => {
    const acl = one(prod, 'aws_wafv2_web_acl');
    expect(acl).toMatchObject({ scope: 'CLOUDFRONT', provider: 'aws.us_east_1' });
    const managed = (acl.rule as Json[]).map((r) => r.statement.managed_rule_group_statement?.name).filter(Boolean);
    expect(managed.length).toBeGreaterThanOrEqual(4);
    expect(managed).toEqual(expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet', 'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesBotControlRuleSet']));
    expect((acl.rule as Json[]).find((r) => r.statement.rate_based_statement)?.statement.rate_based_statement.limit).toBe(prodEnv.edge.wafRateLimit);
    const devAcl = one(dev, 'aws_wafv2_web_acl');
    expect((devAcl.rule as Json[]).find((r) => r.statement.rate_based_statement)?.statement.rate_based_statement.limit).toBe(devEnv.edge.wafRateLimit);
    expect(JSON.stringify(devAcl)).not.toContain('BotControl');
    const aws = (prod.provider.aws as Json[]).find((p) => p.alias === 'us_east_1');
    expect(aws).toMatchObject({ region: 'us-east-1', allowed_account_ids: ['333333333333'] });
  });

  it('prod: the distribution has that ACL, an OAC S3 origin, an https-only ALB origin, HTTPS viewers, TLSv1.2_2021 and logging', () => {
    const dist = one(prod, 'aws_cloudfront_distribution');
    expect(dist.web_acl_id).toBe(`\${${address(prod, 'aws_wafv2_web_acl')}.arn}`);
    const s3 = (dist.origin as Json[]).find((o) => o.origin_access_control_id);
    expect(s3?.origin_access_control_id).toBe(`\${${address(prod, 'aws_cloudfront_origin_access_control')}.id}`);
    const alb = (dist.origin as Json[]).find((o) => o.custom_origin_config);
    expect(alb?.custom_origin_config.origin_protocol_policy).toBe('https-only');
    for (const b of [dist.default_cache_behavior, ...dist.ordered_cache_behavior]) expect(['redirect-to-https', 'https-only']).toContain(b.viewer_protocol_policy);
    expect(dist.viewer_certificate.minimum_protocol_version).toBe('TLSv1.2_2021');
    expect(dist.logging_config.bucket).toMatch(/\.s3\.amazonaws\.com$/);
    expect(dist.price_class).toBe('PriceClass_200');
    expect(one(dev, 'aws_cloudfront_distribution').price_class).toBe('PriceClass_100');
  });

  it('prod: origins and logs come from the data stack by reference (remote state), never copied', () => {
    const dist = one(prod, 'aws_cloudfront_distribution');
    const s3 = (dist.origin as Json[]).find((o) => o.origin_access_control_id);
    expect(s3?.domain_name).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-data\.outputs\.[\w-]+\}$/);
    expect(dist.logging_config.bucket).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-data\.outputs\.[\w-]+\}\.s3\.amazonaws\.com$/);
    expect(one(prod, 'aws_lb').access_logs.bucket).toMatch(/terraform_remote_state\.cross-stack-reference-input-prod-data/);
    expect(one(prod, 'aws_s3_bucket_policy').bucket).toMatch(/terraform_remote_state\.cross-stack-reference-input-prod-data/);
    expect(one(prod, 'aws_secretsmanager_secret').kms_key_id).toMatch(/terraform_remote_state\.cross-stack-reference-input-prod-data/);
    expect(one(prod, 'aws_lb').subnets).toEqual([expect.stringMatching(/terraform_remote_state\.cross-stack-reference-input-prod-network/), expect.anything(), expect.anything()]);
  });

  it('prod: an ALB with an HTTPS listener and a security group that admits only the CloudFront prefix list', () => {
    const lb = one(prod, 'aws_lb');
    expect(lb).toMatchObject({ internal: false, enable_deletion_protection: true, drop_invalid_header_fields: true });
    const https = values(prod, 'aws_lb_listener').find((l) => l.protocol === 'HTTPS');
    expect(https).toMatchObject({ port: 443, ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    const sg = address(prod, 'aws_security_group');
    expect(lb.security_groups).toEqual([`\${${sg}.id}`]);
    const ingress = values(prod, 'aws_vpc_security_group_ingress_rule').filter((r) => r.security_group_id === `\${${sg}.id}`);
    expect(ingress).toHaveLength(1);
    expect(ingress[0].prefix_list_id).toBe(`\${${'data.' + address({ resource: prod.data }, 'aws_ec2_managed_prefix_list')}.id}`);
    expect(one(prod, 'aws_ec2_managed_prefix_list', 'data').name).toBe('com.amazonaws.global.cloudfront.origin-facing');
  });

  it('prod: Route 53 alias records and certificates in the right regions', () => {
    const site = values(prod, 'aws_route53_record').filter((r) => r.name === prodEnv.domain.name);
    expect(site.map((r) => r.type).sort()).toEqual(['A', 'AAAA']);
    for (const r of site) expect(r.alias.name).toMatch(/aws_cloudfront_distribution\./);
    const certs = values(prod, 'aws_acm_certificate');
    expect(certs.find((c) => c.domain_name === 'shop.example.com')?.provider).toBe('aws.us_east_1');
    expect(certs.find((c) => c.domain_name === 'origin.shop.example.com')?.provider).toBeUndefined();
    expect(values(prod, 'aws_acm_certificate_validation')).toHaveLength(2);
    expect(one(prod, 'aws_route53_zone').name).toBe('shop.example.com');
    expect(one(prod, 'aws_route53_health_check')).toMatchObject({ fqdn: 'shop.example.com', resource_path: '/healthz', type: 'HTTPS' });
  });

  it('maps the service settings: NodePort, /readyz and a deregistration delay of drainSeconds + 5', () => {
    const tg = one(prod, 'aws_lb_target_group');
    expect(tg).toMatchObject({ port: prodEnv.service.nodePort, target_type: 'instance', deregistration_delay: String(prodEnv.service.drainSeconds + 5) });
    expect(tg.health_check.path).toBe('/readyz');
    const workloadRule = values(prod, 'aws_vpc_security_group_ingress_rule').find((r) => String(r.security_group_id).includes('terraform_remote_state'));
    expect(workloadRule).toMatchObject({ from_port: prodEnv.service.nodePort, to_port: prodEnv.service.nodePort, referenced_security_group_id: `\${${address(prod, 'aws_security_group')}.id}` });
    const env = structuredClone(stagingEnv);
    env.service.drainSeconds = 45;
    expect(one(synthEdge(env), 'aws_lb_target_group').deregistration_delay).toBe('50');
  });

  it('exposes every contract output; downstream stacks get the tokens through remote state', () => {
    const app = Testing.app();
    const stack = buildEnvironment(app, prodEnv).get('edge');
    const edge = stack?.node.findChild('edge') as Edge;
    const tokens = ['distributionId', 'distributionArn', 'distributionDomainName', 'webAclArn', 'webAclName', 'albArn', 'albArnSuffix', 'albDnsName', 'albSecurityGroupId', 'targetGroupArn', 'targetGroupArnSuffix', 'hostedZoneId', 'originSecretArn', 'wafLogGroupName', 'healthCheckId'] as const;
    expect(edge.siteDomain).toBe('shop.example.com');
    expect(edge.cdnBaseUrl).toBe('https://shop.example.com');
    const probe = new TerraformStack(app, 'probe');
    new AwsProvider(probe, 'aws', { region: 'eu-west-1' });
    for (const name of tokens) new TerraformOutput(probe, name, { value: edge[name] });
    // Cross-stack references resolve only when the whole app is synthesized.
    app.synth();
    const consumer = readStack(app.outdir, 'probe');
    const producer = readStack(app.outdir, 'prod-edge');
    for (const name of tokens) {
      const ref = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-edge\.outputs\.([\w-]+)\}$/.exec(String(consumer.output[name].value));
      expect([name, ref?.[1] !== undefined && producer.output[ref[1]] !== undefined]).toEqual([name, true]);
    }
  });

  it('writes every attribute and block name in snake_case (WAF statements included)', () => {
    for (const json of [dev, prod]) expect(nonSnakeKeys(json)).toEqual([]);
  });

  it('keeps the origin secret out of the JSON: only an ephemeral generator and data-source references', () => {
    for (const json of [dev, prod]) {
      const version = one(json, 'aws_secretsmanager_secret_version');
      expect(Object.keys(version).filter((k) => k !== '//').sort()).toEqual(['secret_id', 'secret_string_wo', 'secret_string_wo_version']);
      expect(version.secret_string_wo).toMatch(/^\$\{ephemeral\.aws_secretsmanager_random_password\.[\w-]+\.random_password\}$/);
      const header = (one(json, 'aws_cloudfront_distribution').origin as Json[]).flatMap((o) => o.custom_header ?? []);
      expect(header).toEqual([{ name: 'X-Origin-Verify', value: expect.stringMatching(/^\$\{data\.aws_secretsmanager_secret_version\.[\w-]+\.secret_string\}$/) }]);
    }
  });

  it('rotating the origin secret in one environment changes only that environment, and only the secret and ALB rule', () => {
    const before = synthEdge(devEnv);
    const env = structuredClone(devEnv);
    env.edge.originSecretVersion = 2;
    env.edge.acceptPreviousOriginSecret = true;
    const after = synthEdge(env);
    expect(one(after, 'aws_secretsmanager_secret_version').secret_string_wo_version).toBe(2);
    expect(one(after, 'aws_lb_listener_rule').condition[0].http_header.values).toHaveLength(2);
    const changed = ['resource', 'data'].flatMap((s) =>
      Object.entries<Json>({ ...before[s], ...after[s] }).flatMap(([type]) =>
        [...new Set([...Object.keys(before[s]?.[type] ?? {}), ...Object.keys(after[s]?.[type] ?? {})])]
          .filter((n) => JSON.stringify(before[s]?.[type]?.[n]) !== JSON.stringify(after[s]?.[type]?.[n]))
          .map(() => `${s}:${type}`),
      ),
    );
    expect([...new Set(changed)].sort()).toEqual(['data:aws_secretsmanager_secret_version', 'resource:aws_lb_listener_rule', 'resource:aws_secretsmanager_secret_version']);
  });

  it("an edit of dev's edge settings rewrites dev-edge only", () => {
    const ws = tempWorkspace();
    editEnv(ws, 'dev', (raw) => {
      raw.edge.wafRateLimit = 500;
    });
    const edited = path.join(ws, 'cdktf.out');
    synthesize({ dir: path.join(ws, 'environments'), outdir: edited, layers: ['edge'] });
    expect(readStack(edited, 'prod-edge')).toEqual(prod);
    expect(readStack(edited, 'staging-edge')).toEqual(readStack(outdir, 'staging-edge'));
    const devAcl = one(readStack(edited, 'dev-edge'), 'aws_wafv2_web_acl');
    expect((devAcl.rule as Json[]).find((r) => r.statement.rate_based_statement)?.statement.rate_based_statement.limit).toBe(500);
  });

  it('turns ALB deletion protection off only where the file says so', () => {
    const env = structuredClone(devEnv);
    env.edge.deletionProtection = false;
    expect(one(synthEdge(env), 'aws_lb').enable_deletion_protection).toBe(false);
    expect(one(dev, 'aws_lb').enable_deletion_protection).toBe(true);
  });
});
