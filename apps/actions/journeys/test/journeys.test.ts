// Delivery journeys (issue 18): whole journeys through the real pieces — the workflows' own `run:` steps and
// .github/scripts, the committed action bundles, the fake GitHub REST API — on a REAL Terraform CLI (and OpenTofu,
// where .ci/run built it: JOURNEY_TOFU), with provider-free stacks shaped like ours (test/world.ts says what stands
// for AWS, test/pipeline.ts what stands for the runner). Each journey asserts on the calls the fake GitHub recorded
// and on the Terraform state afterwards. The journeys run in order on one world: each starts where the last ended.
import { execFileSync } from 'node:child_process';
import { BOT, FakeGitHub } from '../../shared/testing/fake-github';
import { findStep, Pipeline, STEPS, stepKey, workflow } from './pipeline';
import { ENVS, LAYERS, World } from './world';

/** The CLIs to run on: terraform on PATH (JOURNEY_TERRAFORM overrides), and OpenTofu when JOURNEY_TOFU names it. */
function clis(): [string, string][] {
  const wanted: [string, string][] = [['terraform', process.env.JOURNEY_TERRAFORM ?? 'terraform'], ...(process.env.JOURNEY_TOFU ? [['tofu', process.env.JOURNEY_TOFU] as [string, string]] : [])];
  const missing = wanted.filter(([, bin]) => {
    try {
      execFileSync(bin, ['version'], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  // Never skip silently: the journeys are the test of the delivery glue, and they need a real CLI.
  if (missing.length) throw new Error(`the journeys need a real Terraform/OpenTofu CLI: ${missing.map(([n, b]) => `${n} (${b})`).join(', ')} not runnable. Put terraform on PATH (or set JOURNEY_TERRAFORM), or build OpenTofu and set JOURNEY_TOFU.`);
  return wanted;
}

const stackNames = (envs: readonly string[], layers: readonly string[]) => envs.flatMap((e) => layers.map((l) => `${e}-${l}`));
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
  it('journey 1: a PR touching one layer plans only the affected stacks in dependency order, ONE sticky comment edited on the next push; a person quoting the marker is left alone', async () => {
    const before = world.snapshot();
    gh.logins.set('ghp_alice', 'alice');
    gh.comments.push({ id: 1, issue: 7, body: 'why does <!-- awp:plan-report --> appear in my comment?', user: 'alice' });
    pr7 = world.branch('pr7', main, 'data: v2', () => world.layer('data', { version: 2 }));
    const r = await p.pullRequest(7, pr7, main);
    expect(r.required.code).toBe(0);
    expect(r.stacks).toEqual(stackNames(ENVS, ['data', 'edge', 'workloads', 'observability']));
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
    // second push: the same comment is edited
    pr7 = world.branch('pr7b', pr7, 'data: v3', () => world.layer('data', { version: 3 }));
    const again = await p.pullRequest(7, pr7, main);
    expect(again.report?.code).toBe(0);
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
    expect(r.stacks).toEqual(stackNames(ENVS, ['cluster', 'workloads', 'observability']));
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
    expect(r9.stacks).toEqual(stackNames(['dev'], LAYERS));
    const plan = JSON.parse(r9.run.artifacts.find((a) => a.name === 'plans-dev')?.files['dev-workloads.plan.json'] as string);
    const dep = plan.resource_changes.find((c: { address: string }) => c.address === 'terraform_data.deployment');
    expect([dep.change.before.input.replicas, dep.change.after.input.replicas]).toEqual([2, 3]);
    expect(world.snapshot()).toEqual(before);
  });

  let landed: string;
  it('journey 3: merge queue → apply dev in order → smoke → staging → prod; the applies run the reviewed plans, fresh credentials per stack', async () => {
    const mq = await p.mergeQueue(7, pr7, main);
    expect(mq.results).toEqual({ verify: { result: 'success' }, plan: { result: 'success' }, review: { result: 'success' } });
    expect(Object.keys(mq.run.artifacts.find((a) => a.name === 'reviewed')?.files ?? {}).sort()).toEqual(ENVS.map((e) => `review-${e}.json`).sort());
    world.land(pr7);
    landed = pr7;
    const calls = p.callLog().length;
    const tokens = gh.oidcTokens;
    const d = await p.deploy(landed);
    for (const env of ENVS) {
      expect([env, d[env].result, d[env].result === 'success' || [d[env].gate.stdout, d[env].fetch?.stderr, d[env].apply?.stdout, d[env].apply?.stderr].join('\n').slice(-3000)]).toEqual([env, 'success', true]);
      // the merge group's run planned the final tree of both commits; the branch's first commit has no run of its own
      expect(d[env].fetch?.stdout).toContain(`review evidence: 1 of 2 commit(s); none for ${world.git('rev-parse', `${landed}~1`).slice(0, 12)} (no successful merge-queue run)`);
      expect(d[env].apply?.summary).toMatch(new RegExp(`\`${env}-data\` \\| applied \\(reviewed`));
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
});
