import path from 'node:path';
import { checkPromotion, currentDeployment, decideDrift, deploymentSucceeded, driftMarker, loadPlanFiles, promotionOrder, PromotionConfigError, provenanceProblem, runIdOf, type DeploymentRecord } from '@awp/delivery';

const ENVS = [{ name: 'prod', promotesFrom: 'staging' }, { name: 'dev' }, { name: 'staging', promotesFrom: 'dev' }];
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const dep = (id: number, environment: string, states: string[], sha = SHA): DeploymentRecord => ({
  id,
  environment,
  sha,
  created_at: `2026-01-0${id % 9}T00:00:00Z`,
  creator: 'github-actions[bot]',
  statuses: states.map((state, i) => ({ state, created_at: `2026-01-01T00:0${9 - i}:00Z`, creator: 'github-actions[bot]' })),
  runId: 77,
  run: { id: 77, path: '.github/workflows/deploy.yml', head_branch: 'main', event: 'push', head_sha: sha },
});

describe('promotion rules', () => {
  it('orders environments by promotesFrom', () => {
    expect(promotionOrder(ENVS)).toEqual(['dev', 'staging', 'prod']);
  });

  it('dev takes any commit', () => {
    expect(checkPromotion({ target: 'dev', sha: SHA, environments: ENVS, deployments: [] })).toEqual(expect.objectContaining({ allowed: true }));
  });

  it('staging takes a commit only after it succeeded in dev', () => {
    const ok = checkPromotion({ target: 'staging', sha: SHA, environments: ENVS, deployments: [dep(3, 'dev', ['success', 'in_progress'])] });
    expect(ok).toEqual({ allowed: true, target: 'staging', requires: 'dev', evidence: 3, reason: 'commit a1b2c3d succeeded in dev (deployment 3)' });
  });

  it('refuses prod when the commit never reached staging, even if it succeeded in dev', () => {
    const no = checkPromotion({ target: 'prod', sha: SHA, environments: ENVS, deployments: [dep(3, 'dev', ['success'])] });
    expect(no.allowed).toBe(false);
    expect(no.reason).toBe('refusing to apply commit a1b2c3d to prod: it has no deployment in staging; apply it to staging first');
  });

  it('refuses when the previous environment failed, or only another commit succeeded there', () => {
    const failed = checkPromotion({ target: 'prod', sha: SHA, environments: ENVS, deployments: [dep(5, 'staging', ['failure', 'in_progress'])] });
    expect(failed.reason).toBe('refusing to apply commit a1b2c3d to prod: its latest deployment to staging (5) is "failure", not "success"');
    const other = checkPromotion({ target: 'prod', sha: SHA, environments: ENVS, deployments: [dep(6, 'staging', ['success'], 'f'.repeat(40))] });
    expect(other.allowed).toBe(false);
  });

  it('accepts a success that GitHub later marked inactive, but not in_progress alone', () => {
    expect(deploymentSucceeded(dep(1, 'dev', ['inactive', 'success']))).toBe(true);
    expect(deploymentSucceeded(dep(1, 'dev', ['inactive']))).toBe(false);
    expect(deploymentSucceeded(dep(1, 'dev', ['in_progress']))).toBe(false);
  });

  it('rejects unknown environments and broken promotesFrom chains', () => {
    expect(() => checkPromotion({ target: 'qa', sha: SHA, environments: ENVS, deployments: [] })).toThrow('unknown environment "qa": expected one of prod, dev, staging');
    expect(() => promotionOrder([{ name: 'prod', promotesFrom: 'stage' }])).toThrow(PromotionConfigError);
    expect(() => promotionOrder([{ name: 'a', promotesFrom: 'b' }, { name: 'b', promotesFrom: 'a' }])).toThrow(/promotion cycle/);
  });
});

