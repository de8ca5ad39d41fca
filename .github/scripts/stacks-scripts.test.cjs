// node --test .github/scripts/ — plan-stacks.sh and apply-stacks.sh against a fake terraform binary that plays
// back per-stack plan exit codes and plan JSON, and records every call; review evidence is made with the same
// library functions the plan-report action uses (reviewItems), so the apply's check sees what a review would.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', 'tsconfig.base.json');
require('tsx/cjs');
const { readPlanFile, reviewItems, parseIgnoreRules } = require('../../libs/delivery/src/index.ts');
const { READS_BEYOND_OUTPUTS } = require('../../libs/config/src/naming.ts');

const here = __dirname;
// Every call is appended to DIR/calls and, with the stack name, to $FAKE_LOG (one ordered log of the whole run).
const FAKE_TF = `#!/usr/bin/env bash
dir=\${1#-chdir=}; shift
cmd=$1; shift
echo "$cmd $*" >>"$dir/calls"
echo "$(basename "$dir") $cmd" >>"\${FAKE_LOG:-/dev/null}"
case $cmd in
  init) exit 0 ;;
  plan)
    code=$(cat "$dir/plan-exit" 2>/dev/null || echo 0)
    if [ "$code" = 1 ]; then printf 'Planning…\n\nError: Invalid value for input variable\n\n  on main.tf line 3: image %s not found\n' "$(basename "$dir")"; exit 1; fi
    echo planned >"$dir/tfplan"; exit "$code" ;;
  show) cat "$dir/plan.json" ;;
  apply)
    [ -f "$dir/tfplan" ] || exit 3
    if [ -f "$dir/apply-fails" ]; then echo '{"version":4,"resources":["secret-state"]}' >"$dir/errored.tfstate"; echo "Error: saving state"; exit 1; fi
    exit 0 ;;
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

/** A plan with one update (tags, a sensitive token, and on workloads the image digest) or, for exit 0, none. */
function plan(layer, { changes, digest = 'sha256:aaa', tag = '2', outputsChange = changes } = {}) {
  const address = `aws_thing.${layer}`;
  const image = layer === 'workloads' ? { image: `111111111111.dkr.ecr.eu-west-1.amazonaws.com/dev-api@${digest}` } : {};
  const before = { tags: { a: '1' }, token: 'old', ...image };
  const after = changes ? { tags: { a: tag }, token: `s3cr3t-${layer}`, ...image } : before;
  return {
    format_version: '1.2',
    terraform_version: '1.11.4',
    resource_changes: [
      {
        address,
        type: 'aws_thing',
        name: layer,
        mode: 'managed',
        change: { actions: [changes ? 'update' : 'no-op'], before, after, after_unknown: {}, before_sensitive: { token: true }, after_sensitive: { token: true } },
      },
    ],
    // what the stacks after it read (terraform_remote_state): one output, changed or not
    output_changes: { [`${layer}_id`]: { actions: [outputsChange ? 'update' : 'no-op'], before: 'id-1', after: outputsChange ? 'id-2' : 'id-1', after_unknown: false, before_sensitive: false, after_sensitive: false } },
    configuration: { secret_everywhere: `s3cr3t-${layer}` },
  };
}

const stackDir = (w, layer) => path.join(w.dir, 'cdktf.out', 'stacks', `dev-${layer}`);

/**
 * A workspace with one stack folder per layer; `exits` maps layer → plan exit code (0 none, 2 changes, 1 error).
 * workloads declares the variable image_tag in its cdk.tf.json and cluster has the ecr_repository_url output, as
 * the synthesized stacks do.
 */
function setup(exits, { resourceOnly = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stacks-'));
  const bin = path.join(dir, 'terraform');
  fs.writeFileSync(bin, FAKE_TF, { mode: 0o755 });
  const include = Object.entries(LAYERS).map(([layer, deps]) => {
    const sd = path.join(dir, 'cdktf.out', 'stacks', `dev-${layer}`);
    fs.mkdirSync(sd, { recursive: true });
    fs.writeFileSync(path.join(sd, 'plan-exit'), String(exits[layer] ?? 0));
    fs.writeFileSync(path.join(sd, 'plan.json'), JSON.stringify(plan(layer, { changes: exits[layer] === 2, outputsChange: exits[layer] === 2 && !resourceOnly.includes(layer) })));
    const tfjson = { terraform: {}, resource: {} };
    if (layer === 'workloads') tfjson.variable = { image_tag: { type: 'string' } };
    if (layer === 'cluster') tfjson.output = { ecr_repository_url: { value: '${aws_ecr_repository.api.repository_url}' } };
    fs.writeFileSync(path.join(sd, 'cdk.tf.json'), JSON.stringify(tfjson));
    // as @awp/delivery writes the matrix: the needs read beyond their outputs (workloads → cluster)
    const waitOnAnyChange = deps.filter((d) => (READS_BEYOND_OUTPUTS[layer] ?? []).includes(d)).map((d) => `dev-${d}`);
    return { stack: `dev-${layer}`, env: 'dev', layer, dir: sd, needs: deps.map((d) => `dev-${d}`), waitOnAnyChange };
  });
  // another environment's entries must be ignored
  include.push({ stack: 'prod-network', env: 'prod', layer: 'network', dir: path.join(dir, 'nope'), needs: [] });
  const w = { dir, bin, stacks: JSON.stringify({ include }), log: path.join(dir, 'run.log'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  w.calls = (layer) => {
    const f = path.join(stackDir(w, layer), 'calls');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n') : [];
  };
  w.runLog = () => (fs.existsSync(w.log) ? fs.readFileSync(w.log, 'utf8').trim().split('\n') : []);
  return w;
}

/**
 * Review evidence as the merge-queue run writes it (plan-report evidence-dir): the item hashes of each stack's
 * plan, scrubbed the same way. `plans` maps layer → plan JSON that was reviewed.
 */
function writeEvidence(w, plans, { ignore } = {}) {
  const dir = path.join(w.dir, 'evidence');
  fs.mkdirSync(dir, { recursive: true });
  const rules = ignore ? parseIgnoreRules(JSON.parse(fs.readFileSync(ignore, 'utf8')), ignore) : [];
  const stacks = {};
  for (const [layer, p] of Object.entries(plans)) {
    const raw = path.join(w.dir, `reviewed-${layer}.raw.json`);
    const scrubbed = path.join(w.dir, `reviewed-${layer}.plan.json`);
    fs.writeFileSync(raw, JSON.stringify(p));
    execFileSync(process.execPath, [path.join(here, 'dist', 'scrub-plan.cjs'), raw, scrubbed]);
    stacks[`dev-${layer}`] = { status: 'planned', items: reviewItems(readPlanFile(scrubbed)[0], rules).map((i) => i.hash) };
  }
  fs.writeFileSync(path.join(dir, `${'a'.repeat(40)}-review-dev.json`), JSON.stringify({ version: 1, env: 'dev', head: 'a'.repeat(40), stacks }));
  return dir;
}

function runScript(script, w, env) {
  const summary = path.join(w.dir, 'summary.md');
  const r = spawnSync('bash', [path.join(here, script)], {
    env: { ...process.env, GITHUB_STEP_SUMMARY: summary, FAKE_LOG: w.log, STACKS: w.stacks, ENV_NAME: 'dev', TF_BIN: w.bin, PLAN_DIR: path.join(w.dir, 'plans'), ...env },
    encoding: 'utf8',
  });
  return { ...r, summary: fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8') : '', outcome: () => JSON.parse(fs.readFileSync(path.join(w.dir, 'plans', 'outcome-dev.txt'), 'utf8')) };
}

const APPLY = 'apply -input=false -no-color -lock-timeout=10m tfplan';
const applied = (w) => Object.keys(LAYERS).filter((l) => w.calls(l).includes(APPLY));

test('plan, pr mode: dependency order; a stack whose upstream changes an output waits for it; outcome file; image_tag only where declared', () => {
  const w = setup({ data: 2 });
  try {
    const planDir = path.join(w.dir, 'plans');
    const r = runScript('plan-stacks.sh', w, { MODE: 'pr', IMAGE_TAG: 'deployed-sha' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(planDir).sort(), ['dev-cluster.plan.json', 'dev-data.plan.json', 'dev-network.plan.json', 'outcome-dev.txt']);
    assert.deepEqual(r.outcome(), {
      env: 'dev',
      planned: ['dev-network', 'dev-data', 'dev-cluster'],
      waiting: { 'dev-edge': ['dev-data'], 'dev-workloads': ['dev-data', 'dev-edge'], 'dev-observability': ['dev-data', 'dev-edge', 'dev-workloads'] },
      failed: {},
      blocked: {},
    });
    assert.deepEqual(w.calls('edge'), [], 'a waiting stack is not even initialised');
    assert.deepEqual(w.runLog().filter((l) => l.endsWith(' plan')), ['dev-network plan', 'dev-data plan', 'dev-cluster plan']);
    assert.match(r.stdout, /::notice title=dev-edge::waits for dev-data/);
    assert.match(r.summary, /\| `dev-edge` \| waits for dev-data \|/);
    assert.match(r.summary, /\| `dev-data` \| changes \|/);
    const data = fs.readFileSync(path.join(planDir, 'dev-data.plan.json'), 'utf8');
    assert.ok(!data.includes('s3cr3t'), 'sensitive values are scrubbed before upload');
    assert.ok(!fs.existsSync(path.join(stackDir(w, 'data'), 'tfplan')), 'binary plan removed');
    assert.match(w.calls('data').find((c) => c.startsWith('plan')), /-detailed-exitcode -out=tfplan$/);
    // read-only plans take no state lock: a cancelled PR run must never leave one that blocks an apply
    for (const layer of ['network', 'data', 'cluster']) {
      const plan = w.calls(layer).find((c) => c.startsWith('plan'));
      assert.match(plan, / -lock=false /, `${layer}: ${plan}`);
      assert.doesNotMatch(plan, /-lock-timeout/);
    }
    assert.ok(!w.calls('cluster').find((c) => c.startsWith('plan')).includes('image_tag'), 'no -var for a stack without the variable');
  } finally {
    w.cleanup();
  }
});

test('plan, pr mode: an upstream whose changes leave every output as it is (no-op output_changes) makes only the stacks that read more than its outputs wait (waitOnAnyChange)', () => {
  const w = setup({ data: 2 }, { resourceOnly: ['data'] });
  try {
    const r = runScript('plan-stacks.sh', w, { MODE: 'pr', IMAGE_TAG: 'deployed-sha' });
    assert.equal(r.status, 0, r.stderr);
    const o = r.outcome();
    assert.deepEqual(o.planned, ['dev-network', 'dev-data', 'dev-cluster', 'dev-edge', 'dev-workloads', 'dev-observability']);
    assert.deepEqual(o.waiting, {});
    assert.match(r.summary, /\| `dev-data` \| changes \(no output changes\) \|/);
    // the stacks that read data were planned before its changes apply: the outcome (→ the comment) and the summary say so
    assert.deepEqual(o.ahead, { 'dev-edge': ['dev-data'], 'dev-workloads': ['dev-data'], 'dev-observability': ['dev-data'] });
    assert.match(r.summary, /\| `dev-edge` \| no changes \(planned before dev-data applies\) \|/);
    assert.match(r.summary, /\| `dev-cluster` \| no changes \|/);
    assert.doesNotMatch(r.stdout, /waits for/);
  } finally {
    w.cleanup();
  }
  // …except for a stack that reads more of it than its outputs (waitOnAnyChange): workloads waits for any cluster
  // change (its providers reach the cluster through access entries the cluster stack manages); edge, reading only
  // data's outputs, does not wait for data
  const c = setup({ cluster: 2, data: 2 }, { resourceOnly: ['cluster', 'data'] });
  try {
    assert.deepEqual(JSON.parse(c.stacks).include.find((e) => e.stack === 'dev-workloads').waitOnAnyChange, ['dev-cluster']);
    const r = runScript('plan-stacks.sh', c, { MODE: 'pr' });
    assert.equal(r.status, 0, r.stderr);
    const o = r.outcome();
    assert.deepEqual(o.planned, ['dev-network', 'dev-data', 'dev-cluster', 'dev-edge']);
    assert.deepEqual(o.waiting, { 'dev-workloads': ['dev-cluster'], 'dev-observability': ['dev-workloads'] });
    assert.match(r.stdout, /::notice title=dev-workloads::waits for dev-cluster/);
  } finally {
    c.cleanup();
  }
  // an entry without waitOnAnyChange (a matrix from before it) waits on output changes only
  const legacy = setup({ cluster: 2 }, { resourceOnly: ['cluster'] });
  try {
    const m = JSON.parse(legacy.stacks);
    for (const e of m.include) delete e.waitOnAnyChange;
    const r = runScript('plan-stacks.sh', { ...legacy, stacks: JSON.stringify(m) }, { MODE: 'pr', IMAGE_TAG: 'deployed-sha' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.outcome().waiting, {});
  } finally {
    legacy.cleanup();
  }
  // an output that is unknown until apply (a replaced resource) or removed counts as a change: the stacks after it wait
  for (const actions of [['update'], ['delete'], ['create']]) {
    const v = setup({ data: 2 }, { resourceOnly: ['data'] });
    try {
      const f = path.join(stackDir(v, 'data'), 'plan.json');
      const p = JSON.parse(fs.readFileSync(f, 'utf8'));
      p.output_changes.data_id = { actions, before: actions[0] === 'create' ? null : 'id-1', after: actions[0] === 'delete' ? null : null, after_unknown: actions[0] === 'update', before_sensitive: false, after_sensitive: false };
      fs.writeFileSync(f, JSON.stringify(p));
      const r = runScript('plan-stacks.sh', v, { MODE: 'pr' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.outcome().waiting['dev-edge'], ['dev-data'], `output ${actions}`);
    } finally {
      v.cleanup();
    }
  }
  // a replaced or deleted resource makes the stacks after it wait even when every output stays no-op (an output of
  // a configured name, e.g. a log group's, is no-op when its resource is replaced; real terraform 1.11 shows that)
  for (const actions of [['delete', 'create'], ['create', 'delete'], ['delete']]) {
    const v = setup({ data: 2 }, { resourceOnly: ['data'] });
    try {
      const f = path.join(stackDir(v, 'data'), 'plan.json');
      const p = JSON.parse(fs.readFileSync(f, 'utf8'));
      p.resource_changes[0].change.actions = actions;
      fs.writeFileSync(f, JSON.stringify(p));
      const r = runScript('plan-stacks.sh', v, { MODE: 'pr' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(Object.values(p.output_changes).map((o) => o.actions), [['no-op']]);
      assert.deepEqual(r.outcome().waiting['dev-edge'], ['dev-data'], `resource ${actions}`);
    } finally {
      v.cleanup();
    }
  }
  // a plan without output_changes: unchanged only when the stack declares no output (terraform leaves the key out
  // then); cluster declares ecr_repository_url, so a cluster plan without the key fails closed and workloads (which
  // reads cluster's outputs only here: the matrix has no waitOnAnyChange) waits; data declares none, so edge
  // is planned; a stack whose cdk.tf.json cannot be read counts as changed
  for (const [layer, declares, unreadable] of [['cluster', true, false], ['data', false, false], ['data', false, true]]) {
    const v = setup({ [layer]: 2 }, { resourceOnly: [layer] });
    try {
      const f = path.join(stackDir(v, layer), 'plan.json');
      const p = JSON.parse(fs.readFileSync(f, 'utf8'));
      delete p.output_changes;
      fs.writeFileSync(f, JSON.stringify(p));
      if (unreadable) fs.writeFileSync(path.join(stackDir(v, layer), 'cdk.tf.json'), '{not json');
      const m = JSON.parse(v.stacks);
      for (const e of m.include) delete e.waitOnAnyChange;
      const r = runScript('plan-stacks.sh', { ...v, stacks: JSON.stringify(m) }, { MODE: 'pr', IMAGE_TAG: 'deployed-sha' });
      const reader = layer === 'cluster' ? 'dev-workloads' : 'dev-edge';
      if (unreadable) {
        // its own init/plan read the config through the fake terraform, which ignores it: only the output rule sees it
        assert.deepEqual(r.outcome().waiting[reader], [`dev-${layer}`], `${layer}: unreadable cdk.tf.json`);
      } else if (declares) {
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.outcome().waiting[reader], [`dev-${layer}`], `${layer} declares an output`);
        assert.match(r.summary, new RegExp(`\\| \`dev-${layer}\` \\| changes \\|`));
      } else {
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.outcome().waiting[reader], undefined, `${layer} declares no output`);
        assert.ok(r.outcome().planned.includes(reader));
      }
    } finally {
      v.cleanup();
    }
  }
});

