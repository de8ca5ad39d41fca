// The world a journey runs in: a git repository shaped like ours (environments/<env>.json, libs/<layer>/settings.json),
// six provider-free stacks per environment synthesized by cdktf like the real ones (network → data, cluster, edge →
// workloads → observability; cross-stack values through terraform_remote_state on local state files that stand for
// the S3 state bucket), a folder that stands for ECR, and the real Terraform (or OpenTofu) CLI.
//
// AWS behaviour modelled inside the stacks, and what it stands for:
// - registry/<env>-api/<tag> files are ECR: the workloads stack's Deployment pins `<repo>@sha256:<digest of the
//   file>` and a precondition fails the plan when the tag is missing — the real stack's data.aws_ecr_image lookup.
// - the migration terraform_data is named after the image tag and replaced when it changes — the real Job.
// - a stack can be told to fail its plan (settings "fail": true → a failing precondition) — any plan error.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, DataResource, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';

export const ENVS = ['dev', 'staging', 'prod'] as const;
export const LAYERS = ['network', 'data', 'cluster', 'edge', 'workloads', 'observability'] as const;
/** Nx project of each layer (what affected-stacks maps files to). */
export const PROJECT: Record<string, string> = { network: 'network', data: 'data', cluster: 'compute', edge: 'edge', workloads: 'compute', observability: 'observability' };

export interface Settings {
  /** Any value: changing it changes the layer's resources. */
  version: number;
  /** Make this layer's plan fail (a precondition), standing for any plan error. */
  fail?: boolean;
}

