import path from 'node:path';
import { describeActionYml, runAction, useFakeGitHub } from '../../shared/testing/fake-github';

const ACTION = path.resolve(__dirname, '..');
// The repository's real environment files: dev, staging (promotesFrom dev), prod (promotesFrom staging).
const ENVIRONMENTS = path.resolve(__dirname, '../../../../environments');
const SHA = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
const TOKEN = 'ghs_fake_gate_token';

const gh = useFakeGitHub('promote-gate', (gh) => {
  gh.deployments = [];
  gh.compare = undefined;
});

const gate = (environment: string, extra: Record<string, string> = {}) =>
  runAction(ACTION, { api: gh.url, eventName: 'push', sha: SHA, inputs: { environment, 'environments-dir': ENVIRONMENTS, 'github-token': TOKEN, ...extra } });

describe('promote-gate action (bundled dist/index.js against a fake Deployments API)', () => {
  it('refuses prod when the commit has no deployment in staging: exits non-zero with a clear message, records nothing', async () => {
    gh.addDeployment('dev', SHA, ['success', 'in_progress']);
    const r = await gate('prod');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error::refusing to apply commit 9f8e7d6 to prod: it has no deployment in staging; apply it to staging first');
    expect(gh.requests.map((q) => `${q.method} ${q.path}?${new URLSearchParams(q.query).toString()}`)).toEqual([
      `GET /repos/acme/platform/deployments?environment=staging&sha=${SHA}&task=deploy&per_page=100&page=1`,
      // what prod runs now: an older commit must never replace it
      'GET /repos/acme/platform/deployments?environment=prod&task=deploy&per_page=100&page=1',
    ]);
    expect(gh.writes()).toEqual([]);
    expect(r.outputs).toEqual(expect.objectContaining({ allowed: 'false', requires: 'staging' }));
    expect(r.summary).toContain('⛔ refusing to apply commit 9f8e7d6 to prod');
  });

  it('refuses staging when the dev deployment of the commit failed', async () => {
    const d = gh.addDeployment('dev', SHA, ['failure', 'in_progress']);
    const r = await gate('staging');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`::error::refusing to apply commit 9f8e7d6 to staging: its latest deployment to dev (${d.id}) is "failure", not "success"`);
    expect(gh.writes()).toEqual([]);
  });

  it('lets staging take a commit that succeeded in dev, and records its own deployment as in progress', async () => {
    const dev = gh.addDeployment('dev', SHA, ['success', 'in_progress']);
    const r = await gate('staging');
    expect(r.code).toBe(0);
    expect(gh.requests.filter((q) => q.method === 'GET').map((q) => `${q.path}?${new URLSearchParams(q.query).toString()}`)).toEqual([
      `/repos/acme/platform/deployments?environment=dev&sha=${SHA}&task=deploy&per_page=100&page=1`,
      `/repos/acme/platform/deployments/${dev.id}/statuses?per_page=100`,
      // provenance: the run the deployment names (a deploy.yml push run on main for this commit)
      `/repos/acme/platform/actions/runs/${(dev.payload as { run_id: number }).run_id}?`,
      '/repos/acme/platform/deployments?environment=staging&task=deploy&per_page=100&page=1',
    ]);
    const created = gh.deployments.find((x) => x.environment === 'staging');
    expect(created).toBeDefined();
    expect(gh.writes()).toEqual(['POST /repos/acme/platform/deployments', `POST /repos/acme/platform/deployments/${created?.id}/statuses`]);
    expect(gh.requests.find((q) => q.method === 'POST' && q.path.endsWith('/deployments'))?.body).toEqual(
      expect.objectContaining({ ref: SHA, environment: 'staging', required_contexts: [], auto_merge: false, production_environment: false, description: `promoted from dev (deployment ${dev.id})` }),
    );
    expect(created?.statuses.map((s) => s.state)).toEqual(['in_progress']);
    expect(r.outputs).toEqual(expect.objectContaining({ allowed: 'true', requires: 'dev', 'deployment-id': String(created?.id) }));
  });

  it('mode finish records the outcome, and then prod accepts the commit', async () => {
    gh.addDeployment('dev', SHA, ['success']);
    const first = await gate('staging');
    const id = first.outputs['deployment-id'];
    const done = await runAction(ACTION, { api: gh.url, eventName: 'push', sha: SHA, inputs: { mode: 'finish', 'deployment-id': id, state: 'success', 'github-token': TOKEN, 'environment-url': 'https://staging.shop.example.com' } });
    expect(done.code).toBe(0);
    expect(gh.requests.at(-1)?.body).toEqual(expect.objectContaining({ state: 'success', environment_url: 'https://staging.shop.example.com', log_url: expect.stringMatching(/^https:\/\/github\.example\.test\/acme\/platform\/actions\/runs\/\d+$/) }));
    const prod = await gate('prod');
    expect(prod.code).toBe(0);
    expect(gh.deployments.find((x) => x.environment === 'prod')).toBeDefined();
    expect(gh.requests.find((q) => q.method === 'POST' && q.path.endsWith('/deployments') && (q.body as { environment: string }).environment === 'prod')?.body).toEqual(
      expect.objectContaining({ production_environment: true }),
    );
  });

  it('dev takes any commit not older than what dev runs, reading only what dev runs', async () => {
    const r = await gate('dev', { record: 'false' });
    expect(r.code).toBe(0);
    expect(gh.requests.map((q) => `${q.method} ${q.path}?${new URLSearchParams(q.query).toString()}`)).toEqual(['GET /repos/acme/platform/deployments?environment=dev&task=deploy&per_page=100&page=1']);
    expect(r.outputs.reason).toBe('dev is the first environment: any commit may be applied');
  });

  it('counts only deployments and statuses created by the trusted creators (issue 17 item 9)', async () => {
    // A person with deployments: write creates a "success" in dev: it does not count.
    gh.addDeployment('dev', SHA, ['success'], 'mallory');
    const person = await gate('staging');
    expect(person.code).toBe(1);
    expect(person.stdout).toContain('::error::refusing to apply commit 9f8e7d6 to staging: it has no deployment in dev (deployments there not created by github-actions[bot] from a .github/workflows/deploy.yml run on main do not count); apply it to dev first');
    // The bot's deployment failed; a person adds a "success" status on it: still refused.
    const bot = gh.addDeployment('dev', SHA, ['failure']);
    bot.statuses.unshift({ id: 999, state: 'success', creator: 'mallory', created_at: new Date().toISOString() });
    const forged = await gate('staging');
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain(`its latest deployment to dev (${bot.id}) is "failure", not "success"`);
    expect(gh.writes()).toEqual([]);
    // Another app named in trusted-creators counts.
    const app = await gate('staging', { 'trusted-creators': 'deploy-app[bot],mallory', record: 'false' });
    expect(app.code).toBe(0);
  });

  it('refuses a commit older than (or diverged from) the one the environment runs, naming it; break-glass allow-older needs a reason and is recorded (W6)', async () => {
    const NEWER = '1111111111111111111111111111111111111111';
    gh.addDeployment('dev', SHA, ['success']);
    gh.addDeployment('staging', NEWER, ['success']);
    gh.compare = (base, head) => (base === NEWER && head === SHA ? { status: 'behind', commits: [] } : { status: 'diverged', commits: [] });
    const old = await gate('staging');
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/::error::refusing to apply commit 9f8e7d6 to staging: it is older than \(an ancestor of\) 1111111, which staging runs \(deployment \d+\); deploy a newer commit, or use break-glass/);
    expect(old.outputs['deployed-sha']).toBe(NEWER);
    expect(gh.writes()).toEqual([]);
    gh.compare = () => ({ status: 'diverged', commits: [] });
    expect((await gate('staging')).stdout).toContain('is not a descendant of 1111111 (the histories diverged)');
    const noReason = await gate('staging', { 'allow-older': 'true' });
    expect(noReason.code).toBe(1);
    expect(noReason.stdout).toContain('::error::input "break-glass-reason": break-glass (break-glass-stacks or allow-older) needs a reason');
    const rollback = await gate('staging', { 'allow-older': 'true', 'break-glass-reason': 'roll back the broken release' });
    expect(rollback.code).toBe(0);
    const body = gh.requests.find((q) => q.method === 'POST' && q.path.endsWith('/deployments'))?.body as { description: string; payload: { breakGlass: unknown } };
    expect(body.description).toMatch(/^break-glass by .*: an older commit allowed — "roll back the broken release"/);
    expect(body.payload.breakGlass).toEqual(expect.objectContaining({ allowOlder: true, stacks: [], reason: 'roll back the broken release' }));
    expect(rollback.summary).toContain('[!WARNING]');
  });

  it('accepts a newer commit (ahead of the deployed one) and records break-glass stacks with their reason', async () => {
    const OLDER = '2222222222222222222222222222222222222222';
    gh.addDeployment('dev', OLDER, ['success']);
    gh.compare = (base, head) => (base === OLDER && head === SHA ? { status: 'ahead', commits: [SHA] } : { status: 'behind', commits: [] });
    const r = await gate('dev', { 'break-glass-stacks': 'dev-workloads', 'break-glass-reason': 'hotfix' });
    expect(r.code).toBe(0);
    const body = gh.requests.find((q) => q.method === 'POST' && q.path.endsWith('/deployments'))?.body as { payload: { breakGlass: unknown } };
    expect(body.payload.breakGlass).toEqual(expect.objectContaining({ stacks: ['dev-workloads'], allowOlder: false, reason: 'hotfix' }));
    expect(r.summary).toContain('this commit is ahead of it');
  });

  it('counts a bot deployment only when its run is deploy.yml on main (push or dispatch) for the same commit; records its own run id', async () => {
    // Every workflow's token is github-actions[bot]: a pushed branch's workflow, a pull_request run, another
    // workflow on main, or a deploy run of another commit can each create a "success" in dev. None counts.
    const OTHER = '3333333333333333333333333333333333333333';
    const forged = [
      gh.addRun({ name: 'pr', event: 'pull_request', head_branch: 'feature', head_sha: SHA, conclusion: 'success' }),
      gh.addRun({ name: 'evil', event: 'push', head_sha: SHA, conclusion: 'success' }),
      gh.addRun({ name: 'deploy', event: 'push', head_branch: 'feature', head_sha: SHA, conclusion: 'success' }),
      gh.addRun({ name: 'deploy', event: 'pull_request', head_sha: SHA, conclusion: 'success' }),
      gh.addRun({ name: 'deploy', event: 'push', head_sha: OTHER, conclusion: 'success' }),
    ];
    for (const run of forged) gh.addDeployment('dev', SHA, ['success'], undefined, { run });
    gh.addDeployment('dev', SHA, ['success'], undefined, { run: null }); // names no run (e.g. GitHub's automatic one)
    gh.addDeployment('dev', SHA, ['success'], undefined, { run: null, payload: { run_id: 987654 } }); // a run that does not exist
    const refused = await gate('staging');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('it has no deployment in dev (deployments there not created by github-actions[bot] from a .github/workflows/deploy.yml run on main do not count)');
    expect(gh.writes()).toEqual([]);
    // The same forgeries cannot fake what staging runs either (deployed-sha, which review.cjs and drift trust).
    gh.addDeployment('staging', OTHER, ['success'], undefined, { run: forged[0] });
    // A manual (workflow_dispatch) deploy.yml run on main for the commit counts.
    gh.addDeployment('dev', SHA, ['success'], undefined, { run: gh.addRun({ name: 'deploy', event: 'workflow_dispatch', head_sha: SHA, conclusion: null }) });
    const ok = await gate('staging');
    expect(ok.code).toBe(0);
    expect(ok.outputs['deployed-sha']).toBe('');
    const body = gh.requests.find((q) => q.method === 'POST' && q.path.endsWith('/deployments'))?.body as { payload: { run_id: number; run: string } };
    expect(body.payload.run).toBe(`https://github.example.test/acme/platform/actions/runs/${body.payload.run_id}`);
    expect(body.payload.run_id).toBeGreaterThan(0);
  });

  it('finds what an environment runs behind more than 30 newer deployments (automatic, failed, forged), reading page after page', async () => {
    const OLD = '4444444444444444444444444444444444444444';
    const good = gh.addDeployment('staging', OLD, ['success']);
    for (let i = 0; i < 120; i++) gh.addDeployment('staging', SHA, ['failure']);
    for (let i = 0; i < 40; i++) gh.addDeployment('staging', SHA, ['success'], undefined, { run: null });
    // another task's deployments are never read
    for (let i = 0; i < 5; i++) gh.addDeployment('staging', SHA, ['success'], undefined, { task: 'deploy:other' });
    gh.compare = (base, head) => (base === OLD && head === SHA ? { status: 'ahead', commits: [SHA] } : { status: 'behind', commits: [] });
    gh.addDeployment('dev', SHA, ['success']);
    const r = await gate('staging', { record: 'false' });
    expect(r.code).toBe(0);
    expect(r.outputs['deployed-sha']).toBe(OLD);
    expect(r.summary).toContain(`staging runs ${OLD.slice(0, 12)} (deployment ${good.id})`);
    const pages = gh.requests.filter((q) => q.path.endsWith('/deployments') && q.query.environment === 'staging').map((q) => q.query.page);
    expect(pages).toEqual(['1', '2']);
  });

  it.each([
    [{ mode: 'deploy' }, 'input "mode": expected gate or finish, got "deploy"'],
    [{ mode: 'finish', 'deployment-id': 'x', state: 'success' }, 'input "deployment-id": expected a deployment id, got "x"'],
    [{ mode: 'finish', 'deployment-id': '5', state: 'done' }, 'input "state": expected one of success, failure, error, inactive, in_progress, queued, pending, got "done"'],
    [{ 'environments-dir': '/nonexistent/envs' }, '/nonexistent/envs: cannot read the environments directory (ENOENT)'],
  ])('rejects bad input %j with a clear message', async (extra, message) => {
    const r = await gate('prod', extra);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`::error::${message}`);
    expect(gh.writes()).toEqual([]);
  });

  it('rejects an unknown environment and a short SHA', async () => {
    const unknown = await gate('qa');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('::error::unknown environment "qa": expected one of dev, prod, staging');
    const short = await runAction(ACTION, { api: gh.url, eventName: 'push', sha: SHA, inputs: { environment: 'prod', sha: 'abc123', 'environments-dir': ENVIRONMENTS, 'github-token': TOKEN } });
    expect(short.stdout).toContain('::error::input "sha": expected a full 40-character commit SHA, got "abc123"');
  });
});

describeActionYml(ACTION);