test('plan, pr mode with PR_SKIP_LAYERS (pull_request): the skipped layer is not touched, noted as planned in the merge queue, and the stacks after it are planned, not waiting', () => {
  const w = setup({});
  try {
    const r = runScript('plan-stacks.sh', w, { MODE: 'pr', IMAGE_TAG: 'deployed-sha', PR_SKIP_LAYERS: 'cluster' });
    assert.equal(r.status, 0, r.stderr);
    const note = 'cluster: planned in the merge queue (the pull-request role cannot read its secrets)';
    assert.deepEqual(r.outcome(), {
      env: 'dev',
      // downstream stacks read no skipped layer's state (workloads looks the issuer up): waiting for the merge
      // queue would leave workloads unreviewed on every pull request and fail the merge-queue comparison
      planned: ['dev-network', 'dev-data', 'dev-edge', 'dev-workloads', 'dev-observability'],
      waiting: {},
      failed: {},
      blocked: {},
      skipped: { 'dev-cluster': note },
    });
    assert.ok(w.calls('workloads').some((c) => c.startsWith('plan')), 'the stack after the skipped one is planned');
    assert.deepEqual(w.calls('cluster'), [], 'not even initialised: its state is never read with the pull-request role');
    assert.match(r.summary, /\| `dev-cluster` \| cluster: planned in the merge queue \(the pull-request role cannot read its secrets\) \|/);
    // without PR_SKIP_LAYERS (the merge queue) the layer is planned and the outcome has no "skipped"
    const w2 = setup({});
    try {
      const all = runScript('plan-stacks.sh', w2, { MODE: 'pr', IMAGE_TAG: 'deployed-sha', PR_SKIP_LAYERS: '' });
      assert.equal(all.status, 0, all.stderr);
      assert.deepEqual(all.outcome().planned, Object.keys(LAYERS).map((l) => `dev-${l}`));
      assert.equal(all.outcome().skipped, undefined);
    } finally {
      w2.cleanup();
    }
  } finally {
    w.cleanup();
  }
});

