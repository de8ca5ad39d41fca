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
  /** The workflow run the deployment names in its payload (see {@link runIdOf}). */
  runId?: number;
  /** That run as GET /repos/{owner}/{repo}/actions/runs/{runId} reports it; absent when not found. */
  run?: WorkflowRunInfo;
}

/** The fields of a workflow run (GitHub REST "Get a workflow run") that prove where a deployment came from. */
export interface WorkflowRunInfo {
  id: number;
  /** The workflow file of the run, e.g. `.github/workflows/deploy.yml`. */
  path: string;
  head_branch: string | null;
  event: string;
  head_sha: string;
}

/**
 * Where a deployment must come from to count. Every workflow's GITHUB_TOKEN is `github-actions[bot]` and any
 * workflow (a pushed branch's too) may ask for `deployments: write`, so the creator alone proves nothing: the
 * deployment must name a run of deploy.yml on main, started by a push or a manual dispatch, for the same commit.
 * A reusable workflow runs inside its caller's run: GET /actions/runs/{id} reports the CALLER's `path`
 * (deploy.yml; deploy-env.yml appears only under `referenced_workflows`) —
 * https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run.
 */
export const DEPLOY_PROVENANCE = { path: '.github/workflows/deploy.yml', branch: 'main', events: ['push', 'workflow_dispatch'] } as const;

/**
 * A workflow run's `path` as the repository-relative file: GitHub documents it as "the full path of the workflow"
 * and its REST schema's example is `octocat/octo-repo/.github/workflows/ci.yml@main`, while responses have also
 * carried the bare `.github/workflows/ci.yml`; either form (with or without `owner/repo/` and `@ref`) gives the file.
 */
export function workflowFile(path: string | undefined | null): string {
  const p = String(path ?? '');
  return /^(?:[^/@]+\/[^/@]+\/)?(\.github\/workflows\/[^@]+\.ya?ml)(?:@.*)?$/.exec(p)?.[1] ?? p;
}

