// issue 18 W1/W6/W4 and issue 17 item 9 at the library level: what counts as reviewed, who may vouch for a
// deployment, an older commit, and errored plans in drift.
import { checkPromotion, checkReviewed, decideDrift, currentDeployment, embeddedMergeQueueOnly, mergeQueueOnlyExemptions, normalizeChange, parseEvidence, parseIgnoreRules, renderMarkdownReport, reviewItems, type DeploymentRecord, type ReviewEvidence, type StackSummary, type TerraformPlan, withoutWaitingOnExempt } from '@awp/delivery';

const IMAGE_RULE = parseIgnoreRules({ ignore: [{ type: 'kubernetes_deployment_v1', path: ['spec', '*', 'image'], pattern: '@sha256:', why: 'the deploy pins the image it pushed' }] }, 'ignore.json');
const rc = (after: Record<string, unknown>, before: Record<string, unknown> = { spec: [{ image: 'r/api@sha256:aaa', replicas: 2 }] }, actions: string[] = ['update']) => ({
  address: 'kubernetes_deployment_v1.api',
  type: 'kubernetes_deployment_v1',
  name: 'api',
  mode: 'managed' as const,
  change: { actions, before, after, after_unknown: {} },
});
const planOf = (...changes: ReturnType<typeof rc>[]) => ({ format_version: '1.2', resource_changes: changes }) as unknown as TerraformPlan;
const evidence = (plan: TerraformPlan, ignore = IMAGE_RULE): ReviewEvidence => ({ version: 1, env: 'dev', head: 'a'.repeat(40), stacks: { 'dev-workloads': { status: 'planned', items: reviewItems(plan, ignore).map((i) => i.hash) } } });