test('plan, drift mode: every stack planned, -var image_tag only for the stack declaring it; a failed plan is recorded with its error, downstream stacks blocked by it, exit 1 after the others', () => {
  const w = setup({ data: 2, cluster: 1 });
  try {
    const r = runScript('plan-stacks.sh', w, { MODE: 'drift', IMAGE_TAG: 'deployed-sha' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /plan failed for: dev-cluster/);
    const o = r.outcome();
    assert.deepEqual(o.planned, ['dev-network', 'dev-data', 'dev-edge'], 'drift plans the stacks after a changed one (nothing waits)');
    for (const layer of ['network', 'data', 'edge']) assert.match(w.calls(layer).find((c) => c.startsWith('plan')), / -lock=false /, `drift ${layer}: no state lock`);
    assert.deepEqual(Object.keys(o.failed), ['dev-cluster']);
    assert.match(o.failed['dev-cluster'], /^Error: Invalid value for input variable\n\n  on main\.tf line 3: image dev-cluster not found/, 'the excerpt starts at the error');
    assert.ok(!o.failed['dev-cluster'].includes('Planning'), 'log lines before the error are left out');
    assert.deepEqual(o.blocked, { 'dev-workloads': ['dev-cluster'], 'dev-observability': ['dev-cluster', 'dev-workloads'] });
    assert.deepEqual(o.waiting, {});
    assert.deepEqual(w.calls('workloads'), [], 'a blocked stack is not planned');
    assert.match(r.summary, /\| `dev-cluster` \| \*\*plan failed\*\* \|/);
    assert.match(r.summary, /\| `dev-workloads` \| blocked by dev-cluster \(plan failed\) \|/);
    assert.ok(!fs.existsSync(path.join(w.dir, 'plans', 'dev-cluster.log')), 'logs are not left in the artifact folder');
  } finally {
    w.cleanup();
  }
});

test('plan: a stack declaring image_tag gets -var image_tag=IMAGE_TAG; without IMAGE_TAG drift refuses to plan it and a pull request notes it as not planned', () => {
  const w = setup({});
  try {
    const r = runScript('plan-stacks.sh', w, { MODE: 'drift', IMAGE_TAG: 'deployed-sha' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(w.calls('workloads').find((c) => c.startsWith('plan')), /-var image_tag=deployed-sha/);
    const w2 = setup({});
    try {
      const r2 = runScript('plan-stacks.sh', w2, { MODE: 'drift', IMAGE_TAG: '' });
      assert.equal(r2.status, 1);
      assert.match(r2.outcome().failed['dev-workloads'], /^Error: IMAGE_TAG is required: .*dev-workloads declares the variable image_tag/);
      assert.deepEqual(w2.calls('workloads'), [], 'not planned without its variable');
    } finally {
      w2.cleanup();
    }
    // a pull request before the environment's first successful deploy (no image yet): the stack is noted, not failed
    // (the fix for a failed first deploy must be able to land), and the stacks after it wait for it
    const w3 = setup({});
    try {
      const r3 = runScript('plan-stacks.sh', w3, { MODE: 'pr', IMAGE_TAG: '' });
      assert.equal(r3.status, 0, r3.stderr);
      const o = r3.outcome();
      assert.deepEqual(o.failed, {});
      assert.deepEqual(o.skipped, { 'dev-workloads': "workloads: not planned: no image is deployed in dev yet (the deploy plans it with the commit's image; docs/first-deploy.md)" });
      assert.deepEqual(o.waiting, { 'dev-observability': ['dev-workloads'] });
      assert.deepEqual(o.planned, ['dev-network', 'dev-data', 'dev-cluster', 'dev-edge']);
      assert.deepEqual(w3.calls('workloads'), []);
    } finally {
      w3.cleanup();
    }
  } finally {
    w.cleanup();
  }
});

test('apply: applies the reviewed plans (two phases: upstream applied, then the stacks that waited planned, checked and applied); no-change stacks are not applied', () => {
  const w = setup({ network: 2, workloads: 2 });
  try {
    const evidence = writeEvidence(w, { network: plan('network', { changes: true }), workloads: plan('workloads', { changes: true }) });
    const r = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: evidence });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(applied(w), ['network', 'workloads']);
    assert.match(r.summary, /\| `dev-network` \| applied \(all 1 change reviewed\) \|/);
    assert.match(r.summary, /\| `dev-workloads` \| applied \(all 1 change reviewed\) \|/);
    assert.match(r.summary, /\| `dev-data` \| no changes \|/);
    // phase 1 plans only network (everything else reads it); the rest is planned after network is applied
    const log = w.runLog();
    assert.deepEqual(log.slice(0, 3), ['dev-network init', 'dev-network plan', 'dev-network show']);
    assert.ok(log.indexOf('dev-network apply') < log.indexOf('dev-data plan'));
    assert.ok(log.indexOf('dev-workloads apply') < log.indexOf('dev-observability plan'));
    assert.match(r.stdout, /no IMAGE_ARCHIVE: image push skipped/);
  } finally {
    w.cleanup();
  }
});

test('apply: refuses a change that was never reviewed, in any stack (workloads too), before anything is applied; names the stacks and what to do', () => {
  const w = setup({ data: 2, cluster: 2 });
  try {
    // data was reviewed with another tag value; cluster was not reviewed at all
    const evidence = writeEvidence(w, { data: plan('data', { changes: true, tag: '3' }) });
    const r = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: evidence });
    assert.equal(r.status, 1);
    assert.deepEqual(applied(w), [], 'no environment half-applied');
    assert.match(r.stdout, /::error title=dev-data::refusing to apply: 1 change\(s\) never reviewed — aws_thing\.data \(update\); the reviewed plan differs/);
    assert.match(r.stdout, /::error title=dev-cluster::refusing to apply: 1 change\(s\) never reviewed — aws_thing\.cluster \(update\); no reviewed plan covers this stack/);
    assert.match(r.stdout, /::error::nothing was applied to dev: dev-data dev-cluster would apply changes never reviewed\. .*break-glass-stacks/);
    assert.match(r.summary, /\| `dev-cluster` \| \*\*refused\*\*/);
  } finally {
    w.cleanup();
  }
  const w2 = setup({ workloads: 2 });
  try {
    const r = runScript('apply-stacks.sh', w2, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: path.join(w2.dir, 'no-evidence') });
    assert.equal(r.status, 1, 'missing evidence is no review, never a skipped check');
    assert.deepEqual(applied(w2), []);
    assert.match(r.stdout, /::error title=dev-workloads::refusing to apply/);
  } finally {
    w2.cleanup();
  }
});

