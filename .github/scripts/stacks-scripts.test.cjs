// node --test .github/scripts/ — plan-stacks.sh and apply-stacks.sh against a fake terraform binary that plays
// back per-stack plan exit codes and plan JSON, and records every call.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const here = __dirname;
const FAKE_TF = `#!/usr/bin/env bash
# fake terraform: -chdir=DIR <command> …; behaviour from files in DIR, calls appended to DIR/calls
dir=\${1#-chdir=}; shift
cmd=$1; shift
echo "$cmd $*" >>"$dir/calls"
case $cmd in
  init) exit 0 ;;
  plan) echo planned >"$dir/tfplan"; exit "$(cat "$dir/plan-exit" 2>/dev/null || echo 0)" ;;
  show) cat "$dir/plan.json" ;;
  apply) [ -f "$dir/tfplan" ] || exit 3; exit 0 ;;
  output) echo "111111111111.dkr.ecr.eu-west-1.amazonaws.com/dev-api" ;;
  *) exit 9 ;;
esac
`;

const LAYERS = {
  network: [],
  data: ['network'],
  cluster: ['network'],
  edge: ['network', 'data'],
  workloads: ['network', 'cluster', 'data', 'edge'],
  observability: ['network', 'data', 'cluster', 'edge', 'workloads'],
};

function plan(address, secret) {
  return {
    format_version: '1.2',
    terraform_version: '1.13.5',
    resource_changes: [
      {
        address,
        type: address.split('.')[0],
        name: address.split('.')[1],
        mode: 'managed',
        change: { actions: ['update'], before: { tags: { a: '1' }, token: 'old' }, after: { tags: { a: '2' }, token: secret }, after_unknown: {}, before_sensitive: { token: true }, after_sensitive: { token: true } },
      },
    ],
    configuration: { secret_everywhere: secret },
  };
}

/** A workspace with one stack folder per layer; `exits` maps layer → plan exit code (0 none, 2 changes, 1 error). */
function setup(exits) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stacks-'));
  const bin = path.join(dir, 'terraform');
  fs.writeFileSync(bin, FAKE_TF, { mode: 0o755 });
  const include = Object.entries(LAYERS).map(([layer, deps]) => {
    const stackDir = path.join(dir, 'cdktf.out', 'stacks', `dev-${layer}`);
    fs.mkdirSync(stackDir, { recursive: true });
    fs.writeFileSync(path.join(stackDir, 'plan-exit'), String(exits[layer] ?? 0));
    fs.writeFileSync(path.join(stackDir, 'plan.json'), JSON.stringify(plan(`aws_thing.${layer}`, `s3cr3t-${layer}`)));
    return { stack: `dev-${layer}`, env: 'dev', layer, dir: stackDir, needs: deps.map((d) => `dev-${d}`) };
  });
  // another environment's entries must be ignored
  include.push({ stack: 'prod-network', env: 'prod', layer: 'network', dir: path.join(dir, 'nope'), needs: [] });
  const calls = (layer) => {
    const f = path.join(dir, 'cdktf.out', 'stacks', `dev-${layer}`, 'calls');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n') : [];
  };
  return { dir, bin, stacks: JSON.stringify({ include }), calls, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function runScript(script, env) {
  const summary = path.join(env.PLAN_DIR, '..', 'summary.md');
  const r = spawnSync('bash', [path.join(here, script)], { env: { ...process.env, GITHUB_STEP_SUMMARY: summary, ...env }, encoding: 'utf8' });
  return { ...r, summary: fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8') : '' };
}

test('pr mode: plans in dependency order; a stack whose upstream changed waits for it', () => {
  const w = setup({ data: 2 });
  try {
    const planDir = path.join(w.dir, 'plans');
    const r = runScript('plan-stacks.sh', { STACKS: w.stacks, ENV_NAME: 'dev', MODE: 'pr', PLAN_DIR: planDir, TF_BIN: w.bin, IMAGE_TAG: 'abc123' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(planDir).sort(), ['dev-cluster.plan.json', 'dev-data.plan.json', 'dev-network.plan.json', 'waits-dev.txt']);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(planDir, 'waits-dev.txt'), 'utf8')), {
      'dev-edge': ['dev-data'],
      'dev-workloads': ['dev-data', 'dev-edge'],
      'dev-observability': ['dev-data', 'dev-edge', 'dev-workloads'],
    });
    assert.deepEqual(w.calls('edge'), [], 'a waiting stack is not even initialised');
    assert.match(r.stdout, /::notice title=dev-edge::waits for dev-data/);
    assert.match(r.summary, /\| `dev-edge` \| waits for dev-data \|/);
    assert.match(r.summary, /\| `dev-data` \| changes \|/);
    const data = fs.readFileSync(path.join(planDir, 'dev-data.plan.json'), 'utf8');
    assert.ok(!data.includes('s3cr3t'), 'sensitive values are scrubbed before upload');
    assert.ok(!fs.existsSync(path.join(w.dir, 'cdktf.out', 'stacks', 'dev-data', 'tfplan')), 'binary plan removed');
    assert.match(w.calls('data').find((c) => c.startsWith('plan')), /-detailed-exitcode -out=tfplan$/);
  } finally {
    w.cleanup();
  }
});