describe('review evidence (W1)', () => {
  const reviewed = planOf(rc({ spec: [{ image: 'r/api@sha256:bbb', replicas: 3 }] }));

  it('accepts a plan that differs from the review only in the named ignored attribute', () => {
    const now = planOf(rc({ spec: [{ image: 'r/api@sha256:ccc', replicas: 3 }] }));
    expect(checkReviewed({ stack: 'dev-workloads', plan: now, evidence: [evidence(reviewed)], ignore: IMAGE_RULE })).toEqual(expect.objectContaining({ ok: true, reason: 'all 1 change reviewed' }));
  });

  it('refuses any other difference, and the same digest change without the rule', () => {
    const more = planOf(rc({ spec: [{ image: 'r/api@sha256:ccc', replicas: 9 }] }));
    const r = checkReviewed({ stack: 'dev-workloads', plan: more, evidence: [evidence(reviewed)], ignore: IMAGE_RULE });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^1 change\(s\) never reviewed — kubernetes_deployment_v1\.api \(update\); the reviewed plan differs/);
    const digestOnly = planOf(rc({ spec: [{ image: 'r/api@sha256:ccc', replicas: 3 }] }));
    expect(checkReviewed({ stack: 'dev-workloads', plan: digestOnly, evidence: [evidence(reviewed, [])] }).ok).toBe(false);
  });

  it('the pattern limits the ignored values: a tag (not a digest) is compared', () => {
    const tag = planOf(rc({ spec: [{ image: 'r/api:latest', replicas: 3 }] }));
    expect(checkReviewed({ stack: 'dev-workloads', plan: tag, evidence: [evidence(reviewed)], ignore: IMAGE_RULE }).ok).toBe(false);
  });

  it('a change that differs only in ignored attributes is no change at all', () => {
    expect(normalizeChange(rc({ spec: [{ image: 'r/api@sha256:zzz', replicas: 2 }] }), IMAGE_RULE)).toBeUndefined();
  });

  // `terraform show -json` of Terraform 1.11 for a deploy of a new image tag (a terraform_data stand-in for the
  // workloads stack: the Deployment's image digest, and the migration Job named after the tag and replaced with it).
  // Terraform marks computed attributes unknown (`output`, a replacement's new `id`) and names only the top-level
  // `triggers_replace` in replace_paths: neither may make an image-only deploy look like an unreviewed change.
  describe('a deploy whose only differences are ignored attributes, in the shape Terraform really prints', () => {
    const A = 'a'.repeat(40);
    const B = 'b'.repeat(40);
    const digest = (c: string) => `registry.example/dev-api@sha256:${c.repeat(64)}`;
    const RULES = parseIgnoreRules({
      ignore: [
        { type: 'terraform_data', path: ['input', 'image'], pattern: '^registry\\.example/[a-z-]+@sha256:[0-9a-f]{64}$', why: 'image digest' },
        { type: 'terraform_data', path: ['input', 'name'], pattern: '^api-migrate-[0-9a-f]{40}$', why: 'migration named after the tag' },
        { type: 'terraform_data', path: ['triggers_replace', 'name'], pattern: '^api-migrate-[0-9a-f]{40}$', why: 'migration named after the tag' },
      ],
    }, 'ignore.json');
    const deployment = (image: string, version = 1) => ({
      address: 'terraform_data.deployment', type: 'terraform_data', name: 'deployment', mode: 'managed' as const,
      change: {
        actions: ['update'],
        before: { id: '5fc6e8e1-28fc-8302-e534-e2ef7db45a89', input: { image: digest('e'), layer: 'workloads', version: 1 }, output: { image: digest('e'), layer: 'workloads', version: 1 }, triggers_replace: null },
        after: { id: '5fc6e8e1-28fc-8302-e534-e2ef7db45a89', input: { image, layer: 'workloads', version }, triggers_replace: null },
        after_unknown: { input: {}, output: true },
      },
    });
    const migration = (tag: string) => ({
      address: 'terraform_data.migration', type: 'terraform_data', name: 'migration', mode: 'managed' as const,
      change: {
        actions: ['delete', 'create'],
        before: { id: '73f20a84-aef4-9054-323a-a7d947ac7bb5', input: { name: `api-migrate-${A}` }, output: { name: `api-migrate-${A}` }, triggers_replace: { name: `api-migrate-${A}` } },
        after: { input: { name: `api-migrate-${tag}` }, triggers_replace: { name: `api-migrate-${tag}` } },
        after_unknown: { id: true, input: {}, output: true, triggers_replace: {} },
        replace_paths: [['triggers_replace']],
      },
    });
    const plan = (...changes: object[]) => ({ format_version: '1.2', resource_changes: changes }) as unknown as TerraformPlan;
    const waited: ReviewEvidence = { version: 1, env: 'dev', head: A, stacks: { 'dev-workloads': { status: 'waiting', upstream: ['dev-data'] } } };

    it('has no review items, so a stack that only waited in review is applied', () => {
      const deploy = plan(deployment(digest('f')), migration(B));
      expect(reviewItems(deploy, RULES)).toEqual([]);
      expect(checkReviewed({ stack: 'dev-workloads', plan: deploy, evidence: [waited], ignore: RULES })).toEqual(expect.objectContaining({ ok: true, reason: 'only ignored attributes change: 2 resources' }));
      expect(checkReviewed({ stack: 'dev-workloads', plan: plan(), evidence: [waited], ignore: RULES }).reason).toBe('no changes');
    });

    it('still refuses any other difference, an ignored attribute whose value does not match its pattern, and the same plan without the rules', () => {
      const items = (p: TerraformPlan, rules = RULES) => reviewItems(p, rules).map((i) => `${i.address} (${i.actions})`);
      expect(items(plan(deployment(digest('f'), 2), migration(B)))).toEqual(['terraform_data.deployment (update)']);
      expect(items(plan(deployment('registry.example/dev-api:latest'), migration('latest')))).toEqual(['terraform_data.deployment (update)', 'terraform_data.migration (delete,create)']);
      expect(items(plan(deployment(digest('f')), migration(B)), [])).toEqual(['terraform_data.deployment (update)', 'terraform_data.migration (delete,create)']);
      const unreviewed = checkReviewed({ stack: 'dev-workloads', plan: plan(deployment(digest('f'), 2)), evidence: [waited], ignore: RULES });
      expect(unreviewed.ok).toBe(false);
    });
  });

  it('no evidence, or evidence where the stack only waited, is never reviewed; break-glass names the stack', () => {
    expect(checkReviewed({ stack: 'dev-workloads', plan: reviewed, evidence: [] }).reason).toMatch(/no reviewed plan covers this stack/);
    const waited: ReviewEvidence = { version: 1, env: 'dev', head: 'a'.repeat(40), stacks: { 'dev-workloads': { status: 'waiting', upstream: ['dev-data'] } } };
    expect(checkReviewed({ stack: 'dev-workloads', plan: reviewed, evidence: [waited] }).reason).toMatch(/it was not planned in review \(waiting/);
    const glass = checkReviewed({ stack: 'dev-workloads', plan: reviewed, evidence: [], breakGlass: ['dev-workloads'] });
    expect(glass).toEqual(expect.objectContaining({ ok: true, breakGlass: true }));
    expect(checkReviewed({ stack: 'dev-workloads', plan: reviewed, evidence: [], breakGlass: ['dev-data'] }).ok).toBe(false);
  });

  it('rejects malformed evidence and ignore rules naming the file and field', () => {
    expect(() => parseEvidence({ version: 1, env: 'dev', head: 'x', stacks: {} }, 'e.json')).toThrow('e.json: "head" must be a 40-character commit SHA');
    expect(() => parseEvidence({ version: 1, env: 'dev', head: 'a'.repeat(40), stacks: { s: { status: 'planned', items: ['nope'] } } }, 'e.json')).toThrow('e.json: stacks.s.items must be sha256 hashes');
    expect(() => parseIgnoreRules({ ignore: [{ type: 't', path: ['a'] }] }, 'i.json')).toThrow('i.json: ignore[0].why must say why');
  });
});

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const ENVS = [{ name: 'dev' }, { name: 'staging', promotesFrom: 'dev' }];
// Every record names a run of deploy.yml on main for its commit (provenance, promotion.ts): only the creators vary here.
const dep = (id: number, env: string, creator: string, statusCreator = creator, sha = SHA): DeploymentRecord => ({
  id,
  environment: env,
  sha,
  creator,
  created_at: `2026-01-0${id}T00:00:00Z`,
  statuses: [{ state: 'success', creator: statusCreator }],
  runId: 100 + id,
  run: { id: 100 + id, path: '.github/workflows/deploy.yml', head_branch: 'main', event: 'push', head_sha: sha },
});

