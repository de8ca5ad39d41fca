import { createHash } from 'node:crypto';
import { child, containsSensitive, displayValue, SENSITIVE } from './mask';
import type { PlanAction, PlanResourceChange, TerraformPlan } from './types';
import { isStatefulType, type Risk } from './risk';

export type ChangeKind = 'create' | 'update' | 'delete' | 'replace';
export const CHANGE_KINDS: readonly ChangeKind[] = ['replace', 'delete', 'update', 'create'];

export interface AttributeChange {
  /** Top-level attribute name. */
  name: string;
  /** Display text, already masked. */
  before: string;
  after: string;
}

export interface ResourceChangeSummary {
  address: string;
  type: string;
  kind: ChangeKind;
  /** For replacements: Terraform's order (`create_before_destroy` gives create-then-delete). */
  replaceOrder?: 'delete-then-create' | 'create-then-delete';
  actionReason?: string;
  /** Deleting or replacing this type loses data: see {@link isStatefulType}. */
  stateful: boolean;
  /** Set when a `moved` block renamed the resource in the same plan. */
  previousAddress?: string;
  importing: boolean;
  deposed?: string;
  /** Changed attributes (updates and replacements), values masked; attributes that force replacement are marked. */
  attributes: AttributeChange[];
  replacePaths: string[];
}

export interface OutputChangeSummary {
  name: string;
  kind: ChangeKind;
  sensitive: boolean;
  /** Display text of the new value (create/update), masked; undefined for deletes. */
  after?: string;
  before?: string;
}

export interface StackSummary {
  name: string;
  /** The file the plan came from. */
  file?: string;
  terraformVersion?: string;
  create: number;
  update: number;
  delete: number;
  replace: number;
  /** Counted changes (create/update/delete/replace), replacements first. */
  changes: ResourceChangeSummary[];
  /** Resources renamed by `moved` blocks (with or without other changes). */
  moved: { from: string; to: string }[];
  /** Resources imported by `import` blocks. */
  imported: string[];
  /** Removed from state without being destroyed (`removed` blocks with `destroy = false`). */
  forgotten: string[];
  /** Data sources that are read during apply (not counted). */
  reads: string[];
  outputs: OutputChangeSummary[];
  /** Objects changed outside Terraform since the last apply (`resource_drift`), kept apart from planned changes. */
  drift: { address: string; actions: string; previousAddress?: string }[];
  /** Changes Terraform could not plan yet (deferred actions, Terraform ≥ 1.10): planned by a later run. */
  deferred: { address: string; actions: string; reason: string }[];
  /** Resource changes whose actions this report does not know (a newer Terraform?): shown as they are, never counted. */
  unknown: { address: string; actions: string }[];
  /** `action` blocks this plan invokes (Terraform ≥ 1.14). */
  invoked: string[];
  /** Deleted or replaced resources of stateful types. */
  destructive: string[];
  risk: Risk;
  /** sha256 over the planned resource changes, see {@link planFingerprint}. */
  fingerprint: string;
  /** True when the plan says it is incomplete (`complete: false`), errored, or has deferred changes. */
  incomplete: boolean;
}

/** Locale-independent ordering, so reports and fingerprints are identical on every machine. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameActions(actions: PlanAction[], expected: PlanAction[]): boolean {
  return actions.length === expected.length && actions.every((a, i) => a === expected[i]);
}

/** Action lists that are known and not counted: nothing changes (no-op), a data source read, removed from state only. */
const NOT_COUNTED: readonly PlanAction[][] = [['no-op'], ['read'], ['forget']];

/** True when the action list is one Terraform documents (counted or not); anything else is shown as unknown. */
export function isKnownActionList(actions: readonly PlanAction[]): boolean {
  return classifyActions(actions as PlanAction[]) !== undefined || NOT_COUNTED.some((k) => sameActions(actions as PlanAction[], k));
}

/** Classifies an action list; `undefined` for no-op, read and forget (not counted) and for unknown actions. */
export function classifyActions(actions: PlanAction[]): ChangeKind | undefined {
  if (sameActions(actions, ['create'])) return 'create';
  if (sameActions(actions, ['update'])) return 'update';
  if (sameActions(actions, ['delete'])) return 'delete';
  // Both orders are one replacement: delete-then-create (default) and create-then-delete (create_before_destroy).
  if (sameActions(actions, ['delete', 'create']) || sameActions(actions, ['create', 'delete'])) return 'replace';
  // ["create","forget"]: the new object is created and the old one only leaves the state (listed as forgotten too).
  if (sameActions(actions, ['create', 'forget'])) return 'create';
  return undefined;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function attributeChanges(rc: PlanResourceChange): AttributeChange[] {
  const before = asRecord(rc.change.before);
  const after = asRecord(rc.change.after);
  const unknown = rc.change.after_unknown;
  const names = [...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(asRecord(unknown))])].sort();
  const out: AttributeChange[] = [];
  for (const name of names) {
    const u = child(unknown, name);
    const isUnknown = containsSensitive(u); // any `true` inside after_unknown: (part of) the value is known after apply
    if (!isUnknown && deepEqual(before[name], after[name])) continue;
    if (!isUnknown && (before[name] === undefined || before[name] === null) && (after[name] === undefined || after[name] === null)) continue;
    out.push({
      name,
      before: displayValue({ value: before[name], attribute: name, resourceType: rc.type, sensitive: child(rc.change.before_sensitive, name) }),
      after: displayValue({
        value: after[name],
        attribute: name,
        resourceType: rc.type,
        sensitive: child(rc.change.after_sensitive, name),
        unknown: isUnknown ? true : undefined,
      }),
    });
  }
  return out;
}

