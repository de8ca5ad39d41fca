// The world a journey runs in: a git repository shaped like ours (environments/<env>.json, libs/<project>/<layer>.json),
// six provider-free stacks per environment synthesized by cdktf like the real ones (network → data, cluster, edge →
// workloads → observability; cross-stack values through terraform_remote_state on local state files that stand for
// the S3 state bucket), a folder that stands for ECR, and the real Terraform (or OpenTofu) CLI.
//
// AWS behaviour modelled inside the stacks, and what it stands for:
// - registry/<env>-api/<tag> files are ECR: the workloads stack's Deployment pins `<repo>@sha256:<digest of the
//   file>` and a precondition fails the plan when the tag is missing — the real stack's data.aws_ecr_image lookup.
// - the migration terraform_data is named after the image tag and replaced when it changes — the real Job.
// - a layer can be told to fail its plan (settings "fail": true → a failing precondition) — any plan error.
// - outOfBand() applies a hand-edited copy of a stack straight to its state — a change made in the AWS console.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, DataResource, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';

export const ENVS = ['dev', 'staging', 'prod'] as const;
export const LAYERS = ['network', 'data', 'cluster', 'edge', 'workloads', 'observability'] as const;
/** Nx project of each layer (what affected-stacks maps files to: compute → cluster and workloads). */
export const PROJECT: Record<string, string> = { network: 'network', data: 'data', cluster: 'compute', edge: 'edge', workloads: 'compute', observability: 'observability' };

export interface Settings {
  /** Any value: changing it changes the layer's resources. */
  version: number;
  /** Make this layer's plan fail (a precondition), standing for any plan error. */
  fail?: boolean;
  /** data only: changing it replaces the database (triggers_replace), so every stack reading its id changes. */
  engine?: string;
}