describe('promotion: trusted creators (issue 17 item 9) and older commits (W6)', () => {
  it('ignores deployments and statuses not created by a trusted login', () => {
    expect(checkPromotion({ target: 'staging', sha: SHA, environments: ENVS, deployments: [dep(1, 'dev', 'mallory')] }).allowed).toBe(false);
    expect(checkPromotion({ target: 'staging', sha: SHA, environments: ENVS, deployments: [dep(1, 'dev', 'github-actions[bot]', 'mallory')] }).allowed).toBe(false);
    expect(checkPromotion({ target: 'staging', sha: SHA, environments: ENVS, deployments: [dep(1, 'dev', 'github-actions[bot]')] }).allowed).toBe(true);
    expect(checkPromotion({ target: 'staging', sha: SHA, environments: ENVS, deployments: [dep(1, 'dev', 'app[bot]')], trustedCreators: ['app[bot]'] }).allowed).toBe(true);
    expect(currentDeployment([dep(2, 'dev', 'mallory', 'mallory', 'f'.repeat(40)), dep(1, 'dev', 'github-actions[bot]')], 'dev')?.id).toBe(1);
  });

  it('refuses a commit behind or diverged from the deployed one unless allowOlder', () => {
    const current = { sha: 'f'.repeat(40), deployment: 7, relation: 'behind' as const };
    const r = checkPromotion({ target: 'dev', sha: SHA, environments: ENVS, deployments: [], current });
    expect(r.allowed).toBe(false);
    expect(r.reason).toBe('refusing to apply commit a1b2c3d to dev: it is older than (an ancestor of) fffffff, which dev runs (deployment 7); deploy a newer commit, or use break-glass to roll back on purpose');
    expect(checkPromotion({ target: 'dev', sha: SHA, environments: ENVS, deployments: [], current: { ...current, relation: 'diverged' } }).allowed).toBe(false);
    expect(checkPromotion({ target: 'dev', sha: SHA, environments: ENVS, deployments: [], current, allowOlder: true }).allowed).toBe(true);
    expect(checkPromotion({ target: 'dev', sha: SHA, environments: ENVS, deployments: [], current: { ...current, relation: 'ahead' } }).allowed).toBe(true);
  });
});

describe('drift: errored plans (W4)', () => {
  const stack = (over: Partial<StackSummary>) => ({ name: 'prod-data', create: 0, update: 0, delete: 0, replace: 0, changes: [], drift: [], moved: [], imported: [], forgotten: [], outputs: [], reads: [], deferred: [], unknown: [], invoked: [], destructive: [], risk: 'none', fingerprint: '0'.repeat(64), incomplete: false, ...over }) as unknown as StackSummary;
  it('an errored outcome or an incomplete plan never closes the issue as clean', () => {
    const existing = { number: 4, state: 'open' as const };
    expect(decideDrift({ env: 'prod', stacks: [stack({})], existing }).action).toBe('close');
    expect(decideDrift({ env: 'prod', stacks: [stack({})], existing, errored: { 'prod-cluster': 'Error: x' } }).action).toBe('update');
    const d = decideDrift({ env: 'prod', stacks: [stack({ incomplete: true })], existing });
    expect(d.action).toBe('update');
    expect(d.title).toBe('Drift in prod: 1 plan errored');
  });
});

