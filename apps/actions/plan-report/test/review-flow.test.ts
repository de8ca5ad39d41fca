// issue 18: what a pull request's plan comment must show and keep (failed/blocked stacks, the sticky comment's
// author, forks, stale plans, the head it reports on) and the review evidence the merge queue hands the deploy.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPlanFile, reviewItems } from '@awp/delivery';
import { BOT, planDir, runAction, useFakeGitHub } from '../../shared/testing/fake-github';

const ACTION = path.resolve(__dirname, '..');
const FIXTURES = path.resolve(__dirname, '../../../../libs/delivery/test/fixtures');
const CHANGES = path.join(FIXTURES, 'plans/tfjson-basic.plan.json');
const NONE = path.join(FIXTURES, 'plans/tfjson-no-changes.plan.json');
const ERRORED = path.join(FIXTURES, 'terraform/tf111-errored.plan.json');
const TOKEN = 'ghs_fake_review_token';
const PR = 31;
const HEAD = 'c'.repeat(40);
const BASE = 'b'.repeat(40);
const MERGE = 'a'.repeat(40);
const event = { pull_request: { number: PR, head: { sha: HEAD }, base: { sha: BASE } }, repository: { name: 'platform', owner: { login: 'acme' } } };
const mergeGroup = { merge_group: { head_ref: `refs/heads/gh-readonly-queue/main/pr-${PR}-${BASE}`, head_sha: MERGE, base_sha: BASE } };
const MARKER = '<!-- awp:plan-report -->';

const gh = useFakeGitHub('plan-report', (g) => {
  g.comments = [];
  g.pulls = [];
});

/** A folder holding outcome-<env>.txt as plan-stacks.sh writes it. */
function outcomes(o: object): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outcomes-'));
  writeFileSync(path.join(dir, 'outcome-prod.txt'), JSON.stringify(o));
  return dir;
}

const report = (inputs: Record<string, string>, ev: object = event) => runAction(ACTION, { api: gh.url, event: ev, inputs: { 'github-token': TOKEN, ...inputs } });

