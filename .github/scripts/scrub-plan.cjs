#!/usr/bin/env node
// Usage: scrub-plan.cjs <in.json> <out.json>
// `terraform show -json` prints sensitive values in clear text (only flagged in *_sensitive). Plans are uploaded
// as artifacts that every reader of the repository can download, so before upload this keeps only what the
// plan-report / drift-report actions read (resource_changes, resource_drift, output_changes, output flags) and
// replaces every value marked sensitive with "(sensitive)". Fingerprints are unaffected: they enter sensitive
// values only as a marker (libs/delivery planFingerprint).
'use strict';
const fs = require('node:fs');

const SENSITIVE = '(sensitive)';

/** Replaces the parts of `value` that `mask` (a *_sensitive structure) marks true. */
function scrub(value, mask) {
  if (mask === true) return value === null || value === undefined ? value : SENSITIVE;
  if (mask === null || typeof mask !== 'object' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => scrub(v, Array.isArray(mask) ? mask[i] : undefined));
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, mask[k]);
  return out;
}

function scrubChange(change) {
  if (!change || typeof change !== 'object') return change;
  return { ...change, before: scrub(change.before, change.before_sensitive), after: scrub(change.after, change.after_sensitive) };
}

function scrubOutputs(outputs) {
  if (!outputs || typeof outputs !== 'object') return outputs;
  return Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, o && o.sensitive ? { ...o, value: SENSITIVE } : o]));
}

function scrubPlan(plan) {
  if (!plan || typeof plan !== 'object' || typeof plan.format_version !== 'string') throw new Error('not a plan: expected the output of `terraform show -json <planfile>`');
  const out = {};
  for (const key of ['format_version', 'terraform_version', 'applyable', 'complete', 'errored', 'timestamp']) if (key in plan) out[key] = plan[key];
  if (plan.resource_changes) out.resource_changes = plan.resource_changes.map((rc) => ({ ...rc, change: scrubChange(rc.change) }));
  if (plan.resource_drift) out.resource_drift = plan.resource_drift.map((rc) => ({ ...rc, change: scrubChange(rc.change) }));
  if (plan.output_changes) out.output_changes = Object.fromEntries(Object.entries(plan.output_changes).map(([name, oc]) => [name, scrubChange(oc)]));
  // Only the outputs' sensitivity flags (and non-sensitive values) of planned values and prior state are kept.
  out.planned_values = { outputs: scrubOutputs(plan.planned_values && plan.planned_values.outputs) || {} };
  if (plan.prior_state && plan.prior_state.values) out.prior_state = { values: { outputs: scrubOutputs(plan.prior_state.values.outputs) || {} } };
  return out;
}

module.exports = { scrubPlan, SENSITIVE };

if (require.main === module) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: scrub-plan.cjs <in.json> <out.json>');
    process.exit(2);
  }
  let plan;
  try {
    plan = JSON.parse(fs.readFileSync(input, 'utf8'));
  } catch (err) {
    console.error(`${input}: ${err.message}`);
    process.exit(1);
  }
  try {
    fs.writeFileSync(output, `${JSON.stringify(scrubPlan(plan))}\n`);
  } catch (err) {
    console.error(`${input}: ${err.message}`);
    process.exit(1);
  }
}