test('apply: ignores only the named attribute (the image digest); any other difference in the same resource is refused', () => {
  const w = setup({ workloads: 2 });
  try {
    const rules = path.join(w.dir, 'ignore.json');
    fs.writeFileSync(rules, JSON.stringify({ ignore: [{ type: 'aws_thing', path: ['image'], pattern: '@sha256:', why: 'the deploy pins the image it pushed' }] }));
    const current = plan('workloads', { changes: true, digest: 'sha256:bbb' });
    fs.writeFileSync(path.join(stackDir(w, 'workloads'), 'plan.json'), JSON.stringify(current));
    const evidence = writeEvidence(w, { workloads: plan('workloads', { changes: true, digest: 'sha256:aaa' }) }, { ignore: rules });
    const ok = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: evidence, IGNORE_RULES: rules });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.deepEqual(applied(w), ['workloads']);
    // Without the rule the digest alone makes the change unreviewed.
    const w2 = setup({ workloads: 2 });
    try {
      fs.writeFileSync(path.join(stackDir(w2, 'workloads'), 'plan.json'), JSON.stringify(current));
      const ev2 = writeEvidence(w2, { workloads: plan('workloads', { changes: true, digest: 'sha256:aaa' }) });
      const refused = runScript('apply-stacks.sh', w2, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: ev2 });
      assert.equal(refused.status, 1);
      assert.deepEqual(applied(w2), []);
    } finally {
      w2.cleanup();
    }
    // With the rule, a different tag (not the ignored attribute) is still refused.
    const w3 = setup({ workloads: 2 });
    try {
      fs.writeFileSync(path.join(stackDir(w3, 'workloads'), 'plan.json'), JSON.stringify(plan('workloads', { changes: true, digest: 'sha256:bbb', tag: '9' })));
      const ev3 = writeEvidence(w3, { workloads: plan('workloads', { changes: true, digest: 'sha256:aaa' }) }, { ignore: rules });
      const refused = runScript('apply-stacks.sh', w3, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: ev3, IGNORE_RULES: rules });
      assert.equal(refused.status, 1);
      assert.deepEqual(applied(w3), []);
    } finally {
      w3.cleanup();
    }
  } finally {
    w.cleanup();
  }
});

