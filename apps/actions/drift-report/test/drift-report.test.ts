import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { describeActionYml, planDir, runAction, useFakeGitHub } from '../../shared/testing/fake-github';

const ACTION = path.resolve(__dirname, '..');
const PLANS = path.resolve(__dirname, '../../../../libs/delivery/test/fixtures/plans');
const OWN = path.resolve(__dirname, '../../../../libs/delivery/test/fixtures/aws-stateful-destroy.plan.json');
const TOKEN = 'ghs_fake_drift_token';

const drifted = planDir({ 'prod-data.plan.json': OWN, 'prod-network.plan.json': path.join(PLANS, 'tfjson-no-changes.plan.json') });
const clean = planDir({ 'prod-data.plan.json': path.join(PLANS, 'tfjson-no-changes.plan.json'), 'prod-network.plan.json': path.join(PLANS, 'borchero-empty-no-resource-changes.plan.json') });

const gh = useFakeGitHub('drift-report');

const drift = (environment: string, plans: string) =>
  runAction(ACTION, { api: gh.url, eventName: 'schedule', inputs: { environment, plans, 'github-token': TOKEN } });

describe('drift-report action (bundled dist/index.js against a fake GitHub API)', () => {
  it('opens one issue per environment when a scheduled plan finds drift', async () => {
    // Another environment's drift issue must not be touched.
    gh.issues.push({ number: 1, title: 'Drift in dev', body: '<!-- awp:drift env=dev -->\nold', state: 'open', labels: ['drift'] });
    const r = await drift('prod', drifted);
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual(['POST /repos/acme/platform/issues']);
    const issue = gh.issues.find((i) => i.body.includes('<!-- awp:drift env=prod -->'));
    expect(issue).toEqual(expect.objectContaining({ title: 'Drift in prod: 1 stack differs from the code', state: 'open', labels: ['drift'] }));
    expect(issue?.body).toContain('Drifted stacks: `prod-data`.');
    expect(issue?.body).toMatch(/\[run\]\(https:\/\/github\.example\.test\/acme\/platform\/actions\/runs\/\d+\)/);
    expect(issue?.body).not.toContain('hunter2');
    expect(r.outputs).toEqual(expect.objectContaining({ drifted: 'true', action: 'open', 'issue-number': String(issue?.number) }));
    expect(r.summary).toContain('| `prod-data` | 1 | 2 | 2 | 2 |');
  });

  it('updates the same issue on the next drifted run instead of opening another', async () => {
    const issue = gh.issues.find((i) => i.body.includes('env=prod'));
    const r = await drift('prod', drifted);
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual([`PATCH /repos/acme/platform/issues/${issue?.number}`]);
    expect(gh.issues.filter((i) => i.body.includes('env=prod'))).toHaveLength(1);
    expect(r.outputs.action).toBe('update');
  });

  it('closes the issue with a comment when the plans are clean', async () => {
    const issue = gh.issues.find((i) => i.body.includes('env=prod'));
    const r = await drift('prod', clean);
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual([`POST /repos/acme/platform/issues/${issue?.number}/comments`, `PATCH /repos/acme/platform/issues/${issue?.number}`]);
    expect(gh.requests.at(-1)?.body).toEqual({ state: 'closed', state_reason: 'completed' });
    expect(gh.comments.at(-1)?.body).toContain('No drift in **prod**: all 2 stack plans are clean');
    expect(issue?.state).toBe('closed');
    expect(gh.issues.find((i) => i.number === 1)?.state).toBe('open');
    expect(r.outputs).toEqual(expect.objectContaining({ drifted: 'false', action: 'close' }));
  });

  it('does nothing on GitHub when clean and no issue is open', async () => {
    const r = await drift('prod', clean);
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual([]);
    expect(r.outputs).toEqual(expect.objectContaining({ drifted: 'false', action: 'none', 'issue-number': '' }));
  });

  it('rejects an environment name that is not a plain lower-case name', async () => {
    const r = await drift('Prod; rm', clean);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error::input "environment": expected a lower-case environment name, got "Prod; rm"');
    expect(gh.requests).toEqual([]);
  });

  it('fails clearly on a corrupted plan before touching GitHub', async () => {
    const bad = planDir({ 'prod-data.plan.json': path.join(PLANS, 'tfjson-invalid-corrupted.plan.json') });
    const r = await drift('prod', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::.*prod-data\.plan\.json: not valid JSON at line 676/);
    expect(gh.requests).toEqual([]);
  });
});

describeActionYml(ACTION);

