/**
 * Scrubbing a plan before it leaves the job (uploaded as an artifact that every reader of the repository can
 * download): `terraform show -json` prints sensitive values in clear text and only flags them in `*_sensitive`.
 *
 * The scrubbed plan is the normalized plan ({@link normalizePlan}: exactly what the reports, the fingerprint and the
 * review check read — no `configuration`, no `prior_state` resources, no `planned_values` resources, no variables,
 * no action `config_values`) with every value marked sensitive replaced by {@link SENSITIVE}. Fingerprints and
 * review items are the same as the unscrubbed plan's: they enter sensitive values only as that marker.
 *
 * Values the schema does not mark sensitive stay, also under names that usually hold secrets (`environment`,
 * `content`, …): the fingerprint and the review check hash them, so masking them here would let a changed
 * environment variable pass as reviewed; Terraform prints them in the job log's plan output anyway. Reports still
 * never print them: {@link displayValue} masks them when rendering.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { child, SENSITIVE } from './mask';
import { readPlanFile } from './read';
import type { PlanChange, PlanOutputChange, PlanResourceChange, TerraformPlan } from './types';

/** `value` with every part that `mask` (a `*_sensitive` structure: `true`, or objects/arrays holding `true`) marks replaced by {@link SENSITIVE}. */
export function scrubValue(value: unknown, mask: unknown): unknown {
  if (mask === true) return value === null || value === undefined ? value : SENSITIVE;
  if (typeof mask !== 'object' || mask === null || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v, i) => scrubValue(v, child(mask, String(i))));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, child(mask, k))]));
}

function scrubChange<C extends PlanChange | PlanOutputChange>(change: C, sensitive = false): C {
  const before = sensitive ? true : change.before_sensitive;
  const after = sensitive ? true : change.after_sensitive;
  return { ...change, before: scrubValue(change.before, before), after: scrubValue(change.after, after) };
}

const scrubResourceChange = (rc: PlanResourceChange): PlanResourceChange => ({ ...rc, change: scrubChange(rc.change) });

type Outputs = Record<string, { sensitive?: boolean; value?: unknown }>;

/**
 * Outputs declared sensitive: flagged in planned values or prior state, or wholly in output_changes. The legacy
 * format (0.x, Terraform 0.12–0.15) flags them only in planned_values and writes the clear value in output_changes.
 */
function sensitiveOutputs(plan: TerraformPlan): Set<string> {
  const names = new Set<string>();
  for (const outputs of [plan.planned_values?.outputs, plan.prior_state?.values?.outputs]) {
    for (const [name, o] of Object.entries(outputs ?? {})) if (o.sensitive === true) names.add(name);
  }
  for (const [name, oc] of Object.entries(plan.output_changes ?? {})) if (oc.before_sensitive === true || oc.after_sensitive === true) names.add(name);
  return names;
}

/** Output values of planned values / prior state: a sensitive one keeps its flag and the marker. */
function scrubOutputs<O extends Outputs | undefined>(outputs: O, sensitive: Set<string>): O {
  if (!outputs) return outputs;
  return Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, sensitive.has(name) ? { ...o, value: scrubValue(o.value, true) } : o])) as O;
}

/** A normalized plan (from {@link readPlanFile} / {@link normalizePlan}) with every sensitive value replaced by {@link SENSITIVE}. */
export function scrubPlan(plan: TerraformPlan): TerraformPlan {
  const outputs = sensitiveOutputs(plan);
  return {
    ...plan,
    resource_changes: plan.resource_changes?.map(scrubResourceChange),
    resource_drift: plan.resource_drift?.map(scrubResourceChange),
    deferred_changes: plan.deferred_changes?.map((d) => ({ ...d, resource_change: scrubResourceChange(d.resource_change) })),
    output_changes: plan.output_changes && Object.fromEntries(Object.entries(plan.output_changes).map(([name, oc]) => [name, scrubChange(oc, outputs.has(name))])),
    planned_values: plan.planned_values && { outputs: scrubOutputs(plan.planned_values.outputs, outputs) },
    prior_state: plan.prior_state && { values: plan.prior_state.values && { outputs: scrubOutputs(plan.prior_state.values.outputs, outputs) } },
  };
}

/**
 * Reads the plan file `input` (any encoding {@link readPlanFile} reads; an errored plan is scrubbed too), writes the
 * scrubbed plan(s) to `output` as JSON (one document per line) and returns them. The output is written whole or
 * not at all; a bad input throws a `PlanParseError` naming it, a failed write an error naming `output`.
 */
export function scrubPlanFile(input: string, output: string): TerraformPlan[] {
  const plans = readPlanFile(input, { errored: 'accept' }).map(scrubPlan);
  const tmp = `${output}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, plans.map((p) => `${JSON.stringify(p)}\n`).join(''), { mode: 0o600 });
    renameSync(tmp, output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`${output}: cannot write the scrubbed plan (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return plans;
}