export class World {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'journey-'));
  readonly repo = path.join(this.root, 'repo');
  readonly state = path.join(this.root, 'state');
  readonly registry = path.join(this.root, 'registry');
  private readonly synthCache = path.join(this.root, 'synth-cache');
  /** An empty CLI configuration (no plugin mirrors, no credentials): the same for every run here. */
  readonly cliConfig = path.join(this.root, 'cli.tfrc');
  /** How many times cdktf really synthesized (the rest were copies of an identical tree). */
  synths = 0;
  constructor(readonly tf: string) {
    for (const d of [this.repo, this.state, this.registry, this.synthCache]) mkdirSync(d);
    writeFileSync(this.cliConfig, '');
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'dev@example.test');
    this.git('config', 'user.name', 'dev');
    for (const [i, env] of ENVS.entries()) this.write(`environments/${env}.json`, { name: env, ...(i ? { promotesFrom: ENVS[i - 1] } : {}), replicas: 2 });
    for (const l of LAYERS) this.write(`libs/${PROJECT[l]}/${l}.json`, { version: 1 });
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

  /** Changes one layer's settings in the working tree. */
  layer(layer: string, change: Partial<Settings>): void {
    const file = `libs/${PROJECT[layer]}/${layer}.json`;
    this.write(file, { ...this.read<Settings>(file), ...change });
  }

  /** A branch from `base` with `change` committed on it; the working tree is back on main afterwards. */
  branch(name: string, base: string, message: string, change: () => void): string {
    this.git('checkout', '-q', '-b', name, base);
    change();
    const sha = this.commit(message);
    this.git('checkout', '-q', 'main');
    return sha;
  }

  /** Fast-forwards main to `sha` (what the merge queue does when its run succeeds). */
  land(sha: string): void {
    this.git('merge', '-q', '--ff-only', sha);
  }

  /** The merge queue's commit for a branch on top of `base`: its commits replayed there (no checkout of main). */
  queued(name: string, branchHead: string, base: string): string {
    this.git('checkout', '-q', '-b', `gh-readonly-queue/${name}`, base);
    this.git('cherry-pick', `${this.git('merge-base', base, branchHead)}..${branchHead}`);
    const sha = this.git('rev-parse', 'HEAD');
    this.git('checkout', '-q', 'main');
    return sha;
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

  /** The Nx projects those files belong to (what `nx show projects --affected --json` prints for this repository). */
  projects(files: string[]): string[] {
    return [...new Set(files.map((f) => /^libs\/([^/]+)\//.exec(f)?.[1]).filter((p): p is string => !!p))];
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

  /** The digest the workloads stack pins for an image tag (sha256 of the file standing for the image). */
  digest(env: string, tag: string): string {
    return `registry.example/${env}-api@sha256:${execFileSync('sha256sum', [path.join(this.registry, `${env}-api`, tag)], { encoding: 'utf8' }).slice(0, 64)}`;
  }

  /**
   * The commit `sha` checked out into `<out>` and every stack synthesized into `<out>/cdktf.out`. cdktf runs once
   * per distinct environments/ + libs/ tree (the only inputs of these stacks); later commits with the same tree get
   * a copy of that synth.
   */
  synth(sha: string, out: string): string {
    const src = out;
    mkdirSync(src, { recursive: true });
    execFileSync('sh', ['-c', `git -C "${this.repo}" archive ${sha} | tar -x -C "${src}"`]);
    const key = `${this.git('rev-parse', `${sha}:environments`)}-${this.git('rev-parse', `${sha}:libs`)}`;
    const cached = path.join(this.synthCache, key);
    if (!existsSync(cached)) {
      // skipValidation: the only validation here is terraform_data's "Terraform >= 1.4", which runs `terraform version`
      // from PATH once per resource (18 processes per synth, and the wrong CLI on an OpenTofu run); the CLI the
      // journeys use is checked by clis() in journeys.test.ts.
      const app = new App({ outdir: cached, stackTraces: false, skipValidation: true });
      for (const env of ENVS) this.stacks(app, env, src);
      app.synth();
      this.synths++;
    }
    const outdir = path.join(out, 'cdktf.out');
    rmSync(outdir, { recursive: true, force: true });
    cpSync(cached, outdir, { recursive: true });
    return outdir;
  }

  /** Applies every stack of `env` at `sha` with the CLI directly (no pipeline): the starting state of a journey. */
  seed(sha: string, env: string): void {
    const out = path.join(this.root, `seed-${env}-${sha.slice(0, 8)}`);
    this.synth(sha, out);
    this.pushImage(env, sha);
    for (const l of LAYERS) {
      const dir = path.join(out, 'cdktf.out', 'stacks', `${env}-${l}`);
      this.cli(dir, 'init', '-input=false', '-no-color');
      this.cli(dir, 'apply', '-input=false', '-no-color', '-auto-approve', ...(l === 'workloads' ? ['-var', `image_tag=${sha}`] : []));
    }
  }

  /**
   * Someone changes a stack by hand (the AWS console): a copy of the stack at `sha` whose resource `name` gets
   * `input` merged in is applied straight to the stack's state.
   */
  outOfBand(sha: string, stack: string, name: string, input: Record<string, unknown>, imageTag: string): void {
    const out = path.join(this.root, `console-${stack}-${Date.now()}`);
    this.synth(sha, out);
    const dir = path.join(out, 'cdktf.out', 'stacks', stack);
    const file = path.join(dir, 'cdk.tf.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { resource: { terraform_data: Record<string, { input: Record<string, unknown> }> } };
    Object.assign(json.resource.terraform_data[name].input, input);
    writeFileSync(file, JSON.stringify(json));
    this.cli(dir, 'init', '-input=false', '-no-color');
    this.cli(dir, 'apply', '-input=false', '-no-color', '-auto-approve', ...(json.resource.terraform_data.migration ? ['-var', `image_tag=${imageTag}`] : []));
  }

  /** What every CLI run here gets (the runner's too): the empty CLI configuration, and no upgrade check (no network). */
  cliEnv(): Record<string, string> {
    return { TF_CLI_CONFIG_FILE: this.cliConfig, CHECKPOINT_DISABLE: '1' };
  }

  private cli(dir: string, ...args: string[]): void {
    const r = spawnSync(this.tf, [`-chdir=${dir}`, ...args], { encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', ...this.cliEnv() } });
    if (r.status !== 0) throw new Error(`${this.tf} ${args[0]} in ${dir}: ${r.stdout}${r.stderr}`);
  }

  /**
   * Another run holds a stack's state lock (stands for the S3 lock file / DynamoDB item of a deploy in progress):
   * a process holds the same fcntl lock Terraform's local backend takes on the state file, with the lock info
   * Terraform writes beside it, and releases it only once `waiter` returns something (what `released` resolves to).
   */
  holdLock(stack: string, waiter: () => string | undefined): { ready: Promise<void>; released: Promise<string> } {
    const state = path.join(this.state, `${stack}.tfstate`);
    const info = path.join(this.state, `.${stack}.tfstate.lock.info`);
    const script = [
      'import fcntl, json, sys, time',
      `f = open(${JSON.stringify(state)}, 'r+'); fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)`,
      `open(${JSON.stringify(info)}, 'w').write(json.dumps({'ID': 'held-by-journey', 'Operation': 'OperationTypeApply', 'Who': 'deploy-prod-4242@runner', 'Version': '1.11.0', 'Created': '2026-01-01T00:00:00Z', 'Path': ${JSON.stringify(state)}, 'Info': ''}))`,
      "print('held', flush=True)",
      'sys.stdin.readline()', // released when the test writes a line
      `import os; os.remove(${JSON.stringify(info)})`,
    ].join('\n');
    const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const held = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes('held') && resolve())));
    const released = (async () => {
      await held;
      let seen: string | undefined;
      for (let i = 0; i < 6000 && !(seen = waiter()); i++) await new Promise((r) => setTimeout(r, 100)); // 10 min at most
      child.stdin.end('release\n');
      await new Promise((r) => child.on('close', r));
      return seen ?? 'nobody waited';
    })();
    return { ready: held, released };
  }

  /** The resource inputs in a stack's state file (what the CLI applied). */
  applied(stack: string): Record<string, Record<string, unknown>> {
    const file = path.join(this.state, `${stack}.tfstate`);
    if (!existsSync(file)) return {};
    const s = JSON.parse(readFileSync(file, 'utf8')) as { resources: { type: string; name: string; instances: { attributes: { input?: { value: Record<string, unknown> } } }[] }[] };
    return Object.fromEntries(s.resources.filter((r) => r.type === 'terraform_data').map((r) => [r.name, r.instances[0].attributes.input?.value ?? {}]));
  }

  /** Every state file's bytes: to prove that nothing was applied. */
  snapshot(): Record<string, string> {
    return Object.fromEntries(ENVS.flatMap((e) => LAYERS.map((l) => `${e}-${l}`)).map((s) => [s, existsSync(path.join(this.state, `${s}.tfstate`)) ? readFileSync(path.join(this.state, `${s}.tfstate`), 'utf8') : '']));
  }

  private stacks(app: App, env: string, src: string): void {
    const cfg = JSON.parse(readFileSync(path.join(src, 'environments', `${env}.json`), 'utf8')) as { replicas: number };
    const settings = (layer: string) => JSON.parse(readFileSync(path.join(src, 'libs', PROJECT[layer], `${layer}.json`), 'utf8')) as Settings;
    const failing = (layer: string) => (settings(layer).fail ? [{ condition: '${terraform.workspace == "a plan that fails"}', error_message: `${env}-${layer}: the plan fails here (standing for any plan error)` }] : []);
    const stack = (layer: string) => {
      const s = new TerraformStack(app, `${env}-${layer}`);
      new LocalBackend(s, { path: path.join(this.state, `${env}-${layer}.tfstate`) });
      return s;
    };
    const thing = (s: TerraformStack, layer: string, id: string, input: Record<string, unknown>) => {
      const { fail: _fail, ...values } = settings(layer); // every setting is an input: changing one changes the layer
      const r = new DataResource(s, id, { input: { layer, env, ...values, ...input } });
      if (failing(layer).length) r.addOverride('lifecycle.precondition', failing(layer));
      return r;
    };
    const network = stack('network');
    const vpc = thing(network, 'network', 'vpc', { cidr: '10.0.0.0/16' });
    const data = stack('data');
    const db = thing(data, 'data', 'database', { vpc: vpc.id });
    // An engine change replaces the database like the real one (a new instance: a new id downstream).
    db.addOverride('triggers_replace', { engine: settings('data').engine ?? 'postgres' });
    const cluster = stack('cluster');
    const eks = thing(cluster, 'cluster', 'cluster', { vpc: vpc.id });
    new TerraformOutput(cluster, 'ecr_repository_url', { value: `registry.example/${env}-api` });
    const edge = stack('edge');
    const cdn = thing(edge, 'edge', 'distribution', { vpc: vpc.id, origin: db.id });
    const workloads = stack('workloads');
    const tag = new TerraformVariable(workloads, 'image_tag', { type: 'string', nullable: false });
    const file = `${this.registry}/${env}-api/\${var.image_tag}`;
    const deployment = new DataResource(workloads, 'deployment', {
      input: {
        layer: 'workloads',
        env,
        ...(({ fail: _f, ...v }) => v)(settings('workloads')),
        cluster: eks.id,
        database: db.id,
        target: cdn.id,
        replicas: cfg.replicas,
        image: `registry.example/${env}-api@sha256:\${try(filesha256("${file}"), "missing")}`,
      },
    });
    deployment.addOverride('lifecycle.precondition', [
      { condition: `\${fileexists("${file}")}`, error_message: `image tag \${var.image_tag} is not in registry.example/${env}-api (this file stands for ECR; the real stack's data.aws_ecr_image fails the plan the same way)` },
      ...failing('workloads'),
    ]);
    new DataResource(workloads, 'migration', { input: { name: `api-migrate-${tag.stringValue}` }, triggersReplace: { name: `api-migrate-${tag.stringValue}` } });
    const obs = stack('observability');
    thing(obs, 'observability', 'alarms', { database: db.id, edge: cdn.id, service: deployment.id });
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
    { type: 'terraform_data', path: ['triggers_replace', 'name'], pattern: '^api-migrate-[0-9a-f]{40}$', why: 'the migration job is named after the image tag' },
  ],
};