test('drift mode: every stack is planned, workloads with the deployed image tag; a failed plan fails the run after the others', () => {
  const w = setup({ data: 2, cluster: 1 });
  try {
    const planDir = path.join(w.dir, 'plans');
    const r = runScript('plan-stacks.sh', { STACKS: w.stacks, ENV_NAME: 'dev', MODE: 'drift', PLAN_DIR: planDir, TF_BIN: w.bin, IMAGE_TAG: 'deployed-sha' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /plan failed for: dev-cluster/);
    assert.equal(fs.readdirSync(planDir).filter((f) => f.endsWith('.plan.json')).length, 5);
    assert.match(w.calls('workloads').find((c) => c.startsWith('plan')), /-var image_tag=deployed-sha/);
    assert.ok(!w.calls('network').find((c) => c.startsWith('plan')).includes('image_tag'));
    assert.match(r.summary, /\| `dev-cluster` \| \*\*plan failed\*\* \|/);
  } finally {
    w.cleanup();
  }
});

function fingerprint(file) {
  return Object.values(JSON.parse(execFileSync(process.execPath, [path.join(here, 'plan-fingerprint.cjs'), file], { encoding: 'utf8' })))[0];
}

test('apply: applies a stack whose re-plan matches the reviewed fingerprint; stacks without changes are not applied', () => {
  const w = setup({ network: 2, data: 0 });
  try {
    const planDir = path.join(w.dir, 'plans');
    // What the pull request reviewed: the same plan, scrubbed the same way.
    const reviewedPlan = path.join(w.dir, 'dev-network.plan.json');
    execFileSync(process.execPath, [path.join(here, 'scrub-plan.cjs'), path.join(w.dir, 'cdktf.out/stacks/dev-network/plan.json'), reviewedPlan]);
    const reviewed = path.join(w.dir, 'reviewed.json');
    fs.writeFileSync(reviewed, JSON.stringify({ 'dev-network': fingerprint(reviewedPlan) }));
    const r = runScript('apply-stacks.sh', { STACKS: w.stacks, ENV_NAME: 'dev', PLAN_DIR: planDir, TF_BIN: w.bin, IMAGE_TAG: 'sha1', REVIEWED: reviewed });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.ok(w.calls('network').includes('apply -input=false -no-color -lock-timeout=10m tfplan'));
    assert.ok(!w.calls('data').some((c) => c.startsWith('apply')), 'no changes → no apply');
    assert.match(r.summary, /\| `dev-network` \| applied \(matches the reviewed plan\) \|/);
    assert.match(r.stdout, /no IMAGE_ARCHIVE: image push skipped/);
  } finally {
    w.cleanup();
  }
});

test('apply: refuses a stack whose re-plan differs from the reviewed plan, and applies nothing after it', () => {
  const w = setup({ network: 2, data: 2 });
  try {
    const reviewed = path.join(w.dir, 'reviewed.json');
    fs.writeFileSync(reviewed, JSON.stringify({ 'dev-network': 'f'.repeat(64) }));
    const r = runScript('apply-stacks.sh', { STACKS: w.stacks, ENV_NAME: 'dev', PLAN_DIR: path.join(w.dir, 'plans'), TF_BIN: w.bin, IMAGE_TAG: 'sha1', REVIEWED: reviewed });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /::error title=dev-network::refusing to apply: this plan \(fingerprint [0-9a-f]{12}\) is not the plan reviewed on the pull request \(ffffffffffff\)/);
    assert.ok(!w.calls('network').some((c) => c.startsWith('apply')));
    assert.deepEqual(w.calls('data'), [], 'downstream stacks are not touched');
    assert.match(r.summary, /\*\*refused\*\*/);
  } finally {
    w.cleanup();
  }
});

