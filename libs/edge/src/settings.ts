import { z } from 'zod';
import { logRetentionDays, parseCidr, positiveInt } from '@awp/config';
import { DEFAULT_DELEGATION_RESOLVER } from './delegation';

/**
 * The dns and edge layers' settings: the `domain` and `edge` sections of an environment file and the `settings` prop
 * of `SiteZone` and `Edge` (`{ domain, edge }`). The one place each default is written (docs/architecture.md →
 * Settings: where a knob lives). Rules across environment files (a zone inside another environment's created zone
 * must be one of its `domain.delegations`) and rules that depend on the tier are the assembly's
 * (apps/infra/src/environment).
 */

type Issue = (path: (string | number)[], message: string) => void;
const issues = (ctx: z.RefinementCtx): Issue => (path, message) => ctx.addIssue({ code: 'custom', path, message });

/**
 * A Route 53 name server (`ns-<n>.awsdns-<nn>.<com|net|org|co.uk>`): every public hosted zone gets four, one per
 * top-level domain (Route 53 Developer Guide, "NS and SOA records that Route 53 creates for a public hosted zone").
 */
export const ROUTE53_NAME_SERVER = /^ns-\d{1,4}\.awsdns-\d{2}\.(com|net|org|co\.uk)\.?$/;
/** A DS record value as Route 53 takes it: `<key tag> <algorithm> <digest type> <hex digest>` (RFC 4034 §5.3). */
export const DS_RECORD_VALUE = /^\d{1,5} \d{1,3} \d{1,3} [0-9A-Fa-f]{40,128}$/;

/** One child zone a created zone delegates (`domain.delegations[]`, `SiteZone`). */
export const zoneDelegationSettings = z
  .strictObject({
    name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a DNS name like dev.shop.example.com').describe('The child zone, a subdomain of this environment\'s created zone'),
    nameServers: z
      .array(z.string().regex(ROUTE53_NAME_SERVER, 'expected a Route 53 name server like ns-123.awsdns-45.com'))
      .length(4, 'expected exactly 4 name servers (the name_servers output of the child\'s dns stack)')
      .optional()
      .describe('The child zone\'s four name servers: the dns stack creates the NS record. Omit until the child\'s dns stack has been applied'),
    dsRecords: z
      .array(z.string().regex(DS_RECORD_VALUE, 'expected a DS record value like "12345 13 2 <hex digest>"'))
      .min(1)
      .optional()
      .describe('DNSSEC: the child\'s DS record values (the ds_record output of its dns stack); only once the NS delegation works'),
  })
  .superRefine((d, ctx) => {
    // A DS record without the delegation it vouches for is meaningless; Route 53 refuses it (RFC 4035 §2.4).
    if (d.dsRecords && !d.nameServers) ctx.addIssue({ code: 'custom', path: ['dsRecords'], message: 'expected nameServers as well: a DS record belongs to a delegation' });
  });

/** The site's domain and its zone (`domain`: the dns layer's `SiteZone`, the edge layer's certificates and records). */
export const domainSettings = z
  .strictObject({
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
      .default(DEFAULT_DELEGATION_RESOLVER)
      .describe("DNS JSON API (Google's ?name=&type=NS format) the edge stack asks whether a created zone is delegated"),
    // Child zones this environment's created zone delegates; the check across files is the assembly's (apps/infra/src/environment/delegations.ts).
    delegations: z
      .array(zoneDelegationSettings)
      .default([])
      .describe('Child zones delegated from this environment\'s created zone (e.g. prod lists dev.shop.example.com): the dns stack writes their NS (and DS) records'),
  })
  .superRefine((domain, ctx) => {
    const issue = issues(ctx);
    // Delegations only from a created zone, each a distinct subdomain of it.
    if (domain.delegations.length > 0 && domain.hostedZone.mode !== 'create') {
      issue(['delegations'], `expected no delegations with hostedZone.mode "${domain.hostedZone.mode}": only a zone the dns stack creates holds them`);
    }
    domain.delegations.forEach((d, i) => {
      if (!d.name.endsWith(`.${domain.name}`)) issue(['delegations', i, 'name'], `expected a subdomain of the zone "${domain.name}", got "${d.name}"`);
      if (domain.delegations.findIndex((o) => o.name === d.name) !== i) issue(['delegations', i, 'name'], `expected distinct names, "${d.name}" appears twice`);
    });
    // The edge writes the site's records and certificate validation records into the looked-up zone.
    const zone = domain.hostedZone.mode === 'lookup' ? domain.hostedZone.name.replace(/\.$/, '') : undefined;
    if (zone !== undefined && domain.name !== zone && !domain.name.endsWith(`.${zone}`)) {
      issue(['hostedZone', 'name'], `expected a zone containing "${domain.name}" (its parent domain or the name itself), got "${zone}"`);
    }
  });

