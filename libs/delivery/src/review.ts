/**
 * "Apply what was reviewed" (docs/delivery.md → Review evidence). A reviewed plan is recorded per stack as a set
 * of item hashes, one per resource change (address, actions, known after-values: the same canonical form as
 * {@link planFingerprint}). An apply accepts a stack's plan only when every one of its changes is an item of a
 * plan reviewed for a commit since the one the environment runs — a change that was never reviewed is refused,
 * whatever the stack (no stack is exempt). Named attributes can be ignored (the image digest a deploy sets, which
 * a pull request cannot know); a change that differs ONLY in ignored attributes is no change at all.
 * Pure: the callers read plans and evidence files.
 */
import { deepEqual, planFingerprint } from './plan/summarize';
import type { PlanResourceChange, TerraformPlan } from './plan/types';

/** One attribute whose value is not compared: `type` = resource type, `path` = attribute path (`*` = any index/key). */
export interface IgnoreRule {
  type: string;
  path: string[];
  /** Only values matching this regular expression are ignored (e.g. an ECR image pinned by digest). */
  pattern?: string;
  /** Why this attribute may differ from the review (shown in reports). */
  why: string;
}

export type ReviewStatus = 'planned' | 'waiting' | 'failed' | 'blocked';

export interface ReviewedStack {
  status: ReviewStatus;
  /** planned: item hashes of its resource changes (empty = reviewed as "no changes"). */
  items?: string[];
  /** planned: the stack fingerprint shown in the comment (display only). */
  fingerprint?: string;
  /** waiting/blocked: the upstream stacks; failed: an error excerpt. */
  upstream?: string[];
  error?: string;
}

/** What one review run (a merge-queue plan of one environment) saw. */
export interface ReviewEvidence {
  version: 1;
  env: string;
  /** The commit that was planned (the merge-group commit = what lands on main) and its base. */
  head: string;
  base?: string;
  stacks: Record<string, ReviewedStack>;
}

export class ReviewEvidenceError extends Error {
  constructor(source: string, detail: string) {
    super(`${source}: ${detail}`);
    this.name = 'ReviewEvidenceError';
  }
}

const IGNORED = '(ignored: differs by design)';

function matches(segment: string, key: string): boolean {
  return segment === '*' || segment === key;
}

/** Replaces the values at `path` (with `*` wildcards) by a marker; `pattern` limits which values may be replaced. */
function blank(value: unknown, path: readonly string[], pattern: RegExp | undefined): unknown {
  if (path.length === 0) {
    if (value === undefined || value === null) return value;
    if (pattern && !(typeof value === 'string' && pattern.test(value))) return value;
    return IGNORED;
  }
  if (Array.isArray(value)) return value.map((v, i) => (matches(path[0], String(i)) ? blank(v, path.slice(1), pattern) : v));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = matches(path[0], k) ? blank(v, path.slice(1), pattern) : v;
    return out;
  }
  return value;
}

/** An unknown marker (after_unknown) at an ignored path no longer makes the value unknown. */
function known(unknown: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return false;
  if (Array.isArray(unknown)) return unknown.map((u, i) => (matches(path[0], String(i)) ? known(u, path.slice(1)) : u));
  if (typeof unknown === 'object' && unknown !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, u] of Object.entries(unknown)) out[k] = matches(path[0], k) ? known(u, path.slice(1)) : u;
    return out;
  }
  return unknown;
}

