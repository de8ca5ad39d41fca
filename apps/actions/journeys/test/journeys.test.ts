// Delivery journeys (issue 18): whole journeys through the real pieces — the workflows' own `run:` steps and
// .github/scripts, the committed action bundles, the fake GitHub REST API — on a REAL Terraform CLI (and OpenTofu,
// where .ci/run built it: JOURNEY_TOFU), with provider-free stacks shaped like ours (test/world.ts says what stands
// for AWS, test/pipeline.ts what stands for the runner). Each journey asserts on the calls the fake GitHub recorded
// and on the Terraform state afterwards. The journeys run in order on one world: each starts where the last ended.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
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