test('apply: the manual break-glass run applies a differing plan with a warning', () => {
  const w = setup({ network: 2 });
  try {
    const reviewed = path.join(w.dir, 'reviewed.json');
    fs.writeFileSync(reviewed, JSON.stringify({ 'dev-network': 'f'.repeat(64) }));
    const r = runScript('apply-stacks.sh', { STACKS: w.stacks, ENV_NAME: 'dev', PLAN_DIR: path.join(w.dir, 'plans'), TF_BIN: w.bin, IMAGE_TAG: 'sha1', REVIEWED: reviewed, ACCEPT_NEW_PLAN: 'true' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /::warning title=dev-network::plan differs from the reviewed plan/);
    assert.ok(w.calls('network').some((c) => c.startsWith('apply')));
    assert.match(w.calls('workloads').find((c) => c.startsWith('plan')), /-var image_tag=sha1/);
  } finally {
    w.cleanup();
  }
});

/** Fake `aws` and `docker` on PATH that log their calls to `log`; `inEcr` makes describe-images find the tag. */
function fakeCli(dir, { inEcr }) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const log = path.join(dir, 'cli.log');
  fs.writeFileSync(path.join(bin, 'aws'), `#!/usr/bin/env bash\necho "aws $*" >>"${log}"\ncase "$2" in describe-images) exit ${inEcr ? 0 : 254} ;; get-login-password) echo pw ;; esac\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'docker'), `#!/usr/bin/env bash\necho "docker $*" >>"${log}"\ncat >/dev/null 2>&1 || true\n[ "$1" = load ] && echo "Loaded image: awp-api:sha1"\nexit 0\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}`, log: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
}

test('apply: pushes the commit image to the cluster stack’s ECR repository after cluster and before workloads', () => {
  const w = setup({});
  try {
    const cli = fakeCli(w.dir, { inEcr: false });
    const archive = path.join(w.dir, 'api-image.tar.gz');
    fs.writeFileSync(archive, 'image');
    const r = runScript('apply-stacks.sh', { STACKS: w.stacks, ENV_NAME: 'dev', PLAN_DIR: path.join(w.dir, 'plans'), TF_BIN: w.bin, IMAGE_TAG: 'sha1', IMAGE_ARCHIVE: archive, AWS_REGION: 'eu-west-1', PATH: cli.PATH });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const log = cli.log();
    assert.ok(log.includes('aws ecr describe-images --region eu-west-1 --repository-name dev-api --image-ids imageTag=sha1'), log.join('\n'));
    assert.ok(log.includes('docker tag awp-api:sha1 111111111111.dkr.ecr.eu-west-1.amazonaws.com/dev-api:sha1'));
    assert.ok(log.includes('docker push 111111111111.dkr.ecr.eu-west-1.amazonaws.com/dev-api:sha1'));
    assert.ok(w.calls('cluster').includes('output -raw ecr_repository_url'));
    assert.match(r.summary, /\| image \| pushed `111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/dev-api:sha1` \|/);
    // order: the summary lists cluster before the image and the image before workloads
    const order = ['`dev-cluster`', '| image |', '`dev-workloads`'].map((s) => r.summary.indexOf(s));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
  } finally {
    w.cleanup();
  }
});

test('apply: an image already in ECR for this commit is kept (immutable tags), not pushed again', () => {
  const w = setup({});
  try {
    const cli = fakeCli(w.dir, { inEcr: true });
    const archive = path.join(w.dir, 'api-image.tar.gz');
    fs.writeFileSync(archive, 'image');
    const r = runScript('apply-stacks.sh', { STACKS: w.stacks, ENV_NAME: 'dev', PLAN_DIR: path.join(w.dir, 'plans'), TF_BIN: w.bin, IMAGE_TAG: 'sha1', IMAGE_ARCHIVE: archive, AWS_REGION: 'eu-west-1', PATH: cli.PATH });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!cli.log().some((l) => l.startsWith('docker')), 'no docker call');
    assert.match(r.summary, /already in ECR/);
  } finally {
    w.cleanup();
  }
});