/** The value at an attribute path (as Terraform prints replace_paths: keys and list indexes). */
function at(value: unknown, path: readonly unknown[]): unknown {
  let v = value;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

/** `value` without the attributes `unknown` (after_unknown) marks as known only after apply. */
function withoutUnknown(value: unknown, unknown: unknown): unknown {
  if (unknown === true) return undefined;
  if (Array.isArray(value)) return value.map((v, i) => withoutUnknown(v, Array.isArray(unknown) ? unknown[i] : undefined));
  if (typeof value === 'object' && value !== null && typeof unknown === 'object' && unknown !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if ((unknown as Record<string, unknown>)[k] !== true) out[k] = withoutUnknown(v, (unknown as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * The resource change with ignored attributes blanked, or undefined when nothing but ignored attributes changes
 * (an update whose before equals its after, or a replacement forced only by ignored attributes).
 *
 * Values Terraform knows only after apply are left out of that comparison: a replaced object's new `id`, and
 * computed attributes an update recomputes (terraform_data's `output`, a resource version). They follow from the
 * change itself; every value they could depend on is either known here or another resource change, checked on its
 * own. Only a change some ignored attribute actually makes is dropped: an update showing no known difference at
 * all stays an item (something unknown changes, and the review must have seen it).
 */
export function normalizeChange(rc: PlanResourceChange, ignore: readonly IgnoreRule[]): PlanResourceChange | undefined {
  const rules = ignore.filter((r) => r.type === rc.type || r.type === '*');
  if (rules.length === 0) return rc;
  let { before, after, after_unknown: afterUnknown } = rc.change;
  let unknownAtIgnored = false;
  for (const r of rules) {
    const re = r.pattern ? new RegExp(r.pattern) : undefined;
    const u = known(afterUnknown, r.path);
    if (!deepEqual(u, afterUnknown)) unknownAtIgnored = true;
    before = blank(before, r.path, re);
    after = blank(after, r.path, re);
    afterUnknown = u;
  }
  // An ignored attribute known only after apply (a digest read at apply time) stands for an ignored value.
  if (unknownAtIgnored) for (const r of rules) after = blank(after, r.path, undefined);
  const a = rc.change.actions;
  const replace = a.length === 2 && a.includes('create') && a.includes('delete');
  // Terraform names the attribute that forces a replacement at the granularity the provider reports (SDK
  // providers: `metadata.0.name`; terraform_data: the whole `triggers_replace`), so compare the values there.
  const paths = rc.change.replace_paths ?? [];
  const forcedOnlyByIgnored = replace && paths.length > 0 && paths.every((p) => !containsTrue(at(afterUnknown, p)) && deepEqual(at(before, p), at(after, p)));
  const knownValues = (v: unknown) => withoutUnknown(v, afterUnknown);
  const differs = !deepEqual(knownValues(rc.change.before), knownValues(rc.change.after));
  const onlyIgnored = differs && deepEqual(knownValues(before), knownValues(after));
  if (onlyIgnored && ((a.length === 1 && a[0] === 'update') || forcedOnlyByIgnored)) return undefined;
  // A replacement forced only by an ignored attribute (a Job named after the image tag) is the same object
  // updated: hashed as an update, so it matches a reviewed in-place change of its other attributes.
  const actions = forcedOnlyByIgnored ? (['update'] as PlanResourceChange['change']['actions']) : a;
  return { ...rc, change: { ...rc.change, actions, before, after, after_unknown: afterUnknown, replace_paths: forcedOnlyByIgnored ? [] : rc.change.replace_paths } };
}

function containsTrue(v: unknown): boolean {
  if (v === true) return true;
  if (Array.isArray(v)) return v.some(containsTrue);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(containsTrue);
  return false;
}

export interface ReviewItem {
  address: string;
  actions: string;
  /** sha256 over the normalized change (same canonical form as the stack fingerprint). */
  hash: string;
}

/** One item per resource change that does something (no-ops and reads left out), after ignoring `ignore`. */
export function reviewItems(plan: TerraformPlan, ignore: readonly IgnoreRule[] = []): ReviewItem[] {
  const items: ReviewItem[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const a = rc.change.actions;
    if ((a.length === 1 && (a[0] === 'no-op' || a[0] === 'read')) && rc.previous_address === undefined && !rc.change.importing) continue;
    const n = normalizeChange(rc, ignore);
    if (!n) continue;
    items.push({ address: rc.address, actions: a.join(','), hash: planFingerprint({ format_version: plan.format_version, resource_changes: [n] }) });
  }
  return items.sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
}

export interface ReviewCheck {
  stack: string;
  ok: boolean;
  /** Changes no review in `evidence` contained. */
  unreviewed: ReviewItem[];
  /** Accepted only because the stack was named for break-glass. */
  breakGlass: boolean;
  /** One sentence for the job summary and the error. */
  reason: string;
}

/**
 * May this plan of `stack` be applied? Every change must be an item of some reviewed plan of the stack in
 * `evidence` (several runs: the commits since the environment's deployed one). A stack named in `breakGlass`
 * is applied anyway, and the result says so.
 */
export function checkReviewed(input: {
  stack: string;
  plan: TerraformPlan;
  evidence: readonly ReviewEvidence[];
  ignore?: readonly IgnoreRule[];
  breakGlass?: readonly string[];
}): ReviewCheck {
  const { stack } = input;
  const items = reviewItems(input.plan, input.ignore);
  const reviewed = new Set<string>();
  const seen: ReviewStatus[] = [];
  for (const e of input.evidence) {
    const s = e.stacks[stack];
    if (!s) continue;
    seen.push(s.status);
    for (const h of s.items ?? []) reviewed.add(h);
  }
  const unreviewed = items.filter((i) => !reviewed.has(i.hash));
  const breakGlass = unreviewed.length > 0 && (input.breakGlass ?? []).includes(stack);
  if (unreviewed.length === 0) {
    // Say when a stack applies although no item is left: only ignored attributes change (the job summary must not
    // call an image rollout "no changes").
    const ignored = reviewItems(input.plan).length - items.length;
    const only = `only ignored attributes change: ${ignored} resource${ignored === 1 ? '' : 's'}`;
    const reason = items.length === 0 ? (ignored > 0 ? only : 'no changes') : `all ${items.length} change${items.length === 1 ? '' : 's'} reviewed${ignored > 0 ? `; ${only}` : ''}`;
    return { stack, ok: true, unreviewed, breakGlass: false, reason };
  }
  const list = unreviewed.slice(0, 10).map((i) => `${i.address} (${i.actions})`).join(', ') + (unreviewed.length > 10 ? `, … ${unreviewed.length - 10} more` : '');
  const why = seen.length === 0
    ? 'no reviewed plan covers this stack (not planned in any merge-queue run since the deployed commit, or that evidence is missing)'
    : seen.every((s) => s !== 'planned')
      ? `it was not planned in review (${[...new Set(seen)].join(', ')}: its upstream changes were not applied yet)`
      : 'the reviewed plan differs (main moved, drift, a provider release, or an upstream stack applied just before changed what this stack reads, since the review)';
  if (breakGlass) return { stack, ok: true, unreviewed, breakGlass, reason: `break-glass: ${unreviewed.length} unreviewed change(s) applied by explicit request — ${list}` };
  return { stack, ok: false, unreviewed, breakGlass: false, reason: `${unreviewed.length} change(s) never reviewed — ${list}; ${why}` };
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HEX64 = /^[0-9a-f]{64}$/;
const STATUSES: readonly ReviewStatus[] = ['planned', 'waiting', 'failed', 'blocked'];

/** Validates parsed evidence (a file from an artifact: untrusted shape); errors name `source`. */
export function parseEvidence(value: unknown, source: string): ReviewEvidence {
  const fail = (d: string): never => {
    throw new ReviewEvidenceError(source, d);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object');
  const v = value as Record<string, unknown>;
  if (v.version !== 1) fail(`unsupported version ${JSON.stringify(v.version)} (expected 1)`);
  if (typeof v.env !== 'string' || !STACK_NAME.test(v.env)) fail('"env" must be an environment name');
  if (typeof v.head !== 'string' || !/^[0-9a-f]{40}$/.test(v.head)) fail('"head" must be a 40-character commit SHA');
  if (typeof v.stacks !== 'object' || v.stacks === null || Array.isArray(v.stacks)) fail('"stacks" must be an object');
  for (const [name, s] of Object.entries(v.stacks as Record<string, unknown>)) {
    if (!STACK_NAME.test(name)) fail(`"${name}" is not a stack name`);
    const st = s as ReviewedStack;
    if (typeof st !== 'object' || st === null || !STATUSES.includes(st.status)) fail(`stacks.${name}.status must be one of ${STATUSES.join(', ')}`);
    if (st.items !== undefined && (!Array.isArray(st.items) || st.items.some((h) => typeof h !== 'string' || !HEX64.test(h)))) fail(`stacks.${name}.items must be sha256 hashes`);
  }
  return value as ReviewEvidence;
}

/** Validates ignore rules (a committed JSON file); errors name `source`. */
export function parseIgnoreRules(value: unknown, source: string): IgnoreRule[] {
  const list = (value as { ignore?: unknown })?.ignore;
  if (!Array.isArray(list)) throw new ReviewEvidenceError(source, 'expected {"ignore": [{"type", "path", "pattern"?, "why"}]}');
  return list.map((r: Record<string, unknown>, i: number) => {
    if (typeof r?.type !== 'string' || !r.type) throw new ReviewEvidenceError(source, `ignore[${i}].type must be a resource type`);
    if (!Array.isArray(r.path) || r.path.length === 0 || r.path.some((p) => typeof p !== 'string')) throw new ReviewEvidenceError(source, `ignore[${i}].path must be a non-empty array of attribute names`);
    if (typeof r.why !== 'string' || !r.why.trim()) throw new ReviewEvidenceError(source, `ignore[${i}].why must say why the attribute may differ from the review`);
    if (r.pattern !== undefined) {
      try {
        new RegExp(String(r.pattern));
      } catch (err) {
        throw new ReviewEvidenceError(source, `ignore[${i}].pattern: ${(err as Error).message}`);
      }
    }
    return { type: r.type, path: r.path as string[], pattern: r.pattern as string | undefined, why: r.why };
  });
}
