// node --test .github/scripts/ — the delivery rules the workflows must keep, checked on the parsed YAML
// (actionlint checks syntax and expressions, checkov generic GitHub Actions hygiene; this checks OUR rules).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml'); // hoisted in node_modules (a dependency of the workspace's tooling)

const dir = path.resolve(__dirname, '../workflows');
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const raw = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
const wf = Object.fromEntries(files.map((f) => [f, YAML.parse(raw[f])]));
const jobs = (f) => Object.entries(wf[f].jobs ?? {});
const steps = (job) => job.steps ?? [];
/** deploy.yml's stage-1 … stage-N jobs, in order. */
const stageJobs = () => jobs('deploy.yml').filter(([id]) => /^stage-\d+$/.test(id)).sort(([a], [b]) => Number(a.slice(6)) - Number(b.slice(6)));

test('the four delivery workflows exist (plus the reusable per-environment deploy and the PR comment)', () => {
  assert.deepEqual(files.sort(), ['deploy-env.yml', 'deploy.yml', 'drift.yml', 'pr-report.yml', 'pr.yml', 'release.yml']);
});

test('least privilege: empty top-level permissions, every job declares its own', () => {
  for (const f of files) {
    assert.deepEqual(wf[f].permissions, {}, `${f}: top-level permissions must be {}`);
    for (const [id, job] of jobs(f)) {
      assert.equal(typeof job.permissions, 'object', `${f} job ${id}: no permissions block`);
      for (const [scope, level] of Object.entries(job.permissions)) {
        assert.ok(['read', 'write', 'none'].includes(level), `${f} ${id}: ${scope}: ${level}`);
      }
      assert.notEqual(job.permissions['contents'], 'write', `${f} ${id}: no job writes repository contents`);
    }
  }
});