describe('plan-report: review flow (issue 18)', () => {
  it('W3 / journey 5: a failed plan is a row with its error excerpt, and the stacks after it are "blocked by" it, not waiting', async () => {
    const out = outcomes({ env: 'prod', planned: ['prod-network'], waiting: {}, failed: { 'prod-data': 'Error: Invalid value for input variable\n  image abc not found' }, blocked: { 'prod-workloads': ['prod-data'] } });
    const r = await report({ plans: planDir({ 'prod-network.plan.json': NONE }), outcomes: out });
    expect(r.code).toBe(0);
    const body = gh.comments[0].body;
    expect(body).toMatch(/^<!-- awp:plan-report -->\n## Terraform plan: 3 stacks, 0 with changes, 1 failed, 1 blocked/);
    expect(body).toContain('> **Plan failed:** `prod-data`; blocked by them: `prod-workloads`.');
    expect(body).toContain('| `prod-data` | – | – | – | – | – | – | – | – | ❌ plan failed |');
    expect(body).toContain('| `prod-workloads` | – | – | – | – | – | – | – | – | ⛔ blocked by `prod-data` (plan failed) |');
    expect(body).toContain('image abc not found');
    expect(body).not.toContain('waits for');
    expect(r.outputs.failed).toBe('true');
  });

  it('W8 / journey 1: the sticky comment is matched by marker AND author; a person quoting the marker is left alone', async () => {
    gh.comments.push({ id: 1, issue: PR, body: `${MARKER}\nI copied the plan comment here`, user: 'octocat' });
    const first = await report({ plans: planDir({ 'prod-data.plan.json': CHANGES }) });
    expect(first.code).toBe(0);
    expect(gh.writes()[0]).toBe(`POST /repos/acme/platform/issues/${PR}/comments`);
    expect(gh.writes().filter((w) => w.includes("/comments/"))).toEqual([]);
    expect(gh.comments.map((c) => c.user)).toEqual(['octocat', BOT]);
    gh.requests = [];
    const second = await report({ plans: planDir({ 'prod-data.plan.json': NONE }) });
    expect(second.code).toBe(0);
    expect(gh.writes()[0]).toBe(`PATCH /repos/acme/platform/issues/comments/${gh.comments[1].id}`);
    expect(gh.comments).toHaveLength(2);
    expect(gh.comments[0].body).toBe(`${MARKER}\nI copied the plan comment here`);
  });

  it('B4 / journey 8: a fork pull request gets one clear comment and a green step, without plans', async () => {
    const r = await report({ fork: 'true' });
    expect(r.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0].body).toContain('## Terraform plan: not run for pull requests from forks');
    expect(gh.comments[0].body).toContain('no OIDC token');
    const again = await report({ fork: 'true' });
    expect(again.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    // the notice is prose only (no source code joined into it) and does not promise a plan the queue will not make
    const lines = gh.comments[0].body.split('\n');
    expect(lines[0]).toBe(MARKER);
    expect(gh.comments[0].body).not.toMatch(/function|=>|readPlanFile/);
    expect(gh.comments[0].body).not.toContain('plans every change');
    expect(gh.comments[0].body).toContain('push the branch to this repository');
  });

  it('B4 / journey 8: in the merge queue, a fork pull request that affects stacks is refused with what to do', async () => {
    gh.pulls.push({ number: PR, head: { sha: HEAD, repo: { full_name: 'someone/platform' } }, base: { sha: BASE, ref: 'main' } });
    expect((await report({ fork: 'true' })).code).toBe(0);
    const r = await report({ plans: planDir({ 'prod-data.plan.json': CHANGES }), 'compare-with-comment': 'true' }, mergeGroup);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`::error::pull request #${PR} comes from a fork (someone/platform) and was never planned: push the branch to this repository to get a reviewed plan, then queue that pull request`);
    // the same-repository case keeps its message
    gh.pulls[0].head.repo = { full_name: 'acme/platform' };
    const same = await report({ plans: planDir({ 'prod-data.plan.json': CHANGES }), 'compare-with-comment': 'true' }, mergeGroup);
    expect(same.stdout).toContain(`pull request #${PR} has no plan comment with fingerprints by ${BOT}`);
  });

  it('W2 / journey 4: the comment records the commits; the merge-queue plan is compared with it, and a stale plan is flagged on the pull request and refused', async () => {
    const reviewed = planDir({ 'prod-data.plan.json': CHANGES, 'prod-network.plan.json': NONE });
    expect((await report({ plans: reviewed, 'planned-sha': MERGE })).code).toBe(0);
    const body = gh.comments[0].body;
    expect(body).toContain(`head \`${HEAD.slice(0, 12)}\` merged into base \`${BASE.slice(0, 12)}\``);
    expect(body).toMatch(/<!-- awp:fingerprints \{"prod-data":"[0-9a-f]{64}","prod-network":"[0-9a-f]{64}"\} -->/);
    gh.requests = [];
    const same = await report({ plans: reviewed, 'compare-with-comment': 'true' }, mergeGroup);
    expect(same.code).toBe(0);
    expect(same.outputs['fingerprint-match']).toBe('true');
    expect(gh.writes()).toEqual([]);
    const moved = planDir({ 'prod-data.plan.json': NONE, 'prod-network.plan.json': NONE });
    const stale = await report({ plans: moved, 'compare-with-comment': 'true' }, mergeGroup);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/::error::stale plan: prod-data: /);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0].body).toContain('> **Stale plan**: what would land now plans differently from this comment');
    expect(gh.comments[0].body).toMatch(/> - prod-data: /);
    // a person's comment carrying fingerprints is not what was reviewed
    gh.comments = [{ id: 5, issue: PR, body: body, user: 'octocat' }];
    gh.pulls.push({ number: PR, head: { sha: HEAD, repo: { full_name: 'acme/platform' } }, base: { sha: BASE, ref: 'main' } });
    const forged = await report({ plans: reviewed, 'compare-with-comment': 'true' }, mergeGroup);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain(`pull request #${PR} has no plan comment with fingerprints by ${BOT}`);
  });

  it('pull-request role: a layer it cannot plan is noted as planned in the merge queue; the merge queue plans it and does not call that stale', async () => {
    const note = 'identity: planned in the merge queue (the pull-request role cannot read its secrets)';
    const out = outcomes({ env: 'prod', planned: ['prod-data'], waiting: { 'prod-workloads': ['prod-identity'] }, failed: {}, blocked: {}, skipped: { 'prod-identity': note } });
    expect((await report({ plans: planDir({ 'prod-data.plan.json': CHANGES }), outcomes: out })).code).toBe(0);
    const body = gh.comments[0].body;
    expect(body).toMatch(/## Terraform plan: 3 stacks, 1 with changes, 1 waiting, 1 planned in the merge queue/);
    expect(body).toContain('| `prod-identity` | – | – | – | – | – | – | – | – | ⏭ not planned here |');
    expect(body).toContain(`> ${note}: \`prod-identity\`.`);
    expect(body).toContain('<!-- awp:merge-queue-only ["prod-identity"] -->');
    // the merge queue plans identity (with changes): not stale, since the comment said it is planned there
    const queued = planDir({ 'prod-data.plan.json': CHANGES, 'prod-identity.plan.json': CHANGES });
    const trusted = { 'merge-queue-only-layers': JSON.stringify({ prod: ['identity'] }) };
    const mq = await report({ plans: queued, 'compare-with-comment': 'true', ...trusted }, mergeGroup);
    expect([mq.code, mq.outputs['fingerprint-match']]).toEqual([0, 'true']);
    expect(mq.stdout).toContain(`Planned here first (not on #${PR}): prod-identity`);
    // the list in the comment is the pull request's own code: without the trusted layers it exempts nothing
    const untrusted = await report({ plans: queued, 'compare-with-comment': 'true' }, mergeGroup);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toMatch(/::error::stale plan: prod-identity: has changes that were never reviewed/);
    expect(untrusted.stdout).toContain('lists prod-identity as planned in the merge queue, but no environment skips their layers on pull requests');
    // a comment without the note: identity's changes were never shown, so the queue refuses them
    expect((await report({ plans: planDir({ 'prod-data.plan.json': CHANGES }) })).code).toBe(0);
    const refused = await report({ plans: queued, 'compare-with-comment': 'true', ...trusted }, mergeGroup);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/::error::stale plan: prod-identity: has changes that were never reviewed/);
  });

  it('a stack planned before its upstream applies (plan-stacks.sh "ahead") gets the note in the comment and the job summary; a malformed entry names the file', async () => {
    const out = outcomes({ env: 'prod', planned: ['prod-data', 'prod-edge'], waiting: {}, failed: {}, blocked: {}, ahead: { 'prod-edge': ['prod-data'] } });
    const r = await report({ plans: planDir({ 'prod-data.plan.json': CHANGES, 'prod-edge.plan.json': NONE }), outcomes: out });
    expect(r.code).toBe(0);
    const note = "> Planned before their upstream's changes are applied (those change no output they read): `prod-edge` (before `prod-data`).";
    expect(gh.comments[0].body).toContain(note);
    expect(r.summary).toContain(note);
    const bad = outcomes({ env: 'prod', planned: ['prod-data'], ahead: { 'prod-edge': [] } });
    const refused = await report({ plans: planDir({ 'prod-data.plan.json': CHANGES }), outcomes: bad });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/outcome-prod\.txt: ahead: "prod-edge" must wait for one or more stack names/);
  });

  it('merge queue: a stack the comment lists as merge-queue-only outside the trusted skipped layers is compared like any other', async () => {
    // the pull request's code marks prod-data as "planned in the merge queue" to slip its changes past the review
    const out = outcomes({ env: 'prod', planned: ['prod-network'], waiting: {}, failed: {}, blocked: {}, skipped: { 'prod-data': 'data: planned in the merge queue (the pull-request role cannot read its secrets)' } });
    expect((await report({ plans: planDir({ 'prod-network.plan.json': NONE }), outcomes: out })).code).toBe(0);
    expect(gh.comments[0].body).toContain('<!-- awp:merge-queue-only ["prod-data"] -->');
    gh.pulls.push({ number: PR, head: { sha: HEAD, repo: { full_name: 'acme/platform' } }, base: { sha: BASE, ref: 'main' } });
    const queued = planDir({ 'prod-network.plan.json': NONE, 'prod-data.plan.json': CHANGES });
    const mq = await report({ plans: queued, 'compare-with-comment': 'true', 'merge-queue-only-layers': JSON.stringify({ prod: ['identity'] }) }, mergeGroup);
    expect([mq.code, mq.outputs['fingerprint-match']]).toEqual([1, 'false']);
    expect(mq.stdout).toMatch(/::error::stale plan: prod-data: has changes that were never reviewed/);
    // a malformed trusted list is an error naming the input, never an empty (or full) exemption
    const bad = await report({ plans: queued, 'compare-with-comment': 'true', 'merge-queue-only-layers': '["identity"]' }, mergeGroup);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('input "merge-queue-only-layers": expected a JSON object');
  });

  it('a report for another run comments only when the pull request head is the planned commit (expected-head-sha)', async () => {
    gh.pulls.push({ number: PR, head: { sha: 'd'.repeat(40), repo: { full_name: 'acme/platform' } }, base: { sha: BASE, ref: 'main' } });
    const r = await report({ plans: planDir({ 'prod-data.plan.json': NONE }), 'pull-request-number': String(PR), 'expected-head-sha': HEAD }, {});
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`pull request #${PR}: its head is dddddddddddd, not cccccccccccc (the run that planned it): not commenting`);
    expect(gh.writes()).toEqual([]);
  });

  it('W1: evidence-dir writes the review evidence per environment: item hashes of every planned stack, and the status of the others', async () => {
    const plans = planDir({ 'prod-data.plan.json': CHANGES, 'prod-network.plan.json': NONE });
    const out = outcomes({ env: 'prod', planned: ['prod-data', 'prod-network'], waiting: { 'prod-edge': ['prod-data'] }, failed: { 'prod-cluster': 'Error: boom' }, blocked: { 'prod-workloads': ['prod-cluster'] } });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'evidence-')), 'reviewed');
    const r = await report({ plans, outcomes: out, 'evidence-dir': dir, comment: 'false', labels: 'false' }, mergeGroup);
    expect(r.code).toBe(0);
    const evidence = JSON.parse(readFileSync(path.join(dir, 'review-prod.json'), 'utf8'));
    const items = reviewItems(readPlanFile(path.join(plans, 'prod-data.plan.json'))[0]).map((i) => i.hash);
    expect(items.length).toBeGreaterThan(0);
    expect(evidence).toEqual({
      version: 1,
      env: 'prod',
      head: MERGE,
      base: BASE,
      stacks: {
        'prod-data': { status: 'planned', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), items },
        'prod-network': { status: 'planned', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), items: [] },
        'prod-edge': { status: 'waiting', upstream: ['prod-data'] },
        'prod-cluster': { status: 'failed', error: 'Error: boom' },
        'prod-workloads': { status: 'blocked', upstream: ['prod-cluster'] },
      },
    });
    // a stack the outcome calls planned but with no plan file is an error, not silently unreviewed
    const bad = outcomes({ env: 'prod', planned: ['prod-data', 'prod-ghost'] });
    const refused = await report({ plans, outcomes: bad, 'evidence-dir': dir, comment: 'false', labels: 'false' }, mergeGroup);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('outcome-prod.txt: "prod-ghost" was planned but has no plan file');
  });

  it('an errored plan (Terraform 1.11, "errored": true) is shown as an incomplete stack instead of failing the report', async () => {
    const r = await report({ plans: planDir({ 'prod-data.plan.json': ERRORED }) });
    expect(r.code).toBe(0);
    expect(gh.comments[0].body).toContain('Incomplete or errored plan: `prod-data`');
  });
});

