// The workflow jobs a journey plays, step by step as the YAML says. Every `run:` step that touches delivery runs
// VERBATIM from the parsed workflow (bash -eo pipefail, GitHub's default shell) in a workspace laid out like the
// job's checkout; every `uses: ./apps/actions/*` step runs the committed bundle (dist/index.js) with INPUT_*
// variables and action.yml's defaults, as the runner does. Each step call names its workflow, job and step, and
// fails when the keys the pipeline passes (`env:` of a run step, `with:` of an action step) differ from the YAML's:
// a workflow edit the pipeline does not mirror fails the journeys (and the static check in journeys.test.ts).
//
// Stand-ins, each for something that cannot run here:
// - `nx affected` / `npm run synth` / checkout: World.synth (cdktf) and World.projects; artifacts: files copied
//   between workspaces and recorded on the fake GitHub run; setup-* and configure-aws-credentials: the runner's
//   environment (AWS_REGION, the OIDC token endpoint on the fake GitHub).
// - `node apps/infra/bin/platform.js bootstrap --describe`: a script in the workspace printing the world's targets.
// - `aws` and `docker` on PATH (bin/): STS hands out numbered sessions, ECR is the registry folder; every call is
//   logged to calls.log so a journey can count them.
// - the smoke test (curl through CloudFront): the workloads state runs the commit's image.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type FakeGitHub, type FakeRun, OWNER, parseOutputs, REPO, runAction } from '../../shared/testing/fake-github';
import { ENVS, IGNORE_RULES, type World } from './world';

export const ROOT = path.resolve(__dirname, '../../../..');
const WORKFLOWS = path.join(ROOT, '.github/workflows');

export interface WorkflowStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
type Workflow = { jobs: Record<string, { env?: Record<string, string>; steps?: WorkflowStep[] }> };

const parsed = new Map<string, Workflow>();
export function workflow(file: string): Workflow {
  if (!parsed.has(file)) parsed.set(file, YAML.parse(readFileSync(path.join(WORKFLOWS, file), 'utf8')) as Workflow);
  return parsed.get(file) as Workflow;
}

/** A step of a workflow job by its id, name or `uses` path. */
export function findStep(file: string, job: string, key: string): WorkflowStep {
  const steps = workflow(file).jobs[job]?.steps ?? [];
  const hits = steps.filter((s) => stepKey(s) === key);
  if (hits.length !== 1) throw new Error(`${file} job ${job}: ${hits.length} steps match "${key}" (the pipeline mirrors the YAML; update test/pipeline.ts)`);
  return hits[0];
}

/** A step's key in STEPS and findStep: its id, else its name, else its `uses`. */
export const stepKey = (s: WorkflowStep): string => s.id ?? s.name ?? s.uses ?? '';

/**
 * The steps the pipeline plays ("<workflow> <job> <step key>") and the keys it passes: `env:` keys of a run step,
 * `with:` keys of an action step. journeys.test.ts checks this table against the YAML (every delivery step of the
 * emulated jobs is here, with the YAML's keys); run() and action() refuse to pass any other keys.
 */
