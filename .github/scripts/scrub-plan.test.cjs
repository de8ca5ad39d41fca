// node --test .github/scripts/ — the plan scrubber keeps what the reports read and nothing sensitive.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { scrubPlan, SENSITIVE } = require('./scrub-plan.cjs');

const fixtures = path.resolve(__dirname, '../../libs/delivery/test/fixtures/plans');
const single = (name) => {
  const text = fs.readFileSync(path.join(fixtures, name), 'utf8');
  return JSON.parse(text);
};

test('masks values flagged in before_sensitive/after_sensitive and drops state and configuration', () => {
  const plan = single('ovsds-sensitive-replace.plan.json');
  const out = scrubPlan(plan);
  const rc = out.resource_changes.find((r) => r.address === 'random_bytes.test');
  assert.equal(rc.change.before.base64, SENSITIVE);
  assert.equal(rc.change.before.hex, SENSITIVE);
  assert.equal(rc.change.before.length, 4);
  assert.deepEqual(rc.change.actions, ['delete', 'create']);
  assert.equal(out.configuration, undefined);
  assert.equal(out.prior_state.values.resources, undefined);
  assert.ok(!JSON.stringify(out).includes('hxk5iA=='), 'the sensitive value must be gone');
});

test('masks nested sensitive values and sensitive outputs', () => {
  const plan = {
    format_version: '1.2',
    resource_changes: [
      { address: 'a.b', type: 'a', change: { actions: ['update'], before: { env: [{ name: 'X', value: 'old-secret' }] }, after: { env: [{ name: 'X', value: 'new-secret' }] }, before_sensitive: { env: [{ value: true }] }, after_sensitive: { env: [{ value: true }] } } },
    ],
    output_changes: { token: { actions: ['update'], before: 'tok-1', after: 'tok-2', before_sensitive: true, after_sensitive: true } },
    planned_values: { outputs: { token: { sensitive: true, value: 'tok-2' }, url: { sensitive: false, value: 'https://x' } }, root_module: { resources: [{ values: { password: 'p' } }] } },
  };
  const out = scrubPlan(plan);
  const text = JSON.stringify(out);
  for (const secret of ['old-secret', 'new-secret', 'tok-1', 'tok-2', '"p"']) assert.ok(!text.includes(secret), `${secret} leaked`);
  assert.equal(out.resource_changes[0].change.after.env[0].name, 'X');
  assert.equal(out.planned_values.outputs.url.value, 'https://x');
  assert.equal(out.planned_values.outputs.token.sensitive, true);
});

test('refuses a document that is not a plan', () => {
  assert.throws(() => scrubPlan({ version: 4, resources: [] }), /not a plan/);
});

test('scrubbing changes no fingerprint (every fixture)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scrub-'));
  try {
    const originals = [];
    for (const name of fs.readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
      let plan;
      try {
        plan = JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8'));
      } catch {
        continue; // the corrupted and multi-document fixtures are for the parser, not for this
      }
      if (typeof plan.format_version !== 'string') continue;
      fs.writeFileSync(path.join(dir, name), JSON.stringify(scrubPlan(plan)));
      originals.push(path.join(fixtures, name));
    }
    const fp = (files) => JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'plan-fingerprint.cjs'), ...files], { encoding: 'utf8' }));
    const before = fp(originals);
    const after = fp(originals.map((f) => path.join(dir, path.basename(f))));
    assert.ok(Object.keys(before).length >= 5, `compared ${Object.keys(before).length} fixtures`);
    assert.deepEqual(after, before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