test('apply: break-glass applies the unreviewed changes of the named stacks only, and says so', () => {
  const w = setup({ data: 2, cluster: 2 });
  try {
    const evidence = path.join(w.dir, 'empty-evidence');
    fs.mkdirSync(evidence);
    const one = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: evidence, BREAK_GLASS: 'dev-data' });
    assert.equal(one.status, 1, 'dev-cluster is not named: still refused');
    assert.deepEqual(applied(w), []);
    const both = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: evidence, BREAK_GLASS: 'dev-data,dev-cluster' });
    assert.equal(both.status, 0, both.stdout + both.stderr);
    assert.deepEqual(applied(w), ['data', 'cluster']);
    assert.match(both.summary, /\| `dev-data` \| applied \(break-glass: 1 unreviewed change\(s\) applied by explicit request — aws_thing\.data \(update\)\) \|/);
  } finally {
    w.cleanup();
  }
});

test('apply: a failed apply keeps errored.tfstate (copied out of the stack folder, never left for the next run) and stops', () => {
  const w = setup({ network: 2, data: 2 });
  try {
    fs.writeFileSync(path.join(stackDir(w, 'network'), 'apply-fails'), '');
    const evidence = writeEvidence(w, { network: plan('network', { changes: true }), data: plan('data', { changes: true }) });
    const errored = path.join(w.dir, 'errored-state');
    const r = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: evidence, ERRORED_DIR: errored });
    assert.equal(r.status, 1);
    assert.ok(!fs.existsSync(path.join(stackDir(w, 'network'), 'errored.tfstate')));
    assert.equal(fs.readFileSync(path.join(errored, 'dev-network.errored.tfstate'), 'utf8'), '{"version":4,"resources":["secret-state"]}\n');
    assert.match(r.stdout, /::error title=dev-network::apply failed: errored\.tfstate kept in .*dev-network\.errored\.tfstate/);
    assert.deepEqual(w.calls('data'), [], 'nothing after the failed stack runs');
    assert.match(r.summary, /\| `dev-network` \| \*\*apply failed\*\* \|/);
  } finally {
    w.cleanup();
  }
});