/** The evaluation windows AWS WAF accepts for a rate-based rule, in seconds. */
export const WAF_RATE_WINDOWS = [60, 120, 300, 600] as const;
/** The smallest and largest limit AWS WAF accepts for a rate-based rule. */
export const WAF_RATE_LIMIT_RANGE = [10, 2_000_000_000] as const;

// AWS WAF's range for a rate-based rule's limit.
const wafRateLimit = z
  .number()
  .int()
  .min(WAF_RATE_LIMIT_RANGE[0], `expected at least ${WAF_RATE_LIMIT_RANGE[0]} (AWS WAF's smallest rate limit)`)
  .max(WAF_RATE_LIMIT_RANGE[1], `expected at most ${WAF_RATE_LIMIT_RANGE[1]} (AWS WAF's largest rate limit)`);

/** WAF, CloudFront, the ALB and the us-east-1 log groups (`edge`: `Edge`; `dnssec` and `logRetentionDays` also `SiteZone`). */
export const edgeSettings = z
  .strictObject({
    // ---- WAF per-IP rate limits (EdgeWaf: DEFAULT_RATE_LIMITS is read from these defaults) ----
    // AWS WAF rate-based rules: limit 10 to 2,000,000,000, evaluation window 60, 120, 300 or 600 s (AWS WAF
    // Developer Guide, "Rate-based rule high-level settings"). Reads get a high limit so the 500 req/s target is
    // reachable from 4 load-generator IPs and a carrier NAT of phones is not blocked; writes a strict one.
    rateLimitWindowSeconds: z
      .union(WAF_RATE_WINDOWS.map((w) => z.literal(w)) as unknown as [z.ZodLiteral<60>, z.ZodLiteral<120>, z.ZodLiteral<300>, z.ZodLiteral<600>])
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
    if (e.writeRateLimit > e.readRateLimit) issues(ctx)(['writeRateLimit'], `expected at most readRateLimit (${e.readRateLimit}): every request counts towards it, got ${e.writeRateLimit}`);
  });

/** What `SiteZone` and `Edge` take as `settings`: the environment file's two sections, side by side. */
export const edgeLayerSettings = z.strictObject({
  domain: domainSettings,
  edge: edgeSettings.prefault({}),
});

/** What a caller may pass (defaults optional). */
export type EdgeLayerSettings = z.input<typeof edgeLayerSettings>;
/** What the constructs use (defaults filled in). */
export type ResolvedEdgeLayerSettings = z.output<typeof edgeLayerSettings>;
export type DomainSettings = z.input<typeof domainSettings>;
export type ResolvedDomainSettings = z.output<typeof domainSettings>;
export type EdgeSettings = z.input<typeof edgeSettings>;
export type ResolvedEdgeSettings = z.output<typeof edgeSettings>;
export type ZoneDelegationSettings = z.input<typeof zoneDelegationSettings>;
export type ZoneDelegation = z.output<typeof zoneDelegationSettings>;
export type PriceClass = ResolvedEdgeSettings['priceClass'];
