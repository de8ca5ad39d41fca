// Delivery journeys (issue 18): whole journeys through the real pieces — .github/scripts, the committed action
// bundles, the fake GitHub REST API — on a REAL Terraform CLI (and OpenTofu, where .ci/run built it: JOURNEY_TOFU),
// with provider-free stacks shaped like ours (test/world.ts says what stands for AWS). Each journey asserts on the
// calls the fake GitHub recorded and on the Terraform state afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BOT, FakeGitHub } from '../../shared/testing/fake-github';
import { Pipeline } from './pipeline';
import { ENVS, LAYERS, World } from './world';

const CLIS = [['terraform', process.env.JOURNEY_TERRAFORM ?? 'terraform'], ...(process.env.JOURNEY_TOFU ? [['tofu', process.env.JOURNEY_TOFU]] : [])].filter(([, bin]) => {
  try {
    execFileSync(bin, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (CLIS.length === 0) throw new Error('no terraform (or JOURNEY_TOFU) on PATH: the journeys need a real CLI');

/** The resource values in a stack's state file (what Terraform applied). */
function state(world: World, stack: string): Record<string, Record<string, unknown>> {
  const file = path.join(world.state, `${stack}.tfstate`);
  if (!existsSync(file)) return {};
  const s = JSON.parse(readFileSync(file, 'utf8')) as { resources: { type: string; name: string; instances: { attributes: { input?: { value: Record<string, unknown> } } }[] }[] };
  return Object.fromEntries(s.resources.filter((r) => r.type === 'terraform_data').map((r) => [r.name, r.instances[0].attributes.input?.value ?? {}]));
}

describe.each(CLIS)('delivery journeys on %s', (_name, bin) => {
  const gh = new FakeGitHub();
  let world: World;
  let p: Pipeline;
  let c0: string;

  beforeAll(async () => {
    await gh.start();
    world = new World(bin);
    p = new Pipeline(world, gh);
    // The first deploy of an empty account: no review evidence exists, so every stack is applied by break-glass,
    // named explicitly and recorded on the deployment.
    c0 = world.commit('initial platform');
    for (const env of ENVS) {
      const d = await p.deploy(env, c0, { breakGlass: LAYERS.map((l) => `${env}-${l}`).join(','), reason: 'first deploy of an empty account' });
      expect(d.apply?.code).toBe(0);
    }
  });
  afterAll(async () => {
    await gh.stop();
    world.cleanup();
  });

  it('setup: the first deploy is break-glass, recorded on each deployment with who and why', () => {
    const first = gh.deployments.filter((d) => d.sha === c0);
    expect(first.map((d) => d.environment)).toEqual(['dev', 'staging', 'prod']);
    for (const d of first) expect(d.payload).toEqual(expect.objectContaining({ breakGlass: expect.objectContaining({ actor: 'octocat', reason: 'first deploy of an empty account' }) }));
    expect(state(world, 'prod-workloads').deployment.image).toMatch(/^registry\.example\/prod-api@sha256:[0-9a-f]{64}$/);
  });

  let c1: string;
  it('journey 1+2: a PR touching the data layer plans only affected stacks in order, waits downstream, ONE sticky comment by the bot; a person quoting the marker is left alone', async () => {
    world.write('libs/data/settings.json', { version: 2 });
    c1 = world.commit('data: v2');
    gh.logins.set('ghp_person', 'alice');
    gh.comments.push({ id: 1, issue: 7, body: 'why does <!-- awp:plan-report --> appear in my comment?', user: 'alice' });
    const r = await p.pullRequest(7, c1, c0);
    expect(r.steps.dev.code).toBe(0);
    expect(r.stacks).toEqual(ENVS.flatMap((e) => ['data', 'edge', 'workloads', 'observability'].map((l) => `${e}-${l}`)));
    const outcome = JSON.parse(readFileSync(path.join(r.plans, 'outcome-dev.txt'), 'utf8'));
    expect(outcome).toEqual({ env: 'dev', planned: ['dev-data'], waiting: { 'dev-edge': ['dev-data'], 'dev-workloads': ['dev-data', 'dev-edge'], 'dev-observability': ['dev-data', 'dev-edge', 'dev-workloads'] }, failed: {}, blocked: {} });
    const ours = gh.comments.filter((c) => c.issue === 7 && c.user === BOT);
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toContain('⏳ waits for `dev-data`');
    expect(ours[0].body).toContain(`head \`${c1.slice(0, 12)}\` merged into base \`${c0.slice(0, 12)}\``);
    expect(gh.comments.find((c) => c.id === 1)?.body).toBe('why does <!-- awp:plan-report --> appear in my comment?');
    // second push: the same comment is edited, not a new one
    const again = await p.pullRequest(7, c1, c0);
    expect(again.report.code).toBe(0);
    expect(gh.comments.filter((c) => c.issue === 7 && c.user === BOT)).toHaveLength(1);
    expect(gh.writes().filter((w) => w.startsWith('PATCH /repos/acme/platform/issues/comments/'))).toContain(`PATCH /repos/acme/platform/issues/comments/${ours[0].id}`);
  });

  it('journey 2 (B1): a PR that changes replicas plans the workloads stack with the image that is deployed, and succeeds', async () => {
    const base = world.git('rev-parse', 'HEAD');
    world.write('environments/dev.json', { ...world.read<object>('environments/dev.json'), replicas: 3 });
    const head = world.commit('dev: 3 replicas');
    const r = await p.pullRequest(8, head, base);
    expect(r.steps.dev.code).toBe(0);
    const plan = JSON.parse(readFileSync(path.join(r.plans, 'dev-workloads.plan.json'), 'utf8'));
    const dep = plan.resource_changes.find((c: { address: string }) => c.address === 'terraform_data.deployment');
    expect(dep.change.actions).toEqual(['update']);
    expect(dep.change.after.input.replicas).toBe(3);
    expect(dep.change.after.input.image).toBe(dep.change.before.input.image); // the deployed image, not the PR head's
    world.git('reset', '-q', '--hard', base);
  });
});
