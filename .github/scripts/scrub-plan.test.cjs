// node --test .github/scripts/ — the plan scrubber the scripts run (dist/scrub-plan.cjs, bundled from @awp/delivery's
// scrubPlanFile by apps/actions/shared/build.mjs) keeps what the reports read and nothing sensitive.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', 'tsconfig.base.json');
require('tsx/cjs');
const { readPlanFile, reviewItems, parseIgnoreRules } = require('../../libs/delivery/src/index.ts');

const SCRUB = path.join(__dirname, 'dist', 'scrub-plan.cjs');
const SENSITIVE = '(sensitive)';
const fixtures = path.resolve(__dirname, '../../libs/delivery/test/fixtures/plans');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'scrub-'));

/** Runs the bundle like plan-stacks.sh does; returns the parsed output (one plan) and the raw text. */
function scrub(dir, plan, name = 'in.json') {
  const input = path.join(dir, name);
  const output = path.join(dir, `${name}.out`);
  if (typeof plan !== 'string') fs.writeFileSync(input, JSON.stringify(plan));
  execFileSync(process.execPath, [SCRUB, typeof plan === 'string' ? plan : input, output]);
  const text = fs.readFileSync(output, 'utf8');
  return { out: JSON.parse(text), text, output };
}

test('masks values flagged in before_sensitive/after_sensitive and drops state and configuration', () => {
  const dir = tmp();
  try {
    const { out, text } = scrub(dir, path.join(fixtures, 'ovsds-sensitive-replace.plan.json'));
    const rc = out.resource_changes.find((r) => r.address === 'random_bytes.test');
    assert.equal(rc.change.before.base64, SENSITIVE);
    assert.equal(rc.change.before.hex, SENSITIVE);
    assert.equal(rc.change.before.length, 4);
    assert.deepEqual(rc.change.actions, ['delete', 'create']);
    assert.equal(out.configuration, undefined);
    assert.equal(out.prior_state?.values?.root_module, undefined);
    assert.ok(!text.includes('hxk5iA=='), 'the sensitive value must be gone');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('masks nested sensitive values and sensitive outputs, also where the legacy format flags them only in planned_values', () => {
  const dir = tmp();
  try {
    const plan = {
      format_version: '1.2',
      resource_changes: [
        { address: 'a.b', type: 'a', change: { actions: ['update'], before: { env: [{ name: 'X', value: 'old-secret' }] }, after: { env: [{ name: 'X', value: 'new-secret' }] }, before_sensitive: { env: [{ value: true }] }, after_sensitive: { env: [{ value: true }] } } },
      ],
      output_changes: { token: { actions: ['update'], before: 'tok-1', after: 'tok-2', before_sensitive: true, after_sensitive: true } },
      planned_values: { outputs: { token: { sensitive: true, value: 'tok-2' }, url: { sensitive: false, value: 'https://x' } }, root_module: { resources: [{ values: { password: 'p' } }] } },
    };
    const { out, text } = scrub(dir, plan);
    for (const secret of ['old-secret', 'new-secret', 'tok-1', 'tok-2', '"p"']) assert.ok(!text.includes(secret), `${secret} leaked`);
    assert.equal(out.resource_changes[0].change.after.env[0].name, 'X');
    assert.equal(out.planned_values.outputs.url.value, 'https://x');
    assert.equal(out.planned_values.outputs.token.sensitive, true);
    // Terraform 0.12–0.15: output_changes has no *_sensitive; the old scrubber left "bar" in clear here.
    const legacy = scrub(dir, path.join(fixtures, 'tfjson-no-changes.plan.json')).out;
    assert.equal(legacy.planned_values.outputs.foo.sensitive, true);
    assert.equal(legacy.output_changes.foo.after, SENSITIVE);
    assert.equal(legacy.output_changes.string.after, 'foo', 'non-sensitive outputs stay');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses a document that is not a plan, naming the file, and writes nothing; usage errors exit 2', () => {
  const dir = tmp();
  try {
    const input = path.join(dir, 'terraform.tfstate');
    const output = path.join(dir, 'out.json');
    fs.writeFileSync(input, JSON.stringify({ version: 4, lineage: 'x', serial: 1, resources: [] }));
    const r = spawnSync(process.execPath, [SCRUB, input, output], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /terraform\.tfstate: this is a Terraform state file/);
    assert.deepEqual(fs.readdirSync(dir), ['terraform.tfstate'], 'no output, no temporary file');
    assert.equal(spawnSync(process.execPath, [SCRUB, input], { encoding: 'utf8' }).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Every fixture that is a plan, with the bundle's output for it. */
function scrubAll(dir) {
  const out = [];
  for (const name of fs.readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort()) {
    const output = path.join(dir, name);
    const r = spawnSync(process.execPath, [SCRUB, path.join(fixtures, name), output], { encoding: 'utf8' });
    if (name === 'tfjson-invalid-corrupted.plan.json') {
      assert.equal(r.status, 1, 'the corrupted fixture is refused');
      continue;
    }
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    out.push({ name, original: path.join(fixtures, name), scrubbed: output });
  }
  return out;
}

test('scrubbing changes no fingerprint (every fixture)', () => {
  const dir = tmp();
  try {
    const files = scrubAll(dir);
    const fp = (list) => JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'plan-fingerprint.cjs'), ...list], { encoding: 'utf8' }));
    const before = fp(files.map((f) => f.original));
    const after = fp(files.map((f) => f.scrubbed));
    assert.ok(Object.keys(before).length >= 20, `compared ${Object.keys(before).length} plans`);
    assert.deepEqual(after, before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// scrub-plan.baseline.json: the fingerprint and review items (without and with .github/review-ignore.json) of every
// fixture as the previous scrubber (.github/scripts/scrub-plan.cjs, replaced by the bundle) wrote it. Review evidence
// made before the change must still match plans scrubbed after it, and the other way round.
test('fingerprints and review evidence are the same as from the previous scrubber (every fixture)', () => {
  const baseline = JSON.parse(fs.readFileSync(path.join(__dirname, 'scrub-plan.baseline.json'), 'utf8'));
  const rulesFile = path.join(__dirname, '..', 'review-ignore.json');
  const rules = parseIgnoreRules(JSON.parse(fs.readFileSync(rulesFile, 'utf8')), rulesFile);
  const dir = tmp();
  try {
    const fp = (files) => JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'plan-fingerprint.cjs'), ...files], { encoding: 'utf8' }));
    // the multi-document fixture is not in the baseline: the previous scrubber could not read it
    const files = scrubAll(dir).filter((f) => baseline[f.name]);
    const fingerprints = fp(files.map((f) => f.scrubbed));
    const seen = [];
    for (const { name, scrubbed } of files) {
      const [plan] = readPlanFile(scrubbed);
      const stack = name.replace(/\.json$/, '').replace(/\.plan$/, '');
      assert.deepEqual(
        { fingerprint: fingerprints[stack], items: reviewItems(plan).map((i) => i.hash), itemsIgnoring: reviewItems(plan, rules).map((i) => i.hash) },
        baseline[name],
        name,
      );
      seen.push(name);
    }
    assert.deepEqual(seen, Object.keys(baseline).sort(), 'every fixture of the baseline was compared');
    assert.ok(seen.length >= 20);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