export const STEPS: Record<string, string[]> = {
  'pr.yml verify fork': ['BASE_REPO', 'EVENT', 'HEAD_REPO'],
  'pr.yml verify affected': ['files', 'manifest', 'projects'],
  'pr.yml verify envs': ['EVENT', 'GH_TOKEN', 'MATRIX'],
  'pr.yml verify pull request metadata for the report': ['HEAD', 'PLANNED', 'PR'],
  'pr.yml plan plan in dependency order': ['ENV_NAME', 'IMAGE_TAG', 'MODE', 'PLAN_DIR', 'PR_SKIP_LAYERS', 'STACKS'],
  'pr.yml review compare with the reviewed comment, write the review evidence': ['allow-empty', 'artifact-name', 'compare-with-comment', 'evidence-dir', 'ignore-rules', 'merge-queue-only-layers', 'outcomes', 'plans'],
  'pr.yml required every needed job succeeded or was skipped': ['RESULTS'],
  'pr-report.yml comment meta': [],
  'pr-report.yml comment post the plan report (or the fork notice)': ['allow-empty', 'artifact-name', 'base-sha', 'expected-head-sha', 'fork', 'head-sha', 'outcomes', 'planned-sha', 'plans', 'pull-request-number'],
  'deploy.yml build stacks': ['all', 'manifest'],
  'deploy.yml build targets': ['STAGES'],
  'deploy-env.yml apply target': ['ENV_NAME', 'TARGETS'],
  'deploy-env.yml apply gate': ['allow-older', 'break-glass-reason', 'break-glass-stacks', 'environment', 'mode', 'trusted-creators'],
  'deploy-env.yml apply review evidence (merge-queue runs of every commit since the deployed one)': ['DEPLOYED', 'GH_TOKEN', 'SHA'],
  'deploy-env.yml apply apply in dependency order (review check before anything is applied, fresh credentials per stack)': [
    'AWS_ROLE_ARN',
    'AWS_ROLE_SESSION_PREFIX',
    'AWS_SESSION_SECONDS',
    'BREAK_GLASS',
    'ENV_NAME',
    'ERRORED_DIR',
    'ERRORED_STATE_PUBLIC_KEY',
    'EVIDENCE_DIR',
    'IGNORE_RULES',
    'IMAGE_ARCHIVE',
    'IMAGE_TAG',
    'PLAN_DIR',
    'STACKS',
  ],
  'deploy-env.yml apply record the outcome on the deployment': ['deployment-id', 'description', 'environment-url', 'mode', 'state'],
  'drift.yml envs envs': ['GH_TOKEN'],
  'drift.yml drift stacks': ['all', 'envs', 'manifest'],
  'drift.yml drift plan': ['ENV_NAME', 'IMAGE_TAG', 'MODE', 'PLAN_DIR', 'STACKS'],
  'drift.yml drift open, update or close the drift issue': ['commit', 'environment', 'outcome', 'plans'],
};

/** Refuses keys other than the table's for a step (and a step the table does not list). */
function checkKeys(file: string, job: string, key: string, passed: Record<string, string>): void {
  const want = STEPS[`${file} ${job} ${key}`];
  if (!want) throw new Error(`${file} job ${job} step "${key}" is not in STEPS (test/pipeline.ts)`);
  const got = Object.keys(passed).sort();
  if (want.join() !== got.join()) throw new Error(`${file} job ${job} step "${key}": STEPS lists [${want.join(', ')}], the pipeline passes [${got.join(', ')}]`);
}

export interface Step {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
}

/** The file name → content of every file under `dir` (an uploaded artifact). */
function files(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => [path.relative(dir, path.join(e.parentPath, e.name)), readFileSync(path.join(e.parentPath, e.name), 'utf8')]));
}

const FAKE_AWS = `#!/usr/bin/env bash
# Stands for the AWS CLI: STS sessions are numbered, ECR is the registry folder (JOURNEY_REGISTRY).
echo "aws $*" >>"$JOURNEY_CALLS"
case "$1 $2" in
  "sts assume-role-with-web-identity")
    n=$(grep -c '^aws sts' "$JOURNEY_CALLS")
    printf '{"Credentials":{"AccessKeyId":"ASIAFAKE%04d","SecretAccessKey":"secret-%s","SessionToken":"session-%s","Expiration":"2030-01-01T00:00:00Z"}}\\n' "$n" "$n" "$n" ;;
  "ecr describe-images")
    repo='' tag=''
    while [ $# -gt 0 ]; do case "$1" in --repository-name) repo=$2; shift ;; --image-ids) tag=\${2#imageTag=}; shift ;; esac; shift; done
    [ -f "$JOURNEY_REGISTRY/$repo/$tag" ] || { echo "ImageNotFoundException" >&2; exit 254; } ;;
  "ecr get-login-password") echo ecr-password ;;
  *) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
`;
const FAKE_DOCKER = `#!/usr/bin/env bash
# Stands for docker: load prints the image the archive holds, push writes the tag into the registry folder.
echo "docker $*" >>"$JOURNEY_CALLS"
case "$1" in
  login) cat >/dev/null ;;
  load) [ "$2" = --input ] && echo "Loaded image: $(zcat "$3")" ;;
  tag) ;;
  push) ref=$2; repo=\${ref#*/}; mkdir -p "$JOURNEY_REGISTRY/\${repo%%:*}"; echo "image \${ref##*:}" >"$JOURNEY_REGISTRY/\${repo%%:*}/\${ref##*:}" ;;
  *) echo "fake docker: unexpected $*" >&2; exit 2 ;;
esac
`;

