import { z } from 'zod';
import { logRetentionDays, positiveInt } from './fields';
import { parseCidr } from './cidr';
import { zoneDelegationSchema, domainDelegationProblems } from './delegations';

/**
 * Layer sections that still live here until their layer takes them into libs/<layer>/src/settings.ts (docs/architecture.md
 * → Settings: where a knob lives). Each holds its fields, their defaults and the rules that need only its own fields;
 * the environment schema is assembled from the sections in apps/infra/src/environment.
 */

/** The site's domain (dns and edge layers). */
export const domainSection = z.strictObject({
  name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a DNS name like dev.example.com').describe('The site name, served by CloudFront'),
  hostedZone: z
    .discriminatedUnion('mode', [
      z.strictObject({ mode: z.literal('create') }),
      z.strictObject({ mode: z.literal('lookup'), name: z.string().min(3).describe('Existing public zone to look up') }),
    ])
    .prefault({ mode: 'create' })
    .describe('create: the dns stack creates the zone (delegate it from the parent before the edge stack plans); lookup: an existing, delegated zone'),
  delegationResolverUrl: z
    .string()
    .regex(/^https:\/\/[^\s?#]+$/, 'expected an https URL without a query, like https://dns.google/resolve')
    .default('https://dns.google/resolve')
    .describe("DNS JSON API (Google's ?name=&type=NS format) the edge stack asks whether a created zone is delegated"),
  // Child zones this environment's created zone delegates (dns layer; rules and the check across files: ./delegations.ts).
  delegations: z
    .array(zoneDelegationSchema)
    .default([])
    .describe('Child zones delegated from this environment\'s created zone (e.g. prod lists dev.shop.example.com): the dns stack writes their NS (and DS) records'),
})
  .superRefine((domain, ctx) => {
    for (const [path, message] of domainDelegationProblems(domain)) ctx.addIssue({ code: 'custom', path, message });
    // The edge writes the site's records and certificate validation records into the looked-up zone.
    const zone = domain.hostedZone.mode === 'lookup' ? domain.hostedZone.name.replace(/\.$/, '') : undefined;
    if (zone !== undefined && domain.name !== zone && !domain.name.endsWith(`.${zone}`)) {
      ctx.addIssue({ code: 'custom', path: ['hostedZone', 'name'], message: `expected a zone containing "${domain.name}" (its parent domain or the name itself), got "${zone}"` });
    }
  });


// AWS WAF's range for a rate-based rule's limit (edge layer).
const wafRateLimit = z.number().int().min(10, 'expected at least 10 (AWS WAF\'s smallest rate limit)').max(2_000_000_000, 'expected at most 2000000000 (AWS WAF\'s largest rate limit)');

/** The edge and dns layers. */
export const edgeSection = z
  .strictObject({
    // ---- WAF per-IP rate limits (libs/edge EdgeWaf; DEFAULT_RATE_LIMITS there holds the same defaults) ----
    // AWS WAF rate-based rules: limit 10 to 2,000,000,000, evaluation window 60, 120, 300 or 600 s (AWS WAF
    // Developer Guide, "Rate-based rule high-level settings"). Reads get a high limit so the 500 req/s target is
    // reachable from 4 load-generator IPs and a carrier NAT of phones is not blocked; writes a strict one.
    rateLimitWindowSeconds: z
      .union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)])
      .default(300)
      .describe('Evaluation window of both rate limits, in seconds (AWS WAF accepts 60, 120, 300, 600)'),
    writeRateLimit: wafRateLimit.default(600).describe('Requests per window per client IP that change something (any method but GET, HEAD, OPTIONS)'),
    readRateLimit: wafRateLimit
      .default(50_000)
      .describe('Requests of any kind per window per client IP: the ceiling for reads (GET/HEAD on /api/* and the storefront); 50,000 per 5 min is ~167 req/s'),
    rateLimitExemptCidrs: z
      .array(
        z.string().superRefine((v, ctx) => {
          const c = parseCidr(v);
          // AWS WAF IP sets take any CIDR but /0 (WAFV2 API Reference, IPSet.Addresses).
          if (typeof c === 'string' || c.prefix === 0) ctx.addIssue({ code: 'custom', message: typeof c === 'string' ? c : 'expected a prefix from /1 to /32 (AWS WAF refuses /0)' });
        }),
      )
      .max(50)
      .default([])
      .describe('IPv4 CIDR blocks of allow-listed load generators: neither rate limit counts them (a WAF IP set); every other rule still applies'),
    wafRateLimit: z.never({ error: 'replaced: set edge.writeRateLimit (writes) and edge.readRateLimit (every request) instead' }).optional().describe('Replaced by writeRateLimit and readRateLimit'),
    botControl: z.boolean().default(false),
    // WAF inspects at most 64 KB of a CloudFront request body: a larger limit could not be enforced.
    maxRequestBodyBytes: positiveInt
      .max(65536, 'expected at most 65536: WAF inspects at most 64 KB of a CloudFront request body')
      .default(65536)
      .describe('Largest request body on API paths; WAF blocks larger ones'),
    priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100'),
    deletionProtection: z.boolean().default(true).describe('ALB deletion protection (guardrail AWP-EDGE-008 requires it in prod)'),
    dnssec: z.boolean().default(true).describe('Sign a created hosted zone with DNSSEC (dns stack; add the DS record to the parent zone once delegated)'),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of the WAF (edge) and Route 53 query (dns) log groups in us-east-1'),
  })
  .superRefine((e, ctx) => {
    if (e.writeRateLimit > e.readRateLimit) ctx.addIssue({ code: 'custom', path: ['writeRateLimit'], message: `expected at most readRateLimit (${e.readRateLimit}): every request counts towards it, got ${e.writeRateLimit}` });
  })
  .prefault({});

