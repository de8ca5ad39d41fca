import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeActionYml, planDir, runAction, useFakeGitHub } from '../../shared/testing/fake-github';

const ACTION = path.resolve(__dirname, '..');
const PLANS = path.resolve(__dirname, '../../../../libs/delivery/test/fixtures/plans');
const OWN = path.resolve(__dirname, '../../../../libs/delivery/test/fixtures/aws-stateful-destroy.plan.json');
const TOKEN = 'ghs_faketoken_for_tests_only';
const PR = 12;
const event = { pull_request: { number: PR, head: { sha: 'abc' } }, repository: { name: 'platform', owner: { login: 'acme' } } };
const SECRETS = ['S3cr3t', 'hunter2', 'hunter3', 'fake-out-pw', 'fake-unmarked-token', 'IyEvYmluL2Jhc2g', TOKEN];


const gh = useFakeGitHub('plan-report');

describe('plan-report action (bundled dist/index.js against a fake GitHub API)', () => {
  const risky = planDir({ 'prod-data.plan.json': OWN, 'prod-network.plan.json': path.join(PLANS, 'tfjson-no-changes.plan.json') });
  const clean = planDir({ 'prod-data.plan.json': path.join(PLANS, 'tfjson-no-changes.plan.json') });

  it('first run: posts one sticky comment, labels destroy and high risk, writes outputs and the job summary', async () => {
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: risky, 'github-token': TOKEN } });
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual([`POST /repos/acme/platform/issues/${PR}/comments`, `POST /repos/acme/platform/issues/${PR}/labels`]);
    expect(gh.requests.find((q) => q.method === 'POST' && q.path.endsWith('/labels'))?.body).toEqual({ labels: ['plan:destroy', 'plan:high-risk'] });
    expect(gh.requests.every((q) => q.authorization === `token ${TOKEN}`)).toBe(true);
    expect(gh.comments).toHaveLength(1);
    const body = gh.comments[0].body;
    expect(body.startsWith('<!-- awp:plan-report -->')).toBe(true);
    expect(body).toContain('| `prod-data` | 1 | 2 | 2 | 2 | 1 | 1 | 3 | 1 | 🔴 high |');
    expect(body).toContain('> - `prod-data`: `aws_db_instance.main` — replace (create-then-delete)');
    expect(r.outputs['has-changes']).toBe('true');
    expect(r.outputs['has-destroy']).toBe('true');
    expect(r.outputs.risk).toBe('high');
    expect(r.outputs['comment-id']).toBe(String(gh.comments[0].id));
    expect(r.outputs.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(r.outputs.json)).toEqual({
      stacks: [
        { name: 'prod-data', create: 1, update: 2, delete: 2, replace: 2, destructive: ['aws_db_instance.main', 'aws_s3_bucket.uploads', 'module.compute.aws_eks_node_group.general'] },
        { name: 'prod-network', create: 0, update: 0, delete: 0, replace: 0, destructive: [] },
      ],
    });
    expect(r.summary).toContain('| `prod-data` | 1 | 2 | 2 | 2 |');
    expect(r.summary).not.toContain('<!-- awp:plan-report -->');
    for (const s of SECRETS) for (const text of [body, r.summary, r.stdout, r.stderr, JSON.stringify(r.outputs)]) expect(text).not.toContain(s);
  });

  it('second run: edits the same comment (PATCH) instead of posting another, and drops labels that no longer apply', async () => {
    const id = gh.comments[0].id;
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: clean, 'github-token': TOKEN } });
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual([
      `PATCH /repos/acme/platform/issues/comments/${id}`,
      `DELETE /repos/acme/platform/issues/${PR}/labels/plan:destroy`,
      `DELETE /repos/acme/platform/issues/${PR}/labels/plan:high-risk`,
    ]);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0].body).toContain('**No changes:** `prod-data`');
    expect(gh.labels.get(PR)).toEqual([]);
    expect(r.outputs).toEqual(expect.objectContaining({ 'has-changes': 'false', 'has-destroy': 'false', risk: 'none', 'comment-id': String(id) }));
  });

  it('shows stacks waiting for upstream changes in the same comment', async () => {
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: risky, 'github-token': TOKEN, waiting: 'prod-workloads: prod-data' } });
    expect(r.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0].body).toContain('| `prod-workloads` | – | – | – | – | – | – | – | – | ⏳ waits for `prod-data` |');
    expect(r.summary).toContain('⏳ waits for `prod-data`');
  });

  it('allow-empty: a later push that plans no stack updates the sticky comment instead of leaving the old plan', async () => {
    const before = gh.comments[0].id;
    const none = path.join(mkdtempSync(path.join(os.tmpdir(), 'none-')), 'plans');
    const failing = await runAction(ACTION, { api: gh.url, event, inputs: { plans: none, 'github-token': TOKEN } });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('plans: cannot read the file (ENOENT)');
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: none, 'github-token': TOKEN, 'allow-empty': 'true' } });
    expect(r.code).toBe(0);
    expect(gh.writes()).toContain(`PATCH /repos/acme/platform/issues/comments/${before}`);
    expect(gh.comments[0].body).toContain('No stack was planned');
    expect(r.outputs).toEqual(expect.objectContaining({ 'has-changes': 'false', risk: 'none', json: '{\n  "stacks": []\n}' }));
  });

  it('keeps the comment under the budget, keeps the table, and puts the full details in the job summary', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'big-'));
    const changes = Array.from({ length: 1500 }, (_, i) => ({
      address: `aws_cloudwatch_metric_alarm.alarm_${i}`,
      type: 'aws_cloudwatch_metric_alarm',
      change: { actions: ['update'], before: { threshold: i, alarm_description: 'd'.repeat(60) }, after: { threshold: i + 1, alarm_description: 'e'.repeat(60) } },
    }));
    writeFileSync(path.join(dir, 'prod-observability.plan.json'), JSON.stringify({ format_version: '1.2', planned_values: {}, resource_changes: changes }));
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: dir, 'github-token': TOKEN, 'max-comment-chars': '20000' } });
    expect(r.code).toBe(0);
    const body = gh.comments[0].body;
    expect(body.length).toBeLessThanOrEqual(20000);
    expect(body).toContain('| `prod-observability` | 0 | 1500 | 0 | 0 |');
    expect(body).toContain("This report was cut to stay under GitHub's 65,536-character comment limit");
    expect(body).toMatch(/\[job summary\]\(https:\/\/github\.example\.test\/acme\/platform\/actions\/runs\/\d+\)/);
    expect(r.summary).toContain('aws_cloudwatch_metric_alarm.alarm_1499');
    expect(r.summary).toContain('`threshold`: `1499` → `1500`');
  });

  it('a corrupted plan fails the step with a message naming the file, and changes nothing on GitHub', async () => {
    const dir = planDir({ 'prod-data.plan.json': OWN, 'prod-edge.plan.json': path.join(PLANS, 'tfjson-invalid-corrupted.plan.json') });
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: dir, 'github-token': TOKEN } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/::error::.*prod-edge\.plan\.json: not valid JSON at line 676 column 29/);
    expect(gh.requests).toEqual([]);
    expect(r.outputs).toEqual({});
  });

  it.each([
    [{ 'max-comment-chars': '70000' }, 'input "max-comment-chars": expected an integer from 1000 to 65536, got "70000"'],
    [{ 'pull-request-number': 'abc' }, 'input "pull-request-number": expected a positive integer, got "abc"'],
    [{ comment: 'perhaps' }, 'input "comment": expected true or false, got "perhaps"'],
    [{ 'stack-names': 'only-one' }, 'got 1 stack name(s) for 2 plan file(s)'],
    [{ waiting: 'prod-workloads waits' }, 'input "waiting": expected "<stack>: <upstream>, …", got "prod-workloads waits"'],
  ])('rejects bad input %j with a clear message', async (extra, message) => {
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: risky, 'github-token': TOKEN, ...extra } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`::error::${message}`);
    expect(gh.writes()).toEqual([]);
  });

  it('with a read-only token (fork PR): warns, keeps the job summary and outputs, does not fail', async () => {
    gh.readOnlyTokens.add('ghs_read_only');
    const r = await runAction(ACTION, { api: gh.url, event, inputs: { plans: risky, 'github-token': 'ghs_read_only' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('::warning::Cannot comment on or label #12 (403');
    expect(r.outputs.risk).toBe('high');
    expect(r.summary).toContain('| `prod-data` |');
  });

  it('apply what was reviewed: passes with the reviewed fingerprints, refuses a different plan', async () => {
    const reviewed = await runAction(ACTION, { api: gh.url, eventName: 'push', event: {}, inputs: { plans: risky } });
    const fingerprints = reviewed.outputs.fingerprints;
    const same = await runAction(ACTION, { api: gh.url, eventName: 'push', event: {}, inputs: { plans: risky, 'expected-fingerprints': fingerprints } });
    expect(same.code).toBe(0);
    expect(same.outputs['fingerprint-match']).toBe('true');
    const other = planDir({ 'prod-data.plan.json': path.join(PLANS, 'tfjson-basic.plan.json'), 'prod-network.plan.json': path.join(PLANS, 'tfjson-no-changes.plan.json') });
    const differs = await runAction(ACTION, { api: gh.url, eventName: 'push', event: {}, inputs: { plans: other, 'expected-fingerprints': fingerprints } });
    expect(differs.code).toBe(1);
    expect(differs.outputs['fingerprint-match']).toBe('false');
    expect(differs.stdout).toMatch(/::error::refusing: the plans differ from the reviewed ones — prod-data: the plan differs from the reviewed one \(fingerprint [0-9a-f]{12} ≠ reviewed [0-9a-f]{12}\)/);
    expect(differs.summary).toContain('Not the reviewed plan:');
    expect(gh.requests).toEqual([]);
  });

  it('outside a pull request: job summary and outputs only, no API calls', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'push-'));
    mkdirSync(path.join(dir, 'p'));
    copyFileSync(OWN, path.join(dir, 'p', 'dev-data.json'));
    const r = await runAction(ACTION, { api: gh.url, eventName: 'push', event: {}, inputs: { plans: 'p/dev-data.json', 'github-token': TOKEN }, cwd: dir });
    expect(r.code).toBe(0);
    expect(gh.requests).toEqual([]);
    expect(r.summary).toContain('| `dev-data` |');
    expect(r.outputs.risk).toBe('high');
  });
});

describeActionYml(ACTION);