function pathText(path: unknown[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Canonical JSON: object keys sorted, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The after value with unknown parts replaced by a marker and sensitive parts by another (never hashed in clear). */
function knownAfter(value: unknown, unknown: unknown, sensitive: unknown): unknown {
  if (unknown === true) return '(unknown)';
  if (sensitive === true) return SENSITIVE;
  if (Array.isArray(value)) return value.map((v, i) => knownAfter(v, child(unknown, String(i)), child(sensitive, String(i))));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = knownAfter(v, child(unknown, k), child(sensitive, k));
    for (const [k, u] of Object.entries(asRecord(unknown))) if (!(k in out) && u === true) out[k] = '(unknown)';
    return out;
  }
  return value;
}

/**
 * Fingerprint of what a plan would do, for "apply what was reviewed": sha256 over the resource changes sorted by
 * address, each as address + actions (+ previous address, import, deposed key) + the after values that are known
 * at plan time. No-ops and data-source reads are left out (they do not change anything); sensitive values enter
 * only as a marker, so the fingerprint cannot be used to confirm a guessed secret.
 */
export function planFingerprint(plan: TerraformPlan): string {
  const items = (plan.resource_changes ?? [])
    .filter((rc) => {
      const a = rc.change.actions;
      const counted = !(sameActions(a, ['no-op']) || sameActions(a, ['read']));
      return counted || rc.previous_address !== undefined || Boolean(rc.change.importing);
    })
    .map((rc) => ({
      address: rc.address,
      deposed: rc.deposed,
      actions: rc.change.actions,
      previous_address: rc.previous_address,
      importing: rc.change.importing ? true : undefined,
      after: knownAfter(rc.change.after, rc.change.after_unknown, rc.change.after_sensitive),
    }))
    .sort((x, y) => (x.address + (x.deposed ?? '') < y.address + (y.deposed ?? '') ? -1 : 1));
  return createHash('sha256').update(canonicalJson(items)).digest('hex');
}

function outputSensitive(plan: TerraformPlan, name: string): boolean {
  const oc = plan.output_changes?.[name];
  return (
    containsSensitive(oc?.before_sensitive) ||
    containsSensitive(oc?.after_sensitive) ||
    plan.planned_values?.outputs?.[name]?.sensitive === true ||
    plan.prior_state?.values?.outputs?.[name]?.sensitive === true
  );
}

function summarizeOutputs(plan: TerraformPlan): OutputChangeSummary[] {
  const out: OutputChangeSummary[] = [];
  for (const [name, oc] of Object.entries(plan.output_changes ?? {})) {
    const kind = classifyActions(oc.actions);
    if (!kind) continue;
    // The legacy format (0.x, Terraform 0.12–0.15) lists every output as "create" even when nothing changes:
    // there, an output equal to the prior state's is no change. Newer formats report output actions faithfully.
    const prior = plan.prior_state?.values?.outputs?.[name];
    const legacy = (plan.format_version ?? '').startsWith('0.');
    if (legacy && kind === 'create' && prior && oc.after_unknown !== true && deepEqual(prior.value, oc.after)) continue;
    const sensitive = outputSensitive(plan, name);
    const show = (value: unknown, unknown?: unknown) =>
      displayValue({ value, attribute: name, sensitive: sensitive ? true : undefined, unknown });
    out.push({
      name,
      kind,
      sensitive,
      before: kind === 'update' || kind === 'delete' ? show(oc.before) : undefined,
      after: kind === 'delete' ? undefined : show(oc.after, oc.after_unknown === true ? true : undefined),
    });
  }
  return out.sort((a, b) => byCodePoint(a.name, b.name));
}

/** Summarizes one parsed plan as the stack `name`. */
export function summarizePlan(plan: TerraformPlan, name: string, file?: string): StackSummary {
  const summary: StackSummary = {
    name,
    file,
    terraformVersion: plan.terraform_version,
    create: 0,
    update: 0,
    delete: 0,
    replace: 0,
    changes: [],
    moved: [],
    imported: [],
    forgotten: [],
    reads: [],
    outputs: summarizeOutputs(plan),
    drift: (plan.resource_drift ?? []).map((d) => ({
      address: d.address,
      actions: d.change.actions.join(', '),
      ...(d.previous_address && d.previous_address !== d.address ? { previousAddress: d.previous_address } : {}),
    })),
    deferred: (plan.deferred_changes ?? []).map((d) => ({ address: d.resource_change.address, actions: d.resource_change.change.actions.join(', '), reason: d.reason })),
    unknown: [],
    invoked: (plan.action_invocations ?? []).map((a) => a.address),
    destructive: [],
    risk: 'none',
    fingerprint: planFingerprint(plan),
    incomplete: plan.errored === true || plan.complete === false || (plan.deferred_changes ?? []).length > 0,
  };
  for (const rc of plan.resource_changes ?? []) {
    const actions = rc.change.actions;
    if (rc.previous_address && rc.previous_address !== rc.address) summary.moved.push({ from: rc.previous_address, to: rc.address });
    if (rc.change.importing) summary.imported.push(rc.address);
    if (actions.includes('forget')) summary.forgotten.push(rc.address);
    if (sameActions(actions, ['read'])) summary.reads.push(rc.address);
    const kind = classifyActions(actions);
    if (!kind) {
      if (!isKnownActionList(actions)) summary.unknown.push({ address: rc.address, actions: actions.join(', ') });
      continue;
    }
    summary[kind]++;
    const stateful = isStatefulType(rc.type);
    summary.changes.push({
      address: rc.address,
      type: rc.type,
      kind,
      replaceOrder: kind === 'replace' ? (actions[0] === 'create' ? 'create-then-delete' : 'delete-then-create') : undefined,
      actionReason: rc.action_reason,
      stateful,
      previousAddress: rc.previous_address && rc.previous_address !== rc.address ? rc.previous_address : undefined,
      importing: Boolean(rc.change.importing),
      deposed: rc.deposed,
      attributes: kind === 'update' || kind === 'replace' ? attributeChanges(rc) : [],
      replacePaths: (rc.change.replace_paths ?? []).filter(Array.isArray).map(pathText),
    });
    if ((kind === 'delete' || kind === 'replace') && stateful && !summary.destructive.includes(rc.address)) summary.destructive.push(rc.address);
  }
  summary.changes.sort((a, b) => CHANGE_KINDS.indexOf(a.kind) - CHANGE_KINDS.indexOf(b.kind) || byCodePoint(a.address, b.address));
  // Unknown actions may delete something: at least medium, so a reviewer looks.
  summary.risk =
    summary.destructive.length > 0 ? 'high' : summary.delete + summary.replace + summary.unknown.length > 0 ? 'medium' : hasChanges(summary) ? 'low' : 'none';
  return summary;
}

/** Has the stack anything to apply (resources, moves, imports, forgets, outputs, unknown or deferred actions, invoked actions)? */
export function hasChanges(s: StackSummary): boolean {
  return (
    s.create + s.update + s.delete + s.replace > 0 ||
    s.moved.length > 0 ||
    s.imported.length > 0 ||
    s.forgotten.length > 0 ||
    s.outputs.length > 0 ||
    s.unknown.length > 0 ||
    s.deferred.length > 0 ||
    s.invoked.length > 0
  );
}

/** One fingerprint over several stacks: sha256 over the sorted `name:fingerprint` lines. */
export function combinedFingerprint(stacks: readonly StackSummary[]): string {
  const lines = stacks.map((s) => `${s.name}:${s.fingerprint}`).sort(byCodePoint);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export interface FingerprintComparison {
  match: boolean;
  /** One line per stack that differs, is new, or is missing. */
  problems: string[];
}

/**
 * "Apply what was reviewed": compares the fingerprints recorded for the reviewed plans (stack → sha256, as the
 * plan-report action outputs them) with a fresh plan's. Every reviewed stack must be present with the same
 * fingerprint and no unreviewed stack may have changes.
 */
export function compareFingerprints(reviewed: Readonly<Record<string, string>>, current: readonly StackSummary[]): FingerprintComparison {
  const problems: string[] = [];
  const now = new Map(current.map((s) => [s.name, s]));
  for (const [name, fp] of Object.entries(reviewed).sort(([a], [b]) => byCodePoint(a, b))) {
    const s = now.get(name);
    if (!s) problems.push(`${name}: reviewed, but not in the new plans`);
    else if (s.fingerprint !== fp) problems.push(`${name}: the plan differs from the reviewed one (fingerprint ${s.fingerprint.slice(0, 12)} ≠ reviewed ${fp.slice(0, 12)})`);
  }
  for (const s of current) {
    if (!(s.name in reviewed) && hasChanges(s)) problems.push(`${s.name}: has changes that were never reviewed`);
  }
  return { match: problems.length === 0, problems };
}
