import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SiteZone } from './dns';
import type { DomainSettings, EdgeSettings } from './settings';
import { only } from '@awp/guardrails/testing';

type Json = Record<string, any>;

/** prod's SiteZone for shop.example.com with `domain` and `edge` settings overridden. */
function build(domain: Partial<DomainSettings> = {}, edge: EdgeSettings = {}): { zone: SiteZone; json: Json } {
  const stack = new TerraformStack(Testing.app(), 'dns');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const usEast1 = new AwsProvider(stack, 'use1', { region: 'us-east-1', alias: 'us_east_1' });
  const zone = new SiteZone(stack, 'zone', { settings: { domain: { name: 'shop.example.com', ...domain }, edge }, namePrefix: 'prod', usEast1Provider: usEast1 });
  return { zone, json: JSON.parse(Testing.synth(stack)) as Json };
}

describe('SiteZone (the dns layer)', () => {
  const { zone, json } = build();

  it('creates the public zone and hands the edge its id and name servers, for the delegation check', () => {
    expect(only(json, 'aws_route53_zone')).toMatchObject({ name: 'shop.example.com', force_destroy: false });
    expect(zone.created).toBe(true);
    expect(zone.zoneName).toBe('shop.example.com');
    expect(zone.ref.zoneId).toBe(zone.zoneId);
    expect(zone.ref.delegatedNameServers).toBe(zone.nameServers);
  });

  it('logs queries to an encrypted group in us-east-1 that only Route 53 may write to', () => {
    const group = only(json, 'aws_cloudwatch_log_group');
    expect(group).toMatchObject({ name: '/aws/route53/shop.example.com', provider: 'aws.us_east_1', retention_in_days: 365 });
    expect(only(json, 'aws_route53_query_log').cloudwatch_log_group_arn).toMatch(/aws_cloudwatch_log_group\..*route53-queries/);
    const policy = JSON.parse(only(json, 'aws_cloudwatch_log_resource_policy').policy_document) as { Statement: Json[] };
    expect(policy.Statement.map((st) => [st.Principal.Service, st.Resource])).toEqual([['route53.amazonaws.com', expect.stringMatching(/route53-queries.*\.arn\}:\*$/)]]);
    const logsKey = Object.values<Json>(json.resource.aws_kms_key).find((k) => k.enable_key_rotation === true);
    const use = JSON.parse(logsKey?.policy).Statement.find((st: Json) => st.Principal?.Service === 'logs.us-east-1.amazonaws.com');
    expect(use.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn']).toEqual([expect.stringMatching(/:log-group:\/aws\/route53\/shop\.example\.com$/)]);
    expect(only(json, 'aws_kms_alias').name).toBe('alias/prod-dns-logs');
  });

  it('signs the zone with DNSSEC: a P-256 key in us-east-1 that only Route 53 DNSSEC of this account may sign with', () => {
    expect(only(json, 'aws_route53_hosted_zone_dnssec')).toBeDefined();
    const signing = Object.values<Json>(json.resource.aws_kms_key).find((k) => k.key_usage === 'SIGN_VERIFY');
    expect(signing).toMatchObject({ customer_master_key_spec: 'ECC_NIST_P256', provider: 'aws.us_east_1' });
    const sign = JSON.parse(signing?.policy).Statement.find((st: Json) => st.Sid === 'Route53DnssecSigns');
    expect(sign).toMatchObject({ Principal: { Service: 'dnssec-route53.amazonaws.com' }, Action: ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign'] });
    expect(Object.keys(sign?.Condition ?? {}).sort()).toEqual(['ArnLike', 'StringEquals']);
    expect(build({}, { dnssec: false }).json.resource.aws_route53_hosted_zone_dnssec).toBeUndefined();
  });

  it('delegates child zones with NS records (and DS records) only once their name servers are listed', () => {
    const NS = ['ns-1111.awsdns-11.org', 'ns-2222.awsdns-22.co.uk', 'ns-333.awsdns-33.com', 'ns-444.awsdns-44.net'];
    const ds = `2371 13 2 ${'ab'.repeat(32)}`;
    const { json: parent } = build({
      delegations: [{ name: 'dev.shop.example.com', nameServers: NS, dsRecords: [ds] }, { name: 'staging.shop.example.com', nameServers: NS }, { name: 'qa.shop.example.com' }],
    });
    const records = Object.values<Json>(parent.resource.aws_route53_record).map((r) => [r.name, r.type, r.ttl, r.records, r.zone_id]).sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
    const zoneId = expect.stringMatching(/^\$\{aws_route53_zone\..*\.zone_id\}$/);
    expect(records).toEqual([
      ['dev.shop.example.com', 'DS', 3600, [ds], zoneId],
      ['dev.shop.example.com', 'NS', 3600, NS, zoneId],
      ['staging.shop.example.com', 'NS', 3600, NS, zoneId],
    ]);
    // Route 53 accepts a DS record only beside the NS record of its name: created after it, deleted before it.
    const byNameType = Object.fromEntries(Object.entries<Json>(parent.resource.aws_route53_record).map(([key, r]) => [`${r.name} ${r.type}`, { key, r }]));
    expect(byNameType['dev.shop.example.com DS']!.r.depends_on).toEqual([`aws_route53_record.${byNameType['dev.shop.example.com NS']!.key}`]);
    expect(byNameType['dev.shop.example.com NS']!.r.depends_on).toBeUndefined();
    expect(json.resource.aws_route53_record).toBeUndefined();
    expect(() => build({ delegations: [{ name: 'dev.example.com', nameServers: NS }] })).toThrow('settings.domain.delegations[0].name: expected a subdomain of the zone "shop.example.com", got "dev.example.com"');
    expect(() => build({ delegations: [{ name: 'dev.shop.example.com', dsRecords: [ds] }] })).toThrow('settings.domain.delegations[0].dsRecords: expected nameServers as well: a DS record belongs to a delegation');
    expect(() => build({ hostedZone: { mode: 'lookup', name: 'example.com' }, delegations: [{ name: 'dev.shop.example.com' }] })).toThrow(/^SiteZone dns\/zone: invalid settings \(1 problem\):\n {2}settings\.domain\.delegations: expected no delegations with hostedZone\.mode "lookup"/);
  });

  it('looks an existing zone up instead: no zone, logs or DNSSEC, and nothing for the edge to check', () => {
    const looked = build({ hostedZone: { mode: 'lookup', name: 'example.com.' } });
    expect(looked.json.resource).toBeUndefined();
    expect(only(looked.json, 'aws_route53_zone', 'data')).toMatchObject({ name: 'example.com', private_zone: false });
    expect(looked.zone.ref.delegatedNameServers).toBeUndefined();
    expect(looked.zone.created).toBe(false);
    expect(() => build({ hostedZone: { mode: 'lookup', name: 'other.org' } })).toThrow('settings.domain.hostedZone.name: expected a zone containing "shop.example.com" (its parent domain or the name itself), got "other.org"');
  });
});
