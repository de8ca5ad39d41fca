/**
 * Promotion rules (docs/architecture.md → Delivery): a commit may be applied to an environment only after it succeeded in
 * the environment it promotes from (`promotesFrom` in environments/<env>.json): staging after dev, prod after
 * staging. Pure: the caller reads deployments and their statuses (GitHub Deployments API) and passes them in.
 */

export interface EnvironmentRule {
  name: string;
  /** The environment a commit must have succeeded in first; absent for the first environment (dev). */
  promotesFrom?: string;
}

/** GitHub deployment status states. */
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface DeploymentRecord {
  id: number;
  environment: string;
  sha: string;
  created_at?: string;
  /** Statuses newest first, as the API lists them. */
  statuses: { state: DeploymentState | string; created_at?: string }[];
}

export interface PromotionDecision {
  allowed: boolean;
  target: string;
  /** The environment the commit must have succeeded in, if any. */
  requires?: string;
  /** The deployment that proves the earlier success. */
  evidence?: number;
  /** One sentence saying why. */
  reason: string;
}

export class PromotionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionConfigError';
  }
}

/** Environments in promotion order (dev, staging, prod); rejects unknown `promotesFrom` targets and cycles. */
export function promotionOrder(envs: readonly EnvironmentRule[]): string[] {
  const byName = new Map(envs.map((e) => [e.name, e]));
  for (const e of envs) {
    if (e.promotesFrom !== undefined && !byName.has(e.promotesFrom)) {
      throw new PromotionConfigError(`environment "${e.name}": promotesFrom "${e.promotesFrom}" is not one of ${[...byName.keys()].join(', ')}`);
    }
  }
  const depth = (name: string, seen: string[] = []): number => {
    if (seen.includes(name)) throw new PromotionConfigError(`promotion cycle: ${[...seen, name].join(' → ')}`);
    const from = byName.get(name)?.promotesFrom;
    return from ? 1 + depth(from, [...seen, name]) : 0;
  };
  return [...byName.keys()].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
}

/**
 * A deployment succeeded when its newest status is `success`, or it is `inactive` after an earlier `success`
 * (GitHub marks a successful deployment inactive when a newer one to the same environment succeeds).
 */
export function deploymentSucceeded(d: DeploymentRecord): boolean {
  const sorted = [...d.statuses].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''));
  const latest = sorted[0]?.state;
  if (latest === 'success') return true;
  return latest === 'inactive' && sorted.some((s) => s.state === 'success');
}

/** May `sha` be applied to `target`? */
export function checkPromotion(input: {
  target: string;
  sha: string;
  environments: readonly EnvironmentRule[];
  deployments: readonly DeploymentRecord[];
}): PromotionDecision {
  const { target, sha } = input;
  promotionOrder(input.environments);
  const rule = input.environments.find((e) => e.name === target);
  if (!rule) {
    throw new PromotionConfigError(`unknown environment "${target}": expected one of ${input.environments.map((e) => e.name).join(', ')}`);
  }
  const short = sha.slice(0, 7);
  if (!rule.promotesFrom) return { allowed: true, target, reason: `${target} is the first environment: any commit may be applied` };
  const from = rule.promotesFrom;
  const candidates = input.deployments
    .filter((d) => d.environment === from && d.sha === sha)
    .sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.id - a.id);
  const ok = candidates.find(deploymentSucceeded);
  if (ok) return { allowed: true, target, requires: from, evidence: ok.id, reason: `commit ${short} succeeded in ${from} (deployment ${ok.id})` };
  if (candidates.length === 0) {
    return { allowed: false, target, requires: from, reason: `refusing to apply commit ${short} to ${target}: it has no deployment in ${from}; apply it to ${from} first` };
  }
  const latest = candidates[0];
  const state = [...latest.statuses].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))[0]?.state ?? 'no status';
  return {
    allowed: false,
    target,
    requires: from,
    reason: `refusing to apply commit ${short} to ${target}: its latest deployment to ${from} (${latest.id}) is "${state}", not "success"`,
  };
}
