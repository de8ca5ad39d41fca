import { z } from 'zod';

/**
 * Child zones a created zone delegates (`domain.delegations`, the dns layer), and the checks across environment files
 * that keep the first deploy from deadlocking (docs/first-deploy.md, section 4): when `dev.shop.example.com` is a
 * zone of its own inside prod's created zone `shop.example.com`, the NS records that delegate it must live in prod's
 * zone. NS records for it in `example.com` stop counting once `shop.example.com` is delegated: resolvers follow the
 * delegation to prod's zone and never look at `example.com` again for names below it (Route 53 Developer Guide,
 * "Routing traffic for subdomains": a hosted zone for the subdomain, NS records in the parent domain's zone).
 */

/**
 * A Route 53 name server (`ns-<n>.awsdns-<nn>.<com|net|org|co.uk>`): every public hosted zone gets four, one per
 * top-level domain (Route 53 Developer Guide, "NS and SOA records that Route 53 creates for a public hosted zone").
 */
export const ROUTE53_NAME_SERVER = /^ns-\d{1,4}\.awsdns-\d{2}\.(com|net|org|co\.uk)\.?$/;
/** A DS record value as Route 53 takes it: `<key tag> <algorithm> <digest type> <hex digest>` (RFC 4034 §5.3). */
export const DS_RECORD_VALUE = /^\d{1,5} \d{1,3} \d{1,3} [0-9A-Fa-f]{40,128}$/;

export const zoneDelegationSchema = z
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

export type ZoneDelegation = z.output<typeof zoneDelegationSchema>;

const inside = (name: string, zone: string) => name.endsWith(`.${zone}`);

/** Checks of one file's `domain`: delegations only from a created zone, each a distinct subdomain of it. */
export function domainDelegationProblems(domain: { name: string; hostedZone: { mode: string }; delegations: readonly ZoneDelegation[] }): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  if (domain.delegations.length > 0 && domain.hostedZone.mode !== 'create') {
    out.push([['delegations'], `expected no delegations with hostedZone.mode "${domain.hostedZone.mode}": only a zone the dns stack creates holds them`]);
  }
  domain.delegations.forEach((d, i) => {
    if (!inside(d.name, domain.name)) out.push([['delegations', i, 'name'], `expected a subdomain of the zone "${domain.name}", got "${d.name}"`]);
    if (domain.delegations.findIndex((o) => o.name === d.name) !== i) out.push([['delegations', i, 'name'], `expected distinct names, "${d.name}" appears twice`]);
  });
  return out;
}

/** The environment whose created zone holds another's delegation (set by the loader on the child's config). */
export interface ParentZone {
  /** The parent's zone, e.g. `shop.example.com`. */
  readonly zone: string;
  readonly environment: string;
  /** The parent's environment file, `<folder>/<name>.json` (e.g. `environments/prod.json`). */
  readonly file: string;
  /** Whether the parent's delegation for this zone lists name servers yet. */
  readonly nameServersListed: boolean;
}

interface DomainOf {
  readonly name: string;
  readonly domain: { readonly name: string; readonly hostedZone: { readonly mode: string }; readonly delegations: readonly ZoneDelegation[] };
}

/** The nearest created zone of another environment that encloses `env`'s created zone, if any. */
export function parentZoneOf<T extends DomainOf>(env: T, all: readonly T[], fileOf: (c: T) => string): ParentZone | undefined {
  if (env.domain.hostedZone.mode !== 'create') return undefined;
  const parent = all
    .filter((o) => o.name !== env.name && o.domain.hostedZone.mode === 'create' && inside(env.domain.name, o.domain.name))
    .sort((a, b) => b.domain.name.length - a.domain.name.length)[0];
  if (!parent) return undefined;
  const entry = parent.domain.delegations.find((d) => d.name === env.domain.name);
  return { zone: parent.domain.name, environment: parent.name, file: fileOf(parent), nameServersListed: entry?.nameServers !== undefined };
}

/**
 * Across files: an environment whose created zone lies inside another environment's created zone must be one of
 * that environment's `domain.delegations`, or nothing would ever delegate it (the problem is reported against the
 * parent's file, where the fix goes, and names the child's). Only problems touching `checked` are reported.
 */
export function zoneDelegationProblems<T extends DomainOf>(checked: readonly T[], all: readonly T[], fileOf: (c: T) => string): { file: string; path: string; message: string }[] {
  const out: { file: string; path: string; message: string }[] = [];
  for (const child of all) {
    const parent = parentZoneOf(child, all, fileOf);
    if (!parent || parent.nameServersListed) continue;
    const owner = all.find((o) => o.name === parent.environment) as T;
    if (!checked.includes(child) && !checked.includes(owner)) continue;
    if (owner.domain.delegations.some((d) => d.name === child.domain.name)) continue;
    out.push({
      file: parent.file,
      path: 'domain.delegations',
      message:
        `expected an entry for "${child.domain.name}": ${fileOf(child)} creates that zone inside this environment's zone "${parent.zone}", so only this zone can delegate it; ` +
        `add { "name": "${child.domain.name}" } (and its "nameServers" once ${child.name}-dns has been applied)`,
    });
  }
  return out;
}