test('apply: with ERRORED_STATE_PUBLIC_KEY the errored state is kept only encrypted, and the private key recovers it', () => {
  const w = setup({ network: 2 });
  try {
    fs.writeFileSync(path.join(stackDir(w, 'network'), 'apply-fails'), '');
    const priv = path.join(w.dir, 'key.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', priv], { stdio: 'ignore' });
    const pub = execFileSync('openssl', ['pkey', '-in', priv, '-pubout'], { encoding: 'utf8' });
    const errored = path.join(w.dir, 'errored-state');
    const evidence = writeEvidence(w, { network: plan('network', { changes: true }) });
    const r = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', EVIDENCE_DIR: evidence, ERRORED_DIR: errored, ERRORED_STATE_PUBLIC_KEY: pub });
    assert.equal(r.status, 1);
    assert.deepEqual(fs.readdirSync(errored).sort(), ['dev-network.errored.tfstate.enc', 'dev-network.key.enc']);
    assert.ok(!fs.readFileSync(path.join(errored, 'dev-network.errored.tfstate.enc')).includes('secret-state'));
    const key = execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', priv, '-pkeyopt', 'rsa_padding_mode:oaep', '-in', path.join(errored, 'dev-network.key.enc')], { encoding: 'utf8' });
    const state = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-pbkdf2', '-pass', `pass:${key}`, '-in', path.join(errored, 'dev-network.errored.tfstate.enc')], { encoding: 'utf8' });
    assert.match(state, /secret-state/);
  } finally {
    w.cleanup();
  }
});

