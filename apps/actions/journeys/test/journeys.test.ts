// Delivery journeys (issue 18): whole journeys through the real pieces — the workflows' own `run:` steps and
// .github/scripts, the committed action bundles, the fake GitHub REST API — on a REAL Terraform CLI (and OpenTofu
// when it is there: JOURNEY_TOFU or `tofu` on PATH), with provider-free stacks shaped like ours (test/world.ts says what stands
// for AWS, test/pipeline.ts what stands for the runner). Each journey asserts on the calls the fake GitHub recorded
// and on the Terraform state afterwards. The journeys run in order on one world: each starts where the last ended.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { BOT, FakeGitHub } from '../../shared/testing/fake-github';
import { findStep, Pipeline, STEPS, stepKey, workflow } from './pipeline';
import { ENVS, LAYERS, World } from './world';

/**
 * The CLIs to run on: terraform on PATH (JOURNEY_TERRAFORM overrides), and OpenTofu when JOURNEY_TOFU names it or
 * `tofu` is on PATH (JOURNEY_TOFU=none turns that off). A CLI that is asked for explicitly must run; without tofu
 * the journeys run once, on terraform.
 */
function clis(): [string, string][] {
  const runs = (bin: string) => spawnSync(bin, ['version'], { stdio: 'ignore', env: { ...process.env, CHECKPOINT_DISABLE: '1' } }).status === 0;
  const tofu = process.env.JOURNEY_TOFU === 'none' ? undefined : (process.env.JOURNEY_TOFU ?? (runs('tofu') ? 'tofu' : undefined));
  const wanted: [string, string][] = [['terraform', process.env.JOURNEY_TERRAFORM ?? 'terraform'], ...(tofu ? [['tofu', tofu] as [string, string]] : [])];
  const missing = wanted.filter(([, bin]) => !runs(bin));
  // Never skip silently: the journeys are the test of the delivery glue, and they need a real CLI.
  if (missing.length) throw new Error(`the journeys need a real Terraform/OpenTofu CLI: ${missing.map(([n, b]) => `${n} (${b})`).join(', ')} not runnable. Put terraform on PATH (or set JOURNEY_TERRAFORM), or build OpenTofu and set JOURNEY_TOFU.`);
  return wanted;
}

const stackNames = (envs: readonly string[], layers: readonly string[]) => envs.flatMap((e) => layers.map((l) => `${e}-${l}`));
/** Stacks grouped by environment, each group in the order given (dependency order within an environment; the order of environments is not). */
const byEnv = (stacks: readonly string[]) => Object.fromEntries(ENVS.map((e) => [e, stacks.filter((s) => s.startsWith(`${e}-`))]).filter(([, v]) => v.length));
const posts = (gh: FakeGitHub, route: RegExp) => gh.requests.filter((r) => r.method !== 'GET' && route.test(r.path));

describe('the pipeline mirrors the workflows (a workflow edit the pipeline does not follow fails here)', () => {
  // The jobs the pipeline plays; in them, every step that runs a repository action, a delivery script or the
  // platform CLI is a delivery step and must be played with the YAML's keys.
  const emulated: [string, string][] = [
    ['pr.yml', 'verify'],
    ['pr.yml', 'plan'],
    ['pr.yml', 'review'],
    ['pr.yml', 'required'],
    ['pr-report.yml', 'comment'],
    ['deploy.yml', 'build'],
    ['deploy-env.yml', 'apply'],
    ['drift.yml', 'envs'],
    ['drift.yml', 'drift'],
  ];
  it.each(emulated)('%s job %s: every delivery step is played, with the keys the YAML passes', (file, job) => {
    for (const step of workflow(file).jobs[job].steps ?? []) {
      const delivery = step.uses?.startsWith('./apps/actions/') || /\.github\/scripts\/|platform\.js/.test(step.run ?? '');
      const id = `${file} ${job} ${stepKey(step)}`;
      if (!delivery && !(id in STEPS)) continue;
      expect([id, STEPS[id]]).toEqual([id, Object.keys((step.uses ? step.with : step.env) ?? {}).sort()]);
    }
  });
  it('every played step exists in its workflow', () => {
    for (const id of Object.keys(STEPS)) {
      const [file, job, ...rest] = id.split(' ');
      expect(() => findStep(file, job, rest.join(' '))).not.toThrow();
    }
  });
});

