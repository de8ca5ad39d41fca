import * as core from '@actions/core';
import * as github from '@actions/github';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  combinedFingerprint,
  compareFingerprints,
  DEFAULT_COMMENT_BUDGET,
  embeddedFingerprints,
  embeddedMergeQueueOnly,
  mergeQueueOnlyExemptions,
  withoutWaitingOnExempt,
  expandPlanInputs,
  hasChanges,
  JOB_SUMMARY_BUDGET,
  loadPlanFiles,
  maxRisk,
  parseFingerprints,
  parseIgnoreRules,
  parseWaiting,
  PLAN_REPORT_MARKER,
  readPlanFile,
  renderJson,
  renderMarkdownReport,
  reviewItems,
  type ReviewEvidence,
  type StackSummary,
} from '@awp/delivery';
import { booleanInput, client, listInput, repo, run, runUrl, type Octokit } from '../../shared/runtime';

type Comment = { id: number; body?: string | null; user?: { login?: string } | null };

/**
 * The sticky comment: carries the hidden marker AND was written by `author` (the workflows' token). A person's
 * comment that quotes the marker is never edited (GitHub lets anyone with read access comment).
 */
async function findSticky(octokit: Octokit, issue: number, author: string): Promise<Comment | undefined> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo(), issue_number: issue, per_page: 100 });
  return comments.find((c) => c.body?.includes(PLAN_REPORT_MARKER) && c.user?.login === author);
}

async function upsertComment(octokit: Octokit, issue: number, body: string, author: string): Promise<{ id: number; created: boolean }> {
  const existing = await findSticky(octokit, issue, author);
  if (existing) {
    await octokit.rest.issues.updateComment({ ...repo(), comment_id: existing.id, body });
    return { id: existing.id, created: false };
  }
  const created = await octokit.rest.issues.createComment({ ...repo(), issue_number: issue, body });
  return { id: created.data.id, created: true };
}

/** Adds the labels that apply and removes ours that no longer do (a later push may have dropped the destroy). */
async function syncLabels(octokit: Octokit, issue: number, wanted: string[], managed: string[]): Promise<void> {
  if (wanted.length) await octokit.rest.issues.addLabels({ ...repo(), issue_number: issue, labels: wanted });
  for (const name of managed.filter((l) => !wanted.includes(l))) {
    try {
      await octokit.rest.issues.removeLabel({ ...repo(), issue_number: issue, name });
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err; // not on the PR: nothing to remove
    }
  }
}

/** The pull request: the input, the pull_request event's, or the one a merge-queue branch was built for. */
function pullRequestNumber(): number | undefined {
  const explicit = core.getInput('pull-request-number').trim();
  if (explicit) {
    const n = Number(explicit);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`input "pull-request-number": expected a positive integer, got "${explicit}"`);
    return n;
  }
  const p = github.context.payload;
  if (p.pull_request?.number) return p.pull_request.number as number;
  // merge_group: head_ref is refs/heads/gh-readonly-queue/<base>/pr-<number>-<base sha>
  const m = /\/pr-(\d+)-[0-9a-f]{40}$/.exec(String(p.merge_group?.head_ref ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** The commits planned: from the event (pull_request or merge_group), or the inputs (a workflow_run report). */
function commits(): { planned?: string; head?: string; base?: string } {
  const p = github.context.payload;
  if (p.merge_group) return { planned: p.merge_group.head_sha, head: p.merge_group.head_sha, base: p.merge_group.base_sha };
  return {
    planned: core.getInput('planned-sha').trim() || github.context.sha,
    head: core.getInput('head-sha').trim() || p.pull_request?.head?.sha,
    base: core.getInput('base-sha').trim() || p.pull_request?.base?.sha,
  };
}

interface Outcome {
  env: string;
  planned: string[];
  waiting: Record<string, string[]>;
  failed: Record<string, string>;
  blocked: Record<string, string[]>;
  /** Stacks not planned in this run → the note (plan-stacks.sh PR_SKIP_LAYERS: planned in the merge queue). */
  skipped: Record<string, string>;
  /** Stacks planned before upstream changes that change no output → those upstream stacks (pr mode). */
  ahead: Record<string, string[]>;
}

/** The outcome-<env>.txt files plan-stacks.sh writes: which stacks were planned, waited, failed or were blocked. */
function readOutcomes(dir: string): Outcome[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^outcome-[^/]+\.txt$/.test(f)).sort();
  } catch {
    return [];
  }
  return files.map((f) => {
    const file = path.join(dir, f);
    let v: Partial<Outcome>;
    try {
      v = JSON.parse(readFileSync(file, 'utf8')) as Partial<Outcome>;
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof v.env !== 'string') throw new Error(`${file}: "env" must be the environment name`);
    return { env: v.env, planned: v.planned ?? [], waiting: parseWaiting(JSON.stringify(v.waiting ?? {}), `${file}: waiting`), failed: v.failed ?? {}, blocked: v.blocked ?? {}, skipped: v.skipped ?? {}, ahead: parseWaiting(JSON.stringify(v.ahead ?? {}), `${file}: ahead`) };
  });
}