/** Fake `aws` and `docker` on PATH that log their calls to the run log; `inEcr` makes describe-images find the tag. */
function fakeCli(w, { inEcr }) {
  const bin = path.join(w.dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'aws'), `#!/usr/bin/env bash\necho "aws $*" >>"${w.log}"\ncase "$2" in describe-images) exit ${inEcr ? 0 : 254} ;; get-login-password) echo pw ;; esac\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'docker'), `#!/usr/bin/env bash\necho "docker $*" >>"${w.log}"\ncat >/dev/null 2>&1 || true\n[ "$1" = load ] && echo "Loaded image: awp-api:sha1"\nexit 0\n`, { mode: 0o755 });
  return `${bin}:${process.env.PATH}`;
}

test('apply: pushes the commit image to the repository the cluster stack outputs, after cluster and before the stack that declares image_tag is planned', () => {
  const w = setup({ cluster: 2 });
  try {
    const PATH = fakeCli(w, { inEcr: false });
    const archive = path.join(w.dir, 'api-image.tar.gz');
    fs.writeFileSync(archive, 'image');
    const evidence = writeEvidence(w, { cluster: plan('cluster', { changes: true }) });
    const r = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', IMAGE_ARCHIVE: archive, AWS_REGION: 'eu-west-1', PATH, EVIDENCE_DIR: evidence });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const log = w.runLog();
    assert.ok(log.includes('aws ecr describe-images --region eu-west-1 --repository-name dev-api --image-ids imageTag=sha1'), log.join('\n'));
    assert.ok(log.includes('docker tag awp-api:sha1 111111111111.dkr.ecr.eu-west-1.amazonaws.com/dev-api:sha1'));
    const push = log.indexOf('docker push 111111111111.dkr.ecr.eu-west-1.amazonaws.com/dev-api:sha1');
    assert.ok(push > log.indexOf('dev-cluster apply'), 'pushed after the registry stack is applied');
    assert.ok(push < log.indexOf('dev-workloads plan'), 'pushed before the stack that uses the image is planned');
    assert.match(r.summary, /\| image \| pushed `111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/dev-api:sha1` \|/);
  } finally {
    w.cleanup();
  }
});