describe('merge-queue-only stacks in the sticky comment (the pull-request role could not plan them)', () => {
  it('renders a row and one note per reason, and embeds the list the merge queue reads back', () => {
    const note = 'identity: planned in the merge queue (the pull-request role cannot read its secrets)';
    const md = renderMarkdownReport([], { embedFingerprints: true, skipped: { 'prod-identity': note, 'dev-identity': note } }).markdown;
    expect(md).toMatch(/## Terraform plan: 2 stacks, 0 with changes, 2 planned in the merge queue/);
    expect(md).toContain('| `dev-identity` | – | – | – | – | – | – | – | – | ⏭ not planned here |');
    expect(md).toContain(`> ${note}: \`dev-identity\`, \`prod-identity\`.`);
    expect(md).not.toContain('No stack was planned');
    expect(embeddedMergeQueueOnly(md)).toEqual(['dev-identity', 'prod-identity']);
    // nothing skipped: no hidden list; a malformed one reads as empty
    expect(renderMarkdownReport([], { embedFingerprints: true }).markdown).not.toContain('awp:merge-queue-only');
    expect(embeddedMergeQueueOnly('<!-- awp:merge-queue-only [oops -->')).toEqual([]);
  });
});

describe('stacks planned before their upstream applies (its changes change no output they read)', () => {
  it('says so in one note, sorted, naming each upstream; nothing when no stack was planned ahead', () => {
    const planned = (name: string) => ({ name, create: 0, update: 0, delete: 0, replace: 0, changes: [], drift: [], moved: [], imported: [], forgotten: [], outputs: [], reads: [], deferred: [], unknown: [], invoked: [], destructive: [], risk: 'none', fingerprint: '0'.repeat(64), incomplete: false }) as unknown as StackSummary;
    const stacks = ['prod-data', 'prod-edge', 'prod-workloads'].map(planned);
    const md = renderMarkdownReport(stacks, { ahead: { 'prod-workloads': ['prod-data', 'prod-edge'], 'prod-edge': ['prod-data'] } }).markdown;
    expect(md).toContain(
      "> [!NOTE]\n> Planned before their upstream's changes are applied (those change no output they read): `prod-edge` (before `prod-data`), `prod-workloads` (before `prod-data`, `prod-edge`). The deploy plans them again after the upstream applies and checks that plan against this review.",
    );
    expect(md).toContain('| `prod-edge` | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |');
    expect(renderMarkdownReport(stacks, {}).markdown).not.toContain('Planned before');
    expect(renderMarkdownReport(stacks, { ahead: {} }).markdown).not.toContain('Planned before');
  });
});

describe('merge-queue-only exemptions (the comment lists them; the trusted configuration decides)', () => {
  it('exempts only listed stacks of the layers the environments skip on pull requests', () => {
    const trusted = { prod: ['identity'], dev: ['identity'] };
    expect(mergeQueueOnlyExemptions(['prod-identity', 'prod-workloads', 'staging-identity'], trusted)).toEqual({ exempt: ['prod-identity'], ignored: ['prod-workloads', 'staging-identity'] });
    expect(mergeQueueOnlyExemptions(['prod-identity'], {})).toEqual({ exempt: [], ignored: ['prod-identity'] });
    // trusted but not listed: the pull request planned it, so it is compared
    expect(mergeQueueOnlyExemptions([], trusted).exempt).toEqual([]);
  });
  it('drops a reviewed stack only when it waits here for exempt stacks alone', () => {
    const reviewed = { 'prod-workloads': 'a', 'prod-observability': 'b', 'prod-edge': 'c' };
    const waiting = { 'prod-workloads': ['prod-identity'], 'prod-observability': ['prod-identity', 'prod-data'] };
    expect(withoutWaitingOnExempt(reviewed, waiting, ['prod-identity'])).toEqual({ 'prod-observability': 'b', 'prod-edge': 'c' });
    // through a stack that itself waits only for exempt ones
    expect(withoutWaitingOnExempt(reviewed, { 'prod-workloads': ['prod-identity'], 'prod-observability': ['prod-identity', 'prod-workloads'] }, ['prod-identity'])).toEqual({ 'prod-edge': 'c' });
    expect(withoutWaitingOnExempt(reviewed, waiting, [])).toEqual(reviewed);
  });
});