/** Review evidence per environment (the deploy's "reviewed" artifact): item hashes of every planned stack. */
function writeEvidence(dir: string, outcomes: Outcome[], planFiles: string[], stacks: StackSummary[], at: { planned?: string; base?: string }): void {
  const ignoreFile = core.getInput('ignore-rules').trim();
  const ignore = ignoreFile ? parseIgnoreRules(JSON.parse(readFileSync(ignoreFile, 'utf8')), ignoreFile) : [];
  if (!at.planned || !/^[0-9a-f]{40}$/.test(at.planned)) throw new Error('evidence needs the planned commit SHA (input "planned-sha" or the event)');
  mkdirSync(dir, { recursive: true });
  for (const o of outcomes) {
    const evidence: ReviewEvidence = { version: 1, env: o.env, head: at.planned, base: at.base, stacks: {} };
    for (const name of o.planned) {
      const i = stacks.findIndex((s) => s.name === name);
      if (i < 0) throw new Error(`outcome-${o.env}.txt: "${name}" was planned but has no plan file`);
      // Read like loadPlanFiles does (every encoding, large files streamed); a planned stack's plan never errored.
      const [plan] = readPlanFile(planFiles[i]);
      evidence.stacks[name] = { status: 'planned', fingerprint: stacks[i].fingerprint, items: reviewItems(plan, ignore).map((x) => x.hash) };
    }
    for (const [name, up] of Object.entries(o.waiting)) evidence.stacks[name] = { status: 'waiting', upstream: up };
    for (const [name, up] of Object.entries(o.blocked)) evidence.stacks[name] = { status: 'blocked', upstream: up };
    for (const [name, error] of Object.entries(o.failed)) evidence.stacks[name] = { status: 'failed', error: error.slice(0, 2000) };
    writeFileSync(path.join(dir, `review-${o.env}.json`), `${JSON.stringify(evidence, null, 2)}\n`);
  }
}

const FORK_NOTICE = [
  PLAN_REPORT_MARKER,
  '## Terraform plan: not run for pull requests from forks',
  '',
  'This pull request comes from a fork, so its workflow run gets no OIDC token and no write access: no stack was planned and nothing was read from AWS.',
  'Lint, type checks, tests and the synth ran as usual.',
  '',
  // The merge queue only lets through what a pull request showed: a fork's change to a stack has no plan to match.
  'A change that affects no stack can be queued as it is. One that affects a stack cannot pass the merge queue without a reviewed plan: a maintainer can push the branch to this repository and open a pull request from there, which is planned and reviewed like any other.',
  '',
].join('\n');