describe('drift decisions', () => {
  const FIX = path.join(__dirname, 'fixtures', 'plans');
  const clean = loadPlanFiles([path.join(FIX, 'tfjson-no-changes.plan.json'), path.join(FIX, 'borchero-empty-no-resource-changes.plan.json')], { stackNames: ['prod-network', 'prod-data'] });
  const drifted = loadPlanFiles([path.join(__dirname, 'fixtures', 'aws-stateful-destroy.plan.json'), path.join(FIX, 'tfjson-no-changes.plan.json')], { stackNames: ['prod-data', 'prod-network'] });

  it('opens an issue when there is drift and none is open', () => {
    const d = decideDrift({ env: 'prod', stacks: drifted, runUrl: 'https://example.invalid/run/1' });
    expect(d.action).toBe('open');
    expect(d.title).toBe('Drift in prod: 1 stack differs from the code');
    expect(d.body.startsWith(driftMarker('prod'))).toBe(true);
    expect(d.body).toContain('Drifted stacks: `prod-data`.');
    expect(d.body).toContain('| `prod-data` | 1 | 2 | 2 | 2 |');
    expect(d.body).not.toContain('hunter2');
    expect(d.labels).toEqual(['drift']);
  });

  it('updates the open issue, closes it when clean, and does nothing when clean with no issue', () => {
    expect(decideDrift({ env: 'prod', stacks: drifted, existing: { number: 7, state: 'open' } })).toEqual(expect.objectContaining({ action: 'update', issueNumber: 7 }));
    const close = decideDrift({ env: 'prod', stacks: clean, existing: { number: 7, state: 'open' } });
    expect(close).toEqual(expect.objectContaining({ action: 'close', issueNumber: 7, drifted: false }));
    expect(close.body).toContain('No drift in **prod**: all 2 stack plans are clean');
    expect(decideDrift({ env: 'prod', stacks: clean }).action).toBe('none');
  });

  it('counts drift outside Terraform alone as drift', () => {
    const onlyDrift = loadPlanFiles([path.join(FIX, 'tf-summarize-github-for-each-modules-drift.plan.json')]);
    onlyDrift[0].changes = [];
    onlyDrift[0].create = 0;
    onlyDrift[0].outputs = [];
    expect(decideDrift({ env: 'dev', stacks: onlyDrift }).action).toBe('open');
  });
});

describe('deployment provenance (a bot deployment counts only from deploy.yml on main for its commit)', () => {
  const ok = dep(3, 'dev', ['success']);
  it.each([
    [{ runId: undefined, run: undefined }, 'names no workflow run'],
    [{ run: undefined }, 'its run 77 was not found'],
    [{ run: { ...ok.run!, path: '.github/workflows/pr.yml' } }, 'its run 77 is .github/workflows/pr.yml, not .github/workflows/deploy.yml'],
    [{ run: { ...ok.run!, path: '.github/workflows/deploy-env.yml' } }, 'its run 77 is .github/workflows/deploy-env.yml, not .github/workflows/deploy.yml'],
    [{ run: { ...ok.run!, head_branch: 'feature' } }, 'its run 77 ran on feature, not main'],
    [{ run: { ...ok.run!, event: 'pull_request' } }, 'its run 77 was triggered by pull_request, not push or workflow_dispatch'],
    [{ run: { ...ok.run!, head_sha: 'f'.repeat(40) } }, 'its run 77 built fffffff, not a1b2c3d'],
  ])('refuses %j: %s', (change, problem) => {
    const forged = { ...ok, ...change } as DeploymentRecord;
    expect(provenanceProblem(forged)).toBe(problem);
    expect(checkPromotion({ target: 'staging', sha: SHA, environments: ENVS, deployments: [forged] }).allowed).toBe(false);
    expect(currentDeployment([forged], 'dev')).toBeUndefined();
  });
  it('accepts a push or workflow_dispatch run of deploy.yml on main for the same commit', () => {
    expect(provenanceProblem(ok)).toBeUndefined();
    // `path` as GitHub's REST schema documents it (owner/repo/…@ref) names the same file
    expect(provenanceProblem({ ...ok, run: { ...ok.run!, path: 'acme/platform/.github/workflows/deploy.yml@refs/heads/main' } })).toBeUndefined();
    expect(provenanceProblem({ ...ok, run: { ...ok.run!, path: '.github/workflows/deploy.yml@main' } })).toBeUndefined();
    expect(provenanceProblem({ ...ok, run: { ...ok.run!, path: 'acme/platform/.github/workflows/deploy-env.yml@main' } })).toBe(
      'its run 77 is acme/platform/.github/workflows/deploy-env.yml@main, not .github/workflows/deploy.yml',
    );
    expect(provenanceProblem({ ...ok, run: { ...ok.run!, path: 'x/.github/workflows/deploy.yml' } })).toMatch(/^its run 77 is x\//); // not owner/repo/
    expect(provenanceProblem({ ...ok, run: { ...ok.run!, event: 'workflow_dispatch' } })).toBeUndefined();
    expect(currentDeployment([ok], 'dev')?.id).toBe(3);
  });
  it('reads the run id from payload.run_id, or from the run URL earlier gates recorded', () => {
    expect(runIdOf({ run_id: 12 })).toBe(12);
    expect(runIdOf(JSON.stringify({ run_id: 12 }))).toBe(12);
    expect(runIdOf({ run: 'https://github.com/o/r/actions/runs/345' })).toBe(345);
    expect(runIdOf({ run_id: '12' })).toBeUndefined();
    expect(runIdOf({ run: 'https://github.com/o/r/pull/345' })).toBeUndefined();
    expect(runIdOf(null)).toBeUndefined();
    expect(runIdOf('not json')).toBeUndefined();
  });
});
