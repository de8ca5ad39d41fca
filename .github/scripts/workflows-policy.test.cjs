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

test('the four delivery workflows exist (plus the reusable per-environment deploy)', () => {
  assert.deepEqual(files.sort(), ['deploy-env.yml', 'deploy.yml', 'drift.yml', 'pr.yml', 'release.yml']);
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

test('deploy: dev → staging → prod, one non-cancelling concurrency group per environment', () => {
  const d = wf['deploy.yml'];
  assert.deepEqual(Object.keys(d.on).sort(), ['push', 'workflow_dispatch']);
  assert.deepEqual(d.on.push.branches, ['main']);
  assert.equal(d.jobs.dev.with.environment, 'dev');
  assert.equal(d.jobs.staging.with.environment, 'staging');
  assert.equal(d.jobs.prod.with.environment, 'prod');
  assert.ok(d.jobs.staging.needs.includes('dev'));
  assert.ok(d.jobs.prod.needs.includes('staging'));
  for (const env of ['dev', 'staging', 'prod']) assert.equal(d.jobs[env].uses, './.github/workflows/deploy-env.yml');
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
  const report = wf['pr.yml'].jobs.report;
  assert.equal(report.if, "always() && needs.verify.result == 'success'", 'the sticky comment is refreshed even when nothing is affected');
  const pr = steps(report).find((s) => s.uses === './apps/actions/plan-report');
  assert.equal(pr.with['allow-empty'], 'true');
  assert.equal(pr.with.waiting, '${{ steps.waits.outputs.json }}', 'waiting stacks appear in the comment');
  const drift = wf['drift.yml'];
  assert.ok(drift.on.schedule?.length === 1 && 'workflow_dispatch' in drift.on);
  assert.equal(steps(drift.jobs.drift).find((s) => /plan-stacks\.sh/.test(s.run ?? '')).env.MODE, 'drift');
  assert.equal(steps(drift.jobs.synth).find((s) => s.id === 'stacks').with.all, 'true');
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
  for (const p of ['/.github/', '/apps/actions/', '/.ci/']) assert.match(owners, new RegExp(`^${p.replace(/[./]/g, '\\$&')}\\s+@`, 'm'), p);
});