async function main(): Promise<void> {
  const author = core.getInput('comment-author') || 'github-actions[bot]';
  const pr = pullRequestNumber();
  if (booleanInput('fork', false)) {
    if (pr === undefined) throw new Error('input "fork": a fork notice needs a pull request number');
    const octokit = client();
    await verifyHead(octokit, pr);
    const { id } = await upsertComment(octokit, pr, FORK_NOTICE, author);
    core.setOutput('comment-id', String(id));
    await core.summary.addRaw(FORK_NOTICE, true).write();
    return;
  }
  // allow-empty: a run where no stack was planned still updates the sticky comment (no stale plan left behind).
  const allowEmpty = booleanInput('allow-empty', false);
  const planFiles = expandPlanInputs(core.getInput('plans', { required: !allowEmpty }), process.cwd(), { allowEmpty });
  const stacks = planFiles.length === 0 && allowEmpty ? [] : loadPlanFiles(planFiles, { stackNames: listInput('stack-names'), errored: 'accept' });
  const outcomesDir = core.getInput('outcomes').trim();
  const outcomes = outcomesDir ? readOutcomes(outcomesDir) : [];
  const waiting = { ...parseWaiting(core.getInput('waiting'), 'input "waiting"'), ...Object.assign({}, ...outcomes.map((o) => o.waiting)) } as Record<string, string[]>;
  const failed = Object.assign({}, ...outcomes.map((o) => o.failed)) as Record<string, string>;
  const blocked = Object.assign({}, ...outcomes.map((o) => o.blocked)) as Record<string, string[]>;
  const skipped = Object.assign({}, ...outcomes.map((o) => o.skipped)) as Record<string, string>;
  const ahead = Object.assign({}, ...outcomes.map((o) => o.ahead)) as Record<string, string[]>;
  const expectedInput = core.getInput('expected-fingerprints');
  const expected = expectedInput ? parseFingerprints(expectedInput, 'input "expected-fingerprints"') : undefined;
  const risk = maxRisk(stacks.map((s) => s.risk));
  const changes = stacks.some(hasChanges);
  const destroy = stacks.some((s) => s.delete + s.replace > 0);
  const artifact = core.getInput('artifact-name') || 'plans';
  const budgetInput = core.getInput('max-comment-chars');
  const budget = budgetInput ? Number(budgetInput) : DEFAULT_COMMENT_BUDGET;
  if (!Number.isInteger(budget) || budget < 1000 || budget > 65_536) throw new Error(`input "max-comment-chars": expected an integer from 1000 to 65536, got "${budgetInput}"`);
  const at = commits();

  core.setOutput('has-changes', String(changes));
  core.setOutput('has-destroy', String(destroy));
  core.setOutput('risk', risk);
  core.setOutput('failed', String(Object.keys(failed).length > 0));
  core.setOutput('fingerprint', combinedFingerprint(stacks));
  core.setOutput('fingerprints', JSON.stringify(Object.fromEntries(stacks.map((s) => [s.name, s.fingerprint]))));
  core.setOutput('json', renderJson(stacks).trim());
  const evidenceDir = core.getInput('evidence-dir').trim();
  if (evidenceDir) writeEvidence(evidenceDir, outcomes, planFiles, stacks, at);

  // The job summary holds the full details (GitHub allows 1 MiB there); the comment is budgeted.
  // Apply what was reviewed: with expected fingerprints, any difference fails the step (after the summary is written).
  const comparison = expected ? compareFingerprints(expected, stacks) : undefined;
  core.setOutput('fingerprint-match', comparison ? String(comparison.match) : '');
  const view = { waiting, failed, blocked, skipped, ahead, commits: at };
  const full = renderMarkdownReport(stacks, { maxChars: JOB_SUMMARY_BUDGET, marker: false, ...view, fullReportLocation: `the \`${artifact}\` artifact of this run` });
  core.summary.addRaw(full.markdown, true);
  if (comparison && !comparison.match) {
    core.summary.addRaw(`\n> [!CAUTION]\n> Not the reviewed plan:\n${comparison.problems.map((p) => `> - ${p}`).join('\n')}\n`, true);
  }
  await core.summary.write();
  const refuse = () => {
    if (comparison && !comparison.match) throw new Error(`refusing: the plans differ from the reviewed ones — ${comparison.problems.join('; ')}`);
  };

  if (pr === undefined) {
    core.info('Not a pull request: the report is in the job summary only.');
    return refuse();
  }
  if (booleanInput('compare-with-comment', false)) return compareWithComment(client(), pr, stacks, author, waiting);
  if (!booleanInput('comment', true) && !booleanInput('labels', true)) return refuse();
  const octokit = client();
  await verifyHead(octokit, pr);
  try {
    await publish(octokit, pr, stacks, { risk, destroy, budget, artifact, view, author });
  } catch (err) {
    // A read-only token cannot comment or label: keep the job summary, warn, don't fail.
    if ((err as { status?: number }).status !== 403) throw err;
    core.warning(`Cannot comment on or label #${pr} (403: the token lacks pull-requests/issues write). The report is in the job summary.`);
  }
  refuse();
}

/**
 * A report posted from another run (workflow_run) names its pull request in data that run produced: comment only
 * when that pull request's head is the commit that run planned, so a run cannot write onto another pull request.
 */
async function verifyHead(octokit: Octokit, pr: number): Promise<void> {
  const want = core.getInput('expected-head-sha').trim();
  if (!want) return;
  const { data } = await octokit.rest.pulls.get({ ...repo(), pull_number: pr });
  if (data.head.sha !== want) throw new Error(`pull request #${pr}: its head is ${data.head.sha.slice(0, 12)}, not ${want.slice(0, 12)} (the run that planned it): not commenting`);
}

/** Input merge-queue-only-layers: JSON {"<env>": ["<layer>", …]} (pullRequestPlanSkips of the merge-group commit). */
function mergeQueueOnlyLayers(): Record<string, string[]> {
  const text = core.getInput('merge-queue-only-layers').trim();
  if (!text) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`input "merge-queue-only-layers": expected a JSON object {"<env>": ["<layer>", …]}, got "${text.slice(0, 80)}"`);
  }
  const ok = (x: unknown): x is Record<string, string[]> =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((l) => Array.isArray(l) && l.every((e) => typeof e === 'string'));
  if (!ok(v)) throw new Error(`input "merge-queue-only-layers": expected a JSON object {"<env>": ["<layer>", …]}, got "${text.slice(0, 80)}"`);
  return v;
}