/** The run id a deployment's payload names: `run_id`, or the run URL (`…/actions/runs/<id>`) earlier gates recorded. */
export function runIdOf(payload: unknown): number | undefined {
  let p = payload;
  if (typeof p === 'string') {
    try {
      p = JSON.parse(p) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!p || typeof p !== 'object') return undefined;
  const { run_id: id, run } = p as { run_id?: unknown; run?: unknown };
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  const m = typeof run === 'string' ? /\/actions\/runs\/(\d+)(?:\/|$)/.exec(run) : null;
  return m ? Number(m[1]) : undefined;
}

/** Why the deployment's run does not prove it came from deploy.yml on main for its commit; undefined when it does. */
export function provenanceProblem(d: DeploymentRecord): string | undefined {
  if (d.runId === undefined) return 'names no workflow run';
  const r = d.run;
  if (!r) return `its run ${d.runId} was not found`;
  if (workflowFile(r.path) !== DEPLOY_PROVENANCE.path) return `its run ${r.id} is ${r.path}, not ${DEPLOY_PROVENANCE.path}`;
  if (r.head_branch !== DEPLOY_PROVENANCE.branch) return `its run ${r.id} ran on ${r.head_branch ?? 'no branch'}, not ${DEPLOY_PROVENANCE.branch}`;
  if (!(DEPLOY_PROVENANCE.events as readonly string[]).includes(r.event)) return `its run ${r.id} was triggered by ${r.event}, not ${DEPLOY_PROVENANCE.events.join(' or ')}`;
  if (r.head_sha !== d.sha) return `its run ${r.id} built ${r.head_sha.slice(0, 7)}, not ${d.sha.slice(0, 7)}`;
  return undefined;
}

/**
 * Who may create the deployments and statuses the gate trusts: the workflows' own token (GitHub shows it as
 * `github-actions[bot]`). Anyone else with `deployments: write` (a person, another app) could otherwise mark a
 * commit "success" in staging and walk it into prod.
 */
export const DEFAULT_TRUSTED_CREATORS: readonly string[] = ['github-actions[bot]'];

/**
 * The deployment with only the statuses created by a trusted login; undefined when its creator is not trusted or
 * its run does not prove it came from deploy.yml on main ({@link provenanceProblem}).
 */
export function trustedView(d: DeploymentRecord, trusted: readonly string[] = DEFAULT_TRUSTED_CREATORS): DeploymentRecord | undefined {
  if (d.creator === undefined || !trusted.includes(d.creator)) return undefined;
  if (provenanceProblem(d) !== undefined) return undefined;
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
    const note = untrusted ? ` (deployments there not created by ${trusted.join(' or ')} from a ${DEPLOY_PROVENANCE.path} run on ${DEPLOY_PROVENANCE.branch} do not count)` : '';
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

/** A deployment as the REST API lists it (the fields read here). */
export interface ApiDeployment {
  id: number;
  environment: string;
  sha: string;
  created_at?: string;
  creator?: { login?: string } | null;
  payload?: unknown;
}

/** What the deployment readers need from GitHub (the promote-gate action and deployed.cjs each implement it). */
export interface DeploymentsApi {
  /** One page (1-based) of deployments, newest first, as GET /repos/{o}/{r}/deployments filters them. */
  deployments(query: { environment: string; sha?: string; task?: string; per_page: number; page: number }): Promise<ApiDeployment[]>;
  /** Every status of a deployment (all pages), newest first. */
  statuses(id: number): Promise<{ state: string; created_at?: string; creator?: { login?: string } | null }[]>;
  /** GET /repos/{o}/{r}/actions/runs/{id}; undefined when there is no such run (404). */
  run(id: number): Promise<WorkflowRunInfo | undefined>;
}

/** The largest page GitHub serves for deployments. */
const PAGE = 100;

/** Reads one deployment's statuses and (for a trusted creator) its run, caching runs by id. */
async function readRecord(api: DeploymentsApi, d: ApiDeployment, trusted: readonly string[], runs: Map<number, Promise<WorkflowRunInfo | undefined>>): Promise<DeploymentRecord> {
  const creator = d.creator?.login ?? undefined;
  const record: DeploymentRecord = { id: d.id, environment: d.environment, sha: d.sha, created_at: d.created_at, creator, statuses: [], runId: runIdOf(d.payload) };
  if (creator === undefined || !trusted.includes(creator)) return record; // never counts: no more calls
  record.statuses = (await api.statuses(d.id)).map((s) => ({ state: s.state, created_at: s.created_at, creator: s.creator?.login ?? undefined }));
  if (record.runId !== undefined) {
    if (!runs.has(record.runId)) runs.set(record.runId, api.run(record.runId));
    record.run = await runs.get(record.runId);
  }
  return record;
}

/**
 * Every deployment of `sha` to `environment` (task `task`), all pages, with statuses and runs: what the gate
 * needs to decide whether the commit succeeded in the environment it promotes from.
 */
export async function readDeploymentsOf(api: DeploymentsApi, environment: string, sha: string, task: string, trusted: readonly string[] = DEFAULT_TRUSTED_CREATORS): Promise<DeploymentRecord[]> {
  const runs = new Map<number, Promise<WorkflowRunInfo | undefined>>();
  const out: DeploymentRecord[] = [];
  for (let page = 1; ; page++) {
    const list = await api.deployments({ environment, sha, task, per_page: PAGE, page });
    for (const d of list) out.push(await readRecord(api, d, trusted, runs));
    if (list.length < PAGE) return out;
  }
}

/**
 * What `environment` runs now: its newest trusted, proven ({@link provenanceProblem}), successful deployment (of
 * task `task` when given). Reads page after page (newest first, 100 each) until one is found or none are left — every deploy
 * leaves several deployments (GitHub's automatic one for the job's environment, the gate's), and failed or
 * forged ones may be many, so a fixed look-back could miss what the environment runs.
 */
export async function findCurrentDeployment(api: DeploymentsApi, environment: string, task: string | undefined, trusted: readonly string[] = DEFAULT_TRUSTED_CREATORS): Promise<DeploymentRecord | undefined> {
  const runs = new Map<number, Promise<WorkflowRunInfo | undefined>>();
  const seen: DeploymentRecord[] = [];
  for (let page = 1; ; page++) {
    const list = await api.deployments({ environment, ...(task ? { task } : {}), per_page: PAGE, page });
    for (const d of list) seen.push(await readRecord(api, d, trusted, runs));
    const now = currentDeployment(seen, environment, trusted);
    if (now || list.length < PAGE) return now;
  }
}
