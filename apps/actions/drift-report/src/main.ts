import * as core from '@actions/core';
import { decideDrift, driftMarker, expandPlanInputs, JOB_SUMMARY_BUDGET, loadPlanFiles, renderMarkdown, type ExistingIssue } from '@awp/delivery';
import { client, listInput, repo, run, runUrl, type Octokit } from '../../shared/runtime';

/** The open drift issue of `env`: labelled `label` and carrying the environment's hidden marker. */
async function findIssue(octokit: Octokit, env: string, label: string): Promise<ExistingIssue | undefined> {
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { ...repo(), state: 'open', labels: label, per_page: 100 });
  const found = issues.find((i) => !i.pull_request && (i.body ?? '').includes(driftMarker(env)));
  return found ? { number: found.number, state: found.state === 'closed' ? 'closed' : 'open', body: found.body } : undefined;
}

async function main(): Promise<void> {
  const env = core.getInput('environment', { required: true });
  if (!/^[a-z0-9][a-z0-9-]*$/.test(env)) throw new Error(`input "environment": expected a lower-case environment name, got "${env}"`);
  const label = core.getInput('label') || 'drift';
  const stacks = loadPlanFiles(expandPlanInputs(core.getInput('plans', { required: true })), { stackNames: listInput('stack-names') });
  await core.summary.addRaw(renderMarkdown(stacks, { marker: false, title: `Drift check of ${env}`, maxChars: JOB_SUMMARY_BUDGET }), true).write();

  const octokit = client();
  const existing = await findIssue(octokit, env, label);
  const d = decideDrift({ env, stacks, existing, runUrl: runUrl(), label });
  switch (d.action) {
    case 'open': {
      const created = await octokit.rest.issues.create({ ...repo(), title: d.title, body: d.body, labels: d.labels });
      d.issueNumber = created.data.number;
      break;
    }
    case 'update':
      await octokit.rest.issues.update({ ...repo(), issue_number: d.issueNumber as number, title: d.title, body: d.body });
      break;
    case 'close':
      await octokit.rest.issues.createComment({ ...repo(), issue_number: d.issueNumber as number, body: d.body });
      await octokit.rest.issues.update({ ...repo(), issue_number: d.issueNumber as number, state: 'closed', state_reason: 'completed' });
      break;
    case 'none':
      break;
  }
  core.setOutput('drifted', String(d.drifted));
  core.setOutput('action', d.action);
  core.setOutput('issue-number', d.issueNumber ? String(d.issueNumber) : '');
  core.info(`${env}: ${d.drifted ? 'drift' : 'no drift'} → ${d.action}${d.issueNumber ? ` #${d.issueNumber}` : ''}`);
}

run(main);
