import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { decideDrift, driftMarker, expandPlanInputs, JOB_SUMMARY_BUDGET, loadPlanFiles, renderMarkdown, type ExistingIssue } from '@awp/delivery';
import { client, listInput, repo, run, runUrl, type Octokit } from '../../shared/runtime';

/**
 * The open drift issue of `env`: opened by `author` (the workflows' token) and carrying the environment's hidden
 * marker. Not found by label: someone removing the label must not make the next run open a duplicate, and an
 * issue anyone else opened with the marker in it is not ours.
 */
async function findIssue(octokit: Octokit, env: string, author: string): Promise<ExistingIssue | undefined> {
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { ...repo(), state: 'open', creator: author, per_page: 100 });
  const found = issues.find((i) => !i.pull_request && i.user?.login === author && (i.body ?? '').startsWith(driftMarker(env)));
  return found ? { number: found.number, state: found.state === 'closed' ? 'closed' : 'open', body: found.body } : undefined;
}

/** outcome-<env>.txt of plan-stacks.sh (drift mode): stacks whose plan failed → error excerpt. */
function erroredStacks(file: string): Record<string, string> {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`input "outcome": cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return (JSON.parse(text) as { failed?: Record<string, string> }).failed ?? {};
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

async function main(): Promise<void> {
  const env = core.getInput('environment', { required: true });
  if (!/^[a-z0-9][a-z0-9-]*$/.test(env)) throw new Error(`input "environment": expected a lower-case environment name, got "${env}"`);
  const label = core.getInput('label') || 'drift';
  const author = core.getInput('issue-author') || 'github-actions[bot]';
  const errored = erroredStacks(core.getInput('outcome').trim());
  const files = expandPlanInputs(core.getInput('plans', { required: true }), process.cwd(), { allowEmpty: Object.keys(errored).length > 0 });
  const stacks = files.length ? loadPlanFiles(files, { stackNames: listInput('stack-names'), errored: 'accept' }) : [];
  const commit = core.getInput('commit').trim() || undefined;
  await core.summary.addRaw(renderMarkdown(stacks, { marker: false, title: `Drift check of ${env}`, maxChars: JOB_SUMMARY_BUDGET, failed: errored }), true).write();

  const octokit = client();
  const existing = await findIssue(octokit, env, author);
  const d = decideDrift({ env, stacks, existing, runUrl: runUrl(), label, errored, commit });
  switch (d.action) {
    case 'open': {
      const created = await octokit.rest.issues.create({ ...repo(), title: d.title, body: d.body, labels: d.labels });
      d.issueNumber = created.data.number;
      break;
    }
    case 'update':
      // labels: put back the label if someone removed it (found by marker and author, not by label).
      await octokit.rest.issues.update({ ...repo(), issue_number: d.issueNumber as number, title: d.title, body: d.body, labels: d.labels });
      break;
    case 'close':
      await octokit.rest.issues.createComment({ ...repo(), issue_number: d.issueNumber as number, body: d.body });
      await octokit.rest.issues.update({ ...repo(), issue_number: d.issueNumber as number, state: 'closed', state_reason: 'completed' });
      break;
    case 'none':
      break;
  }
  core.setOutput('drifted', String(d.drifted));
  core.setOutput('errored', String(Object.keys(errored).length > 0 || stacks.some((s) => s.incomplete)));
  core.setOutput('action', d.action);
  core.setOutput('issue-number', d.issueNumber ? String(d.issueNumber) : '');
  core.info(`${env}: ${d.drifted ? 'drift' : 'no drift'} → ${d.action}${d.issueNumber ? ` #${d.issueNumber}` : ''}`);
}

run(main);
