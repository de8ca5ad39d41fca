import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { z } from 'zod';
import { DEFAULT_DELEGATION_RESOLVER } from './delegation';
import { SiteZone } from './dns';
import { domainSettings, edgeLayerSettings, edgeSettings } from './settings';
import { DEFAULT_RATE_LIMITS } from './waf';

/** The problems of a parse as "path: message" lines. */
function problems(schema: z.ZodType, value: unknown): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}
const NS = ['ns-1111.awsdns-11.org', 'ns-2222.awsdns-22.co.uk', 'ns-333.awsdns-33.com', 'ns-444.awsdns-44.net'];
const DS = `2371 13 2 ${'AB'.repeat(32)}`;

describe('edge settings (the `edge` section)', () => {
  it('defaults: production-safe, and the WAF defaults are these (DEFAULT_RATE_LIMITS is read from them, not written twice)', () => {
    const d = edgeSettings.parse({});
    expect(d).toEqual({
      rateLimitWindowSeconds: 300,
      writeRateLimit: 600,
      readRateLimit: 50000,
      rateLimitExemptCidrs: [],
      botControl: false,
      maxRequestBodyBytes: 65536,
      priceClass: 'PriceClass_100',
      deletionProtection: true,
      dnssec: true,
      logRetentionDays: 365,
    });
    expect(DEFAULT_RATE_LIMITS).toEqual({ windowSeconds: d.rateLimitWindowSeconds, writes: d.writeRateLimit, all: d.readRateLimit, exemptCidrs: [] });
    // Parsing its own output again changes nothing (the environment loader's output passes through the constructs).
    expect(edgeSettings.parse(d)).toEqual(d);
  });

  it('refuses rate limits outside AWS WAF\'s range and windows, accepts the bounds', () => {
    expect(problems(edgeSettings, { writeRateLimit: 9 })).toEqual(["writeRateLimit: expected at least 10 (AWS WAF's smallest rate limit)"]);
    expect(problems(edgeSettings, { readRateLimit: 2_000_000_001 })).toEqual(["readRateLimit: expected at most 2000000000 (AWS WAF's largest rate limit)"]);
    expect(problems(edgeSettings, { readRateLimit: 15000.5 })).toEqual([expect.stringMatching(/^readRateLimit: /)]);
    expect(problems(edgeSettings, { rateLimitWindowSeconds: 30 })).toEqual([expect.stringMatching(/^rateLimitWindowSeconds: /)]);
    expect(problems(edgeSettings, { rateLimitWindowSeconds: 60, writeRateLimit: 10, readRateLimit: 2_000_000_000 })).toEqual([]);
  });

  it('refuses a write limit above the read limit, and the replaced single limit by name', () => {
    expect(problems(edgeSettings, { writeRateLimit: 60000 })).toEqual(['writeRateLimit: expected at most readRateLimit (50000): every request counts towards it, got 60000']);
    expect(problems(edgeSettings, { wafRateLimit: 2000 })).toEqual(['wafRateLimit: replaced: set edge.writeRateLimit (writes) and edge.readRateLimit (every request) instead']);
  });

  it('refuses exempt CIDRs a WAF IP set cannot hold, and more than 50', () => {
    expect(problems(edgeSettings, { rateLimitExemptCidrs: ['203.0.113.0/24', '0.0.0.0/0', '203.0.113.7'] })).toEqual([
      'rateLimitExemptCidrs.1: expected a prefix from /1 to /32 (AWS WAF refuses /0)',
      'rateLimitExemptCidrs.2: expected an IPv4 CIDR block like 10.0.0.0/16, got "203.0.113.7"',
    ]);
    expect(problems(edgeSettings, { rateLimitExemptCidrs: Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`) })).toEqual([expect.stringMatching(/^rateLimitExemptCidrs: /)]);
  });

  it('refuses a body limit WAF cannot inspect, a price class and log retention AWS does not offer, unknown fields', () => {
    expect(problems(edgeSettings, { maxRequestBodyBytes: 65537 })).toEqual(['maxRequestBodyBytes: expected at most 65536: WAF inspects at most 64 KB of a CloudFront request body']);
    expect(problems(edgeSettings, { priceClass: 'PriceClass_300' })).toEqual([expect.stringMatching(/^priceClass: /)]);
    expect(problems(edgeSettings, { logRetentionDays: 45 })).toEqual([expect.stringMatching(/^logRetentionDays: /)]);
    expect(problems(edgeSettings, { originSecretVersion: 2 })).toEqual([expect.stringMatching(/^: .*originSecretVersion/)]);
  });
});

describe('domain settings (the `domain` section)', () => {
  it('defaults: a created zone, Google\'s resolver (the one constant DelegationCheck also defaults to), no delegations', () => {
    expect(domainSettings.parse({ name: 'shop.example.com' })).toEqual({ name: 'shop.example.com', hostedZone: { mode: 'create' }, delegationResolverUrl: DEFAULT_DELEGATION_RESOLVER, delegations: [] });
  });

  it('refuses a name that is not a DNS name and a resolver that is not an https URL', () => {
    expect(problems(domainSettings, { name: 'Shop_Example' })).toEqual(['name: expected a DNS name like dev.example.com']);
    expect(problems(domainSettings, { name: 'shop.example.com', delegationResolverUrl: 'http://dns.google/resolve' })).toEqual(['delegationResolverUrl: expected an https URL without a query, like https://dns.google/resolve']);
  });

  it('refuses a looked-up zone that does not contain the site name (a label boundary, not a suffix)', () => {
    expect(problems(domainSettings, { name: 'shop.example.com', hostedZone: { mode: 'lookup', name: 'p.example.com' } })).toEqual([
      'hostedZone.name: expected a zone containing "shop.example.com" (its parent domain or the name itself), got "p.example.com"',
    ]);
    expect(problems(domainSettings, { name: 'shop.example.com', hostedZone: { mode: 'lookup', name: 'example.com.' } })).toEqual([]);
  });

  it('delegations: exactly four Route 53 name servers, DS records only with them, distinct subdomains, only from a created zone', () => {
    const d = (delegations: unknown[], hostedZone: unknown = { mode: 'create' }) => problems(domainSettings, { name: 'shop.example.com', hostedZone, delegations });
    expect(d([{ name: 'dev.shop.example.com', nameServers: NS, dsRecords: [DS] }, { name: 'qa.shop.example.com' }])).toEqual([]);
    expect(d([{ name: 'dev.shop.example.com', nameServers: NS.slice(0, 3) }])).toEqual(["delegations.0.nameServers: expected exactly 4 name servers (the name_servers output of the child's dns stack)"]);
    expect(d([{ name: 'dev.shop.example.com', nameServers: [...NS.slice(0, 3), 'ns1.example.net'] }])).toEqual(['delegations.0.nameServers.3: expected a Route 53 name server like ns-123.awsdns-45.com']);
    expect(d([{ name: 'dev.shop.example.com', dsRecords: [DS] }])).toEqual(['delegations.0.dsRecords: expected nameServers as well: a DS record belongs to a delegation']);
    expect(d([{ name: 'dev.shop.example.com', nameServers: NS, dsRecords: ['2371 13 2 not-hex'] }])).toEqual(['delegations.0.dsRecords.0: expected a DS record value like "12345 13 2 <hex digest>"']);
    expect(d([{ name: 'xshop.example.com' }, { name: 'dev.shop.example.com' }, { name: 'dev.shop.example.com' }])).toEqual([
      'delegations.0.name: expected a subdomain of the zone "shop.example.com", got "xshop.example.com"',
      'delegations.2.name: expected distinct names, "dev.shop.example.com" appears twice',
    ]);
    expect(d([{ name: 'dev.shop.example.com' }], { mode: 'lookup', name: 'example.com' })).toEqual(['delegations: expected no delegations with hostedZone.mode "lookup": only a zone the dns stack creates holds them']);
  });
});

describe('the constructs read their defaults from the settings', () => {
  it('SiteZone with only a domain name: the edge section\'s defaults (DNSSEC on, 365-day query logs)', () => {
    const stack = new TerraformStack(Testing.app(), 'dns');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const zone = new SiteZone(stack, 'zone', { settings: { domain: { name: 'shop.example.com' } }, namePrefix: 'prod', usEast1Provider: new AwsProvider(stack, 'use1', { region: 'us-east-1', alias: 'us_east_1' }) });
    expect(zone.settings).toEqual(edgeLayerSettings.parse({ domain: { name: 'shop.example.com' } }));
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.resource.aws_route53_hosted_zone_dnssec ?? {})).toHaveLength(1);
    expect(Object.values<{ retention_in_days: number }>(json.resource.aws_cloudwatch_log_group).map((g) => g.retention_in_days)).toEqual([edgeSettings.parse({}).logRetentionDays]);
  });
});
