import * as core from '@actions/core';
import * as github from '@actions/github';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { checkPromotion, DEFAULT_TRUSTED_CREATORS, findCurrentDeployment, promotionOrder, readDeploymentsOf, type CommitRelation, type DeploymentsApi, type EnvironmentRule } from '@awp/delivery';
import { booleanInput, client, listInput, repo, run, runUrl, type Octokit } from '../../shared/runtime';

/** Reads `name` and `promotesFrom` from every environments/<env>.json (other JSON files there are skipped). */
function readEnvironmentRules(dir: string): EnvironmentRule[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    throw new Error(`${dir}: cannot read the environments directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const rules: EnvironmentRule[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
    }
    const v = value as { name?: unknown; promotesFrom?: unknown };
    if (typeof v.name !== 'string') continue; // e.g. environment.schema.json
    if (v.promotesFrom !== undefined && typeof v.promotesFrom !== 'string') throw new Error(`${file}: promotesFrom must be a string`);
    rules.push({ name: v.name, promotesFrom: v.promotesFrom as string | undefined });
  }
  if (rules.length === 0) throw new Error(`${dir}: no environment files (expected <env>.json with a "name")`);
  return rules;
}

/** The Deployments and Actions API as the delivery library reads them (all pages, runs for provenance). */
function deploymentsApi(octokit: Octokit): DeploymentsApi {
  return {
    deployments: async (q) => (await octokit.rest.repos.listDeployments({ ...repo(), ...q })).data,
    statuses: (id) => octokit.paginate(octokit.rest.repos.listDeploymentStatuses, { ...repo(), deployment_id: id, per_page: 100 }),
    run: async (id) => {
      try {
        return (await octokit.rest.actions.getWorkflowRun({ ...repo(), run_id: id })).data;
      } catch (err) {
        if ((err as { status?: number }).status === 404) return undefined;
        throw err;
      }
    },
  };
}

/** What `environment` runs now (its newest trusted, proven, successful deployment) and how `sha` relates to it. */
async function current(octokit: Octokit, environment: string, sha: string, task: string, trusted: string[]): Promise<{ sha: string; deployment: number; relation: CommitRelation } | undefined> {
  const now = await findCurrentDeployment(deploymentsApi(octokit), environment, task, trusted);
  if (!now) return undefined;
  if (now.sha === sha) return { sha: now.sha, deployment: now.id, relation: 'identical' };
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo(), basehead: `${now.sha}...${sha}`, per_page: 1 });
  return { sha: now.sha, deployment: now.id, relation: data.status as CommitRelation };
}

const FINAL_STATES = ['success', 'failure', 'error', 'inactive', 'in_progress', 'queued', 'pending'] as const;
type FinalState = (typeof FINAL_STATES)[number];

/** mode "finish": record the outcome of the apply on the deployment the gate created. */
async function finish(octokit: Octokit): Promise<void> {
  const id = Number(core.getInput('deployment-id', { required: true }));
  if (!Number.isInteger(id) || id <= 0) throw new Error(`input "deployment-id": expected a deployment id, got "${core.getInput('deployment-id')}"`);
  const state = core.getInput('state', { required: true }) as FinalState;
  if (!FINAL_STATES.includes(state)) throw new Error(`input "state": expected one of ${FINAL_STATES.join(', ')}, got "${state}"`);
  await octokit.rest.repos.createDeploymentStatus({
    ...repo(),
    deployment_id: id,
    state,
    log_url: runUrl(),
    environment_url: core.getInput('environment-url') || undefined,
    description: core.getInput('description') || `apply ${state}`,
    auto_inactive: true,
  });
  core.setOutput('deployment-id', String(id));
  core.info(`Deployment ${id}: ${state}`);
}

async function gate(octokit: Octokit): Promise<void> {
  const target = core.getInput('environment', { required: true });
  const sha = core.getInput('sha') || github.context.sha;
  if (!/^[0-9a-f]{40}$/i.test(sha)) throw new Error(`input "sha": expected a full 40-character commit SHA, got "${sha}"`);
  const rules = readEnvironmentRules(core.getInput('environments-dir') || 'environments');
  const order = promotionOrder(rules);
  const trusted = listInput('trusted-creators');
  const trustedCreators = trusted.length ? trusted : [...DEFAULT_TRUSTED_CREATORS];
  const breakGlass = listInput('break-glass-stacks');
  const allowOlder = booleanInput('allow-older', false);
  const reason = core.getInput('break-glass-reason').trim();
  if ((breakGlass.length || allowOlder) && !reason) throw new Error('input "break-glass-reason": break-glass (break-glass-stacks or allow-older) needs a reason, recorded on the deployment');
  const task = core.getInput('task') || 'deploy';
  const from = rules.find((r) => r.name === target)?.promotesFrom;
  const deployments = from ? await readDeploymentsOf(deploymentsApi(octokit), from, sha, task, trustedCreators) : [];
  const now = await current(octokit, target, sha, task, trustedCreators);
  const decision = checkPromotion({ target, sha, environments: rules, deployments, trustedCreators, current: now, allowOlder });
  core.setOutput('allowed', String(decision.allowed));
  core.setOutput('requires', decision.requires ?? '');
  core.setOutput('reason', decision.reason);
  core.setOutput('deployed-sha', now?.sha ?? '');
  const glass = breakGlass.length || (allowOlder && now && now.relation !== 'ahead' && now.relation !== 'identical');
  const glassText = glass ? `break-glass by ${github.context.actor}: ${[...(breakGlass.length ? [`unreviewed changes accepted in ${breakGlass.join(', ')}`] : []), ...(allowOlder ? ['an older commit allowed'] : [])].join('; ')} — "${reason}"` : '';
  const summary = core.summary.addHeading(`Promotion gate: ${target}`, 3).addRaw(`${decision.allowed ? '✅' : '⛔'} ${decision.reason}`, true);
  if (now) summary.addRaw(`\n\n${target} runs ${now.sha.slice(0, 12)} (deployment ${now.deployment}); this commit is ${now.relation} of it.`, true);
  if (glassText) summary.addRaw(`\n\n> [!WARNING]\n> ${glassText}`, true);
  await summary.write();
  if (!decision.allowed) {
    core.setFailed(decision.reason);
    return;
  }
  core.info(decision.reason);
  if (!booleanInput('record', true)) return;
  // Record this environment's deployment of the commit; the workflow marks it success/failure with mode: finish.
  const created = await octokit.rest.repos.createDeployment({
    ...repo(),
    ref: sha,
    environment: target,
    task,
    auto_merge: false,
    required_contexts: [],
    transient_environment: false,
    production_environment: order[order.length - 1] === target,
    description: (glassText || (decision.requires ? `promoted from ${decision.requires} (deployment ${decision.evidence})` : `applied to ${target}`)).slice(0, 140),
    // run_id: the provenance later gates, deployed.cjs and drift verify (@awp/delivery provenanceProblem).
    payload: { breakGlass: glass ? { actor: github.context.actor, stacks: breakGlass, allowOlder, reason } : null, run: runUrl(), run_id: github.context.runId },
  });
  if (!('id' in created.data)) throw new Error(`GitHub did not create a deployment: ${JSON.stringify(created.data)}`);
  const id = created.data.id;
  await octokit.rest.repos.createDeploymentStatus({ ...repo(), deployment_id: id, state: 'in_progress', log_url: runUrl(), description: 'applying' });
  core.setOutput('deployment-id', String(id));
}

async function main(): Promise<void> {
  const mode = core.getInput('mode') || 'gate';
  if (mode !== 'gate' && mode !== 'finish') throw new Error(`input "mode": expected gate or finish, got "${mode}"`);
  const octokit = client();
  await (mode === 'gate' ? gate(octokit) : finish(octokit));
}

run(main);