export class World {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'journey-'));
  readonly repo = path.join(this.root, 'repo');
  readonly state = path.join(this.root, 'state');
  readonly registry = path.join(this.root, 'registry');
  constructor(readonly tf: string) {
    mkdirSync(this.repo);
    mkdirSync(this.state);
    mkdirSync(this.registry);
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'dev@example.test');
    this.git('config', 'user.name', 'dev');
    for (const [i, env] of ENVS.entries()) this.write(`environments/${env}.json`, { name: env, ...(i ? { promotesFrom: ENVS[i - 1] } : {}), replicas: 2 });
    for (const l of new Set(Object.values(PROJECT))) this.write(`libs/${l}/settings.json`, { version: 1 });
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.repo, encoding: 'utf8' }).trim();
  }

  write(file: string, value: unknown): void {
    mkdirSync(path.dirname(path.join(this.repo, file)), { recursive: true });
    writeFileSync(path.join(this.repo, file), `${JSON.stringify(value, null, 2)}\n`);
  }

  read<T>(file: string): T {
    return JSON.parse(readFileSync(path.join(this.repo, file), 'utf8')) as T;
  }

  /** Commits the working tree; returns the SHA. */
  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** Files changed between two commits (what `git diff --name-only base...head` gives the workflow). */
  changed(base: string, head: string): string[] {
    return this.git('diff', '--name-only', `${base}...${head}`).split('\n').filter(Boolean);
  }

  /** GitHub's compare status of base...head, from the repository's real history. */
  compare(base: string, head: string): { status: string; commits: string[] } {
    const ancestor = (a: string, b: string) => spawnSync('git', ['merge-base', '--is-ancestor', a, b], { cwd: this.repo }).status === 0;
    const status = base === head ? 'identical' : ancestor(base, head) ? 'ahead' : ancestor(head, base) ? 'behind' : 'diverged';
    const commits = status === 'ahead' ? this.git('rev-list', '--reverse', `${base}..${head}`).split('\n').filter(Boolean) : [];
    return { status, commits };
  }

  /** Pushes an image (a file standing for it) to an environment's registry. */
  pushImage(env: string, tag: string): void {
    mkdirSync(path.join(this.registry, `${env}-api`), { recursive: true });
    writeFileSync(path.join(this.registry, `${env}-api`, tag), `image ${tag}\n`);
  }

  /** Synthesizes every stack of the commit `sha` (checked out into a scratch copy) into `<out>/cdktf.out`. */
  synth(sha: string, out: string): string {
    const src = path.join(out, 'src');
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    execFileSync('sh', ['-c', `git -C "${this.repo}" archive ${sha} | tar -x -C "${src}"`]);
    const outdir = path.join(out, 'cdktf.out');
    rmSync(outdir, { recursive: true, force: true });
    const app = new App({ outdir, stackTraces: false });
    for (const env of ENVS) this.stacks(app, env, src);
    app.synth();
    return outdir;
  }

  private stacks(app: App, env: string, src: string): void {
    const cfg = JSON.parse(readFileSync(path.join(src, 'environments', `${env}.json`), 'utf8')) as { replicas: number };
    const settings = (layer: string) => JSON.parse(readFileSync(path.join(src, 'libs', PROJECT[layer], 'settings.json'), 'utf8')) as Settings;
    const stack = (layer: string) => {
      const s = new TerraformStack(app, `${env}-${layer}`);
      new LocalBackend(s, { path: path.join(this.state, `${env}-${layer}.tfstate`) });
      return s;
    };
    const thing = (s: TerraformStack, layer: string, id: string, input: Record<string, unknown>) =>
      new DataResource(s, id, {
        input: { layer, env, version: settings(layer).version, ...input },
        lifecycle: settings(layer).fail ? { precondition: [{ condition: 'false', errorMessage: `${env}-${layer}: the plan fails here (standing for any plan error)` }] } : undefined,
      });
    const network = stack('network');
    const vpc = thing(network, 'network', 'vpc', { cidr: '10.0.0.0/16' });
    const data = stack('data');
    const db = thing(data, 'data', 'database', { vpc: vpc.id });
    const cluster = stack('cluster');
    const eks = thing(cluster, 'cluster', 'cluster', { vpc: vpc.id });
    new TerraformOutput(cluster, 'ecr_repository_url', { value: `registry.example/${env}-api` });
    const edge = stack('edge');
    const cdn = thing(edge, 'edge', 'distribution', { vpc: vpc.id, origin: db.id });
    const workloads = stack('workloads');
    const tag = new TerraformVariable(workloads, 'image_tag', { type: 'string', nullable: false });
    const file = `${this.registry}/${env}-api/\${var.image_tag}`;
    thing(workloads, 'workloads', 'deployment', {
      cluster: eks.id,
      database: db.id,
      target: cdn.id,
      vpc: vpc.id,
      replicas: cfg.replicas,
      image: `registry.example/${env}-api@sha256:\${try(filesha256("${file}"), "missing")}`,
    }).addOverride('lifecycle.precondition', [
      { condition: `\${fileexists("${file}")}`, error_message: `image tag \${var.image_tag} is not in registry.example/${env}-api (this file stands for ECR; the real stack's data.aws_ecr_image fails the plan the same way)` },
      ...(settings('workloads').fail ? [{ condition: false, error_message: `${env}-workloads: the plan fails here` }] : []),
    ]);
    new DataResource(workloads, 'migration', { input: { name: `api-migrate-${tag.stringValue}` }, triggersReplace: `api-migrate-${tag.stringValue}` });
    const obs = stack('observability');
    thing(obs, 'observability', 'alarms', { vpc: vpc.id, database: db.id, cluster: eks.id, edge: cdn.id });
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The attributes a deploy sets differently from the review in these stacks (the real list: .github/review-ignore.json). */
export const IGNORE_RULES = {
  ignore: [
    { type: 'terraform_data', path: ['input', 'image'], pattern: '^registry\\.example/[a-z-]+@sha256:[0-9a-f]{64}$', why: 'the image digest of the commit being deployed' },
    { type: 'terraform_data', path: ['input', 'name'], pattern: '^api-migrate-[0-9a-f]{40}$', why: 'the migration job is named after the image tag' },
    { type: 'terraform_data', path: ['triggers_replace'], pattern: '^api-migrate-[0-9a-f]{40}$', why: 'the migration job is named after the image tag' },
  ],
};