/**
 * Merge queue: the plan of what will land must be the plan the pull request showed. Reads the fingerprints the
 * sticky comment embedded; any stack that differs (or is new with changes) makes the reviewed plan stale: the
 * comment gets a warning naming the stacks, and the step fails (the pull request leaves the queue).
 */
async function compareWithComment(octokit: Octokit, pr: number, stacks: StackSummary[], author: string, waiting: Record<string, string[]>): Promise<void> {
  const sticky = await findSticky(octokit, pr, author);
  const shown = sticky?.body ? embeddedFingerprints(sticky.body) : undefined;
  if (shown === undefined) {
    // A fork's run gets no credentials, so it never planned (its comment is the fork notice): say what to do.
    const { data } = await octokit.rest.pulls.get({ ...repo(), pull_number: pr });
    const home = `${repo().owner}/${repo().repo}`;
    const from = data.head.repo?.full_name;
    if (from !== home) {
      core.setOutput('fingerprint-match', 'false');
      throw new Error(`pull request #${pr} comes from a fork (${from ?? 'a deleted repository'}) and was never planned: push the branch to this repository to get a reviewed plan, then queue that pull request`);
    }
  }
  // Stacks the pull request could not plan (its role cannot read their secrets) are first planned here: this plan is
  // their review (the code was reviewed on the pull request; the plan is in this run's summary and becomes the
  // evidence the deploy checks). The comment's list is written by the pull request's own code, so only the stacks of
  // the layers the trusted configuration skips (input merge-queue-only-layers) may be left out of the comparison.
  const { exempt, ignored } = mergeQueueOnlyExemptions(sticky?.body ? embeddedMergeQueueOnly(sticky.body) : [], mergeQueueOnlyLayers());
  const mqOnly = new Set(exempt);
  const compared = stacks.filter((s) => !mqOnly.has(s.name));
  if (mqOnly.size) core.info(`Planned here first (not on #${pr}): ${[...mqOnly].join(', ')}`);
  if (ignored.length) core.warning(`The comment on #${pr} lists ${ignored.join(', ')} as planned in the merge queue, but no environment skips their layers on pull requests: compared like any other stack.`);
  const problems = shown === undefined ? [`pull request #${pr} has no plan comment with fingerprints by ${author}`] : compareFingerprints(withoutWaitingOnExempt(shown, waiting, exempt), compared).problems;
  core.setOutput('fingerprint-match', String(problems.length === 0));
  if (problems.length === 0) {
    core.info(`The merge-queue plan matches the plan shown on #${pr}.`);
    return;
  }
  const warning = [
    '> [!WARNING]',
    `> **Stale plan**: what would land now plans differently from this comment (merge-queue run ${runUrl()}):`,
    ...problems.map((p) => `> - ${p}`),
    '> Update the branch (or push) to re-plan, review the new plan, and queue again.',
    '',
  ].join('\n');
  if (sticky?.body) {
    const body = sticky.body.replace(/\n> \[!WARNING\]\n> \*\*Stale plan\*\*[\s\S]*?queue again\.\n/, '\n');
    const at = body.indexOf('\n');
    await octokit.rest.issues.updateComment({ ...repo(), comment_id: sticky.id, body: `${body.slice(0, at + 1)}${warning}${body.slice(at + 1)}` });
  }
  throw new Error(`stale plan: ${problems.join('; ')}`);
}

async function publish(
  octokit: Octokit,
  pr: number,
  stacks: StackSummary[],
  o: {
    risk: string;
    destroy: boolean;
    budget: number;
    artifact: string;
    author: string;
    view: { waiting: Record<string, string[]>; failed: Record<string, string>; blocked: Record<string, string[]>; skipped: Record<string, string>; ahead: Record<string, string[]>; commits: ReturnType<typeof commits> };
  },
): Promise<void> {
  const { risk, destroy, budget, artifact, view, author } = o;
  if (booleanInput('comment', true)) {
    const comment = renderMarkdownReport(stacks, {
      maxChars: budget,
      ...view,
      embedFingerprints: true,
      fullReportLocation: `the [job summary](${runUrl()}) and the \`${artifact}\` artifact of this run`,
    });
    const { id, created } = await upsertComment(octokit, pr, comment.markdown, author);
    core.setOutput('comment-id', String(id));
    core.info(`${created ? 'Posted' : 'Updated'} the plan comment ${id} on #${pr} (${comment.markdown.length} characters${comment.truncated ? ', details cut' : ''}).`);
  }
  if (booleanInput('labels', true)) {
    const destroyLabel = core.getInput('destroy-label') || 'plan:destroy';
    const riskLabel = core.getInput('high-risk-label') || 'plan:high-risk';
    const wanted = [...(destroy ? [destroyLabel] : []), ...(risk === 'high' ? [riskLabel] : [])];
    await syncLabels(octokit, pr, wanted, [destroyLabel, riskLabel]);
  }
}

run(main);