describe.each(clis())('delivery journeys on %s', (_name, bin) => {
  const gh = new FakeGitHub();
  let world: World;
  let p: Pipeline;
  let c0: string;
  let main: string;

  beforeAll(async () => {
    await gh.start();
    world = new World(bin);
    p = new Pipeline(world, gh);
    // The starting state, applied with the CLI directly (no pipeline): c0 runs in every environment.
    c0 = world.commit('initial platform');
    for (const env of ENVS) {
      world.seed(c0, env);
      gh.addDeployment(env, c0, ['success']);
    }
    main = c0;
  });
  afterAll(async () => {
    await gh.stop();
    if (!process.env.JOURNEY_KEEP) world.cleanup();
  });

  let pr7: string;
  it('journey 1: a PR touching one layer plans only the affected stacks in dependency order (the stacks after it wait while it changes an output, and are planned when it does not), ONE sticky comment edited on the next push; a person quoting the marker is left alone', async () => {
    const before = world.snapshot();
    gh.logins.set('ghp_alice', 'alice');
    gh.comments.push({ id: 1, issue: 7, body: 'why does <!-- awp:plan-report --> appear in my comment?', user: 'alice' });
    // the first push replaces the database (an engine switch: a new id, which the stacks after it read), so they wait
    pr7 = world.branch('pr7', main, 'data: aurora', () => world.layer('data', { engine: 'aurora' }));
    const r = await p.pullRequest(7, pr7, main);
    expect(r.required.code).toBe(0);
    // a pull request plans with the pull-request plan role (it reads no secret) and skips what that role cannot plan
    expect(r.envs.include.map((e) => [e.env, e.planRoleArn, e.prSkipLayers])).toEqual(ENVS.map((e, i) => [e, `arn:aws:iam::11111111111${i}:role/awp-plan-pr`, 'identity']));
    expect(byEnv(r.stacks)).toEqual(byEnv(stackNames(ENVS, ['data', 'edge', 'workloads', 'observability'])));
    for (const env of ENVS) {
      expect(r.plans[env].code).toBe(0);
      expect(JSON.parse(r.run.artifacts.find((a) => a.name === `plans-${env}`)?.files[`outcome-${env}.txt`] as string)).toEqual({
        env,
        planned: [`${env}-data`],
        waiting: { [`${env}-edge`]: [`${env}-data`], [`${env}-workloads`]: [`${env}-data`, `${env}-edge`], [`${env}-observability`]: [`${env}-data`, `${env}-edge`, `${env}-workloads`] },
        failed: {},
        blocked: {},
      });
    }
    expect(r.report?.code).toBe(0);
    const ours = gh.comments.filter((c) => c.issue === 7 && c.user === BOT);
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toContain('waits for `dev-data`');
    expect(ours[0].body).toContain(pr7.slice(0, 12));
    // second push: the same comment is edited. The database is updated in place now (engine back, version 3): no
    // output of data changes, so nothing waits — the stacks after it are planned and show no changes
    pr7 = world.branch('pr7b', pr7, 'data: v3', () => world.layer('data', { version: 3, engine: 'postgres' }));
    const again = await p.pullRequest(7, pr7, main);
    expect(again.report?.code).toBe(0);
    for (const env of ENVS) {
      const files = again.run.artifacts.find((a) => a.name === `plans-${env}`)?.files ?? {};
      // …and the stacks that read data are noted as planned before its change applies
      const ahead = Object.fromEntries(['edge', 'workloads', 'observability'].map((l) => [`${env}-${l}`, [`${env}-data`]]));
      expect(JSON.parse(files[`outcome-${env}.txt`] as string)).toEqual({ env, planned: ['data', 'edge', 'workloads', 'observability'].map((l) => `${env}-${l}`), waiting: {}, failed: {}, blocked: {}, ahead });
      const data = JSON.parse(files[`${env}-data.plan.json`] as string);
      expect(data.resource_changes.find((c: { address: string }) => c.address === 'terraform_data.database').change.actions).toEqual(['update']);
      expect(Object.values(data.output_changes ?? {}).map((o) => (o as { actions: string[] }).actions)).not.toContainEqual(['update']);
      const edge = JSON.parse(files[`${env}-edge.plan.json`] as string);
      expect(edge.resource_changes.every((c: { change: { actions: string[] } }) => c.change.actions.join() === 'no-op')).toBe(true);
    }
    expect(again.plans.dev.summary).toContain('| `dev-data` | changes (no output changes) |');
    expect(again.plans.dev.summary).toContain('| `dev-edge` | no changes (planned before dev-data applies) |');
    expect(gh.comments.find((c) => c.user === BOT && c.issue === 7)?.body).not.toContain('waits for');
    expect(gh.comments.find((c) => c.user === BOT && c.issue === 7)?.body).toContain(
      "> Planned before their upstream's changes are applied (those change no output they read): `dev-edge` (before `dev-data`), ",
    );
    expect(gh.comments.filter((c) => c.issue === 7 && c.user === BOT)).toHaveLength(1);
    expect(posts(gh, /^\/repos\/acme\/platform\/issues\/7\/comments$/)).toHaveLength(1);
    expect(gh.writes().filter((w) => w.includes('/issues/comments/'))).toEqual([`PATCH /repos/acme/platform/issues/comments/${ours[0].id}`]);
    expect(gh.comments.find((c) => c.id === 1)?.body).toBe('why does <!-- awp:plan-report --> appear in my comment?');
    expect(gh.comments.find((c) => c.user === BOT && c.issue === 7)?.body).toContain(pr7.slice(0, 12));
    expect(world.snapshot()).toEqual(before); // a pull request never applies
  });

  it('journey 2 (B1): a PR changing the workloads layer, and one changing replicas, plan with the image the environment runs', async () => {
    const before = world.snapshot();
    const head = world.branch('pr8', main, 'workloads: v2', () => world.layer('workloads', { version: 2 }));
    const r = await p.pullRequest(8, head, main);
    expect(r.required.code).toBe(0);
    expect(byEnv(r.stacks)).toEqual(byEnv(stackNames(ENVS, ['cluster', 'workloads', 'observability'])));
    for (const env of ENVS) {
      const plan = JSON.parse(r.run.artifacts.find((a) => a.name === `plans-${env}`)?.files[`${env}-workloads.plan.json`] as string);
      const dep = plan.resource_changes.find((c: { address: string }) => c.address === 'terraform_data.deployment');
      expect(dep.change.actions).toEqual(['update']);
      expect(dep.change.after.input.version).toBe(2);
      expect(dep.change.after.input.image).toBe(world.digest(env, c0)); // the deployed image: the PR head was never pushed
    }
    // deployed.cjs asked the Deployments API which commit each environment runs
    expect(gh.requests.filter((q) => q.path === '/repos/acme/platform/deployments' && q.authorization === 'Bearer ghs_pr_read').map((q) => q.query.environment)).toEqual(expect.arrayContaining([...ENVS]));
    const replicas = world.branch('pr9', main, 'dev: 3 replicas', () => world.write('environments/dev.json', { ...world.read<object>('environments/dev.json'), replicas: 3 }));
    const r9 = await p.pullRequest(9, replicas, main);
    expect(byEnv(r9.stacks)).toEqual(byEnv(stackNames(['dev'], LAYERS)));
    const plan = JSON.parse(r9.run.artifacts.find((a) => a.name === 'plans-dev')?.files['dev-workloads.plan.json'] as string);
    const dep = plan.resource_changes.find((c: { address: string }) => c.address === 'terraform_data.deployment');
    expect([dep.change.before.input.replicas, dep.change.after.input.replicas]).toEqual([2, 3]);
    expect(world.snapshot()).toEqual(before);
  });

  let landed: string;
  it('journey 3: merge queue → apply dev in order → smoke → staging → prod; the applies run the reviewed plans, fresh credentials per stack', async () => {
    const mq = await p.mergeQueue(7, pr7, main);
    expect(mq.results).toEqual({ verify: { result: 'success' }, plan: { result: 'success' }, review: { result: 'success' } });
    // the merge queue plans reviewed code with the plan role, every layer
    expect(mq.envs.include.map((e) => [e.env, e.planRoleArn, e.prSkipLayers])).toEqual(ENVS.map((e, i) => [e, `arn:aws:iam::11111111111${i}:role/awp-plan`, '']));
    expect(Object.keys(mq.run.artifacts.find((a) => a.name === 'reviewed')?.files ?? {}).sort()).toEqual(ENVS.map((e) => `review-${e}.json`).sort());
    world.land(pr7);
    landed = pr7;
    const first = world.git('rev-parse', `${pr7}~1`); // PR 7's first push ('data: aurora')
    const calls = p.callLog().length;
    const tokens = gh.oidcTokens;
    const d = await p.deploy(landed);
    for (const env of ENVS) {
      expect([env, d[env].result, d[env].result === 'success' || [d[env].gate.stdout, d[env].fetch?.stderr, d[env].apply?.stdout, d[env].apply?.stderr].join('\n').slice(-3000)]).toEqual([env, 'success', true]);
      // every environment runs c0 (a seeded deployment with deploy.yml provenance), so the evidence covers c0..landed:
      // the merge group's run planned the final tree of both commits; the branch's first commit has no run of its own
      expect(d[env].gate.outputs['deployed-sha']).toBe(c0);
      expect(d[env].fetch?.stdout).toBe(`review evidence: 1 of 2 commit(s); none for ${first.slice(0, 12)} (no successful merge-queue run of .github/workflows/pr.yml)\n`);
      expect(d[env].apply?.summary).toMatch(new RegExp(`\`${env}-data\` \\| applied \\(all 1 change reviewed\\)`));
      // the workloads stack was planned in review (no changes: data changed no output); at deploy only the image digest and the migration named after it change
      expect(d[env].apply?.summary).toContain(`| \`${env}-workloads\` | applied (only ignored attributes change: 2 resources) |`);
      expect(world.applied(`${env}-data`).database.version).toBe(3);
      expect(world.applied(`${env}-workloads`).deployment.image).toBe(world.digest(env, landed));
    }
    // promotion order on the Deployments API: dev, staging, prod, each finished as success by the bot
    const created = gh.deployments.filter((x) => x.sha === landed);
    expect(created.map((x) => [x.environment, x.statuses[0].state, x.statuses[0].creator])).toEqual(ENVS.map((e) => [e, 'success', BOT]));
    // the image was pushed once per environment's registry; every stack that planned/applied started with a new STS session of 4 h
    const log = p.callLog().slice(calls);
    expect(log.filter((l) => l.startsWith('docker push'))).toEqual(ENVS.map((e) => `docker push registry.example/${e}-api:${landed}`));
    const sts = log.filter((l) => l.startsWith('aws sts assume-role-with-web-identity'));
    expect(sts.length).toBeGreaterThanOrEqual(ENVS.length * LAYERS.length);
    for (const l of sts) expect(l).toMatch(/--role-arn arn:aws:iam::\d+:role\/awp-apply --role-session-name deploy-(dev|staging|prod)-4242-(dev|staging|prod)-\w+ --web-identity-token oidc-token-\d+-for-sts.amazonaws.com --duration-seconds 14400/);
    expect(gh.oidcTokens - tokens).toBe(sts.length);
    main = landed;
  });

  let x: string;
  it('journey 4 (W1, W2): main moves after the review — an unreviewed push is refused before anything is applied, break-glass names the stacks and is recorded, the stale merge group is refused', async () => {
    // PR 10 is reviewed while main is `landed`
    const head10 = world.branch('pr10', main, 'edge: v2', () => world.layer('edge', { version: 2 }));
    expect((await p.pullRequest(10, head10, main)).report?.code).toBe(0);
    // main moves: a commit pushed straight to main (an admin bypassing the queue) replaces the database
    world.layer('data', { engine: 'aurora' });
    x = world.commit('data: aurora (pushed without review)');
    const before = world.snapshot();
    const refused = await p.deploy(x);
    expect(Object.keys(refused)).toEqual(['dev']); // staging and prod never start
    expect(refused.dev.result).toBe('failure');
    expect(refused.dev.fetch?.stdout).toContain(`review evidence: 0 of 1 commit(s); none for ${x.slice(0, 12)} (no successful merge-queue run of .github/workflows/pr.yml)`);
    expect(refused.dev.apply?.stdout).toContain('::error title=dev-data::refusing to apply: 1 change(s) never reviewed — terraform_data.database (delete,create); no reviewed plan covers this stack');
    expect(refused.dev.apply?.stdout).toContain('::error::nothing was applied to dev: dev-data would apply changes never reviewed.');
    expect(refused.dev.apply?.stdout).toContain('run deploy manually with break-glass-stacks naming the stacks and a reason');
    expect(world.snapshot()).toEqual(before); // phase 1 refused: nothing applied anywhere
    expect(gh.deployments.filter((d) => d.sha === x).map((d) => [d.environment, d.statuses[0].state])).toEqual([['dev', 'failure']]);

    // break-glass: a person names every stack the replacement changes, with a reason; recorded on the deployment
    const glass = ['data', 'edge', 'workloads', 'observability'].map((l) => `dev-${l}`);
    const origin = world.applied('dev-edge').distribution.origin;
    const d = await p.deploy(x, { envs: ['dev'], breakGlass: glass.join(','), reason: 'engine switch, restored from snapshot' });
    expect([d.dev.result, d.dev.result === 'success' || `${d.dev.apply?.stdout}${d.dev.apply?.stderr}`.slice(-2000)]).toEqual(['success', true]);
    expect(world.applied('dev-data').database.engine).toBe('aurora');
    expect(world.applied('dev-edge').distribution.origin).not.toBe(origin); // the new database's id
    for (const s of glass) expect(d.dev.apply?.summary).toMatch(new RegExp(`\`${s}\` \\| .*break-glass`));
    const rec = gh.deployments.filter((x2) => x2.sha === x && x2.statuses[0].state === 'success');
    expect(rec.map((r) => [r.environment, (r.payload as { breakGlass: { stacks: string[]; reason: string } }).breakGlass])).toEqual([['dev', expect.objectContaining({ stacks: glass, reason: 'engine switch, restored from snapshot' })]]);
    expect(rec[0].description).toMatch(/^break-glass by .*: unreviewed changes accepted in dev-data, dev-edge/);
    main = x;

    // PR 10 enters the queue on top of x: dev-edge now plans a new origin, not what the comment showed
    const applied = world.snapshot();
    const mq = await p.mergeQueue(10, world.queued('pr10', head10, x), x);
    expect(mq.results.review.result).toBe('failure');
    expect(mq.required.code).not.toBe(0);
    expect(mq.review?.stdout).toMatch(/::error::stale plan: dev-edge: /);
    expect(mq.review?.stdout).not.toMatch(/(staging|prod)-edge/);
    expect(mq.run.artifacts.map((a) => a.name)).not.toContain('reviewed'); // no evidence: the deploy could not use it
    const sticky = gh.comments.filter((c) => c.issue === 10 && c.user === BOT);
    expect(sticky).toHaveLength(1);
    expect(sticky[0].body).toContain('> **Stale plan**: what would land now plans differently from this comment');
    expect(world.snapshot()).toEqual(applied);
  });

  it('journey 5 (W3): a failed plan is shown with its error excerpt, and the stacks after it as blocked by it', async () => {
    const head = world.branch('pr11', main, 'cluster: a change whose plan fails', () => world.layer('cluster', { version: 2, fail: true }));
    const r = await p.pullRequest(11, head, main);
    expect(byEnv(r.stacks)).toEqual(byEnv(stackNames(ENVS, ['cluster', 'workloads', 'observability'])));
    expect(r.results.plan.result).toBe('failure');
    expect(r.required.code).not.toBe(0);
    for (const env of ENVS) {
      const outcome = JSON.parse(r.run.artifacts.find((a) => a.name === `plans-${env}`)?.files[`outcome-${env}.txt`] as string);
      expect(outcome).toEqual({ env, planned: [], waiting: {}, failed: { [`${env}-cluster`]: expect.stringContaining(`${env}-cluster: the plan fails here`) }, blocked: { [`${env}-workloads`]: [`${env}-cluster`], [`${env}-observability`]: [`${env}-workloads`] } });
    }
    expect(r.report?.code).toBe(0);
    const ours = gh.comments.filter((c) => c.issue === 11 && c.user === BOT);
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toMatch(/## Terraform plan: 9 stacks, 0 with changes, 3 failed, 6 blocked/);
    expect(ours[0].body).toContain('| `dev-cluster` | – | – | – | – | – | – | – | – | ❌ plan failed |');
    expect(ours[0].body).toContain('⛔ blocked by `dev-cluster` (plan failed)');
    expect(ours[0].body).toContain('dev-cluster: the plan fails here (standing for any plan error)');
    expect(ours[0].body).not.toContain('waits for');
  });

  it('journey 6 (W4, W5): drift at the deployed commit — one issue opened, updated (errored, label removed: no duplicate), closed when clean; the read-only plans run while a deploy holds a state lock', async () => {
    // someone edits prod's CDN in the console; meanwhile a deploy holds prod-network's state lock
    world.outOfBand(landed, 'prod-edge', 'distribution', { ttl: 0 }, landed);
    // drift plans are read-only (plan-stacks.sh: -lock=false): they run while the deploy holds the lock, never wait for it
    const drift: { done?: string } = {};
    const lock = world.holdLock('prod-network', () => drift.done);
    await lock.ready;
    const first = await p.drift();
    drift.done = 'the drift run finished';
    expect(await lock.released).toBe('the drift run finished'); // the lock was held throughout the run
    expect(first.prod.plan.stdout).not.toContain('Acquiring state lock');
    expect(Object.fromEntries(Object.entries(first).map(([e, r]) => [e, [r.sha, r.result]]))).toEqual({ dev: [x, 'success'], staging: [landed, 'success'], prod: [landed, 'success'] });
    expect(gh.issues).toHaveLength(1);
    const issue = gh.issues[0];
    expect([issue.state, issue.labels, issue.title]).toEqual(['open', ['drift'], expect.stringMatching(/^Drift in prod: /)]);
    expect(issue.body).toContain('prod-edge');
    // the next run: the image expired from ECR (the registry file removed) so prod-workloads errors; the label was removed
    issue.labels = [];
    rmSync(path.join(world.registry, 'prod-api', landed));
    const second = await p.drift();
    expect(second.prod.result).toBe('failure');
    expect(gh.issues).toHaveLength(1);
    expect([issue.state, issue.labels, issue.title]).toEqual(['open', ['drift'], expect.stringContaining('errored')]);
    expect(issue.body).toContain('prod-workloads');
    // fixed: the image is back and the CDN is set as the code says
    world.pushImage('prod', landed);
    world.outOfBand(landed, 'prod-edge', 'distribution', {}, landed);
    const third = await p.drift();
    expect(Object.values(third).map((r) => r.result)).toEqual(['success', 'success', 'success']);
    expect(gh.issues).toHaveLength(1);
    expect(issue.state).toBe('closed');
  });

  it('journey 7 (W6): re-running an old deploy is refused in every environment, before anything is planned', async () => {
    const before = world.snapshot();
    const deployments = gh.deployments.length;
    for (const [sha, env] of [...ENVS.map((e) => [c0, e]), [landed, 'dev']]) {
      const r = await p.deploy(sha, { envs: [env] });
      expect([env, r[env].result, r[env].fetch, r[env].apply]).toEqual([env, 'failure', undefined, undefined]);
      expect(r[env].gate.stdout).toContain(`::error::refusing to apply commit ${sha.slice(0, 7)} to ${env}: it is older than (an ancestor of)`);
    }
    expect(gh.deployments).toHaveLength(deployments); // nothing recorded
    expect(world.snapshot()).toEqual(before);
  });

  it('journey 8 (B4): a PR from a fork gets no credentials and no plan, ONE clear comment and a green required check; the merge queue says what to do', async () => {
    const tokens = gh.oidcTokens;
    const calls = p.callLog().length;
    const head = world.branch('pr12', main, 'observability: v2 (from a fork)', () => world.layer('observability', { version: 2 }));
    const r = await p.pullRequest(12, head, main, { fork: true });
    expect([r.fork, r.results.plan.result, r.required.code, r.report?.code]).toEqual([true, 'skipped', 0, 0]);
    expect(r.plans).toEqual({});
    expect(gh.oidcTokens).toBe(tokens); // no OIDC token, no AWS call
    expect(p.callLog()).toHaveLength(calls);
    const ours = gh.comments.filter((c) => c.issue === 12 && c.user === BOT);
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toContain('## Terraform plan: not run for pull requests from forks');
    expect(ours[0].body).toContain('push the branch to this repository');
    const mq = await p.mergeQueue(12, world.queued('pr12', head, main), main);
    expect(mq.results.review.result).toBe('failure');
    expect(mq.review?.stdout).toContain('::error::pull request #12 comes from a fork (someone/platform) and was never planned: push the branch to this repository to get a reviewed plan');
  });

  it('journey 9 (issue 17): a layer the pull-request role cannot plan (edge, standing for identity) is noted as planned in the merge queue, the stacks after it are planned (they do not read its state); the queue plans it with the plan role and accepts it', async () => {
    const before = world.snapshot();
    p.prPlanSkips = ['edge']; // stands for identity: its state holds secrets the pull-request role may not read
    try {
      const head = world.branch('pr13', main, 'edge: v3', () => world.layer('edge', { version: 3 }));
      const r = await p.pullRequest(13, head, main);
      expect(r.required.code).toBe(0);
      const note = 'edge: planned in the merge queue (the pull-request role cannot read its secrets)';
      for (const env of ENVS) {
        const outcome = JSON.parse(r.run.artifacts.find((a) => a.name === `plans-${env}`)?.files[`outcome-${env}.txt`] as string);
        expect(outcome.skipped).toEqual({ [`${env}-edge`]: note });
        expect(outcome.planned).not.toContain(`${env}-edge`);
        // nothing waits for a skipped layer: waiting would leave workloads unplanned on every pull request that
        // touches identity, and the merge queue would then call its changes "never reviewed"
        expect(outcome.waiting).toEqual({});
        expect(outcome.planned).toEqual(expect.arrayContaining([`${env}-workloads`, `${env}-observability`]));
        expect(r.run.artifacts.find((a) => a.name === `plans-${env}`)?.files[`${env}-edge.plan.json`]).toBeUndefined();
      }
      const ours = gh.comments.filter((c) => c.issue === 13 && c.user === BOT);
      expect(ours).toHaveLength(1);
      expect(ours[0].body).toContain(`> ${note}: \`dev-edge\`, \`prod-edge\`, \`staging-edge\`.`);
      // the merge queue: the plan role, edge planned (with its changes), not called stale, evidence for the deploy
      const mq = await p.mergeQueue(13, world.queued('pr13', head, main), main);
      expect(mq.envs.include.every((e) => e.planRoleArn.endsWith(':role/awp-plan') && e.prSkipLayers === '')).toBe(true);
      expect(mq.results).toEqual({ verify: { result: 'success' }, plan: { result: 'success' }, review: { result: 'success' } });
      for (const env of ENVS) expect(JSON.parse(mq.run.artifacts.find((a) => a.name === `plans-${env}`)?.files[`outcome-${env}.txt`] as string).planned).toContain(`${env}-edge`);
      const evidence = JSON.parse(mq.run.artifacts.find((a) => a.name === 'reviewed')?.files['review-dev.json'] as string);
      expect(evidence.stacks['dev-edge'].status).toBe('planned');
      expect(world.snapshot()).toEqual(before);
    } finally {
      p.prPlanSkips = ['identity'];
    }
  });
});
