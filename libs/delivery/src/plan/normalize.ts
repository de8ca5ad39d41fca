import { PlanParseError } from './errors';
import type { PlanDeferredChange, PlanOutputChange, PlanResourceChange, TerraformPlan } from './types';

/**
 * Checks that a parsed JSON document is a plan and keeps only what the report reads. Liberal in what it accepts:
 * a field that some format version (0.1 … 1.2) or a trimmed file leaves out never fails the report — an address is
 * derived from module/mode/type/name/index, a type from the address, unknown actions are carried through — and
 * exact about what it refuses: a document that is something else (a state file, `terraform validate -json`, a
 * `terraform plan -json` log line) gets a message saying what it is and what to run instead.
 */

export interface NormalizeOptions {
  /**
   * What to do with a plan Terraform marked `errored: true` (planning stopped on an error; the changes listed are
   * incomplete and it cannot be applied). 'reject' (default) throws {@link PlanParseError}; 'accept' returns it,
   * and the summary says `incomplete` — never "no changes".
   */
  errored?: 'reject' | 'accept';
}

const RUN_SHOW = 'run `terraform show -json <planfile>` (or `tofu show -json <planfile>`) and pass its output';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** Keys that only a plan has (Terraform always writes planned_values; the rest appear when there is something). */
const PLAN_KEYS = ['planned_values', 'resource_changes', 'resource_drift', 'output_changes', 'deferred_changes', 'action_invocations'];

/** What a JSON document that is not a plan is, with what to do instead; undefined when it looks like a plan. */
export function describeNotAPlan(value: unknown): string | undefined {
  if (Array.isArray(value)) return `not a Terraform plan: the file holds a JSON array, not the object \`terraform show -json\` writes: ${RUN_SHOW}`;
  if (!isObject(value)) return `not a Terraform plan: the file holds a JSON ${value === null ? 'null' : typeof value}, not an object: ${RUN_SHOW}`;
  if ('@level' in value || '@message' in value) {
    return 'this is the machine-readable log of `terraform plan -json` (one JSON message per line), not a plan: save the plan with `terraform plan -out=tfplan`, then run `terraform show -json tfplan`';
  }
  if (PLAN_KEYS.some((k) => k in value)) return undefined;
  if ('valid' in value && 'diagnostics' in value) return `this is the output of \`terraform validate -json\`, not a plan: ${RUN_SHOW}`;
  if ('lineage' in value || ('serial' in value && 'resources' in value)) return `this is a Terraform state file (terraform.tfstate), not a plan: ${RUN_SHOW}`;
  if ('values' in value && 'format_version' in value) {
    return `this is \`terraform show -json\` of the current state (no planfile was given), not a plan: ${RUN_SHOW}`;
  }
  if ('provider_schemas' in value) return `this is \`terraform providers schema -json\` output, not a plan: ${RUN_SHOW}`;
  // A plan of an empty configuration with no state still has errored/applyable/complete (Terraform ≥ 1.2).
  if ('format_version' in value && ('errored' in value || 'applyable' in value || 'complete' in value)) return undefined;
  const keys = Object.keys(value).slice(0, 8);
  return `not a Terraform plan: none of ${PLAN_KEYS.map((k) => `"${k}"`).join(', ')}${keys.length ? ` (top-level keys: ${keys.join(', ')})` : ' (an empty object)'}: ${RUN_SHOW}`;
}

function indexText(index: unknown): string {
  if (typeof index === 'number') return `[${index}]`;
  if (typeof index === 'string') return `[${JSON.stringify(index)}]`;
  return '';
}

/**
 * The address Terraform would print for a resource instance, from its parts: `module.a["x"].data.t.n[0]`.
 * Undefined when type or name is missing.
 */
export function deriveAddress(rc: Record<string, unknown>): string | undefined {
  const type = str(rc.type);
  const name = str(rc.name);
  if (!type || !name) return undefined;
  const module = str(rc.module_address);
  const data = rc.mode === 'data' ? 'data.' : '';
  return `${module ? `${module}.` : ''}${data}${type}.${name}${rc.index_unknown === true ? '[*]' : indexText(rc.index)}`;
}