export class Pipeline {
  private n = 0;
  /** `pullRequestPlanSkips` of the described environments (the platform's: identity, which this world does not have). */
  prPlanSkips: string[] = ['identity'];
  readonly bin: string;
  readonly calls: string;
  /** Each run attempt of a workflow: its fake-GitHub run (artifacts by name). */
  constructor(
    readonly world: World,
    readonly gh: FakeGitHub,
  ) {
    this.bin = path.join(world.root, 'bin');
    this.calls = path.join(world.root, 'calls.log');
    mkdirSync(this.bin);
    writeFileSync(this.calls, '');
    writeFileSync(path.join(this.bin, 'aws'), FAKE_AWS);
    writeFileSync(path.join(this.bin, 'docker'), FAKE_DOCKER);
    chmodSync(path.join(this.bin, 'aws'), 0o755);
    chmodSync(path.join(this.bin, 'docker'), 0o755);
    gh.compare = (a, b) => world.compare(a, b);
  }

  /** The lines of calls.log (fake aws/docker) written since `from`. */
  callLog(): string[] {
    return readFileSync(this.calls, 'utf8').split('\n').filter(Boolean);
  }

  /** A job's workspace: the commit checked out (environments/, libs/), .github/scripts, the review-ignore rules. */
  private workspace(label: string, sha?: string): string {
    const dir = path.join(this.world.root, `ws-${++this.n}-${label}`);
    mkdirSync(path.join(dir, '.github'), { recursive: true });
    symlinkSync(path.join(ROOT, '.github/scripts'), path.join(dir, '.github/scripts'));
    // Stands for .github/review-ignore.json: the attributes these stacks set at deploy time.
    writeFileSync(path.join(dir, '.github/review-ignore.json'), JSON.stringify(IGNORE_RULES));
    mkdirSync(path.join(dir, 'apps/infra/bin'), { recursive: true });
    writeFileSync(path.join(dir, 'apps/infra/bin/platform.js'), `// stands for \`platform bootstrap --describe [--env E]…\`\nconst all = ${JSON.stringify(this.targets())};\nconst want = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--env' ? [a] : []));\nprocess.stdout.write(JSON.stringify(want.length ? all.filter((t) => want.includes(t.env)) : all));\n`);
    if (sha) this.world.synth(sha, dir);
    return dir;
  }

  /** What `platform bootstrap --describe` prints for the world's environments. */
  targets() {
    return ENVS.map((env, i) => ({
      env,
      account: `11111111111${i}`,
      region: 'eu-west-1',
      stateBucket: `awp-state-${env}`,
      planRoleArn: `arn:aws:iam::11111111111${i}:role/awp-plan`,
      planPullRequestRoleArn: `arn:aws:iam::11111111111${i}:role/awp-plan-pr`,
      pullRequestPlanSkips: this.prPlanSkips,
      runsOn: ['ubuntu-24.04'],
      planRunsOn: ['ubuntu-24.04'],
      applyRoleArn: `arn:aws:iam::11111111111${i}:role/awp-apply`,
      domain: `${env}.example.test`,
      promotesFrom: i ? ENVS[i - 1] : null,
      applySessionSeconds: 14400,
    }));
  }