test('apply: an image already in ECR for this commit is kept (immutable tags), not pushed again', () => {
  const w = setup({});
  try {
    const PATH = fakeCli(w, { inEcr: true });
    const archive = path.join(w.dir, 'api-image.tar.gz');
    fs.writeFileSync(archive, 'image');
    const evidence = path.join(w.dir, 'empty');
    const r = runScript('apply-stacks.sh', w, { IMAGE_TAG: 'sha1', IMAGE_ARCHIVE: archive, AWS_REGION: 'eu-west-1', PATH, EVIDENCE_DIR: evidence });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!w.runLog().some((l) => l.startsWith('docker')), 'no docker call');
    assert.match(r.summary, /already in ECR/);
  } finally {
    w.cleanup();
  }
});

test('plan and apply: when show -json or the scrubber fails, no unscrubbed or half-written plan is left in the uploaded folder', () => {
  for (const script of ['plan-stacks.sh', 'apply-stacks.sh']) {
    const w = setup({ network: 2 });
    try {
      // `show -json` prints something the scrubber refuses, but with a secret in it: it must not reach PLAN_DIR.
      fs.writeFileSync(path.join(stackDir(w, 'network'), 'plan.json'), JSON.stringify({ values: { token: 's3cr3t-raw' } }));
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'));
      const r = runScript(script, w, { MODE: 'pr', IMAGE_TAG: 'x', RUNNER_TEMP: tmp, EVIDENCE_DIR: path.join(w.dir, 'no-evidence') });
      assert.notEqual(r.status, 0, `${script} must fail`);
      const planDir = path.join(w.dir, 'plans');
      const files = fs.existsSync(planDir) ? fs.readdirSync(planDir) : [];
      assert.deepEqual(files.filter((f) => /\.(raw|plan)\.json$/.test(f)), [], `${script} left ${files.join(', ')}`);
      for (const f of files) assert.doesNotMatch(fs.readFileSync(path.join(planDir, f), 'utf8'), /s3cr3t-raw/);
      assert.deepEqual(fs.readdirSync(tmp), [], `${script} left its raw plan in RUNNER_TEMP`);
      assert.match(r.stderr + r.stdout, /could not write the scrubbed plan/);
    } finally {
      w.cleanup();
    }
  }
});
