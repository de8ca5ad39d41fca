import path from 'node:path';
import { all, guardrailErrors, only, runExample } from '@awp/guardrails/testing';

// Each example runs as a team would run it: a stale example (a renamed prop or output) fails here.
describe('examples/dns', () => {
  const stacks = runExample(path.join(__dirname, '../examples/dns/main.ts'));
  const json = stacks['team-dns'];

  it('synthesizes the public zone with query logging and DNSSEC in us-east-1, and prints its name servers', () => {
    expect(Object.keys(stacks)).toEqual(['team-dns']);
    expect(only(json, 'aws_route53_zone')).toMatchObject({ name: 'sandbox.team-a.example.com' });
    expect(all(json, 'aws_route53_query_log')).toHaveLength(1);
    expect(only(json, 'aws_route53_hosted_zone_dnssec')).toBeDefined();
    expect(all(json, 'aws_kms_key').map((k) => k.provider)).toEqual(['aws.us_east_1', 'aws.us_east_1']);
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining(['zone_id', 'name_servers', 'ds_record']));
    // DNSSEC is on by default: the DS record for the parent zone is the key-signing key's
    expect(json.output.ds_record.value).toMatch(/^\$\{aws_route53_key_signing_key\.[\w-]+\.ds_record\}$/);
  });

  it('passes the guardrails', () => {
    expect(guardrailErrors('team-dns', json)).toEqual([]);
  });
});

describe('examples/site', () => {
  const stacks = runExample(path.join(__dirname, '../examples/site/main.ts'));
  const json = stacks['team-site'];

  it('synthesizes CloudFront with the WAF, the internal ALB in the given subnets, the certificates and the records in the given zone', () => {
    expect(Object.keys(stacks)).toEqual(['team-site']);
    expect(only(json, 'aws_cloudfront_distribution').aliases).toContain('sandbox.team-a.example.com');
    expect(only(json, 'aws_wafv2_web_acl')).toMatchObject({ scope: 'CLOUDFRONT', provider: 'aws.us_east_1' });
    expect(only(json, 'aws_lb')).toMatchObject({ internal: true, subnets: '${var.private_subnet_ids}' });
    expect(only(json, 'aws_lb_target_group')).toMatchObject({ port: 30080 });
    expect(all(json, 'aws_acm_certificate').length).toBeGreaterThanOrEqual(1);
    expect(all(json, 'aws_route53_record').some((r) => r.zone_id === '${var.zone_id}' && r.name === 'sandbox.team-a.example.com')).toBe(true);
    expect(all(json, 'aws_s3_bucket_policy').map((p) => p.bucket).sort()).toEqual(expect.arrayContaining(['sandbox-assets-123456789012', 'sandbox-uploads-123456789012']));
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining(['target_group_arn', 'distribution_id']));
  });

  it('has no delegation check for a looked-up zone, and passes the guardrails', () => {
    expect(all(json, 'http', 'data')).toHaveLength(0);
    expect(guardrailErrors('team-site', json)).toEqual([]);
  });
});
