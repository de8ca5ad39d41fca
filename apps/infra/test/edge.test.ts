import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { loadEnvironments, type EnvironmentConfig } from '../src/environment';
import type { Edge } from '@awp/edge';
import { edgeRules, evaluate, stackView } from '@awp/guardrails';
import { runInNewContext } from 'node:vm';
// The service's own key layout (the api builds image URLs as `${CDN_BASE_URL}/${imageKey(...)}`).
import { IMAGE_KEY_RE, imageKey } from '../../api/src/storage';
import { buildEnvironment } from '../src/platform';
import { synthesize } from '../src/synth';
import { REPO, editEnv, readStack, tempWorkspace } from './helpers';
import { evaluateWebAcl, ipSetsOf, simulateOneIp, type SampleRequest } from './waf-evaluator';
import { all, only as one } from '@awp/guardrails/testing';

type Json = Record<string, any>;

const ENV_DIR = path.join(REPO, 'environments');
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-edge-')), 'cdktf.out');
const result = synthesize({ dir: ENV_DIR, outdir });
const prod = readStack(outdir, 'prod-edge');
const dev = readStack(outdir, 'dev-edge');
const prodDns = readStack(outdir, 'prod-dns');
const [devEnv, stagingEnv, prodEnv] = loadEnvironments(['dev', 'staging', 'prod'], { dir: ENV_DIR });

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
  it('npm run synth produces dev-, staging- and prod-edge, after dns, network and data, with no guardrail errors', () => {
    const edge = result.stacks.filter((s) => s.layer === 'edge');
    expect(edge.map((s) => s.name)).toEqual(['dev-edge', 'staging-edge', 'prod-edge']);
    for (const s of edge) expect(s.dependencies).toEqual([`${s.env}-data`, `${s.env}-dns`, `${s.env}-network`]);
    expect(result.findings.filter((f) => /-(edge|dns)$/.test(f.stack) && !f.suppressedBecause)).toEqual([]);
  });

  it('prod: a CLOUDFRONT web ACL in us-east-1 with >= 4 managed groups, a rate rule from the file, Bot Control as configured', () => {
    const acl = one(prod, 'aws_wafv2_web_acl');
    expect(acl).toMatchObject({ scope: 'CLOUDFRONT', provider: 'aws.us_east_1' });
    const managed = (acl.rule as Json[]).map((r) => r.statement.managed_rule_group_statement?.name).filter(Boolean);
    expect(managed.length).toBeGreaterThanOrEqual(4);
    expect(managed).toEqual(expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet', 'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesBotControlRuleSet']));
    const limits = (a: Json) => Object.fromEntries((a.rule as Json[]).filter((r) => r.statement.rate_based_statement).map((r) => [r.name, r.statement.rate_based_statement.limit]));
    expect(limits(acl)).toEqual({ RateLimitWritesPerIp: prodEnv.edge.writeRateLimit, RateLimitPerIp: prodEnv.edge.readRateLimit });
    const devAcl = one(dev, 'aws_wafv2_web_acl');
    expect(limits(devAcl)).toEqual({ RateLimitWritesPerIp: 300, RateLimitPerIp: devEnv.edge.readRateLimit });
    expect(JSON.stringify(devAcl)).not.toContain('BotControl');
    const aws = (prod.provider.aws as Json[]).find((p) => p.alias === 'us_east_1');
    expect(aws).toMatchObject({ region: 'us-east-1', allowed_account_ids: ['333333333333'] });
  });

  it('prod: the distribution has that ACL, an OAC S3 origin, the ALB as an https-only VPC origin, HTTPS viewers, TLSv1.2_2021 and logging', () => {
    const dist = one(prod, 'aws_cloudfront_distribution');
    expect(dist.web_acl_id).toBe(`\${${address(prod, 'aws_wafv2_web_acl')}.arn}`);
    const s3 = (dist.origin as Json[]).find((o) => o.origin_access_control_id);
    expect(s3?.origin_access_control_id).toBe(`\${${address(prod, 'aws_cloudfront_origin_access_control')}.id}`);
    const alb = (dist.origin as Json[]).find((o) => o.vpc_origin_config);
    expect(alb?.vpc_origin_config.vpc_origin_id).toBe(`\${${address(prod, 'aws_cloudfront_vpc_origin')}.id}`);
    expect((dist.origin as Json[]).filter((o) => o.custom_origin_config)).toEqual([]);
    expect(one(prod, 'aws_cloudfront_vpc_origin').vpc_origin_endpoint_config[0]).toMatchObject({ origin_protocol_policy: 'https-only', origin_ssl_protocols: [{ items: ['TLSv1.2'], quantity: 1 }] });
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
    const policies = all(prod, 'aws_s3_bucket_policy');
    expect(policies).toHaveLength(2);
    for (const p of policies) expect(p.bucket).toMatch(/terraform_remote_state\.cross-stack-reference-input-prod-data/);
    const prodNetwork = readStack(outdir, 'prod-network');
    const subnets = (one(prod, 'aws_lb').subnets as string[]).map((ref) => prodNetwork.output[/outputs\.([\w-]+)\}$/.exec(ref)?.[1] ?? '']?.value);
    expect(subnets).toEqual([0, 1, 2].map(() => expect.stringMatching(/^\$\{aws_subnet\.[\w-]*private[\w-]*\.id\}$/)));
  });

  describe('uploaded images through CloudFront', () => {
    const dist = one(prod, 'aws_cloudfront_distribution');
    const prodData = readStack(outdir, 'prod-data');
    const remoteData = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-data\.outputs\.([\w-]+)\}/;
    /** The data stack's output a remote-state reference points at, resolved to the producer's expression. */
    const producerOf = (ref: string): string => prodData.output[remoteData.exec(ref)?.[1] ?? '']?.value;
    const policyDocOf = (bucketPolicy: Json): Json => {
      const name = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/.exec(bucketPolicy.policy)?.[1] ?? '';
      return prod.data.aws_iam_policy_document[name];
    };

    it('has an uploads origin (the data stack uploads bucket, by reference) behind the same origin access control', () => {
      const uploads = (dist.origin as Json[]).find((o) => o.origin_id === 'uploads');
      expect(uploads?.origin_access_control_id).toBe(`\${${address(prod, 'aws_cloudfront_origin_access_control')}.id}`);
      expect(producerOf(uploads?.domain_name)).toMatch(/^\$\{aws_s3_bucket\.data_buckets_uploads_\w+\.bucket_regional_domain_name\}$/);
    });

    it('routes /uploads/* to it, read-only, with a one-year TTL and the prefix-stripping function', () => {
      const b = (dist.ordered_cache_behavior as Json[]).find((x) => x.path_pattern === '/uploads/*');
      expect(b).toMatchObject({ target_origin_id: 'uploads', allowed_methods: ['GET', 'HEAD'], viewer_protocol_policy: 'redirect-to-https' });
      const cacheName = /^\$\{aws_cloudfront_cache_policy\.([\w-]+)\.id\}$/.exec(b?.cache_policy_id)?.[1] ?? '';
      expect(prod.resource.aws_cloudfront_cache_policy[cacheName]).toMatchObject({ name: 'prod-immutable-uploads', min_ttl: 86400, default_ttl: 31536000, max_ttl: 31536000 });
      expect(b?.function_association[0].function_arn).toMatch(/^\$\{aws_cloudfront_function\.[\w-]+uploads-path[\w-]*\.arn\}$/);
    });

    it('owns the uploads bucket policy: read for this distribution only, plus the data layer TLS statements', () => {
      const policy = all(prod, 'aws_s3_bucket_policy').find((p) => /uploads/.test(producerOf(p.bucket)));
      expect(producerOf(policy?.bucket)).toMatch(/^\$\{aws_s3_bucket\.data_buckets_uploads_\w+\.bucket\}$/);
      const doc = policyDocOf(policy!);
      expect(doc.statement.map((st: Json) => st.sid)).toEqual(['AllowCloudFrontDistributionRead', 'DenyInsecureTransport', 'DenyTlsBelow12']);
      const [read, deny, tls12] = doc.statement;
      expect(read).toMatchObject({ actions: ['s3:GetObject'], principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }] });
      expect(read.condition).toEqual([{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [`\${${address(prod, 'aws_cloudfront_distribution')}.arn}`] }]);
      expect(producerOf(read.resources[0])).toMatch(/^\$\{aws_s3_bucket\.data_buckets_uploads_\w+\.arn\}$/);
      expect(read.resources[0]).toMatch(/\}\/\*$/);
      expect(deny).toMatchObject({ effect: 'Deny', condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
      expect(tls12).toMatchObject({ effect: 'Deny', condition: [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }] });
      for (const st of [deny, tls12]) expect(st.resources.map(producerOf)).toEqual([expect.stringMatching(/data_buckets_uploads_\w+\.arn\}$/), expect.stringMatching(/data_buckets_uploads_\w+\.arn\}$/)]);
    });

    it('passes AWP-EDGE-009 as synthesized, and the rule fires on the real stack once the SourceArn condition is gone', () => {
      expect(evaluate(stackView('prod-edge', prod as never, 'prod'), edgeRules).filter((f) => f.ruleId === 'AWP-EDGE-009')).toEqual([]);
      const tampered = structuredClone(prod);
      const policy = all(tampered, 'aws_s3_bucket_policy').find((p) => /uploads/.test(producerOf(p.bucket)))!;
      const name = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/.exec(policy.policy)![1];
      delete tampered.data.aws_iam_policy_document[name].statement[0].condition;
      expect(evaluate(stackView('prod-edge', tampered as never, 'prod'), edgeRules).filter((f) => f.ruleId === 'AWP-EDGE-009').map((f) => f.message)).toEqual([
        `data.aws_iam_policy_document.${name} statement AllowCloudFrontDistributionRead lets CloudFront read without naming one distribution in AWS:SourceArn`,
      ]);
    });

    it('the data stack attaches no policy to the uploads bucket, and its data key lets only this account distributions decrypt', () => {
      const bucketPolicies = Object.values<Json>(prodData.resource.aws_s3_bucket_policy);
      expect(bucketPolicies.map((p) => p.bucket)).toEqual([expect.stringMatching(/^\$\{aws_s3_bucket\.data_buckets_logs_\w+\.id\}$/)]);
      const uploadsSse = Object.values<Json>(prodData.resource.aws_s3_bucket_server_side_encryption_configuration).find((c) => /uploads/.test(c.bucket));
      const dataKey = /^\$\{aws_kms_key\.([\w-]+)\.arn\}$/.exec(uploadsSse?.rule[0].apply_server_side_encryption_by_default.kms_master_key_id)?.[1] ?? '';
      const keyPolicy = JSON.parse(prodData.resource.aws_kms_key[dataKey].policy);
      const cloudfront = keyPolicy.Statement.filter((st: Json) => JSON.stringify(st.Principal).includes('cloudfront'));
      expect(cloudfront).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Condition: {
            StringEquals: { 'aws:SourceAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}$/) },
            ArnLike: { 'aws:SourceArn': expect.stringMatching(/^arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:cloudfront::\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:distribution\/\*$/) },
          },
        }),
      ]);
    });

    it.each(['image/jpeg', 'image/png', 'image/webp'])("an image URL the service builds (%s) reaches the object's key through the uploads behaviour", (type) => {
      const workloads = readStack(outdir, 'prod-workloads');
      const container = Object.values<Json>(workloads.resource.kubernetes_deployment_v1)[0].spec.template.spec.container[0];
      const cdnBaseUrl = container.env.find((e: Json) => e.name === 'CDN_BASE_URL').value as string;
      expect(cdnBaseUrl).toBe(`https://${prodEnv.domain.name}/uploads`);
      const key = imageKey('3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c', type);
      const url = new URL(`${cdnBaseUrl}/${key}`); // products.ts: imageUrl = `${cdnBaseUrl}/${image_key}`
      expect(url.host).toBe(prodEnv.domain.name);
      // CloudFront picks the first ordered behaviour whose pattern matches (`*` spans slashes), else the default.
      const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const behaviour = (dist.ordered_cache_behavior as Json[]).find((b) => glob(b.path_pattern).test(url.pathname));
      expect(behaviour?.target_origin_id).toBe('uploads');
      const fnName = /^\$\{aws_cloudfront_function\.([\w-]+)\.arn\}$/.exec(behaviour?.function_association[0].function_arn)?.[1] ?? '';
      const sandbox: Json = { event: { request: { uri: url.pathname, method: 'GET', querystring: {}, headers: {} } } };
      runInNewContext(`${prod.resource.aws_cloudfront_function[fnName].code}\nresult = handler(event);`, sandbox);
      expect(sandbox.result.uri).toBe(`/${key}`);
      expect(IMAGE_KEY_RE.test(sandbox.result.uri.slice(1))).toBe(true);
    });
  });

  it("prod: an internal ALB with one HTTPS listener whose security group admits only CloudFront's VPC-origin group", () => {
    const lb = one(prod, 'aws_lb');
    expect(lb).toMatchObject({ internal: true, enable_deletion_protection: true, drop_invalid_header_fields: true });
    expect(all(prod, 'aws_lb_listener')).toEqual([expect.objectContaining({ port: 443, protocol: 'HTTPS', ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' })]);
    const sg = address(prod, 'aws_security_group');
    expect(lb.security_groups).toEqual([`\${${sg}.id}`]);
    const ingress = all(prod, 'aws_vpc_security_group_ingress_rule').filter((r) => r.security_group_id === `\${${sg}.id}`);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({ referenced_security_group_id: `\${data.${address({ resource: prod.data }, 'aws_security_group')}.id}`, from_port: 443, to_port: 443 });
    expect(one(prod, 'aws_security_group', 'data')).toMatchObject({ name: 'CloudFront-VPCOrigins-Service-SG', vpc_id: expect.stringMatching(/cross-stack-reference-input-prod-network/) });
  });

  it('prod: Route 53 alias records and certificates in the right regions', () => {
    const site = all(prod, 'aws_route53_record').filter((r) => r.name === prodEnv.domain.name);
    expect(site.map((r) => r.type).sort()).toEqual(['A', 'AAAA']);
    for (const r of site) expect(r.alias.name).toMatch(/aws_cloudfront_distribution\./);
    const certs = all(prod, 'aws_acm_certificate');
    expect(certs.find((c) => c.domain_name === 'shop.example.com')?.provider).toBe('aws.us_east_1');
    expect(certs.find((c) => c.domain_name === 'origin.shop.example.com')?.provider).toBeUndefined();
    expect(all(prod, 'aws_acm_certificate_validation')).toHaveLength(2);
    expect(prod.resource.aws_route53_zone).toBeUndefined();
    expect(one(prod, 'aws_route53_health_check')).toMatchObject({ fqdn: 'shop.example.com', resource_path: '/healthz', type: 'HTTPS' });
  });

  it('maps the service settings: NodePort, /readyz and a deregistration delay of drainSeconds + 5', () => {
    const tg = one(prod, 'aws_lb_target_group');
    expect(tg).toMatchObject({ port: prodEnv.service.nodePort, target_type: 'instance', deregistration_delay: String(prodEnv.service.drainSeconds + 5) });
    expect(tg.health_check.path).toBe('/readyz');
    const workloadRule = all(prod, 'aws_vpc_security_group_ingress_rule').find((r) => String(r.security_group_id).includes('terraform_remote_state'));
    expect(workloadRule).toMatchObject({ from_port: prodEnv.service.nodePort, to_port: prodEnv.service.nodePort, referenced_security_group_id: `\${${address(prod, 'aws_security_group')}.id}` });
    const env = structuredClone(stagingEnv);
    env.service.drainSeconds = 45;
    expect(one(synthEdge(env), 'aws_lb_target_group').deregistration_delay).toBe('50');
  });

  it('exposes every contract output; downstream stacks get the tokens through remote state', () => {
    const app = Testing.app();
    const stack = buildEnvironment(app, prodEnv).get('edge');
    const edge = stack?.node.findChild('edge') as Edge;
    const tokens = ['distributionId', 'distributionArn', 'distributionDomainName', 'webAclArn', 'webAclName', 'albArn', 'albArnSuffix', 'albDnsName', 'albSecurityGroupId', 'targetGroupArn', 'targetGroupArnSuffix', 'vpcOriginId', 'wafLogGroupName', 'healthCheckId'] as const;
    expect(edge.siteDomain).toBe('shop.example.com');
    expect(edge.cdnBaseUrl).toBe('https://shop.example.com');
    expect(edge.uploadsBaseUrl).toBe('https://shop.example.com/uploads');
    // hostedZoneId passes the dns stack's zone through: a consumer references prod-dns directly.
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

  describe('first deploy: the dns stack, then the delegation, then the edge', () => {
    const remoteDns = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-dns\.outputs\.([\w-]+)\}$/;
    const producerOf = (ref: unknown): string => prodDns.output[remoteDns.exec(String(ref))?.[1] ?? '']?.value;

    it('prod-dns holds the zone (query logs, DNSSEC) and prints its name servers; it depends on nothing', () => {
      expect(result.stacks.filter((s) => s.layer === 'dns').map((s) => [s.name, s.dependencies])).toEqual([
        ['dev-dns', []],
        ['staging-dns', []],
        ['prod-dns', []],
      ]);
      expect(one(prodDns, 'aws_route53_zone').name).toBe(prodEnv.domain.name);
      expect(one(prodDns, 'aws_route53_query_log')).toBeDefined();
      expect(one(prodDns, 'aws_route53_hosted_zone_dnssec')).toBeDefined();
      const zone = address(prodDns, 'aws_route53_zone');
      expect(prodDns.output.name_servers).toMatchObject({ value: `\${${zone}.name_servers}`, description: expect.stringContaining('before applying prod-edge') });
      expect(prodDns.output.zone_id.value).toBe(`\${${zone}.zone_id}`);
    });

    it('prod-edge writes into that zone and refuses to plan until public DNS shows the delegation to its name servers', () => {
      const zone = address(prodDns, 'aws_route53_zone');
      for (const r of all(prod, 'aws_route53_record')) expect(producerOf(r.zone_id)).toBe(`\${${zone}.zone_id}`);
      const [expected] = Object.values(prod.locals) as string[];
      expect(producerOf(expected)).toBe(`\${${zone}.name_servers}`);
      const lookup = one(prod, 'http', 'data');
      expect(lookup.url).toBe(`https://dns.google/resolve?name=${prodEnv.domain.name}&type=NS`);
      expect(lookup.lifecycle.postcondition[0].error_message).toContain(`Create an NS record named ${prodEnv.domain.name} in its parent zone example.com`);
      for (const v of all(prod, 'aws_acm_certificate_validation')) expect([v.timeouts.create, v.lifecycle.precondition.length]).toEqual(['30m', 1]);
    });

    it('dev-edge, inside prod\'s zone, refuses until prod-dns delegates it and says to write that in prod.json', () => {
      const message = one(dev, 'http', 'data').lifecycle.postcondition[0].error_message as string;
      expect(message).toContain('Create an NS record named dev.shop.example.com in its parent zone shop.example.com with the values');
      expect(message).toContain(
        'the prod-dns stack writes it: add these values as "nameServers" of the entry { "name": "dev.shop.example.com" } in environments/prod.json (domain.delegations) and apply prod-dns by hand',
      );
      expect(message).not.toContain('registrar');
      const devDns = readStack(outdir, 'dev-dns');
      expect(devDns.output.name_servers.description).toBe('Add these values as nameServers of dev.shop.example.com in environments/prod.json (domain.delegations) and apply prod-dns by hand before applying dev-edge');
      expect(devDns.output.ds_record.description).toContain('add this value to dsRecords of dev.shop.example.com in environments/prod.json');
      // No name servers listed yet: prod-dns writes no delegation records.
      expect(prodDns.resource.aws_route53_record).toBeUndefined();
    });

    it('prod-dns writes the NS and DS records of the children prod.json lists with name servers', () => {
      const ws = tempWorkspace();
      const NS = ['ns-1111.awsdns-11.org', 'ns-2222.awsdns-22.co.uk', 'ns-333.awsdns-33.com', 'ns-444.awsdns-44.net'];
      const ds = `2371 13 2 ${'AB'.repeat(32)}`;
      editEnv(ws, 'prod', (raw) => {
        raw.domain.delegations = [{ name: 'dev.shop.example.com', nameServers: NS, dsRecords: [ds] }, { name: 'staging.shop.example.com' }];
      });
      const edited = path.join(ws, 'cdktf.out');
      synthesize({ dir: path.join(ws, 'environments'), outdir: edited, envs: ['prod'], layers: ['dns'] });
      const dns = readStack(edited, 'prod-dns');
      const zoneId = `\${${address(dns, 'aws_route53_zone')}.zone_id}`;
      expect(all(dns, 'aws_route53_record').map((r) => [r.name, r.type, r.records, r.zone_id]).sort((a, b) => a[1].localeCompare(b[1]))).toEqual([
        ['dev.shop.example.com', 'DS', [ds], zoneId],
        ['dev.shop.example.com', 'NS', NS, zoneId],
      ]);
    });

    it('lookup mode works in one apply: the dns stack only reads the zone, the edge checks no delegation', () => {
      const env = structuredClone(devEnv);
      env.domain.hostedZone = { mode: 'lookup', name: 'shop.example.com' };
      const app = Testing.app();
      const stacks = buildEnvironment(app, env);
      const dns = JSON.parse(Testing.synth(stacks.get('dns')!)) as Json;
      expect(dns.resource ?? {}).toEqual({});
      expect(one(dns, 'aws_route53_zone', 'data')).toMatchObject({ name: 'shop.example.com', private_zone: false });
      const edge = JSON.parse(Testing.synth(stacks.get('edge')!)) as Json;
      expect(edge.data.http).toBeUndefined();
      expect(edge.locals).toBeUndefined();
      for (const v of all(edge, 'aws_acm_certificate_validation')) expect([v.timeouts, v.lifecycle]).toEqual([{ create: '30m' }, undefined]);
    });
  });

  describe('the rate limits, evaluated against one IP\'s traffic over time', () => {
    const CURL = { 'User-Agent': 'curl/8.5.0' };
    const BROWSER = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' };
    const TOKEN = { ...CURL, Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig' };
    const apiGet: SampleRequest = { method: 'GET', uri: '/api/v1/products?limit=20', headers: CURL };
    const acl = () => one(prod, 'aws_wafv2_web_acl');

    it('prod: one load generator doing 500 GET/s on /api/* (or the storefront) for 60 s is never blocked', () => {
      expect(simulateOneIp(acl(), [{ request: apiGet, perSecond: 500 }], 60)).toEqual({ allowed: 30_000, blocked: 0, blockedBy: {}, firstBlockedSecond: undefined });
      const storefront: SampleRequest = { method: 'GET', uri: '/products/42', headers: BROWSER };
      expect(simulateOneIp(acl(), [{ request: storefront, perSecond: 400 }, { request: { ...apiGet, method: 'HEAD' }, perSecond: 100 }], 60).blocked).toBe(0);
    });

    it('prod: 500 req/s sustained for 10 minutes needs 4 load-generator IPs (125 req/s each); one IP alone is stopped after 100 s (model: per second)', () => {
      expect(simulateOneIp(acl(), [{ request: apiGet, perSecond: 125 }], 600).blocked).toBe(0);
      const alone = simulateOneIp(acl(), [{ request: apiGet, perSecond: 500 }], 600);
      // Seconds 0–100 carry 50,500 requests: from second 101 on the count of the window is over 50,000.
      expect([alone.firstBlockedSecond, Object.keys(alone.blockedBy)]).toEqual([101, ['RateLimitPerIp']]);
    });

    it('prod: writes above the write limit are blocked, reads from the same IP are not; writes at 2/s pass', () => {
      const post: SampleRequest = { method: 'POST', uri: '/api/v1/products', headers: TOKEN, bodyBytes: 512 };
      const steady = simulateOneIp(acl(), [{ request: post, perSecond: 2 }], 600);
      expect(steady.blocked).toBe(0);
      // 10 writes/s: the 600 of the 5-minute window are used up after 60 s; from second 61 on writes are blocked.
      const flood = simulateOneIp(acl(), [{ request: post, perSecond: 10 }, { request: apiGet, perSecond: 100 }], 120);
      expect(flood.blockedBy).toEqual({ RateLimitWritesPerIp: 10 * (120 - 61) });
      expect(flood.firstBlockedSecond).toBe(61);
      // Every write method counts (DELETE, PATCH too), and anonymous writes are counted before the token check answers 401.
      const mixed = simulateOneIp(acl(), [{ request: { ...post, method: 'DELETE', uri: '/api/v1/products/1' }, perSecond: 5 }, { request: { ...post, method: 'PATCH', headers: CURL }, perSecond: 5 }], 120);
      expect(mixed.blockedBy).toEqual({ ApiWriteRequiresBearerToken: 5 * 61, RateLimitWritesPerIp: 10 * (120 - 61) });
    });

    it('the old single limit (2000 per 5 minutes for every request) blocked that load generator within seconds', () => {
      const old = structuredClone(acl());
      old.rule = (old.rule as Json[]).filter((r) => r.name !== 'RateLimitWritesPerIp');
      old.rule.find((r: Json) => r.name === 'RateLimitPerIp').statement.rate_based_statement.limit = 2000;
      expect(simulateOneIp(old, [{ request: apiGet, perSecond: 500 }], 60).firstBlockedSecond).toBe(5);
    });

    it('an allow-listed load generator (edge.rateLimitExemptCidrs) is counted by neither limit; every other address still is', () => {
      const env = structuredClone(prodEnv);
      env.edge.rateLimitExemptCidrs = ['203.0.113.0/28'];
      const json = synthEdge(env);
      const sets = ipSetsOf(json);
      expect(one(json, 'aws_wafv2_ip_set')).toMatchObject({ scope: 'CLOUDFRONT', ip_address_version: 'IPV4', addresses: ['203.0.113.0/28'], provider: 'aws.us_east_1' });
      const exempted = simulateOneIp(one(json, 'aws_wafv2_web_acl'), [{ request: { ...apiGet, sourceIp: '203.0.113.7' }, perSecond: 2000 }], 300, sets);
      expect(exempted.blocked).toBe(0);
      const other = simulateOneIp(one(json, 'aws_wafv2_web_acl'), [{ request: { ...apiGet, sourceIp: '203.0.113.16' }, perSecond: 2000 }], 300, sets);
      expect(other.blockedBy).toEqual({ RateLimitPerIp: expect.any(Number) });
      // Still subject to the other rules: an anonymous write from the allow-listed address is refused.
      const write = evaluateWebAcl(one(json, 'aws_wafv2_web_acl'), { method: 'POST', uri: '/api/v1/products', headers: CURL, sourceIp: '203.0.113.7' }, { ipSets: sets });
      expect(write.by).toBe('ApiWriteRequiresBearerToken');
      expect(prod.resource.aws_wafv2_ip_set).toBeUndefined();
    });

    it('dev: its file lowers the write limit only', () => {
      const post: SampleRequest = { method: 'POST', uri: '/api/v1/products', headers: TOKEN, bodyBytes: 512 };
      expect(simulateOneIp(one(dev, 'aws_wafv2_web_acl'), [{ request: post, perSecond: 2 }], 300).firstBlockedSecond).toBe(151);
      expect(simulateOneIp(one(dev, 'aws_wafv2_web_acl'), [{ request: apiGet, perSecond: 500 }], 60).blocked).toBe(0);
    });
  });

  describe('the web ACL, evaluated against sample requests', () => {
    const CURL = { 'User-Agent': 'curl/8.5.0' };
    const BROWSER = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' };
    const verdict = (json: Json, req: SampleRequest) => {
      const v = evaluateWebAcl(one(json, 'aws_wafv2_web_acl'), req);
      return `${v.action} by ${v.by} (${v.status})`;
    };
    const oldProdAcl = (): Json => {
      // Today's rule set before the fix: Bot Control without a scope-down statement.
      const acl = structuredClone(one(prod, 'aws_wafv2_web_acl'));
      for (const r of acl.rule as Json[]) delete r.statement.managed_rule_group_statement?.scope_down_statement;
      return { resource: { aws_wafv2_web_acl: { acl } } };
    };

    it("prod (Bot Control on): curl reaches the API and the health check, a browser the storefront, curl is stopped only on the storefront", () => {
      const cases: [string, SampleRequest][] = [
        ['curl GET /api/v1/products', { method: 'GET', uri: '/api/v1/products?limit=1', headers: CURL, ip: 'hosting' }],
        ['curl GET /healthz', { method: 'GET', uri: '/healthz', headers: CURL, ip: 'hosting' }],
        ['Route 53 health checker GET /healthz', { method: 'GET', uri: '/healthz', headers: { 'User-Agent': 'Amazon-Route53-Health-Check-Service (ref 1; report http://amzn.to/1vsZADi)' }, ip: 'hosting' }],
        ['mobile app GET an uploaded image', { method: 'GET', uri: '/uploads/products/3f1c/abc.webp', headers: { 'User-Agent': 'okhttp/4.12.0' } }],
        ['browser GET /', { method: 'GET', uri: '/', headers: BROWSER }],
        ['curl GET / (a scraper)', { method: 'GET', uri: '/', headers: CURL }],
      ];
      expect(cases.map(([what, req]) => `${what}: ${verdict(prod, req)}`)).toEqual([
        'curl GET /api/v1/products: allow by default (200)',
        'curl GET /healthz: allow by default (200)',
        'Route 53 health checker GET /healthz: allow by default (200)',
        'mobile app GET an uploaded image: allow by default (200)',
        'browser GET /: allow by default (200)',
        'curl GET / (a scraper): block by AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary (403)',
      ]);
      // The same requests against the unscoped Bot Control of before: the API's real clients were blocked.
      expect(verdict(oldProdAcl(), cases[0][1])).toBe('block by AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary (403)');
      expect(verdict(oldProdAcl(), cases[1][1])).toBe('block by AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary (403)');
      // GitHub-hosted runners and health checkers live on cloud addresses: counted, never blocked.
      expect(evaluateWebAcl(one(prod, 'aws_wafv2_web_acl'), cases[0][1]).counted).toEqual(['AWSManagedRulesAnonymousIpList/HostingProviderIPList']);
    });

    it.each([['dev', dev] as const, ['prod', prod] as const])('%s: API writes need a bearer token before they reach the ALB; reads and preflights stay anonymous', (_env, json) => {
      const api = (method: string, headers: Record<string, string> = {}, uri = '/api/v1/products') => verdict(json, { method, uri, headers: { ...CURL, ...headers } });
      expect({
        'POST no token': api('POST'),
        'PATCH no token': api('PATCH', {}, '/api/v1/products/1'),
        'DELETE no token': api('DELETE', {}, '/api/v1/products/1'),
        'PUT no token': api('PUT', {}, '/api/v1/products/1'),
        'POST Basic credentials': api('POST', { Authorization: 'Basic dXNlcjpwdw==' }),
        'POST disguised path': api('POST', {}, '/%61pi/v1/products'),
        'POST bearer token': api('POST', { Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig' }),
        'DELETE bearer token (any case)': api('DELETE', { authorization: 'bearer eyJ.e30.s' }, '/api/v1/products/1'),
        'GET no token': api('GET'),
        'HEAD no token': api('HEAD'),
        'OPTIONS no token': api('OPTIONS'),
      }).toEqual({
        'POST no token': 'block by ApiWriteRequiresBearerToken (401)',
        'PATCH no token': 'block by ApiWriteRequiresBearerToken (401)',
        'DELETE no token': 'block by ApiWriteRequiresBearerToken (401)',
        'PUT no token': 'block by ApiWriteRequiresBearerToken (401)',
        'POST Basic credentials': 'block by ApiWriteRequiresBearerToken (401)',
        'POST disguised path': 'block by ApiWriteRequiresBearerToken (401)',
        'POST bearer token': 'allow by default (200)',
        'DELETE bearer token (any case)': 'allow by default (200)',
        'GET no token': 'allow by default (200)',
        'HEAD no token': 'allow by default (200)',
        'OPTIONS no token': 'allow by default (200)',
      });
    });

    it('refuses to guess: a statement type it does not implement is an error, not a pass', () => {
      const acl = structuredClone(one(dev, 'aws_wafv2_web_acl'));
      acl.rule[1].statement = { geo_match_statement: { country_codes: ['XX'] } };
      expect(() => evaluateWebAcl(acl, { method: 'GET', uri: '/' })).toThrow(/statement geo_match_statement not implemented/);
    });
  });

  describe('what the deploy smoke test calls, and where every path goes', () => {
    const dist = one(prod, 'aws_cloudfront_distribution');
    /** CloudFront's behaviour choice: the first ordered pattern that matches (`*` spans slashes, case-sensitive), else the default. */
    const behaviourFor = (pathname: string): Json => {
      const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return (dist.ordered_cache_behavior as Json[]).find((b) => glob(b.path_pattern).test(pathname)) ?? dist.default_cache_behavior;
    };
    const runFunction = (behaviour: Json, uri: string, querystring: Json = {}): Json => {
      const fn = /^\$\{aws_cloudfront_function\.([\w-]+)\.arn\}$/.exec(behaviour.function_association?.[0]?.function_arn ?? '')?.[1];
      if (!fn) return { uri, querystring };
      const sandbox: Json = { event: { request: { method: 'GET', uri, querystring, headers: {} } } };
      runInNewContext(`${prod.resource.aws_cloudfront_function[fn].code}\nresult = handler(event);`, sandbox);
      return sandbox.result;
    };

    it.each([
      ['/healthz', '/healthz'],
      ['/api/v1/products?limit=1', '/v1/products'],
    ])('https://<domain>%s reaches the ALB as %s, query string kept, and the web ACL lets curl through', (url, servicePath) => {
      const u = new URL(`https://${prodEnv.domain.name}${url}`);
      const b = behaviourFor(u.pathname);
      expect(b.target_origin_id).toBe('api');
      expect((dist.origin as Json[]).find((o) => o.origin_id === 'api')?.vpc_origin_config).toBeDefined();
      const forwarded = runFunction(b, u.pathname, Object.fromEntries([...u.searchParams].map(([k, v]) => [k, { value: v }])));
      expect(forwarded.uri).toBe(servicePath);
      if (u.search) {
        // The query reaches the service: in the cache key (all query strings) and so in the origin request.
        const policy = /^\$\{aws_cloudfront_cache_policy\.([\w-]+)\.id\}$/.exec(b.cache_policy_id)?.[1] ?? '';
        expect(prod.resource.aws_cloudfront_cache_policy[policy].parameters_in_cache_key_and_forwarded_to_origin.query_strings_config.query_string_behavior).toBe('all');
        expect(forwarded.querystring).toEqual({ limit: { value: '1' } });
      }
      const v = evaluateWebAcl(one(prod, 'aws_wafv2_web_acl'), { method: 'GET', uri: url, headers: { 'User-Agent': 'curl/8.5.0' }, ip: 'hosting' });
      expect(v.action).toBe('allow');
    });

    it('routes every path pattern to its origin (the table in libs/edge/README.md)', () => {
      const routes = [...(dist.ordered_cache_behavior as Json[]), { ...dist.default_cache_behavior, path_pattern: 'default (*)' }].map((b) => `${b.path_pattern} → ${b.target_origin_id}`);
      expect(routes).toEqual(['/healthz → api', '/api/* → api', '/uploads/* → uploads', '/assets/* → assets', 'default (*) → assets']);
      // The internal endpoints stay unreachable: the function answers 404 before any origin is asked.
      for (const p of ['/api/metrics', '/api/readyz', '/api/METRICS', '/api//readyz/']) expect(runFunction(behaviourFor(p), p).statusCode).toBe(404);
      expect(behaviourFor('/readyz').target_origin_id).toBe('assets');
      expect(behaviourFor('/metrics').target_origin_id).toBe('assets');
    });
  });

  it('reads nothing secret at plan time: every data source is metadata or public DNS', () => {
    for (const json of [dev, prod]) {
      expect(Object.keys(json.data).sort()).toEqual(['aws_caller_identity', 'aws_iam_policy_document', 'aws_partition', 'aws_security_group', 'http', 'terraform_remote_state']);
      expect(json.resource.aws_secretsmanager_secret).toBeUndefined();
      expect(json.ephemeral).toBeUndefined();
    }
  });

  it("an edit of dev's edge settings rewrites dev-edge only", () => {
    const ws = tempWorkspace();
    editEnv(ws, 'dev', (raw) => {
      raw.edge.writeRateLimit = 500;
    });
    const edited = path.join(ws, 'cdktf.out');
    synthesize({ dir: path.join(ws, 'environments'), outdir: edited, layers: ['edge'] });
    expect(readStack(edited, 'prod-edge')).toEqual(prod);
    expect(readStack(edited, 'staging-edge')).toEqual(readStack(outdir, 'staging-edge'));
    const devAcl = one(readStack(edited, 'dev-edge'), 'aws_wafv2_web_acl');
    expect((devAcl.rule as Json[]).find((r) => r.name === 'RateLimitWritesPerIp')?.statement.rate_based_statement.limit).toBe(500);
  });

  it('turns ALB deletion protection off only where the file says so', () => {
    const env = structuredClone(devEnv);
    env.edge.deletionProtection = false;
    expect(one(synthEdge(env), 'aws_lb').enable_deletion_protection).toBe(false);
    expect(one(dev, 'aws_lb').enable_deletion_protection).toBe(true);
  });
});