/** The resource type from an address (`module.m[0].data.aws_iam_policy_document.x["k"]` → `aws_iam_policy_document`). */
export function typeFromAddress(address: string): string | undefined {
  // Drop module prefixes (with their keys), then an optional `data.`; what is left starts with `<type>.<name>`.
  const rest = address.replace(/^(module\.[^.[]+(\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?\.)+/, '').replace(/^data\./, '');
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)\./.exec(rest);
  return m ? m[1] : undefined;
}

function fail(file: string, where: string, detail: string): never {
  throw new PlanParseError(file, `${where}${detail}`);
}

/** Normalizes one resource change (resource_changes, resource_drift, deferred_changes[].resource_change). */
function normalizeResourceChange(rc: unknown, file: string, where: string, at: string): PlanResourceChange {
  if (!isObject(rc)) return fail(file, where, `${at} must be an object, got ${Array.isArray(rc) ? 'an array' : String(rc)}`);
  const address = str(rc.address) || deriveAddress(rc);
  if (!address) return fail(file, where, `${at} has no "address" and no "type"/"name" to derive one from`);
  const change = rc.change;
  if (!isObject(change)) return fail(file, where, `${at} (${address}) has no "change" object`);
  const actions = change.actions;
  if (!Array.isArray(actions) || actions.length === 0) return fail(file, where, `${at} (${address}): "change.actions" must be a non-empty array`);
  if (actions.some((a) => typeof a !== 'string')) return fail(file, where, `${at} (${address}): "change.actions" must hold strings, got ${JSON.stringify(actions).slice(0, 80)}`);
  const importing = isObject(change.importing) ? (change.importing as PlanResourceChange['change']['importing']) : undefined;
  return {
    address,
    previous_address: str(rc.previous_address) || undefined,
    module_address: str(rc.module_address),
    mode: str(rc.mode),
    type: str(rc.type) || typeFromAddress(address) || 'unknown',
    name: str(rc.name),
    index: rc.index,
    deposed: str(rc.deposed) || undefined,
    action_reason: str(rc.action_reason) || undefined,
    change: {
      actions: actions as string[],
      before: change.before,
      after: change.after,
      after_unknown: change.after_unknown,
      before_sensitive: change.before_sensitive,
      after_sensitive: change.after_sensitive,
      replace_paths: Array.isArray(change.replace_paths) ? (change.replace_paths.filter(Array.isArray) as unknown[][]) : undefined,
      importing,
    },
  };
}

function list(value: Record<string, unknown>, key: string, file: string, where: string): unknown[] {
  const v = value[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail(file, where, `"${key}" must be an array, got ${typeof v}`);
  return v;
}

function outputsSensitivity(v: unknown): Record<string, { sensitive?: boolean; value?: unknown }> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, { sensitive?: boolean; value?: unknown }> = {};
  for (const [name, o] of Object.entries(v)) if (isObject(o)) out[name] = { sensitive: bool(o.sensitive), value: o.value };
  return out;
}

/** Major format versions this report reads; Terraform bumps the major version only for incompatible changes. */
const SUPPORTED_MAJOR = new Set(['0', '1']);

/**
 * Checks that a parsed JSON value is a plan and returns the normalized plan; throws {@link PlanParseError}
 * naming the file (and `docLabel`, e.g. "document 2", for files of several plans) with what to do.
 */
export function normalizePlan(value: unknown, file: string, docLabel = '', opts: NormalizeOptions = {}): TerraformPlan {
  const where = docLabel ? `${docLabel}: ` : '';
  const notPlan = describeNotAPlan(value);
  if (notPlan) return fail(file, where, notPlan);
  const doc = value as Record<string, unknown>;
  const formatVersion = typeof doc.format_version === 'number' ? String(doc.format_version) : str(doc.format_version);
  if (formatVersion !== undefined && !SUPPORTED_MAJOR.has(formatVersion.split('.')[0])) {
    return fail(file, where, `plan format_version "${formatVersion}" is newer than this report reads (0.x and 1.x): upgrade @awp/delivery`);
  }
  if (doc.errored === true && opts.errored !== 'accept') {
    return fail(
      file,
      where,
      'the plan errored ("errored": true): Terraform stopped planning on an error, so the changes in it are incomplete and it cannot be applied; fix the errors `terraform plan` printed and plan again',
    );
  }
  const resourceChanges = list(doc, 'resource_changes', file, where).map((rc, i) => normalizeResourceChange(rc, file, where, `resource_changes[${i}]`));
  const resourceDrift = list(doc, 'resource_drift', file, where).map((rc, i) => normalizeResourceChange(rc, file, where, `resource_drift[${i}]`));
  const deferred: PlanDeferredChange[] = list(doc, 'deferred_changes', file, where).map((d, i) => {
    const at = `deferred_changes[${i}]`;
    if (!isObject(d)) return fail(file, where, `${at} must be an object`);
    return { reason: str(d.reason) ?? 'unknown', resource_change: normalizeResourceChange(d.resource_change, file, where, `${at}.resource_change`) };
  });
  const invocations = list(doc, 'action_invocations', file, where).map((a, i) => {
    const o = isObject(a) ? a : {};
    const address = str(o.address) || str(o.action_address) || (str(o.type) && str(o.name) ? `action.${str(o.type)}.${str(o.name)}` : `action_invocations[${i}]`);
    return { address };
  });
  let outputChanges: Record<string, PlanOutputChange> | undefined;
  if (doc.output_changes !== undefined && doc.output_changes !== null) {
    if (!isObject(doc.output_changes)) return fail(file, where, `"output_changes" must be an object, got ${Array.isArray(doc.output_changes) ? 'an array' : typeof doc.output_changes}`);
    outputChanges = {};
    for (const [name, oc] of Object.entries(doc.output_changes)) {
      if (!isObject(oc) || !Array.isArray(oc.actions) || oc.actions.length === 0 || oc.actions.some((a) => typeof a !== 'string')) {
        return fail(file, where, `output_changes.${name}: "actions" must be a non-empty array of strings`);
      }
      outputChanges[name] = {
        actions: oc.actions as string[],
        before: oc.before,
        after: oc.after,
        after_unknown: oc.after_unknown,
        before_sensitive: oc.before_sensitive,
        after_sensitive: oc.after_sensitive,
      };
    }
  }
  const planned = isObject(doc.planned_values) ? outputsSensitivity(doc.planned_values.outputs) : undefined;
  const priorValues = isObject(doc.prior_state) && isObject(doc.prior_state.values) ? outputsSensitivity(doc.prior_state.values.outputs) : undefined;
  return {
    format_version: formatVersion,
    terraform_version: str(doc.terraform_version),
    resource_changes: resourceChanges,
    resource_drift: resourceDrift,
    deferred_changes: deferred,
    action_invocations: invocations,
    output_changes: outputChanges,
    planned_values: planned ? { outputs: planned } : undefined,
    prior_state: priorValues ? { values: { outputs: priorValues } } : undefined,
    errored: bool(doc.errored),
    applyable: bool(doc.applyable),
    complete: bool(doc.complete),
  };
}
