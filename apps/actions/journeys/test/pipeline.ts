// The workflow jobs a journey plays, each made of the same pieces the YAML runs, with the same variables:
// .github/scripts/* (plan-stacks.sh, apply-stacks.sh, review.cjs, deployed.cjs) and the committed bundles
// apps/actions/*/dist/index.js (runAction: INPUT_* as the runner sets them) against the fake GitHub API.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type FakeGitHub, OWNER, REPO, runAction } from '../../shared/testing/fake-github';
import { IGNORE_RULES, type World } from './world';

const ROOT = path.resolve(__dirname, '../../../..');
const SCRIPTS = path.join(ROOT, '.github/scripts');
const action = (name: string) => path.join(ROOT, 'apps/actions', name);

export interface Step {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
}

export class Pipeline {
  private n = 0;
  readonly ignoreFile: string;
  constructor(
    readonly world: World,
    readonly gh: FakeGitHub,
  ) {
    this.ignoreFile = path.join(world.root, 'ignore.json');
    writeFileSync(this.ignoreFile, JSON.stringify(IGNORE_RULES));
    gh.compare = (a, b) => world.compare(a, b);
  }

  private ws(label: string): string {
    const dir = path.join(this.world.root, `ws-${++this.n}-${label}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A bash/node script of .github/scripts with the job's environment. */
  // Asynchronous: the fake GitHub answers from this same process while the script runs.
  async script(file: string, env: Record<string, string>, cwd: string, args: string[] = []): Promise<Step> {
    const summary = path.join(cwd, `summary-${++this.n}.md`);
    const cmd = file.endsWith('.sh') ? 'bash' : process.execPath;
    const child = spawn(cmd, [path.join(SCRIPTS, file), ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TF_BIN: this.world.tf, GITHUB_STEP_SUMMARY: summary, GITHUB_API_URL: this.gh.url, GITHUB_REPOSITORY: `${OWNER}/${REPO}`, GH_TOKEN: 'ghs_job', NO_PROXY: '127.0.0.1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr, summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '' };
  }

  /** `deployed.cjs <env>`: the commit an environment runs (its image tag). */
  async deployed(env: string): Promise<string> {
    const r = await this.script('deployed.cjs', {}, this.world.root, [env]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  }

  /** pr.yml verify + plan jobs: synth, affected-stacks, plan-stacks.sh per environment (MODE=pr, deployed image). */
  async plan(sha: string, base: string, label: string): Promise<{ dir: string; plans: string; stacks: string[]; steps: Record<string, Step> }> {
    const dir = this.ws(label);
    this.world.synth(sha, dir);
    const affected = await runAction(action('affected-stacks'), { api: this.gh.url, cwd: dir, inputs: { manifest: 'cdktf.out', files: this.world.changed(base, sha).join('\n') } });
    if (affected.code !== 0) throw new Error(affected.stdout);
    const matrix = affected.outputs.matrix;
    const envs = [...new Set((JSON.parse(matrix) as { include: { env: string }[] }).include.map((e) => e.env))];
    const plans = path.join(dir, 'plans');
    const steps: Record<string, Step> = {};
    for (const env of envs) {
      steps[env] = await this.script('plan-stacks.sh', { STACKS: matrix, ENV_NAME: env, MODE: 'pr', PLAN_DIR: plans, IMAGE_TAG: await this.deployed(env) }, dir);
    }
    return { dir, plans, stacks: JSON.parse(affected.outputs.stacks) as string[], steps };
  }

  /** pull_request: plan, then pr-report.yml (workflow_run) posts the sticky comment for the planned head. */
  async pullRequest(pr: number, head: string, base: string) {
    this.gh.pulls = [...this.gh.pulls.filter((p) => p.number !== pr), { number: pr, head: { sha: head, repo: { full_name: `${OWNER}/${REPO}` } }, base: { sha: base, ref: 'main' } }];
    const p = await this.plan(head, base, `pr${pr}`);
    const report = await runAction(action('plan-report'), {
      api: this.gh.url,
      cwd: p.dir,
      eventName: 'workflow_run',
      inputs: { plans: 'plans', outcomes: 'plans', 'allow-empty': 'true', 'pull-request-number': String(pr), 'expected-head-sha': head, 'planned-sha': head, 'head-sha': head, 'base-sha': base, 'github-token': 'ghs_report' },
    });
    return { ...p, report };
  }

  /** merge_group: plan what lands, compare with the comment (stale → fail), record the `reviewed` evidence artifact. */
  async mergeQueue(pr: number, sha: string, base: string) {
    const p = await this.plan(sha, base, `mq${pr}`);
    const report = await runAction(action('plan-report'), {
      api: this.gh.url,
      cwd: p.dir,
      eventName: 'merge_group',
      sha,
      event: { merge_group: { head_sha: sha, base_sha: base, head_ref: `refs/heads/gh-readonly-queue/main/pr-${pr}-${base}` } },
      inputs: { plans: 'plans', outcomes: 'plans', 'allow-empty': 'true', 'compare-with-comment': 'true', 'evidence-dir': 'reviewed', 'ignore-rules': this.ignoreFile, 'github-token': 'ghs_mq' },
    });
    const ok = report.code === 0 && Object.values(p.steps).every((s) => s.code === 0);
    const files: Record<string, string> = {};
    const evidence = path.join(p.dir, 'reviewed');
    if (existsSync(evidence)) for (const f of readdirSync(evidence)) files[f] = readFileSync(path.join(evidence, f), 'utf8');
    this.gh.addRun({ name: 'pr', event: 'merge_group', head_sha: sha, conclusion: ok ? 'success' : 'failure', artifacts: ok ? { reviewed: files } : {} });
    return { ...p, report, ok };
  }

  /** deploy-env.yml: promotion gate → review evidence → apply-stacks.sh → record the outcome. */
  async deploy(env: string, sha: string, opts: { breakGlass?: string; allowOlder?: boolean; reason?: string } = {}) {
    const dir = this.ws(`deploy-${env}`);
    const out = this.world.synth(sha, dir);
    const all = await runAction(action('affected-stacks'), { api: this.gh.url, cwd: dir, inputs: { manifest: 'cdktf.out', all: 'true', envs: env } });
    const gate = await runAction(action('promote-gate'), {
      api: this.gh.url,
      cwd: path.join(dir, 'src'),
      eventName: 'push',
      sha,
      inputs: { environment: env, 'break-glass-stacks': opts.breakGlass ?? '', 'allow-older': String(opts.allowOlder ?? false), 'break-glass-reason': opts.reason ?? '', 'github-token': 'ghs_deploy' },
    });
    if (gate.code !== 0) return { gate, apply: undefined, out };
    const evidence = path.join(dir, 'evidence');
    const fetch = await this.script('review.cjs', {}, dir, ['fetch', '--to', sha, ...(gate.outputs['deployed-sha'] ? ['--from', gate.outputs['deployed-sha']] : []), '--out', evidence]);
    if (fetch.code !== 0) throw new Error(fetch.stderr);
    this.world.pushImage(env, sha); // deploy.yml's build job + apply-stacks.sh's push (tested in stacks-scripts.test.cjs)
    const apply = await this.script(
      'apply-stacks.sh',
      { STACKS: all.outputs.matrix, ENV_NAME: env, PLAN_DIR: path.join(dir, 'plans'), IMAGE_TAG: sha, EVIDENCE_DIR: evidence, IGNORE_RULES: this.ignoreFile, BREAK_GLASS: opts.breakGlass ?? '', ERRORED_DIR: path.join(dir, 'errored') },
      dir,
    );
    const finish = await runAction(action('promote-gate'), {
      api: this.gh.url,
      cwd: path.join(dir, 'src'),
      eventName: 'push',
      sha,
      inputs: { mode: 'finish', 'deployment-id': gate.outputs['deployment-id'], state: apply.code === 0 ? 'success' : 'failure', 'github-token': 'ghs_deploy' },
    });
    return { gate, apply, finish, fetch, out };
  }

  /** drift.yml: plan every stack of `env` at the commit it runs (MODE=drift), then drift-report. */
  async drift(env: string) {
    const sha = await this.deployed(env);
    const dir = this.ws(`drift-${env}`);
    this.world.synth(sha, dir);
    const all = await runAction(action('affected-stacks'), { api: this.gh.url, cwd: dir, inputs: { manifest: 'cdktf.out', all: 'true', envs: env } });
    const plan = await this.script('plan-stacks.sh', { STACKS: all.outputs.matrix, ENV_NAME: env, MODE: 'drift', PLAN_DIR: path.join(dir, 'plans'), IMAGE_TAG: sha }, dir);
    const report = await runAction(action('drift-report'), {
      api: this.gh.url,
      cwd: dir,
      eventName: 'schedule',
      inputs: { environment: env, plans: 'plans', outcome: `plans/outcome-${env}.txt`, commit: sha, 'github-token': 'ghs_drift' },
    });
    return { plan, report, sha };
  }

  /** pr-report.yml for a pull request from a fork: no plan ran; one notice. */
  async forkNotice(pr: number, head: string) {
    return runAction(action('plan-report'), { api: this.gh.url, cwd: this.world.root, eventName: 'workflow_run', inputs: { fork: 'true', 'pull-request-number': String(pr), 'expected-head-sha': head, 'github-token': 'ghs_report' } });
  }
}