test('every third-party action is pinned to a full commit SHA with its release in a comment', () => {
  for (const f of files) {
    for (const line of raw[f].split('\n')) {
      const m = line.match(/^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/);
      if (!m || m[1].startsWith('./')) continue;
      assert.match(m[1], /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${f}: ${m[1]} is not pinned to a commit SHA`);
      assert.match(m[2], /#\s*v\d+\.\d+\.\d+/, `${f}: ${m[1]} lacks a "# vX.Y.Z" comment`);
    }
  }
});

test('no long-lived cloud keys: AWS access only through OIDC role assumption', () => {
  for (const f of files) {
    assert.doesNotMatch(raw[f], /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/, f);
    for (const [id, job] of jobs(f)) {
      for (const step of steps(job).filter((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'))) {
        assert.equal(job.permissions['id-token'], 'write', `${f} ${id}: OIDC needs id-token: write`);
        assert.ok(step.with['role-to-assume'], `${f} ${id}: role-to-assume`);
        assert.ok(Number(step.with['role-duration-seconds']) <= 3600, `${f} ${id}: sessions of at most 1 h`);
      }
    }
  }
});

/** Runs a workflow's plan-targets step (envs) with `platform bootstrap --describe` and deployed.cjs stubbed. */
function planTargets(f, job, id, described, env) {
  const step = steps(wf[f].jobs[job]).find((s) => s.id === id);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-targets-'));
  fs.writeFileSync(path.join(bin, 'd.json'), JSON.stringify(described));
  const run = step.run
    .replace(/node apps\/infra\/bin\/platform\.js bootstrap --describe[^|)]*/, `cat ${bin}/d.json `)
    .replaceAll('bash .github/scripts/', `bash ${root}/.github/scripts/`)
    .replace(/node \.github\/scripts\/deployed\.cjs "\$e"/, 'echo deployed-$e');
  return runStep({ run }, env);
}
const DESCRIBED = [
  { env: 'dev', region: 'eu-west-1', planRoleArn: 'arn:dev-plan', planPullRequestRoleArn: 'arn:dev-plan-pr', pullRequestPlanSkips: ['identity'], runsOn: ['self-hosted', 'apply'], planRunsOn: ['self-hosted', 'plan'] },
  { env: 'prod', region: 'eu-west-1', planRoleArn: 'arn:prod-plan', planPullRequestRoleArn: 'arn:prod-plan-pr', pullRequestPlanSkips: ['identity'], runsOn: ['self-hosted', 'apply'] },
];
const PR_MATRIX = JSON.stringify({ include: [{ env: 'dev' }, { env: 'prod' }] });

test('pr.yml: a pull_request plans with the pull-request plan role and skips its layers; the merge queue plans everything with the plan role; plan runners from planRunsOn', () => {
  const plan = wf['pr.yml'].jobs.plan;
  const creds = steps(plan).find((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'));
  assert.equal(creds.with['role-to-assume'], '${{ matrix.planRoleArn }}');
  assert.equal(steps(plan).find((s) => /plan-stacks\.sh/.test(s.run ?? '')).env.PR_SKIP_LAYERS, '${{ matrix.prSkipLayers }}');
  assert.equal(steps(wf['pr.yml'].jobs.verify).find((s) => s.id === 'envs').env.EVENT, '${{ github.event_name }}');
  const matrix = (event) => {
    const r = planTargets('pr.yml', 'verify', 'envs', DESCRIBED, { EVENT: event, MATRIX: PR_MATRIX });
    assert.equal(r.status, 0, r.stdout);
    return JSON.parse(r.outputs.envs).include;
  };
  assert.deepEqual(matrix('pull_request'), [
    { env: 'dev', region: 'eu-west-1', planRoleArn: 'arn:dev-plan-pr', runsOn: ['self-hosted', 'plan'], prSkipLayers: 'identity', mergeQueueOnlyLayers: ['identity'], imageTag: 'deployed-dev' },
    { env: 'prod', region: 'eu-west-1', planRoleArn: 'arn:prod-plan-pr', runsOn: ['ubuntu-24.04'], prSkipLayers: 'identity', mergeQueueOnlyLayers: ['identity'], imageTag: 'deployed-prod' },
  ]);
  assert.deepEqual(
    matrix('merge_group').map((t) => [t.env, t.planRoleArn, t.prSkipLayers]),
    [['dev', 'arn:dev-plan', ''], ['prod', 'arn:prod-plan', '']],
  );
  // the merge queue's review job gets the skipped layers from this commit's configuration, not from the PR's comment
  const mq = planTargets('pr.yml', 'verify', 'envs', DESCRIBED, { EVENT: 'merge_group', MATRIX: PR_MATRIX });
  assert.deepEqual(JSON.parse(mq.outputs['merge-queue-only']), { dev: ['identity'], prod: ['identity'] });
  assert.equal(wf['pr.yml'].jobs.verify.outputs['merge-queue-only'], '${{ steps.envs.outputs.merge-queue-only }}');
  const review = steps(wf['pr.yml'].jobs.review).find((s) => String(s.uses ?? '') === './apps/actions/plan-report');
  assert.equal(review.with['merge-queue-only-layers'], "${{ needs.verify.outputs.merge-queue-only || '{}' }}");
  // one label (not a list) is accepted as planRunsOn
  const one = planTargets('pr.yml', 'verify', 'envs', [{ ...DESCRIBED[0], planRunsOn: 'awp-plan' }], { EVENT: 'pull_request', MATRIX: PR_MATRIX });
  assert.deepEqual(JSON.parse(one.outputs.envs).include[0].runsOn, ['awp-plan']);
});

test('pr.yml and drift.yml: an environment whose description lacks the role this event needs fails the job, naming the file and field (no fallback to another role)', () => {
  const { planPullRequestRoleArn, ...noPr } = DESCRIBED[0];
  const r = planTargets('pr.yml', 'verify', 'envs', [noPr, DESCRIBED[1]], { EVENT: 'pull_request', MATRIX: PR_MATRIX });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /::error file=environments\/dev\.json::environment dev \(environments\/dev\.json\): `platform bootstrap --describe` printed no planPullRequestRoleArn \(from delivery\.planRoleName/);
  assert.equal(r.outputs.envs, undefined, 'no matrix written');
  // the merge queue does not need the pull-request role
  assert.equal(planTargets('pr.yml', 'verify', 'envs', [noPr], { EVENT: 'merge_group', MATRIX: PR_MATRIX }).status, 0);
  const { planRoleArn, ...noPlan } = DESCRIBED[1];
  const d = planTargets('drift.yml', 'envs', 'envs', [DESCRIBED[0], noPlan], {});
  assert.notEqual(d.status, 0);
  assert.match(d.stdout, /::error file=environments\/prod\.json::.*printed no planRoleArn \(from delivery\.planRoleName\)/);
  const ok = planTargets('drift.yml', 'envs', 'envs', DESCRIBED, {});
  assert.equal(ok.status, 0, ok.stdout);
  assert.deepEqual(JSON.parse(ok.outputs.envs).include.map((t) => [t.env, t.planRoleArn, t.runsOn]), [['dev', 'arn:dev-plan', ['self-hosted', 'plan']], ['prod', 'arn:prod-plan', ['ubuntu-24.04']]]);
});

test('pull requests and drift use the read-only plan role; only the environment-bound deploy job uses the apply role', () => {
  const roleOf = (f) => jobs(f).flatMap(([id, job]) => steps(job).filter((s) => s.with?.['role-to-assume']).map((s) => [id, job, s.with['role-to-assume']]));
  for (const f of ['pr.yml', 'drift.yml']) {
    const roles = roleOf(f);
    assert.ok(roles.length > 0, f);
    for (const [id, job, role] of roles) {
      assert.match(role, /planRoleArn/, `${f} ${id}`);
      assert.equal(job.environment, undefined, `${f} ${id}: a plan job is not bound to an environment (its OIDC subject must stay pull_request / the branch)`);
    }
  }
  const [[id, job, role]] = roleOf('deploy-env.yml');
  assert.equal(id, 'apply');
  assert.match(role, /steps\.target\.outputs\.role/);
  assert.equal(job.environment.name, '${{ inputs.environment }}');
});

test('deploy: every environment in promotion order, one non-cancelling concurrency group per environment', () => {
  const d = wf['deploy.yml'];
  assert.deepEqual(Object.keys(d.on).sort(), ['push', 'workflow_dispatch']);
  assert.deepEqual(d.on.push.branches, ['main']);
  // Chained positional stages (not a matrix: GitHub creates matrix jobs in order but does not start them in
  // order, actions/runner#483): stage-i takes the i-th environment of bootstrap --describe and needs stage-(i-1).
  assert.equal(d.jobs.deploy, undefined, 'no matrix deploy job');
  const stages = stageJobs();
  assert.ok(stages.length >= 2);
  stages.forEach(([id, job], i) => {
    assert.equal(id, `stage-${i + 1}`);
    assert.equal(job.name, `stage ${i + 1}`, 'a stable check name (the environment comes from the data)');
    assert.equal(job.strategy, undefined, `${id}: no matrix`);
    assert.deepEqual([job.needs].flat(), i === 0 ? ['build'] : ['build', `stage-${i}`], `${id} starts only after the previous stage succeeded`);
    assert.equal(job.if, `fromJSON(needs.build.outputs.environments)[${i}] != null`, `${id} is skipped when there is no ${i + 1}th environment`);
    assert.equal(job.uses, './.github/workflows/deploy-env.yml');
    assert.equal(job.with.environment, `\${{ fromJSON(needs.build.outputs.environments)[${i}] }}`);
    assert.deepEqual(job.with, { ...stages[0][1].with, environment: job.with.environment }, `${id}: same inputs as stage-1`);
    assert.deepEqual(job.permissions, stages[0][1].permissions);
  });
  assert.deepEqual(Object.keys(d.jobs).sort(), ['build', ...stages.map(([id]) => id)].sort());
  assert.equal(d.jobs.build.outputs.environments, '${{ steps.targets.outputs.environments }}');
  assert.match(stepNamed(d.jobs.build, /^accounts, regions/).run, /bootstrap --describe/);
  const apply = wf['deploy-env.yml'].jobs.apply;
  assert.deepEqual(apply.concurrency, { group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
  const names = steps(apply).map((s) => s.name ?? s.uses ?? s.run);
  const at = (re) => names.findIndex((n) => re.test(String(n)));
  assert.ok(at(/promotion gate/) >= 0 && at(/promotion gate/) < at(/^apply in dependency order/), 'the gate runs before the apply');
  assert.ok(at(/^apply in dependency order/) < at(/^smoke test/), 'smoke test after the apply');
  assert.ok(at(/^smoke test/) < at(/record the outcome/), 'outcome recorded last');
  const finish = steps(apply).find((s) => s.name === 'record the outcome on the deployment');
  assert.match(finish.if, /always\(\)/);
});

test('Terraform or OpenTofu, chosen by vars.IAC_TOOL, wherever a job plans or applies', () => {
  for (const f of files) {
    for (const [id, job] of jobs(f)) {
      const uses = steps(job).map((s) => String(s.uses ?? ''));
      const tf = steps(job).find((s) => String(s.uses ?? '').startsWith('hashicorp/setup-terraform@'));
      const tofu = steps(job).find((s) => String(s.uses ?? '').startsWith('opentofu/setup-opentofu@'));
      if (!tf && !tofu) continue;
      // Jobs that only run the tests (which use Terraform for the journeys) install Terraform alone.
      if (!steps(job).some((s) => /\.github\/scripts\/(plan|apply)-stacks\.sh/.test(s.run ?? ''))) continue;
      assert.ok(tf && tofu, `${f} ${id}: both setups`);
      assert.equal(tf.if, "vars.IAC_TOOL != 'opentofu'");
      assert.equal(tofu.if, "vars.IAC_TOOL == 'opentofu'");
      assert.equal(tf.with.terraform_wrapper, false, 'the wrapper hides -detailed-exitcode');
      assert.equal(tofu.with.tofu_wrapper, false);
      assert.match(job.env.TF_BIN, /vars\.IAC_TOOL == 'opentofu' && 'tofu' \|\| 'terraform'/);
      assert.ok(uses.length > 0);
    }
  }
});

test('pull requests never write a shared cache', () => {
  for (const [id, job] of jobs('pr.yml')) {
    for (const s of steps(job)) {
      assert.ok(!String(s.uses ?? '').startsWith('actions/cache@'), `pr.yml ${id}: actions/cache`);
      if (String(s.uses ?? '').startsWith('actions/setup-node@')) assert.equal(s.with?.cache, undefined, `pr.yml ${id}: setup-node cache`);
    }
  }
  assert.doesNotMatch(raw['pr.yml'], /NX_CLOUD_ACCESS_TOKEN|nx-cloud/i);
});

test('no untrusted event data is interpolated into a shell script (script injection)', () => {
  for (const f of files) {
    for (const [id, job] of jobs(f)) {
      for (const s of steps(job)) {
        if (typeof s.run !== 'string') continue;
        assert.doesNotMatch(s.run, /\$\{\{\s*(github\.event|github\.head_ref|inputs\.)/, `${f} ${id}: ${s.name ?? s.run.slice(0, 40)}`);
      }
    }
  }
});

test('plans: pull requests plan affected stacks with detailed exit codes; drift plans everything', () => {
  const plan = wf['pr.yml'].jobs.plan;
  const step = steps(plan).find((s) => /plan-stacks\.sh/.test(s.run ?? ''));
  assert.equal(step.env.MODE, 'pr');
  const report = wf['pr-report.yml'].jobs.comment;
  assert.doesNotMatch(String(report.if), /conclusion == 'success'/, 'the sticky comment is refreshed also when a plan failed or nothing is affected');
  const pr = steps(report).find((s) => s.uses === './apps/actions/plan-report');
  assert.equal(pr.with['allow-empty'], 'true');
  assert.equal(pr.with.outcomes, 'plans', 'waiting, failed and blocked stacks appear in the comment (plan-stacks.sh outcome files)');
  const drift = wf['drift.yml'];
  assert.ok(drift.on.schedule?.length === 1 && 'workflow_dispatch' in drift.on);
  assert.equal(steps(drift.jobs.drift).find((s) => /plan-stacks\.sh/.test(s.run ?? '')).env.MODE, 'drift');
  assert.equal(steps(drift.jobs.drift).find((s) => s.id === 'stacks').with.all, 'true');
  assert.ok(steps(drift.jobs.drift).some((s) => s.uses === './apps/actions/drift-report'));
});

test('release: build without a token (npm ci --ignore-scripts, locked tools), publish apart with id-token and provenance', () => {
  const { build, publish } = wf['release.yml'].jobs;
  assert.equal(build.permissions['id-token'], undefined, 'the build job holds no OIDC token');
  const buildRuns = steps(build).map((s) => s.run ?? '').join('\n');
  assert.match(buildRuns, /npm ci --ignore-scripts/);
  assert.match(buildRuns, /nx release version/);
  assert.doesNotMatch(raw['release.yml'], /npm install\b/, 'no unlocked install at run time');
  assert.equal(publish.permissions['id-token'], 'write');
  assert.deepEqual(publish.needs, 'build');
  // a run on a branch is a dry run in the build job: publish (bound to `release`, which admits only v* tags) is skipped
  assert.equal(publish.if, "needs.build.outputs.dry-run != 'true'");
  assert.equal(publish.environment, 'release');
  const dry = steps(build).find((s) => /--dry-run/.test(s.run ?? '') && /npm publish/.test(s.run ?? ''));
  assert.ok(dry, 'the build job runs npm publish --dry-run');
  assert.equal(dry.if, "steps.version.outputs.dry-run == 'true'");
  assert.ok(steps(build).indexOf(dry) > steps(build).findIndex((s) => String(s.uses ?? '').startsWith('actions/upload-artifact@')), 'after the tarballs are packed');
  assert.ok(!steps(publish).some((s) => String(s.uses ?? '').startsWith('actions/checkout@')), 'publish runs no project code');
  const pub = steps(publish).find((s) => /npm publish/.test(s.run ?? ''));
  assert.equal(pub.env.NPM_CONFIG_PROVENANCE, 'true');
  assert.match(pub.run, /--ignore-scripts/);
  const lock = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package-lock.json'), 'utf8'));
  const nx = lock.packages['node_modules/nx']?.version;
  assert.ok(nx, 'nx is locked');
  assert.equal(lock.packages['node_modules/@nx/js']?.version, nx, '@nx/js is locked at the same version as nx');
});

test('CODEOWNERS covers the workflows, the actions and the CI checks', () => {
  const owners = fs.readFileSync(path.resolve(__dirname, '../CODEOWNERS'), 'utf8');
  // and what runs with apply credentials or decides trust: delivery logic, dependency manifests, environments, bootstrap
  for (const p of ['/.github/', '/apps/actions/', '/.ci/', '/libs/delivery/', '/package.json', '/package-lock.json', '/environments/', '/apps/infra/src/bootstrap/']) {
    assert.match(owners, new RegExp(`^${p.replace(/[./]/g, '\\$&')}\\s+@`, 'm'), p);
  }
  assert.match(fs.readFileSync(path.join(root, 'docs/delivery.md'), 'utf8'), /Require review from Code Owners/, 'CODEOWNERS only requests reviews unless the rule requires them');
});

// ---- Issue 18 / 17 / 12: the rules below each fail on the workflows before the merge-queue design. ----

const { spawnSync } = require('node:child_process');
const os = require('node:os');
const root = path.resolve(__dirname, '../..');
const stepNamed = (job, re) => steps(job).find((s) => re.test(String(s.name ?? '')));
const uploads = (job) => steps(job).filter((s) => String(s.uses ?? '').startsWith('actions/upload-artifact@'));
/** Runs a step's `run:` script with bash as the runner would (env + GITHUB_OUTPUT); returns status and outputs. */
function runStep(step, env) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wf-step-')), 'output');
  fs.writeFileSync(out, '');
  const r = spawnSync('bash', ['-eo', 'pipefail', '-c', step.run], { env: { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: out }, encoding: 'utf8' });
  const outputs = Object.fromEntries(fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { status: r.status, stdout: r.stdout + r.stderr, outputs };
}

test('B3: ONE fixed-name required job gathers every pr.yml job, passes on skips, fails on failure or cancellation', () => {
  const pr = wf['pr.yml'];
  const req = pr.jobs.required;
  assert.ok(req, 'pr.yml has a job "required"');
  assert.equal(req.name, 'required', 'its check name is fixed (no matrix, no expression)');
  assert.equal(req.if, 'always()', 'it runs whatever the other jobs did');
  assert.equal(req.strategy, undefined);
  const others = Object.keys(pr.jobs).filter((j) => j !== 'required').sort();
  assert.deepEqual([...req.needs].sort(), others, 'it needs every other job of pr.yml');
  const check = steps(req).find((s) => typeof s.run === 'string');
  assert.equal(check.env.RESULTS, '${{ toJSON(needs) }}');
  const results = (r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { result: v, outputs: {} }])));
  const ok = { verify: 'success', plan: 'success', review: 'success' };
  assert.equal(runStep(check, { RESULTS: results(ok) }).status, 0, 'all green');
  assert.equal(runStep(check, { RESULTS: results({ ...ok, plan: 'skipped', review: 'skipped' }) }).status, 0, 'docs-only PR or fork: plans skipped');
  assert.notEqual(runStep(check, { RESULTS: results({ ...ok, plan: 'failure' }) }).status, 0, 'a failed plan');
  assert.notEqual(runStep(check, { RESULTS: results({ ...ok, review: 'cancelled' }) }).status, 0, 'a cancelled job');
  assert.notEqual(runStep(check, { RESULTS: results({ ...ok, verify: 'skipped' }) }).status, 0, 'verify must have run');
  const docs = fs.readFileSync(path.join(root, 'docs/delivery.md'), 'utf8');
  assert.match(docs, /the one required (status )?check/i);
  assert.match(docs, /`required`/);
  assert.doesNotMatch(docs, /status checks of `pr\.yml`\s*\(`verify`/, 'the docs no longer list the matrix jobs as required checks');
});

test('pull requests run apps/api against real PostgreSQL/Redis/S3 with the fault tests, when apps/api is affected, inside the required check', () => {
  const pr = wf['pr.yml'].jobs;
  const job = pr['api-services'];
  assert.ok(job, 'pr.yml has a job api-services');
  assert.equal(job.needs, 'verify');
  assert.equal(job.if, "needs.verify.outputs.api-affected == 'true'");
  assert.deepEqual(job.permissions, { contents: 'read' }, 'no token scopes beyond reading the code, no OIDC');
  assert.equal(pr.verify.outputs['api-affected'], '${{ steps.changes.outputs.api-affected }}');
  assert.ok(pr.required.needs.includes('api-services'));
  // the same setup and check as .ci/run, in its order (the shipped Node and the hog before the servers, the check last)
  const run = steps(job).map((s) => s.run ?? '').join('\n');
  const order = ['.ci/setup/10-node-shipped.sh', '.ci/setup/15-cpu-hog.sh', '.ci/setup/20-services.sh', '.ci/checks/42-api-shipped-node.sh'].map((f) => run.indexOf(f));
  assert.ok(order.every((i) => i >= 0), `api-services runs ${order}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, 'in .ci/run order');
  for (const f of ['.ci/setup/10-node-shipped.sh', '.ci/setup/15-cpu-hog.sh', '.ci/setup/20-services.sh', '.ci/checks/42-api-shipped-node.sh']) assert.ok(fs.existsSync(path.join(root, f)), f);
  // the packages the setup scripts would install only as root
  assert.match(run, /sudo [^\n]*apt-get install [^\n]*postgresql redis-server stress-ng/);
  // the check skips (and passes) without the shipped Node: the job must fail instead
  const guard = run.split('\n').find((l) => l.includes('API_SHIPPED_NODE_BIN'));
  assert.ok(guard && run.indexOf(guard) < run.indexOf('.ci/checks/42-api-shipped-node.sh'), 'a guard on API_SHIPPED_NODE_BIN before the check');
  assert.notEqual(spawnSync('bash', ['-c', guard], { env: { PATH: process.env.PATH } }).status, 0, 'the guard fails when the shipped Node is missing');
  assert.equal(spawnSync('bash', ['-c', guard], { env: { PATH: process.env.PATH, API_SHIPPED_NODE_BIN: '/x/bin' } }).status, 0);
  // api-affected: the step's whole script as GitHub runs it (bash -e, no shell: set), with nx and git faked to give
  // the affected projects and changed files
  const changes = steps(pr.verify).find((s) => s.id === 'changes');
  assert.equal(changes.shell, undefined, 'the default shell (bash -e)');
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'changes-'));
  fs.writeFileSync(path.join(fake, 'npx'), '#!/bin/sh\nprintf %s "$FAKE_PROJECTS"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(fake, 'git'), '#!/bin/sh\nprintf %s "$FAKE_FILES"\n', { mode: 0o755 });
  const runChanges = (projects, files) => {
    const out = path.join(fake, `out-${Math.random()}`);
    fs.writeFileSync(out, '');
    const env = { PATH: `${fake}:${process.env.PATH}`, FAKE_PROJECTS: projects, FAKE_FILES: files.join('\n'), BASE_SHA: 'base', GITHUB_OUTPUT: out };
    const r = spawnSync('bash', ['-e', '-c', changes.run], { env, encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr, output: fs.readFileSync(out, 'utf8') };
  };
  // GITHUB_OUTPUT read the way the runner reads it: name=value, or name<<DELIMITER … DELIMITER; the last one wins
  const parseOutput = (text) => {
    const outputs = {};
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const heredoc = /^([^=]+?)<<(.+)$/.exec(lines[i]);
      if (heredoc) {
        const end = lines.indexOf(heredoc[2], i + 1);
        assert.ok(end > i, `unterminated ${heredoc[1]}`);
        outputs[heredoc[1]] = lines.slice(i + 1, end).join('\n');
        i = end;
      } else if (lines[i].includes('=')) outputs[lines[i].slice(0, lines[i].indexOf('='))] = lines[i].slice(lines[i].indexOf('=') + 1);
    }
    return outputs;
  };
  const affected = (projects, files) => {
    const r = runChanges(JSON.stringify(projects), files);
    assert.equal(r.status, 0, r.stderr);
    const outputs = parseOutput(r.output);
    assert.deepEqual(Object.keys(outputs).sort(), ['api-affected', 'files', 'projects']);
    assert.equal(outputs.files, files.join('\n'));
    assert.equal(outputs.projects, JSON.stringify(projects));
    return `api-affected=${outputs['api-affected']}`;
  };
  // file names the pull request chooses cannot end the files value early and set outputs (a fixed delimiter could)
  assert.equal(affected(['api'], ['apps/api/src/app.ts', 'EOF_FILES', 'api-affected=false', 'api-z<<EOF_FILES', 'EOF']), 'api-affected=true');
  assert.match(changes.run, /git -c core\.quotePath=false diff --name-only/, 'non-ASCII paths unquoted, so the patterns see them');
  // a jq failure (here: nx printed no JSON) fails the step, and nothing is written: api-services is never silently skipped
  const broken = runChanges('Cannot find project', ['apps/api/src/app.ts']);
  assert.notEqual(broken.status, 0, 'the step fails');
  assert.equal(broken.output, '', 'no outputs written');
  assert.equal(affected(['data', 'api', 'infra'], ['libs/data/src/settings.ts']), 'api-affected=true');
  assert.equal(affected(['api-e2e', 'infra'], ['apps/infra/src/cli.ts']), 'api-affected=false', 'another project whose name contains api is not api');
  assert.equal(affected([], ['README.md']), 'api-affected=false');
  assert.equal(affected([], []), 'api-affected=false');
  for (const f of ['.ci/setup/20-services.sh', '.ci/setup/15-cpu-hog.sh', '.ci/checks/42-api-shipped-node.sh', '.ci/lib.sh', '.github/workflows/pr.yml']) assert.equal(affected([], ['docs/x.md', f]), 'api-affected=true', f);
  for (const f of ['.ci/checks/30-actionlint.sh', '.ci/run', 'x/.ci/setup/a.sh', '.ci/lib.sh.bak', '.github/workflows/deploy.yml', '.github/workflows/pr.yml.orig']) assert.equal(affected([], [f]), 'api-affected=false', f);
  fs.rmSync(fake, { recursive: true, force: true });
});

test('W9 / issue 17 item 4: pull requests run the bundle-freshness check and the workflow-script tests, inside the required check', () => {
  const verify = wf['pr.yml'].jobs.verify;
  const runs = steps(verify).map((s) => s.run ?? '').join('\n');
  assert.match(runs, /bash \.ci\/checks\/50-actions-dist\.sh/);
  assert.match(runs, /bash \.ci\/checks\/31-workflow-scripts\.sh/);
  assert.ok(wf['pr.yml'].jobs.required.needs.includes('verify'));
});

test('B4: a fork pull request plans nothing, gets the one notice, and the required check stays green', () => {
  const pr = wf['pr.yml'];
  const fork = steps(pr.jobs.verify).find((s) => s.id === 'fork');
  assert.ok(fork, 'verify decides whether the pull request comes from a fork');
  assert.equal(pr.jobs.verify.outputs.fork, '${{ steps.fork.outputs.fork }}');
  const env = { EVENT: 'pull_request', HEAD_REPO: 'someone/aws-web-platform', BASE_REPO: 'org/aws-web-platform' };
  assert.equal(runStep(fork, env).outputs.fork, 'true');
  assert.equal(runStep(fork, { ...env, HEAD_REPO: 'org/aws-web-platform' }).outputs.fork, 'false');
  assert.equal(runStep(fork, { ...env, EVENT: 'merge_group', HEAD_REPO: '' }).outputs.fork, 'false');
  assert.equal(fork.env.HEAD_REPO, '${{ github.event.pull_request.head.repo.full_name }}');
  assert.match(pr.jobs.plan.if, /needs\.verify\.outputs\.fork != 'true'/, 'no plan (no OIDC token) for forks');
  const report = steps(wf['pr-report.yml'].jobs.comment).find((s) => s.uses === './apps/actions/plan-report');
  assert.equal(report.with.fork, '${{ github.event.workflow_run.head_repository.full_name != github.repository }}', 'the notice is decided from GitHub\'s data, not the run\'s artifacts');
});

test('B1: pull-request and merge-queue plans use the image each environment runs, never the pull request\'s SHA', () => {
  const pr = wf['pr.yml'];
  const plan = steps(pr.jobs.plan).find((s) => /plan-stacks\.sh/.test(s.run ?? ''));
  assert.equal(plan.env.IMAGE_TAG, '${{ matrix.imageTag }}');
  assert.doesNotMatch(raw['pr.yml'], /IMAGE_TAG:\s*\$\{\{\s*github\.(event\.pull_request\.head\.sha|sha)/);
  const envs = steps(pr.jobs.verify).find((s) => s.id === 'envs');
  assert.match(envs.run, /node \.github\/scripts\/deployed\.cjs "\$e"/);
  assert.match(envs.run, /imageTag: \$tags\[\.env\]/);
  assert.equal(pr.jobs.verify.permissions.deployments, 'read');
  const ignore = JSON.parse(fs.readFileSync(path.join(root, '.github/review-ignore.json'), 'utf8'));
  assert.ok(ignore.ignore.every((r) => r.type && r.path?.length && r.why && r.pattern), 'named attributes with a pattern and a reason, never whole stacks');
});

test('W2 / issue 17 item 4: the merge queue plans what lands and produces the authoritative review evidence', () => {
  const pr = wf['pr.yml'];
  assert.deepEqual(pr.on.merge_group, { types: ['checks_requested'] });
  const review = pr.jobs.review;
  assert.match(review.if, /github\.event_name == 'merge_group'/, 'evidence only from the merge queue, never from the PR\'s own run');
  const report = steps(review).find((s) => s.uses === './apps/actions/plan-report');
  assert.equal(report.with['compare-with-comment'], "${{ needs.verify.outputs.has-stacks == 'true' }}", 'a stale plan is flagged on the pull request and fails the group (a docs-only group has nothing to compare)');
  assert.equal(report.with['evidence-dir'], 'reviewed');
  assert.equal(report.with.outcomes, 'plans');
  assert.equal(report.with['ignore-rules'], '.github/review-ignore.json');
  const up = uploads(review).find((u) => u.with.path.startsWith('reviewed'));
  const reviewCjs = fs.readFileSync(path.join(__dirname, 'review.cjs'), 'utf8');
  assert.match(reviewCjs, new RegExp(`name=${up.with.name}\\b`), 'the artifact has the name review.cjs fetch downloads');
  assert.match(reviewCjs, /event=merge_group/);
  // No job that runs on pull_request holds a write token (W11): the comment comes from pr-report.yml.
  for (const [id, job] of jobs('pr.yml')) {
    if (/merge_group/.test(String(job.if ?? ''))) continue;
    const writes = Object.entries(job.permissions).filter(([k, v]) => v === 'write' && k !== 'id-token');
    assert.deepEqual(writes, [], `pr.yml ${id} runs on pull_request with ${JSON.stringify(writes)}`);
  }
  const meta = steps(pr.jobs.verify).find((s) => /pr-meta/.test(s.run ?? ''));
  assert.match(meta.run, /base: \$base, planned: \$planned/, 'base and planned commits go to the comment');
});

test('W11: pr-report.yml comments from workflow_run, never checks out or runs the pull request\'s code', () => {
  const w = wf['pr-report.yml'];
  assert.deepEqual(w.on.workflow_run.workflows, ['pr']);
  assert.equal(w.on.pull_request_target, undefined);
  const job = w.jobs.comment;
  assert.match(job.if, /github\.event\.workflow_run\.event == 'pull_request'/);
  for (const s of steps(job)) {
    if (String(s.uses ?? '').startsWith('actions/checkout@')) {
      assert.equal(s.with.ref, undefined, 'checkout of the default branch only');
      assert.equal(s.with.repository, undefined);
    }
    assert.doesNotMatch(String(s.run ?? ''), /\bnpm\b|\bnode\b|\bnpx\b|bash |\.sh\b|source /, `${s.name}: runs nothing from the artifacts or a checkout`);
    if (String(s.uses ?? '').startsWith('actions/download-artifact@')) assert.equal(s.with['run-id'], '${{ github.event.workflow_run.id }}');
  }
  const report = steps(job).find((s) => s.uses === './apps/actions/plan-report');
  assert.equal(report.with['expected-head-sha'], '${{ github.event.workflow_run.head_sha }}', 'the PR number from the artifact is checked against GitHub\'s head SHA');
  assert.equal(report.with['head-sha'], '${{ github.event.workflow_run.head_sha }}');
  assert.match(report.with['base-sha'], /steps\.meta\.outputs\.base/);
  const meta = steps(job).find((s) => s.id === 'meta');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-meta-'));
  fs.mkdirSync(path.join(dir, 'pr-meta'));
  const sha = 'a'.repeat(40);
  const at = (json) => {
    fs.writeFileSync(path.join(dir, 'pr-meta/pr.json'), json);
    return spawnSync('bash', ['-eo', 'pipefail', '-c', `cd ${dir} && ${meta.run}`], { env: { PATH: process.env.PATH, GITHUB_OUTPUT: '/dev/null' } }).status;
  };
  assert.equal(at(JSON.stringify({ pr: 7, head: sha, base: sha, planned: sha })), 0);
  assert.notEqual(at(JSON.stringify({ pr: '7; rm -rf /', head: sha, base: sha, planned: sha })), 0, 'a forged number is refused');
  assert.notEqual(at(JSON.stringify({ pr: 7, head: sha, base: 'main', planned: sha })), 0, 'a non-SHA is refused');
});

test('W1: the apply checks every plan against the merge-queue evidence; break-glass only through named stacks with a reason', () => {
  const apply = wf['deploy-env.yml'].jobs.apply;
  const fetch = stepNamed(apply, /^review evidence/);
  assert.ok(fetch, 'the evidence is fetched');
  assert.match(fetch.run, /node \.github\/scripts\/review\.cjs fetch --to "\$SHA" \$\{DEPLOYED:\+--from "\$DEPLOYED"\} --out evidence/);
  assert.equal(fetch.env.DEPLOYED, '${{ steps.gate.outputs.deployed-sha }}', 'every commit since the one the environment runs');
  assert.equal(fetch['continue-on-error'], undefined, 'a failed fetch fails the deploy (never silently skipped)');
  assert.equal(apply.permissions.actions, 'read');
  const step = stepNamed(apply, /^apply in dependency order/);
  assert.equal(step.env.EVIDENCE_DIR, 'evidence');
  assert.equal(step.env.IGNORE_RULES, '.github/review-ignore.json');
  assert.equal(step.env.BREAK_GLASS, '${{ inputs.break-glass-stacks }}');
  assert.equal(step.env.ACCEPT_NEW_PLAN, undefined, 'no blanket "accept any plan" switch');
  assert.doesNotMatch(raw['deploy-env.yml'] + raw['deploy.yml'], /accept-new-plan|REVIEWED:|reviewed-fingerprints/);
  const names = steps(apply).map((s) => s.name ?? '');
  assert.ok(names.findIndex((n) => /^review evidence/.test(n)) < names.findIndex((n) => /^apply in dependency order/.test(n)));
  const inputs = wf['deploy.yml'].on.workflow_dispatch.inputs;
  assert.deepEqual(Object.keys(inputs).sort(), ['allow-older', 'break-glass-reason', 'break-glass-stacks']);
  for (const [id, job] of stageJobs()) {
    assert.equal(job.with['break-glass-stacks'], "${{ inputs.break-glass-stacks || '' }}", id);
    assert.equal(job.with['break-glass-reason'], "${{ inputs.break-glass-reason || '' }}", id);
  }
  const gate = stepNamed(apply, /^promotion gate/);
  assert.equal(gate.with['break-glass-stacks'], '${{ inputs.break-glass-stacks }}', 'recorded on the deployment and in the summary');
  assert.equal(gate.with['break-glass-reason'], '${{ inputs.break-glass-reason }}');
  // checkov CKV_GHA_7 (dispatch inputs) is skipped only there, with a reason; no other skip anywhere.
  for (const f of files) {
    for (const m of raw[f].matchAll(/checkov:skip=([A-Z0-9_]+)(:?\s*(.*))/g)) {
      assert.equal(`${f}:${m[1]}`, 'deploy.yml:CKV_GHA_7', `${f}: unexpected checkov skip ${m[1]}`);
      assert.ok(m[3].length > 40, `${f}: the skip of ${m[1]} needs its reason`);
    }
  }
});

test('W5 / W6: latest-wins concurrency per environment; the gate trusts only the workflows\' deployments and refuses older commits', () => {
  const apply = wf['deploy-env.yml'].jobs.apply;
  assert.deepEqual(apply.concurrency, { group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
  const docs = fs.readFileSync(path.join(root, 'docs/delivery.md'), 'utf8');
  assert.match(docs, /latest wins/i, 'the docs say what GitHub does with pending runs');
  const gate = stepNamed(apply, /^promotion gate/);
  assert.equal(gate.with['trusted-creators'], 'github-actions[bot]');
  assert.equal(gate.with['allow-older'], '${{ inputs.allow-older }}');
  assert.equal(wf['deploy-env.yml'].on.workflow_call.inputs['allow-older'].default, false);
  for (const [id, job] of stageJobs()) assert.equal(job.with['allow-older'], '${{ inputs.allow-older || false }}', `${id}: only a manual run can allow an older commit`);
});

test('W10: no artifact upload in a deploy, drift or pull-request run can fail on a re-run', () => {
  for (const f of ['deploy.yml', 'deploy-env.yml', 'drift.yml', 'pr.yml']) {
    for (const [id, job] of jobs(f)) {
      for (const u of uploads(job)) {
        const unique = /github\.run_attempt/.test(u.with.name);
        assert.ok(u.with.overwrite === true || unique, `${f} ${id}: artifact ${u.with.name} needs overwrite: true or a per-attempt name`);
      }
    }
  }
});

test('issue 12 item 8: fresh credentials per stack, errored.tfstate kept as an artifact when an apply fails', () => {
  const apply = wf['deploy-env.yml'].jobs.apply;
  const step = stepNamed(apply, /^apply in dependency order/);
  assert.equal(step.env.AWS_ROLE_ARN, '${{ steps.target.outputs.role }}', 'lib.sh refresh_credentials re-assumes this role per stack');
  assert.equal(apply.permissions['id-token'], 'write');
  assert.equal(step.env.ERRORED_STATE_PUBLIC_KEY, '${{ vars.ERRORED_STATE_PUBLIC_KEY }}');
  const errored = uploads(apply).find((u) => /errored-state/.test(u.with.name));
  assert.ok(errored, 'an errored-state artifact');
  assert.equal(errored.if, 'failure()');
  assert.equal(errored.with.path.replace(/\/$/, ''), step.env.ERRORED_DIR);
  assert.match(fs.readFileSync(path.join(__dirname, 'apply-stacks.sh'), 'utf8'), /keep_errored_state/);
});

test('W4: drift plans each environment at its deployed commit; an errored plan reaches the issue', () => {
  const d = wf['drift.yml'];
  assert.match(steps(d.jobs.envs).find((s) => s.id === 'envs').run, /node \.github\/scripts\/deployed\.cjs "\$e"/);
  const job = d.jobs.drift;
  const checkout = steps(job).find((s) => s.with?.ref);
  assert.equal(checkout.with.ref, '${{ matrix.sha }}', 'the deployed commit is checked out');
  const synth = steps(job).find((s) => /npm run synth/.test(s.run ?? ''));
  assert.equal(synth['working-directory'], checkout.with.path, 'and its stacks synthesized');
  assert.equal(steps(job).find((s) => s.id === 'stacks').with.manifest, `${checkout.with.path}/cdktf.out`);
  assert.equal(steps(job).find((s) => /plan-stacks\.sh/.test(s.run ?? '')).env.IMAGE_TAG, '${{ matrix.sha }}');
  const report = steps(job).find((s) => s.uses === './apps/actions/drift-report');
  assert.equal(report.with.outcome, 'plans/outcome-${{ matrix.env }}.txt', 'errored plans keep the issue open');
  assert.equal(report.with.commit, '${{ matrix.sha }}');
  assert.match(report.if, /always\(\)/, 'reported also when a plan failed');
});

test('runners come from the environment (apply: runsOn; plan and drift: planRunsOn; default ubuntu-24.04); self-hosted labels are declared for actionlint', () => {
  assert.match(wf['deploy-env.yml'].jobs.apply['runs-on'], /fromJSON\(inputs\.targets\)\[inputs\.environment\]\.runsOn \|\| fromJSON\('\["ubuntu-24\.04"\]'\)/);
  for (const [f, id] of [['pr.yml', 'plan'], ['drift.yml', 'drift']]) assert.equal(wf[f].jobs[id]['runs-on'], '${{ matrix.runsOn }}', `${f} ${id}`);
  assert.match(raw['deploy.yml'], /runsOn: \(\.runsOn \/\/ \["ubuntu-24\.04"\]\)/);
  // The plan jobs' matrices never take the apply runners' labels (a plan job runs pull-request code).
  assert.doesNotMatch(raw['pr.yml'] + raw['drift.yml'], /\.runsOn \/\//);
  const lint = YAML.parse(fs.readFileSync(path.join(root, '.github/actionlint.yaml'), 'utf8'));
  assert.ok(lint['self-hosted-runner'].labels.length > 0);
});

test('no workflow names an environment or a layer: they come from bootstrap --describe and the affected-stacks matrix', () => {
  const envs = fs.readdirSync(path.join(root, 'environments')).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).map((f) => f.slice(0, -5));
  // The one layer list: libs/config/src/naming.ts (LAYERS).
  const layers = JSON.parse(/export const LAYERS = (\[[^\]]*\])/.exec(fs.readFileSync(path.join(root, 'libs/config/src/naming.ts'), 'utf8'))[1].replace(/'/g, '"'));
  assert.ok(envs.length >= 3 && layers.length >= 8);
  const names = new RegExp(`(^|[^A-Za-z0-9_./-])(${[...envs, ...layers].join('|')})($|[^A-Za-z0-9_/-])`);
  const found = [];
  const walk = (value, at) => {
    if (typeof value === 'string') {
      if (names.test(value)) found.push(`${at}: ${value.split('\n').find((l) => names.test(l)).trim()}`);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (k !== 'description' && k !== 'name') walk(v, `${at}.${k}`); // human text may give examples
    }
  };
  for (const f of files) walk(wf[f], f);
  assert.deepEqual(found, []);
});

test('deploy.yml has a stage job for every environment file; the build job refuses more environments than stages', () => {
  const envs = fs.readdirSync(path.join(root, 'environments')).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'));
  const stages = stageJobs();
  assert.ok(envs.length <= stages.length, `${envs.length} environment files but only ${stages.length} stage jobs in deploy.yml: add stage-${stages.length + 1}`);
  const targets = stepNamed(wf['deploy.yml'].jobs.build, /^accounts, regions/);
  assert.equal(Number(targets.env.STAGES), stages.length, 'STAGES is the number of stage jobs');
  const describe = (n) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ env: `e${i}`, account: '1', region: 'r' })));
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-describe-'));
  // `node apps/infra/bin/platform.js bootstrap --describe` replaced by a stub printing n environments
  const at = (n) => runStep({ run: targets.run.replace('node apps/infra/bin/platform.js bootstrap --describe', `cat ${bin}/d.json`) }, (fs.writeFileSync(path.join(bin, 'd.json'), describe(n)), { STAGES: targets.env.STAGES }));
  assert.equal(at(stages.length).status, 0);
  assert.deepEqual(JSON.parse(at(stages.length).outputs.environments), Array.from({ length: stages.length }, (_, i) => `e${i}`));
  const over = at(stages.length + 1);
  assert.notEqual(over.status, 0);
  assert.match(over.stdout, /environment files but only \d+ stage jobs/);
});

test('whoever reads the deployed commit (deployed.cjs) may read the runs that prove a deployment\'s provenance', () => {
  let n = 0;
  for (const f of files) {
    for (const [id, job] of jobs(f)) {
      if (!steps(job).some((s) => /deployed\.cjs/.test(s.run ?? ''))) continue;
      n++;
      assert.equal(job.permissions.deployments, 'read', `${f} ${id}`);
      assert.equal(job.permissions.actions, 'read', `${f} ${id}: GET /actions/runs/{id} needs actions: read`);
    }
  }
  assert.ok(n >= 2);
});

test('no job holding id-token: write runs a dependency\'s install scripts (npm ci / npm install without --ignore-scripts)', () => {
  const installs = [];
  for (const f of files) {
    for (const [id, job] of jobs(f)) {
      if (job.permissions?.['id-token'] !== 'write') continue;
      for (const s of steps(job)) {
        for (const line of String(s.run ?? '').split('\n')) {
          if (!/\bnpm\s+(ci|install|i|add)\b/.test(line)) continue;
          installs.push(`${f} ${id}`);
          assert.match(line, /--ignore-scripts\b/, `${f} ${id}: ${line.trim()}`);
        }
      }
    }
  }
  assert.ok(installs.includes('deploy-env.yml apply') && installs.includes('drift.yml drift'), installs.join(', '));
});

test('release: Node 24 (npm >= 11.5.1 for trusted publishing), repository set before packing, dist-tag from the version, re-runs skip what is published', () => {
  const { build, publish } = wf['release.yml'].jobs;
  const node = steps(publish).find((s) => String(s.uses ?? '').startsWith('actions/setup-node@'));
  assert.ok(Number(node.with['node-version']) >= 24, 'Node 22 ships npm 10: trusted publishing needs npm 11.5.1');
  const check = stepNamed(publish, /^npm supports trusted publishing/);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-npm-'));
  const npmAt = (v) => (fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho ${v}\n`, { mode: 0o755 }), { PATH: `${bin}:${process.env.PATH}` });
  assert.equal(runStep(check, npmAt('11.6.2')).status, 0);
  assert.equal(runStep(check, npmAt('11.5.1')).status, 0);
  assert.notEqual(runStep(check, npmAt('11.5.0')).status, 0);
  assert.notEqual(runStep(check, npmAt('10.9.2')).status, 0);
  // repository.url from GitHub's context, written into every package before npm pack (E422 without it)
  const pack = stepNamed(build, /^pack the tarballs/);
  assert.equal(pack.env.REPO_URL, 'git+${{ github.server_url }}/${{ github.repository }}.git');
  assert.match(pack.run, /npm pkg set repository\.type=git "repository\.url=\$REPO_URL" "repository\.directory=\$dir" && npm pack/);
  // publish: a fake npm records what it is asked; `npm view` knows the published versions
  const pub = steps(publish).find((s) => /npm publish/.test(s.run ?? ''));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-'));
  fs.mkdirSync(path.join(dir, 'packed'));
  for (const name of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, name, 'package'), { recursive: true });
    fs.writeFileSync(path.join(dir, name, 'package/package.json'), JSON.stringify({ name: `@awp/${name}`, version: 'VERSION' }));
  }
  const log = path.join(dir, 'npm.log');
  const publishAs = (version, published) => {
    for (const name of ['a', 'b']) {
      fs.writeFileSync(path.join(dir, name, 'package/package.json'), JSON.stringify({ name: `@awp/${name}`, version }));
      spawnSync('tar', ['-czf', path.join(dir, 'packed', `awp-${name}.tgz`), '-C', path.join(dir, name), 'package']);
    }
    fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$*" >>${log}\nif [ "$1" = view ]; then case " ${published.join(' ')} " in *" $2 "*) echo "\${2##*@}";; *) echo "npm error code E404" >&2; exit 1;; esac; fi\n`, { mode: 0o755 });
    fs.writeFileSync(log, '');
    const r = spawnSync('bash', ['-eo', 'pipefail', '-c', `cd ${dir} && ${pub.run}`], { env: { PATH: `${bin}:${process.env.PATH}`, VERSION: version, DRY_RUN: 'false' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('publish'));
  };
  assert.deepEqual(publishAs('1.2.0', []), ['publish packed/awp-a.tgz --access public --tag latest --ignore-scripts', 'publish packed/awp-b.tgz --access public --tag latest --ignore-scripts']);
  assert.deepEqual(publishAs('1.3.0-rc.1', []).map((l) => l.split(' --tag ')[1]), ['rc --ignore-scripts', 'rc --ignore-scripts'], 'a prerelease never becomes latest');
  assert.deepEqual(publishAs('1.2.1', ['@awp/a@1.2.1']), ['publish packed/awp-b.tgz --access public --tag latest --ignore-scripts'], 'a re-run skips what the registry has');
});

test('docs: the GitHub settings the release workflow cannot enforce itself', () => {
  const docs = fs.readFileSync(path.join(root, 'docs/delivery.md'), 'utf8');
  assert.match(docs, /tag ruleset[^\n]*`v\*`/i, 'only release managers create v* tags');
  assert.match(docs, /`release`[^\n]*required reviewers/i);
  assert.match(docs, /`NPM_TOKEN`[^\n]*`release` environment secret[^\n]*never a repository secret/i);
});

test('the api image outlives a late prod approval (30 days); the docs say what happens after, how prod waits, and the first deploy', () => {
  const image = uploads(wf['deploy.yml'].jobs.build).find((u) => u.with.name === 'api-image');
  assert.ok(image.with['retention-days'] >= 30, `api-image kept ${image.with['retention-days']} days`);
  const synth = uploads(wf['deploy.yml'].jobs.build).find((u) => u.with.name === 'synth');
  assert.ok(synth.with['retention-days'] >= image.with['retention-days'], 'synth lives as long as the image');
  const docs = fs.readFileSync(path.join(root, 'docs/delivery.md'), 'utf8');
  assert.match(docs, /`api-image` artifact is kept \*\*30 days\*\*/);
  assert.match(docs, /After it expires/);
  assert.match(docs, /approve or reject/i, 'a waiting prod run holds its concurrency group');
  assert.match(docs, /\[docs\/first-deploy\.md\]\(first-deploy\.md\)/, 'the first deploy of an empty account is break-glass');
  assert.ok(fs.existsSync(path.join(root, 'docs/first-deploy.md')));
});

test('every job that runs the tests installs Terraform first (the journeys and the delegation test run a real CLI), and PRs run the self-contained check', () => {
  let n = 0;
  for (const f of files) {
    for (const [id, job] of jobs(f)) {
      const all = steps(job);
      const runsTests = all.findIndex((s) => /nx (affected|run-many)\b[^\n]*-t [^\n]*\btest\b|npm test\b/.test(s.run ?? ''));
      if (runsTests < 0) continue;
      n++;
      const tf = all.findIndex((s) => /^hashicorp\/setup-terraform@/.test(s.uses ?? '') || /^opentofu\/setup-opentofu@/.test(s.uses ?? ''));
      assert.ok(tf >= 0 && tf < runsTests, `${f} ${id}: installs no Terraform before it runs the tests`);
    }
  }
  assert.ok(n >= 1, 'no job runs the tests');
  assert.ok(steps(wf['pr.yml'].jobs.verify).some((s) => /\.ci\/checks\/05-self-contained\.sh/.test(s.run ?? '')), 'pr.yml verify does not run the self-contained check');
});

test('docs: the merge queue settings — one pull request per group (merge limits, not build concurrency) and a status check timeout that outlasts the longest pr.yml chain', () => {
  const doc = fs.readFileSync(path.join(root, 'docs/delivery.md'), 'utf8').replace(/\s+/g, ' ');
  assert.match(doc, /\*Maximum pull requests to merge\* = 1/);
  assert.doesNotMatch(doc, /\*Maximum pull requests to build\* = 1/, 'build concurrency is not the group size');
  // the longest needs-chain of timeouts ending in `required` (the one check the queue waits for)
  const pr = wf['pr.yml'].jobs;
  const longest = (id) => (pr[id]['timeout-minutes'] ?? 360) + Math.max(0, ...[].concat(pr[id].needs ?? []).map(longest));
  const documented = Number(doc.match(/\*Status check timeout\* of \*\*at least (\d+) minutes\*\*/)?.[1]);
  assert.ok(documented >= longest('required'), `docs say ${documented} minutes, the jobs may take ${longest('required')}`);
  assert.equal(longest('required'), 90);
});

test('drift.yml runs only from main (the plan role trusts ref:refs/heads/main): every planning job is conditioned on it, and another branch gets one clear error', () => {
  const d = wf['drift.yml'].jobs;
  const onMain = "github.ref == 'refs/heads/main'";
  for (const [id, job] of Object.entries(d).filter(([id]) => id !== 'main-only')) {
    assert.ok(String(job.if ?? '').startsWith(`${onMain} `) || job.if === onMain, `drift.yml ${id}: if must require ${onMain}, got ${job.if}`);
  }
  const guard = d['main-only'];
  assert.equal(guard.if, "github.ref != 'refs/heads/main'");
  assert.deepEqual(guard.permissions, {}, 'no token, no OIDC');
  assert.equal(guard.needs, undefined, 'runs without the other jobs');
  const r = runStep(steps(guard)[0], { REF: 'refs/heads/feature' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /::error::drift\.yml runs from main only \(the plan role trusts the subject ref:refs\/heads\/main\), not from refs\/heads\/feature/);
});
