/**
 * How long a stack's first apply may take at worst: Terraform waits for each resource at most its create timeout
 * (the resource's `timeouts.create`, or the provider's default), and resources wait for the ones they reference.
 * The longest chain of those waits bounds the apply; the apply role's session must outlast it
 * (APPLY_MAX_SESSION_SECONDS, checked in apps/infra/test/bootstrap.test.ts).
 */

/**
 * Default create timeouts in minutes, from the AWS provider's documentation (website/docs/r/<type> → Timeouts) or,
 * where the provider waits without a configurable timeout, its source. Types not listed return in seconds.
 */
export const CREATE_TIMEOUT_MINUTES: Readonly<Record<string, number>> = {
  aws_db_instance: 40, // Multi-AZ primary and each read replica (replicas wait for the primary)
  aws_elasticache_replication_group: 60,
  aws_eks_cluster: 30,
  aws_eks_node_group: 60,
  aws_eks_addon: 20,
  aws_acm_certificate_validation: 75,
  aws_cloudfront_distribution: 90, // waitDistributionDeployed: 90 min, not configurable
  aws_nat_gateway: 10,
  aws_vpc_endpoint: 10,
  aws_lb: 10,
};

/** Minutes a stack's apply needs beyond its resources: init, provider download, plan and refresh. */
export const APPLY_OVERHEAD_MINUTES = 20;

interface Json { [k: string]: unknown }

function timeoutMinutes(type: string, config: Json): number {
  const create = (config.timeouts as Json | undefined)?.create;
  if (typeof create === 'string') {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(create.replace(/\s+/g, ''));
    if (m) return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) + Math.ceil(Number(m[3] ?? 0) / 60);
  }
  return CREATE_TIMEOUT_MINUTES[type] ?? 0;
}

/** The longest chain of create timeouts in one synthesized stack, with the chain. */
export function worstCaseApply(stack: Json): { minutes: number; chain: string[] } {
  const resources = new Map<string, Json>();
  for (const [type, byName] of Object.entries((stack.resource ?? {}) as Record<string, Record<string, Json>>)) {
    for (const [name, config] of Object.entries(byName)) resources.set(`${type}.${name}`, config);
  }
  const deps = new Map<string, string[]>();
  for (const [address, config] of resources) {
    const text = JSON.stringify(config);
    const refs = [...resources.keys()].filter((other) => other !== address && text.includes(`${other}.`));
    const explicit = ((config.depends_on ?? []) as string[]).filter((d) => resources.has(d));
    deps.set(address, [...new Set([...refs, ...explicit])]);
  }
  const memo = new Map<string, { minutes: number; chain: string[] }>();
  const visit = (address: string, seen: Set<string>): { minutes: number; chain: string[] } => {
    const known = memo.get(address);
    if (known) return known;
    if (seen.has(address)) return { minutes: 0, chain: [] };
    seen.add(address);
    const own = timeoutMinutes(address.split('.')[0], resources.get(address) as Json);
    let best = { minutes: 0, chain: [] as string[] };
    for (const d of deps.get(address) ?? []) {
      const r = visit(d, seen);
      if (r.minutes > best.minutes) best = r;
    }
    const result = { minutes: best.minutes + own, chain: own > 0 ? [...best.chain, `${address} (${own} min)`] : best.chain };
    memo.set(address, result);
    return result;
  };
  let worst = { minutes: 0, chain: [] as string[] };
  for (const address of resources.keys()) {
    const r = visit(address, new Set());
    if (r.minutes > worst.minutes) worst = r;
  }
  return worst;
}
