import * as core from '@actions/core';
import * as github from '@actions/github';
import {
  combinedFingerprint,
  compareFingerprints,
  DEFAULT_COMMENT_BUDGET,
  expandPlanInputs,
  hasChanges,
  JOB_SUMMARY_BUDGET,
  loadPlanFiles,
  maxRisk,
  parseFingerprints,
  parseWaiting,
  PLAN_REPORT_MARKER,
  renderJson,
  renderMarkdownReport,
  type StackSummary,
} from '@awp/delivery';
import { booleanInput, client, listInput, repo, run, runUrl, type Octokit } from '../../shared/runtime';

/** Finds the sticky comment by its hidden marker and edits it, or posts it when there is none yet. */
async function upsertComment(octokit: Octokit, issue: number, body: string): Promise<{ id: number; created: boolean }> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo(), issue_number: issue, per_page: 100 });
  const existing = comments.find((c) => c.body?.includes(PLAN_REPORT_MARKER));
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

function pullRequestNumber(): number | undefined {
  const explicit = core.getInput('pull-request-number').trim();
  if (explicit) {
    const n = Number(explicit);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`input "pull-request-number": expected a positive integer, got "${explicit}"`);
    return n;
  }
  return github.context.payload.pull_request?.number;
}

async function main(): Promise<void> {
  // allow-empty: a run where no stack was planned still updates the sticky comment (no stale plan left behind).
  const allowEmpty = booleanInput('allow-empty', false);
  const files = expandPlanInputs(core.getInput('plans', { required: !allowEmpty }), process.cwd(), { allowEmpty });
  const stacks = files.length === 0 && allowEmpty ? [] : loadPlanFiles(files, { stackNames: listInput('stack-names') });
  const waiting = parseWaiting(core.getInput('waiting'), 'input "waiting"');
  const expectedInput = core.getInput('expected-fingerprints');
  const expected = expectedInput ? parseFingerprints(expectedInput, 'input "expected-fingerprints"') : undefined;
  const risk = maxRisk(stacks.map((s) => s.risk));
  const changes = stacks.some(hasChanges);
  const destroy = stacks.some((s) => s.delete + s.replace > 0);
  const artifact = core.getInput('artifact-name') || 'plans';
  const budgetInput = core.getInput('max-comment-chars');
  const budget = budgetInput ? Number(budgetInput) : DEFAULT_COMMENT_BUDGET;
  if (!Number.isInteger(budget) || budget < 1000 || budget > 65_536) throw new Error(`input "max-comment-chars": expected an integer from 1000 to 65536, got "${budgetInput}"`);

  core.setOutput('has-changes', String(changes));
  core.setOutput('has-destroy', String(destroy));
  core.setOutput('risk', risk);
  core.setOutput('fingerprint', combinedFingerprint(stacks));
  core.setOutput('fingerprints', JSON.stringify(Object.fromEntries(stacks.map((s) => [s.name, s.fingerprint]))));
  core.setOutput('json', renderJson(stacks).trim());

  // The job summary holds the full details (GitHub allows 1 MiB there); the comment is budgeted.
  // Apply what was reviewed: with expected fingerprints, any difference fails the step (after the summary is written).
  const comparison = expected ? compareFingerprints(expected, stacks) : undefined;
  core.setOutput('fingerprint-match', comparison ? String(comparison.match) : '');

  const full = renderMarkdownReport(stacks, { maxChars: JOB_SUMMARY_BUDGET, marker: false, waiting, fullReportLocation: `the \`${artifact}\` artifact of this run` });
  core.summary.addRaw(full.markdown, true);
  if (comparison && !comparison.match) {
    core.summary.addRaw(`\n> [!CAUTION]\n> Not the reviewed plan:\n${comparison.problems.map((p) => `> - ${p}`).join('\n')}\n`, true);
  }
  await core.summary.write();
  const refuse = () => {
    if (comparison && !comparison.match) throw new Error(`refusing: the plans differ from the reviewed ones — ${comparison.problems.join('; ')}`);
  };

  const pr = pullRequestNumber();
  if (pr === undefined) {
    core.info('Not a pull request: the report is in the job summary only.');
    return refuse();
  }
  const octokit = client();
  try {
    await publish(octokit, pr, stacks, { risk, destroy, budget, artifact, waiting });
  } catch (err) {
    // A read-only token (pull requests from forks) cannot comment or label: keep the job summary, warn, don't fail.
    if ((err as { status?: number }).status !== 403) throw err;
    core.warning(`Cannot comment on or label #${pr} (403: the token lacks pull-requests/issues write, e.g. a pull request from a fork). The report is in the job summary.`);
  }
  refuse();
}

async function publish(
  octokit: Octokit,
  pr: number,
  stacks: StackSummary[],
  o: { risk: string; destroy: boolean; budget: number; artifact: string; waiting: Record<string, string[]> },
): Promise<void> {
  const { risk, destroy, budget, artifact, waiting } = o;
  if (booleanInput('comment', true)) {
    const comment = renderMarkdownReport(stacks, {
      maxChars: budget,
      waiting,
      fullReportLocation: `the [job summary](${runUrl()}) and the \`${artifact}\` artifact of this run`,
    });
    const { id, created } = await upsertComment(octokit, pr, comment.markdown);
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
