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
  /** Login of who created the deployment (`creator.login`). */
  creator?: string;
  /** Statuses newest first, as the API lists them; `creator` = login of who created the status. */
  statuses: { state: DeploymentState | string; created_at?: string; creator?: string }[];
}

/**
 * Who may create the deployments and statuses the gate trusts: the workflows' own token (GitHub shows it as
 * `github-actions[bot]`). Anyone else with `deployments: write` (a person, another app) could otherwise mark a
 * commit "success" in staging and walk it into prod.
 */
export const DEFAULT_TRUSTED_CREATORS: readonly string[] = ['github-actions[bot]'];

/** The deployment with only the statuses created by a trusted login; undefined when its creator is not trusted. */
export function trustedView(d: DeploymentRecord, trusted: readonly string[] = DEFAULT_TRUSTED_CREATORS): DeploymentRecord | undefined {
  if (d.creator === undefined || !trusted.includes(d.creator)) return undefined;
  return { ...d, statuses: d.statuses.filter((s) => s.creator !== undefined && trusted.includes(s.creator)) };
}

/** How `sha` relates to the environment's deployed commit: GitHub's compare status of deployed...sha. */
export type CommitRelation = 'ahead' | 'identical' | 'behind' | 'diverged';

/** The newest successful, trusted deployment of `environment` (what it runs now), if any. */
export function currentDeployment(deployments: readonly DeploymentRecord[], environment: string, trusted: readonly string[] = DEFAULT_TRUSTED_CREATORS): DeploymentRecord | undefined {
  return deployments
    .filter((d) => d.environment === environment)
    .map((d) => trustedView(d, trusted))
    .filter((d): d is DeploymentRecord => d !== undefined && deploymentSucceeded(d))
    .sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.id - a.id)[0];
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
  /** Deployments of `sha` to the environment `target` promotes from. */
  deployments: readonly DeploymentRecord[];
  /** Logins whose deployments and statuses count (default {@link DEFAULT_TRUSTED_CREATORS}). */
  trustedCreators?: readonly string[];
  /** What `target` runs now and how `sha` relates to it; an older commit (behind, diverged) is refused. */
  current?: { sha: string; deployment: number; relation: CommitRelation };
  /** Break-glass: allow a commit older than the deployed one (recorded by the caller). */
  allowOlder?: boolean;
}): PromotionDecision {
  const { target, sha } = input;
  const trusted = input.trustedCreators ?? DEFAULT_TRUSTED_CREATORS;
  promotionOrder(input.environments);
  const rule = input.environments.find((e) => e.name === target);
  if (!rule) {
    throw new PromotionConfigError(`unknown environment "${target}": expected one of ${input.environments.map((e) => e.name).join(', ')}`);
  }
  const short = sha.slice(0, 7);
  const cur = input.current;
  if (cur && (cur.relation === 'behind' || cur.relation === 'diverged') && !input.allowOlder) {
    const what = cur.relation === 'behind' ? `is older than (an ancestor of) ${cur.sha.slice(0, 7)}` : `is not a descendant of ${cur.sha.slice(0, 7)} (the histories diverged)`;
    return {
      allowed: false,
      target,
      requires: rule.promotesFrom,
      reason: `refusing to apply commit ${short} to ${target}: it ${what}, which ${target} runs (deployment ${cur.deployment}); deploy a newer commit, or use break-glass to roll back on purpose`,
    };
  }
  if (!rule.promotesFrom) return { allowed: true, target, reason: `${target} is the first environment: any commit may be applied` };
  const from = rule.promotesFrom;
  const candidates = input.deployments
    .map((d) => trustedView(d, trusted))
    .filter((d): d is DeploymentRecord => d !== undefined && d.environment === from && d.sha === sha)
    .sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.id - a.id);
  const ok = candidates.find(deploymentSucceeded);
  if (ok) return { allowed: true, target, requires: from, evidence: ok.id, reason: `commit ${short} succeeded in ${from} (deployment ${ok.id})` };
  if (candidates.length === 0) {
    const untrusted = input.deployments.some((d) => d.environment === from && d.sha === sha);
    const note = untrusted ? ` (deployments there not created by ${trusted.join(' or ')} do not count)` : '';
    return { allowed: false, target, requires: from, reason: `refusing to apply commit ${short} to ${target}: it has no deployment in ${from}${note}; apply it to ${from} first` };
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
