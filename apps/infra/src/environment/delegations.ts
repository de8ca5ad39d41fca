import type { ZoneDelegation } from '@awp/edge';

/**
 * The rules of `domain.delegations` that span environment files (the loader's `acrossFiles` and `annotate` hooks; the
 * rules of one file are the edge package's `domainSettings`). They keep the first deploy from deadlocking
 * (docs/first-deploy.md, section 4): when `dev.shop.example.com` is a zone of its own inside prod's created zone
 * `shop.example.com`, the NS records that delegate it must live in prod's zone. NS records for it in `example.com`
 * stop counting once `shop.example.com` is delegated: resolvers follow the delegation to prod's zone and never look at
 * `example.com` again for names below it (Route 53 Developer Guide, "Routing traffic for subdomains": a hosted zone
 * for the subdomain, NS records in the parent domain's zone).
 */

const inside = (name: string, zone: string) => name.endsWith(`.${zone}`);

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