describe('drift-report: the issue is found by marker and author; errored plans keep it open (issue 18 W4)', () => {
  const errored = (o: object) => {
    const dir = planDir({});
    const file = path.join(dir, 'outcome-staging.txt');
    writeFileSync(file, JSON.stringify(o));
    return file;
  };
  const run = (inputs: Record<string, string>) => runAction(ACTION, { api: gh.url, eventName: 'schedule', inputs: { environment: 'staging', 'github-token': TOKEN, ...inputs } });

  it('updates its own issue after someone removed the label (no duplicate), and puts the label back', async () => {
    const first = await run({ plans: drifted });
    expect(first.outputs.action).toBe('open');
    const mine = gh.issues.find((i) => i.body.startsWith('<!-- awp:drift env=staging -->'));
    if (!mine) throw new Error('no drift issue opened');
    mine.labels = [];
    gh.requests = [];
    const again = await run({ plans: drifted });
    expect(again.outputs).toEqual(expect.objectContaining({ action: 'update', 'issue-number': String(mine.number) }));
    expect(gh.writes()).toEqual([`PATCH /repos/acme/platform/issues/${mine.number}`]);
    expect(gh.issues.filter((i) => i.body.startsWith('<!-- awp:drift env=staging -->'))).toHaveLength(1);
    expect(mine.labels).toEqual(['drift']);
  });

  it('ignores an issue someone else opened with the marker and the label', async () => {
    for (const i of gh.issues) i.state = 'closed';
    gh.issues.push({ number: 900, title: 'fake', body: '<!-- awp:drift env=staging -->\nclose me', state: 'open', labels: ['drift'], user: 'mallory' });
    const r = await run({ plans: clean });
    expect(r.outputs.action).toBe('none');
    expect(gh.writes()).toEqual([]);
    expect(gh.issues.find((i) => i.number === 900)?.state).toBe('open');
  });

  it('an errored plan (outcome file, or an errored plan JSON) keeps the issue open as errored, never closes it as clean', async () => {
    for (const i of gh.issues) i.state = 'closed';
    const opened = await run({ plans: clean, outcome: errored({ env: 'staging', planned: [], failed: { 'staging-cluster': 'Error: reading EKS cluster: AccessDenied' } }) });
    expect(opened.code).toBe(0);
    expect(opened.outputs).toEqual(expect.objectContaining({ action: 'open', errored: 'true', drifted: 'false' }));
    const issue = gh.issues.find((i) => i.state === 'open' && i.body.startsWith('<!-- awp:drift env=staging -->'));
    expect(issue?.title).toBe('Drift in staging: 1 plan errored');
    expect(issue?.body).toContain('AccessDenied');
    const stillErrored = await run({ plans: clean, outcome: errored({ env: 'staging', failed: { 'staging-cluster': 'Error: again' } }) });
    expect(stillErrored.outputs.action).toBe('update');
    expect(issue?.state).toBe('open');
    // every plan failed: no plan files at all is still a report, not an error
    const none = await run({ plans: path.join(planDir({}), '*.plan.json'), outcome: errored({ env: 'staging', failed: { 'staging-network': 'Error: x' } }) });
    expect(none.code).toBe(0);
    expect(none.outputs.action).toBe('update');
    // as drift.yml passes it: the plans FOLDER, holding only the outcome file (every stack failed or was blocked)
    const onlyOutcome = errored({ env: 'staging', planned: [], failed: { 'staging-network': 'Error: x' }, blocked: { 'staging-data': ['staging-network'] } });
    const folder = await run({ plans: path.dirname(onlyOutcome), outcome: onlyOutcome });
    expect([folder.code, folder.outputs.action, folder.outputs.errored]).toEqual([0, 'update', 'true']);
    expect(issue?.state).toBe('open');
    // the same empty folder without an errored outcome is an error (nothing planned cannot mean "clean")
    const empty = await run({ plans: planDir({}) });
    expect(empty.code).toBe(1);
    expect(issue?.state).toBe('open');
    // an errored plan JSON (errored: true) is errored too, not clean
    const erroredJson = await run({ plans: planDir({ 'staging-data.plan.json': path.resolve(__dirname, '../../../../libs/delivery/test/fixtures/terraform/tf111-errored.plan.json') }) });
    expect(erroredJson.code).toBe(0);
    expect(erroredJson.outputs.action).toBe('update');
    expect(issue?.body).toContain('`staging-data`');
    const clear = await run({ plans: clean });
    expect(clear.outputs.action).toBe('close');
    expect(issue?.state).toBe('closed');
  });
});
