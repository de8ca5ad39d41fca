import path from 'node:path';
import { checkPromotion, decideDrift, deploymentSucceeded, driftMarker, loadPlanFiles, promotionOrder, PromotionConfigError, type DeploymentRecord } from '@awp/delivery';

const ENVS = [{ name: 'prod', promotesFrom: 'staging' }, { name: 'dev' }, { name: 'staging', promotesFrom: 'dev' }];
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const dep = (id: number, environment: string, states: string[], sha = SHA): DeploymentRecord => ({
  id,
  environment,
  sha,
  created_at: `2026-01-0${id % 9}T00:00:00Z`,
  creator: 'github-actions[bot]',
  statuses: states.map((state, i) => ({ state, created_at: `2026-01-01T00:0${9 - i}:00Z`, creator: 'github-actions[bot]' })),
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
