import { z } from 'zod';
import { logRetentionDays, positiveInt } from './fields';

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
})
  .superRefine((domain, ctx) => {
    // The edge writes the site's records and certificate validation records into the looked-up zone.
    const zone = domain.hostedZone.mode === 'lookup' ? domain.hostedZone.name.replace(/\.$/, '') : undefined;
    if (zone !== undefined && domain.name !== zone && !domain.name.endsWith(`.${zone}`)) {
      ctx.addIssue({ code: 'custom', path: ['hostedZone', 'name'], message: `expected a zone containing "${domain.name}" (its parent domain or the name itself), got "${zone}"` });
    }
  });


/** The edge and dns layers. */
export const edgeSection = z
  .strictObject({
    wafRateLimit: z.number().int().min(10).max(2_000_000_000).default(2000).describe('Requests per 5 minutes per client IP'),
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
  .prefault({});