  /** The runner's environment for a job: its env block, the step summary/output files, the API, the tools. */
  private runnerEnv(ws: string, file: string, job: string, extra: Record<string, string>): Record<string, string> {
    const jobEnv = Object.fromEntries(Object.keys(workflow(file).jobs[job].env ?? {}).map((k) => [k, k === 'TF_BIN' ? this.world.tf : k === 'NX_DAEMON' ? 'false' : '']));
    const tmp = path.join(ws, `.runner-temp-${++this.n}`);
    mkdirSync(tmp, { recursive: true });
    return {
      PATH: `${this.bin}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? tmp,
      NO_PROXY: '127.0.0.1,localhost',
      ...this.world.cliEnv(),
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: this.gh.url,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_OUTPUT: path.join(tmp, 'output'),
      GITHUB_STEP_SUMMARY: path.join(tmp, 'summary.md'),
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      RUNNER_TEMP: tmp,
      JOURNEY_CALLS: this.calls,
      JOURNEY_REGISTRY: this.world.registry,
      ...jobEnv,
      ...extra,
    };
  }

  /** Runs a `run:` step of the YAML verbatim with `env` (its keys must be the step's `env:` keys). */
  async run(file: string, job: string, key: string, env: Record<string, string>, ws: string, runner: Record<string, string> = {}): Promise<Step> {
    const step = findStep(file, job, key);
    if (!step.run) throw new Error(`${file} ${job} "${key}" is not a run step`);
    checkKeys(file, job, key, env);
    const e = { ...this.runnerEnv(ws, file, job, runner), ...env };
    writeFileSync(e.GITHUB_OUTPUT, '');
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], { cwd: ws, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr, summary: existsSync(e.GITHUB_STEP_SUMMARY) ? readFileSync(e.GITHUB_STEP_SUMMARY, 'utf8') : '', outputs: parseOutputs(readFileSync(e.GITHUB_OUTPUT, 'utf8')) };
  }

  /** Runs a `uses: ./apps/actions/<name>` step from its committed bundle (its keys must be the step's `with:` keys). */
  async action(file: string, job: string, key: string, inputs: Record<string, string>, opts: { ws: string; eventName: string; event?: object; sha?: string; token: string }): Promise<Step> {
    const step = findStep(file, job, key);
    if (!step.uses?.startsWith('./apps/actions/')) throw new Error(`${file} ${job} "${key}" is not a repository action`);
    checkKeys(file, job, key, inputs);
    const dir = path.join(ROOT, step.uses);
    // The runner sets every declared input that has a default (github-token: the job's token).
    const declared = (YAML.parse(readFileSync(path.join(dir, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> }).inputs;
    const defaults = Object.fromEntries(Object.entries(declared).flatMap(([k, v]) => (v.default === undefined ? [] : [[k, String(v.default).includes('${{') ? opts.token : String(v.default)]])));
    const r = await runAction(dir, { api: this.gh.url, cwd: opts.ws, eventName: opts.eventName, event: opts.event, sha: opts.sha, inputs: { ...defaults, ...inputs } });
    return r;
  }

  // ---------------------------------------------------------------------------------------------------- pr.yml

  /** pr.yml on a pull request or a merge group; the run is recorded on the fake GitHub with its artifacts. */
  async prRun(o: { event: 'pull_request' | 'merge_group'; pr: number; head: string; base: string; fork?: boolean }) {
    const artifacts: Record<string, Record<string, string>> = {};
    const planned = o.head; // the world's PR heads descend from their base: the merge commit has the head's tree
    const ws = this.workspace(`${o.event}-${o.pr}`, planned);
    const jobEnv = { BASE_SHA: o.base };
    const fork = await this.run('pr.yml', 'verify', 'fork', { EVENT: o.event, HEAD_REPO: o.fork ? `someone/${REPO}` : o.event === 'pull_request' ? `${OWNER}/${REPO}` : '', BASE_REPO: `${OWNER}/${REPO}` }, ws, jobEnv);
    const changed = this.world.changed(o.base, planned);
    const affected = await this.action('pr.yml', 'verify', 'affected', { manifest: 'cdktf.out', projects: JSON.stringify(this.world.projects(changed)), files: changed.join('\n') }, { ws, eventName: o.event, token: 'ghs_pr' });
    if (affected.code !== 0) throw new Error(`affected-stacks: ${affected.stdout}`);
    let envs: { include: { env: string; imageTag: string; planRoleArn: string; prSkipLayers: string }[] } = { include: [] };
    let mergeQueueOnly = '{}';
    let verifyOk = true;
    const isFork = fork.outputs.fork === 'true';
    if (!isFork) {
      const e = await this.run('pr.yml', 'verify', 'envs', { MATRIX: affected.outputs.matrix, GH_TOKEN: 'ghs_pr_read', EVENT: o.event }, ws, jobEnv);
      verifyOk = e.code === 0;
      if (verifyOk) envs = JSON.parse(e.outputs.envs) as typeof envs;
      if (verifyOk) mergeQueueOnly = e.outputs['merge-queue-only'] || '{}';
    }
    if (o.event === 'pull_request') {
      const meta = await this.run('pr.yml', 'verify', 'pull request metadata for the report', { PR: String(o.pr), HEAD: o.head, PLANNED: planned }, ws, jobEnv);
      verifyOk &&= meta.code === 0;
      artifacts['pr-meta'] = files(path.join(ws, 'pr-meta'));
    }
    // plan: one job per environment, in parallel like the matrix (separate state files, no API calls).
    const runPlan = affected.outputs['has-stacks'] === 'true' && !isFork && verifyOk;
    const plans: Record<string, Step> = {};
    await Promise.all(
      (runPlan ? envs.include : []).map(async (entry) => {
        const pws = this.workspace(`plan-${entry.env}`);
        cpSync(path.join(ws, 'cdktf.out'), path.join(pws, 'cdktf.out'), { recursive: true }); // download-artifact synth
        plans[entry.env] = await this.run('pr.yml', 'plan', 'plan in dependency order', { STACKS: affected.outputs.matrix, ENV_NAME: entry.env, MODE: 'pr', PLAN_DIR: 'plans', IMAGE_TAG: entry.imageTag, PR_SKIP_LAYERS: entry.prSkipLayers }, pws);
        artifacts[`plans-${entry.env}`] = files(path.join(pws, 'plans'));
      }),
    );
    const planResult = !runPlan ? 'skipped' : Object.values(plans).every((s) => s.code === 0) ? 'success' : 'failure';
    let review: Step | undefined;
    if (o.event === 'merge_group' && verifyOk) {
      const rws = this.workspace(`review-${o.pr}`);
      const merged = path.join(rws, 'plans');
      mkdirSync(merged);
      for (const [name, fs] of Object.entries(artifacts)) if (name.startsWith('plans-')) for (const [f, c] of Object.entries(fs)) writeFileSync(path.join(merged, f), c);
      review = await this.action(
        'pr.yml',
        'review',
        'compare with the reviewed comment, write the review evidence',
        { plans: 'plans', outcomes: 'plans', 'allow-empty': 'true', 'compare-with-comment': String(affected.outputs['has-stacks'] === 'true'), 'merge-queue-only-layers': mergeQueueOnly, 'evidence-dir': 'reviewed', 'ignore-rules': '.github/review-ignore.json', 'artifact-name': 'plans-<env>' },
        { ws: rws, eventName: 'merge_group', sha: planned, token: 'ghs_mq', event: { merge_group: { head_sha: planned, base_sha: o.base, head_ref: `refs/heads/gh-readonly-queue/main/pr-${o.pr}-${o.base}` } } },
      );
      if (review.code === 0 && existsSync(path.join(rws, 'reviewed'))) artifacts.reviewed = files(path.join(rws, 'reviewed'));
    }
    const results = { verify: { result: verifyOk ? 'success' : 'failure' }, plan: { result: planResult }, review: { result: review ? (review.code === 0 ? 'success' : 'failure') : 'skipped' } };
    const required = await this.run('pr.yml', 'required', 'every needed job succeeded or was skipped', { RESULTS: JSON.stringify(results) }, ws);
    const run = this.gh.addRun({ name: 'pr', event: o.event, head_sha: planned, conclusion: required.code === 0 ? 'success' : 'failure', artifacts });
    // envs: the plan matrix (the role each plan job assumes: configure-aws-credentials takes matrix.planRoleArn)
    return { ws, fork: isFork, affected, stacks: JSON.parse(affected.outputs.stacks) as string[], envs, plans, review, required, run, results };
  }

  /** pr-report.yml (workflow_run of a pull_request pr.yml run): the sticky comment, or the fork notice. */
  async prReport(run: FakeRun, head: string, opts: { fork?: boolean } = {}) {
    const ws = this.workspace(`report-${run.id}`);
    const art = (name: string) => run.artifacts.find((a) => a.name === name)?.files ?? {};
    mkdirSync(path.join(ws, 'pr-meta'));
    for (const [f, c] of Object.entries(art('pr-meta'))) writeFileSync(path.join(ws, 'pr-meta', f), c);
    mkdirSync(path.join(ws, 'plans'));
    for (const a of run.artifacts.filter((x) => x.name.startsWith('plans-'))) for (const [f, c] of Object.entries(a.files)) writeFileSync(path.join(ws, 'plans', f), c);
    const meta = await this.run('pr-report.yml', 'comment', 'meta', {}, ws);
    if (meta.code !== 0 || !meta.outputs.pr) return { meta, report: undefined };
    const report = await this.action(
      'pr-report.yml',
      'comment',
      'post the plan report (or the fork notice)',
      { plans: 'plans', outcomes: 'plans', 'allow-empty': 'true', fork: String(opts.fork ?? false), 'pull-request-number': meta.outputs.pr, 'expected-head-sha': head, 'head-sha': head, 'base-sha': meta.outputs.base, 'planned-sha': meta.outputs.planned, 'artifact-name': 'plans-<env>' },
      { ws, eventName: 'workflow_run', token: 'ghs_report' },
    );
    return { meta, report };
  }

  /** A push to a pull request: pr.yml, then pr-report.yml for its run. */
  async pullRequest(pr: number, head: string, base: string, opts: { fork?: boolean } = {}) {
    this.gh.pulls = [...this.gh.pulls.filter((p) => p.number !== pr), { number: pr, head: { sha: head, repo: { full_name: opts.fork ? `someone/${REPO}` : `${OWNER}/${REPO}` } }, base: { sha: base, ref: 'main' } }];
    const r = await this.prRun({ event: 'pull_request', pr, head, base, fork: opts.fork });
    const { meta, report } = await this.prReport(r.run, head, opts);
    return { ...r, meta, report };
  }

  /** The merge queue: pr.yml on merge_group for the commit that will land (`sha`, on top of `base`). */
  async mergeQueue(pr: number, sha: string, base: string) {
    return this.prRun({ event: 'merge_group', pr, head: sha, base });
  }

  // ------------------------------------------------------------------------------------ deploy.yml / deploy-env.yml

  /** deploy.yml: build (synth, stacks, targets, image), then dev → staging → prod, each after the previous one. */
  async deploy(sha: string, opts: { breakGlass?: string; allowOlder?: boolean; reason?: string; envs?: readonly string[] } = {}) {
    const ws = this.workspace('build', sha);
    const stacks = await this.action('deploy.yml', 'build', 'stacks', { manifest: 'cdktf.out', all: 'true' }, { ws, eventName: 'push', sha, token: 'ghs_build' });
    const targets = await this.run('deploy.yml', 'build', 'targets', { STAGES: String(findStep('deploy.yml', 'build', 'targets').env?.STAGES) }, ws); // a literal in the YAML
    if (targets.code !== 0) throw new Error(targets.stderr);
    // build the api image: `docker save` stands as a gzip of the image name (fake docker load prints it).
    const { execFileSync } = await import('node:child_process');
    mkdirSync(path.join(ws, 'image'));
    writeFileSync(path.join(ws, 'image/api-image.tar.gz'), execFileSync('gzip', { input: `awp-api:${sha}` }));
    const out: Record<string, Awaited<ReturnType<Pipeline['deployEnv']>>> = {};
    for (const env of opts.envs ?? ENVS) {
      out[env] = await this.deployEnv(env, sha, ws, stacks.outputs.matrix, targets.outputs.targets, opts);
      if (out[env].result !== 'success') break; // staging needs dev, prod needs staging
    }
    return out;
  }

  /** deploy-env.yml's apply job for one environment. */
  async deployEnv(env: string, sha: string, build: string, matrix: string, targetsJson: string, opts: { breakGlass?: string; allowOlder?: boolean; reason?: string }) {
    const ws = this.workspace(`deploy-${env}`, sha);
    const target = await this.run('deploy-env.yml', 'apply', 'target', { TARGETS: targetsJson, ENV_NAME: env }, ws);
    const event = { eventName: opts.breakGlass !== undefined || opts.allowOlder ? 'workflow_dispatch' : 'push', sha, token: 'ghs_deploy', ws };
    const gate = await this.action(
      'deploy-env.yml',
      'apply',
      'gate',
      { mode: 'gate', environment: env, 'trusted-creators': 'github-actions[bot]', 'break-glass-stacks': opts.breakGlass ?? '', 'allow-older': String(opts.allowOlder ?? false), 'break-glass-reason': opts.reason ?? '' },
      event,
    );
    let fetch: Step | undefined;
    let apply: Step | undefined;
    let smoke = false;
    const artifacts: Record<string, Record<string, string>> = {};
    if (gate.code === 0) {
      fetch = await this.run('deploy-env.yml', 'apply', 'review evidence (merge-queue runs of every commit since the deployed one)', { GH_TOKEN: 'ghs_deploy_read', SHA: sha, DEPLOYED: gate.outputs['deployed-sha'] ?? '' }, ws);
      if (fetch.code === 0) {
        cpSync(path.join(build, 'cdktf.out'), path.join(ws, 'cdktf.out'), { recursive: true }); // download-artifact synth
        cpSync(path.join(build, 'image'), path.join(ws, 'image'), { recursive: true }); // download-artifact api-image
        const t = JSON.parse(targetsJson) as Record<string, { applySessionSeconds: number }>;
        apply = await this.run(
          'deploy-env.yml',
          'apply',
          'apply in dependency order (review check before anything is applied, fresh credentials per stack)',
          {
            STACKS: matrix,
            ENV_NAME: env,
            PLAN_DIR: 'plans',
            EVIDENCE_DIR: 'evidence',
            IGNORE_RULES: '.github/review-ignore.json',
            BREAK_GLASS: opts.breakGlass ?? '',
            IMAGE_TAG: sha,
            IMAGE_ARCHIVE: 'image/api-image.tar.gz',
            AWS_ROLE_ARN: target.outputs.role,
            AWS_ROLE_SESSION_PREFIX: `deploy-${env}-4242`,
            AWS_SESSION_SECONDS: String(t[env].applySessionSeconds),
            ERRORED_STATE_PUBLIC_KEY: '',
            ERRORED_DIR: 'errored-state',
          },
          ws,
          // configure-aws-credentials and the runner's OIDC endpoint (id-token: write)
          { AWS_REGION: target.outputs.region, ACTIONS_ID_TOKEN_REQUEST_URL: `${this.gh.url}/_runner/id-token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' },
        );
        // smoke test through CloudFront — stands for: the workloads stack runs this commit's image.
        smoke = apply.code === 0 && this.world.applied(`${env}-workloads`).deployment?.image === this.world.digest(env, sha);
      }
      artifacts[`plans-${env}-attempt-1`] = files(path.join(ws, 'plans'));
    }
    const ok = gate.code === 0 && fetch?.code === 0 && apply?.code === 0 && smoke;
    let finish: Step | undefined;
    if (gate.outputs['deployment-id']) {
      finish = await this.action(
        'deploy-env.yml',
        'apply',
        'record the outcome on the deployment',
        { mode: 'finish', 'deployment-id': gate.outputs['deployment-id'], state: ok ? 'success' : 'failure', 'environment-url': target.outputs.url, description: ok ? 'applied and smoke-tested' : 'apply or smoke test failed' },
        event,
      );
    }
    this.gh.addRun({ name: 'deploy', event: event.eventName, head_sha: sha, conclusion: ok ? 'success' : 'failure', artifacts });
    return { result: ok ? 'success' : 'failure', gate, fetch, apply, smoke, finish, ws };
  }

  // ------------------------------------------------------------------------------------------------- drift.yml

  /** drift.yml: the envs job, then one drift job per environment that has a deployment. */
  async drift() {
    const ws = this.workspace('drift-envs');
    const envs = await this.run('drift.yml', 'envs', 'envs', { GH_TOKEN: 'ghs_drift_read' }, ws);
    if (envs.code !== 0) throw new Error(envs.stderr);
    const out: Record<string, { sha: string; stacks: Step; plan: Step; report?: Step; result: string; ws: string }> = {};
    // one job per environment, in parallel like the matrix (separate state files; the issues API is per environment)
    await Promise.all((JSON.parse(envs.outputs.envs) as { include: { env: string; sha: string }[] }).include.map(async ({ env, sha }) => {
      const dws = this.workspace(`drift-${env}`);
      this.world.synth(sha, path.join(dws, 'deployed'));
      const stacks = await this.action('drift.yml', 'drift', 'stacks', { manifest: 'deployed/cdktf.out', all: 'true', envs: env }, { ws: dws, eventName: 'schedule', token: 'ghs_drift' });
      const plan = await this.run('drift.yml', 'drift', 'plan', { STACKS: stacks.outputs.matrix, ENV_NAME: env, MODE: 'drift', PLAN_DIR: 'plans', IMAGE_TAG: sha }, dws);
      const report = existsSync(path.join(dws, `plans/outcome-${env}.txt`))
        ? await this.action('drift.yml', 'drift', 'open, update or close the drift issue', { environment: env, plans: 'plans', outcome: `plans/outcome-${env}.txt`, commit: sha }, { ws: dws, eventName: 'schedule', token: 'ghs_drift' })
        : undefined;
      // the job's last step fails it when a plan failed (steps.plan.outcome == 'failure')
      out[env] = { sha, stacks, plan, report, result: plan.code === 0 && report?.code === 0 ? 'success' : 'failure', ws: dws };
    }));
    return out;
  }
}
