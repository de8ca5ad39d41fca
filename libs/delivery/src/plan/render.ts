import { maxRisk, RISK_ORDER, type Risk } from './risk';
import { byCodePoint, CHANGE_KINDS, hasChanges, type ChangeKind, type ResourceChangeSummary, type StackSummary } from './summarize';

/** Hidden marker that identifies the sticky plan comment on a pull request. */
export const PLAN_REPORT_MARKER = '<!-- awp:plan-report -->';
/** GitHub rejects issue/PR comment bodies longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Default budget for a comment: the limit minus headroom for what GitHub may count differently. */
export const DEFAULT_COMMENT_BUDGET = 65_000;
/** GitHub's job summary limit per step is 1 MiB (bytes): 900,000 characters leave room for multi-byte text. */
export const JOB_SUMMARY_BUDGET = 900_000;

export interface RenderOptions {
  /** Maximum characters of the whole report; details are cut to fit, never the summary table. Default: unlimited. */
  maxChars?: number;
  /** Where the full report lives, named in the truncation note. */
  fullReportLocation?: string;
  /** Heading text. Default "Terraform plan". */
  title?: string;
  /** Put the hidden sticky-comment marker first. Default true. */
  marker?: boolean;
  /**
   * Stacks not planned yet because upstream stacks they read (remote state) have unapplied changes:
   * stack → upstream stacks. Shown in the table as "waits for …" instead of failing.
   */
  waiting?: Readonly<Record<string, readonly string[]>>;
  /**
   * Stacks planned before upstream changes that change no output they read are applied: stack → those upstream
   * stacks. Their plans are complete (cross-stack reads are outputs); a note says so, and that the deploy plans them
   * again after the upstream applies and checks that plan against this review.
   */
  ahead?: Readonly<Record<string, readonly string[]>>;
  /** Stacks whose plan failed → an excerpt of the error: a "plan failed" row and the excerpt. */
  failed?: Readonly<Record<string, string>>;
  /** Stacks not planned because an upstream plan failed → those upstream stacks: "blocked by …". */
  blocked?: Readonly<Record<string, readonly string[]>>;
  /**
   * Stacks deliberately not planned in this run → why (a pull request's plan role cannot read their secrets): a
   * row with the note, and, with `embedFingerprints`, a hidden list the merge queue reads (`embeddedMergeQueueOnly`).
   */
  skipped?: Readonly<Record<string, string>>;
  /** The commits planned (shown under the heading): the merge commit, the PR head and the base it merged into. */
  commits?: { planned?: string; head?: string; base?: string };
  /** Embed the stacks' fingerprints in a hidden line, so a later run can tell whether this plan is stale. */
  embedFingerprints?: boolean;
}

/** Hidden line carrying the fingerprints shown in a comment: `<!-- awp:fingerprints {"stack":"sha256",…} -->`. */
export const FINGERPRINTS_MARKER = 'awp:fingerprints';

/** Hidden line naming the stacks a comment shows as planned in the merge queue: `<!-- awp:merge-queue-only ["stack",…] -->`. */
export const MERGE_QUEUE_ONLY_MARKER = 'awp:merge-queue-only';

/** The stacks a comment embedded as planned in the merge queue only (none when the line is absent or malformed). */
export function embeddedMergeQueueOnly(body: string): string[] {
  const m = /<!-- awp:merge-queue-only (\[[^<>]*\]) -->/.exec(body);
  if (!m) return [];
  try {
    const v = JSON.parse(m[1]) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Merge queue: the stacks its comparison with the pull request's comment leaves out (planned here first). The
 * comment's list is written by the pull request's own run — its code — so on its own it could exempt any stack:
 * only stacks of the layers the TRUSTED configuration skips on pull requests (`trusted`: env → layers, from
 * `bootstrap --describe` pullRequestPlanSkips on the merge-group commit; environments/ is CODEOWNERS-reviewed) are
 * exempt. `ignored` are listed stacks outside that set: they are compared like any other.
 */
export function mergeQueueOnlyExemptions(listed: readonly string[], trusted: Readonly<Record<string, readonly string[]>>): { exempt: string[]; ignored: string[] } {
  const allowed = new Set(Object.entries(trusted).flatMap(([env, layers]) => layers.map((l) => `${env}-${l}`)));
  const exempt = listed.filter((s) => allowed.has(s)).sort(byCodePoint);
  return { exempt, ignored: listed.filter((s) => !allowed.has(s)).sort(byCodePoint) };
}

/**
 * Reviewed fingerprints the merge queue need not find: a stack the pull request planned that waits here ONLY for
 * exempt stacks, directly or through stacks that themselves wait only for them (they were skipped on the pull
 * request, so nothing waited there). The deploy plans it after its upstream is applied and checks it then.
 */
export function withoutWaitingOnExempt(reviewed: Readonly<Record<string, string>>, waiting: Readonly<Record<string, readonly string[]>>, exempt: readonly string[]): Record<string, string> {
  const ok = new Set(exempt);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [stack, ups] of Object.entries(waiting)) {
      if (!ok.has(stack) && ups.length > 0 && ups.every((u) => ok.has(u))) {
        ok.add(stack);
        grew = true;
      }
    }
  }
  return Object.fromEntries(Object.entries(reviewed).filter(([name]) => !(name in waiting && ok.has(name))));
}

/** The fingerprints embedded in a comment body by `embedFingerprints`, or undefined when there are none. */
export function embeddedFingerprints(body: string): Record<string, string> | undefined {
  const m = /<!-- awp:fingerprints (\{[^<>]*\}) -->/.exec(body);
  if (!m) return undefined;
  try {
    const v = JSON.parse(m[1]) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    return Object.fromEntries(Object.entries(v).filter(([, fp]) => typeof fp === 'string' && /^[0-9a-f]{64}$/.test(fp))) as Record<string, string>;
  } catch {
    return undefined;
  }
}

export interface RenderedReport {
  markdown: string;
  truncated: boolean;
  /** Human-readable list of what was cut. */
  cut: string[];
}

const RISK_BADGE: Record<Risk, string> = { none: '⚪ none', low: '🟢 low', medium: '🟡 medium', high: '🔴 high' };
const KIND_TITLE: Record<ChangeKind, string> = { replace: 'Replace', delete: 'Delete', update: 'Update in place', create: 'Create' };

/** Escapes text for a markdown table cell or inline code span. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}\``;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Stacks ordered risks first (high → none), then by name. */
export function orderByRisk(stacks: readonly StackSummary[]): StackSummary[] {
  return [...stacks].sort((a, b) => RISK_ORDER.indexOf(b.risk) - RISK_ORDER.indexOf(a.risk) || byCodePoint(a.name, b.name));
}

function renderHead(stacks: StackSummary[], opts: RenderOptions): string {
  const lines: string[] = [];
  if (opts.marker !== false) lines.push(PLAN_REPORT_MARKER);
  const changed = stacks.filter(hasChanges).length;
  const risk = maxRisk(stacks.map((s) => s.risk));
  const waiting = Object.keys(opts.waiting ?? {}).length;
  const failed = Object.entries(opts.failed ?? {}).sort(([a], [b]) => byCodePoint(a, b));
  const blocked = Object.entries(opts.blocked ?? {}).sort(([a], [b]) => byCodePoint(a, b));
  const skipped = Object.entries(opts.skipped ?? {}).sort(([a], [b]) => byCodePoint(a, b));
  const total = stacks.length + waiting + failed.length + blocked.length + skipped.length;
  lines.push(
    `## ${opts.title ?? 'Terraform plan'}: ${total} stack${total === 1 ? '' : 's'}, ${changed} with changes${waiting ? `, ${waiting} waiting` : ''}${
      failed.length ? `, ${failed.length} failed` : ''
    }${blocked.length ? `, ${blocked.length} blocked` : ''}${skipped.length ? `, ${skipped.length} planned in the merge queue` : ''}, risk ${RISK_BADGE[risk]}`,
    '',
  );
  const c = opts.commits;
  if (c && (c.planned || c.head || c.base)) {
    const sha = (x?: string) => (x ? code(x.slice(0, 12)) : '?');
    lines.push(`<sub>Planned ${sha(c.planned)}: head ${sha(c.head)} merged into base ${sha(c.base)}. A newer push or a move of the base makes this plan stale.</sub>`, '');
  }
  if (failed.length > 0) {
    lines.push('> [!CAUTION]', `> **Plan failed:** ${failed.map(([n]) => code(n)).join(', ')}${blocked.length ? `; blocked by them: ${blocked.map(([n]) => code(n)).join(', ')}` : ''}.`, '');
  }
  const destructive = stacks.flatMap((s) =>
    s.changes.filter((c) => c.stateful && (c.kind === 'delete' || c.kind === 'replace')).map((c) => ({ stack: s.name, c })),
  );
  if (destructive.length > 0) {
    lines.push('> [!CAUTION]', `> **${destructive.length} destructive change${destructive.length === 1 ? '' : 's'} to stateful resources** (data may be lost):`);
    for (const { stack, c } of destructive.slice(0, 100)) {
      lines.push(`> - ${code(stack)}: ${code(c.address)} — ${c.kind === 'replace' ? `replace (${c.replaceOrder})` : 'delete'}`);
    }
    if (destructive.length > 100) lines.push(`> - … and ${destructive.length - 100} more (see the sections below)`);
    lines.push('');
  }
  const otherDeletes = stacks.reduce((n, s) => n + s.delete + s.replace, 0) - destructive.length;
  if (otherDeletes > 0) lines.push(`> [!WARNING]`, `> ${otherDeletes} other resource${otherDeletes === 1 ? ' is' : 's are'} deleted or replaced.`, '');
  const incomplete = stacks.filter((s) => s.incomplete);
  if (incomplete.length > 0) lines.push(`> [!WARNING]`, `> Incomplete or errored plan: ${incomplete.map((s) => code(s.name)).join(', ')}.`, '');
  const unknown = stacks.reduce((n, s) => n + s.unknown.length, 0);
  if (unknown > 0) lines.push('> [!WARNING]', `> ${unknown} change${unknown === 1 ? ' has' : 's have'} actions this report does not know: read the plan itself before applying.`, '');
  if (stacks.length === 0 && waiting === 0 && failed.length === 0 && blocked.length === 0 && skipped.length === 0) {
    lines.push('No stack was planned: nothing in this change affects a Terraform stack.', '');
    return lines.join('\n');
  }
  lines.push('| Stack | Create | Update | Replace | Delete | Moved | Imported | Outputs | Drift | Risk |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const s of stacks) {
    lines.push(
      `| ${code(s.name)} | ${s.create} | ${s.update} | ${s.replace} | ${s.delete} | ${s.moved.length} | ${s.imported.length} | ${s.outputs.length} | ${s.drift.length} | ${RISK_BADGE[s.risk]} |`,
    );
  }
  for (const [name] of failed) lines.push(`| ${code(name)} | – | – | – | – | – | – | – | – | ❌ plan failed |`);
  for (const [name, upstream] of blocked) lines.push(`| ${code(name)} | – | – | – | – | – | – | – | – | ⛔ blocked by ${upstream.map(code).join(', ')} (plan failed) |`);
  for (const [name, upstream] of Object.entries(opts.waiting ?? {}).sort(([a], [b]) => byCodePoint(a, b))) {
    lines.push(`| ${code(name)} | – | – | – | – | – | – | – | – | ⏳ waits for ${upstream.map(code).join(', ')} |`);
  }
  for (const [name] of skipped) lines.push(`| ${code(name)} | – | – | – | – | – | – | – | – | ⏭ not planned here |`);
  lines.push('');
  const ahead = Object.entries(opts.ahead ?? {}).sort(([a], [b]) => byCodePoint(a, b));
  if (ahead.length > 0) {
    lines.push(
      '> [!NOTE]',
      `> Planned before their upstream's changes are applied (those change no output they read): ${ahead.map(([s, up]) => `${code(s)} (before ${up.map(code).join(', ')})`).join(', ')}. The deploy plans them again after the upstream applies and checks that plan against this review.`,
      '',
    );
  }
  // The note, once per reason (e.g. "identity: planned in the merge queue (the pull-request role cannot read its secrets)").
  for (const note of [...new Set(skipped.map(([, n]) => n))]) lines.push(`> [!NOTE]`, `> ${note}: ${skipped.filter(([, n]) => n === note).map(([s]) => code(s)).join(', ')}.`, '');
  // The error excerpts belong to the head: a failed plan must never be cut from the comment.
  for (const [name, excerpt] of failed) {
    const text = excerpt.length > 1500 ? `${excerpt.slice(0, 1500)}\n…` : excerpt;
    lines.push(`<details open><summary>${escapeHtml(name)}: plan failed</summary>`, '', '```text', text.replace(/```/g, "'''"), '```', '</details>', '');
  }
  return lines.join('\n');
}

/** Changed attributes shown per resource; the rest are counted. */
const MAX_ATTRIBUTES = 25;

function details(summary: string, items: string[]): string {
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${items.join('\n')}\n\n</details>\n`;
}

function changeLine(c: ResourceChangeSummary, withAttributes: boolean): string {
  const notes: string[] = [];
  if (c.stateful && (c.kind === 'delete' || c.kind === 'replace')) notes.push('**stateful**');
  if (c.replaceOrder) notes.push(c.replaceOrder);
  if (c.actionReason) notes.push(c.actionReason.replace(/_/g, ' '));
  if (c.previousAddress) notes.push(`moved from ${code(c.previousAddress)}`);
  if (c.importing) notes.push('imported');
  if (c.deposed) notes.push(`deposed object ${code(c.deposed)}`);
  if (c.replacePaths.length) notes.push(`forces replacement: ${c.replacePaths.map(code).join(', ')}`);
  const lines = [`- ${code(c.address)}${notes.length ? ` — ${notes.join('; ')}` : ''}`];
  if (withAttributes) {
    for (const a of c.attributes.slice(0, MAX_ATTRIBUTES)) lines.push(`  - ${code(a.name)}: ${code(a.before)} → ${code(a.after)}`);
    if (c.attributes.length > MAX_ATTRIBUTES) lines.push(`  - … and ${c.attributes.length - MAX_ATTRIBUTES} more changed attributes`);
  }
  return lines.join('\n');
}

/** Thrown inside renderSection when a section outgrows its limit: no point building the rest of it. */
class OverLimit extends Error {}

/**
 * level 3: everything; 2: addresses without attribute values; 1: at most 20 addresses per group; 0: counts only.
 * Undefined when the section would be longer than `limit`: rendering stops there, so a 10,000-change stack costs
 * one comment's worth of work per level, not the whole plan's.
 */
function renderSection(s: StackSummary, level: 0 | 1 | 2 | 3, location: string, limit = Infinity): string | undefined {
  try {
    return renderSectionLines(s, level, location, limit);
  } catch (err) {
    if (err instanceof OverLimit) return undefined;
    throw err;
  }
}

function renderSectionLines(s: StackSummary, level: 0 | 1 | 2 | 3, location: string, limit: number): string {
  const lines: string[] = [];
  const tf = s.terraformVersion ? ` · Terraform/OpenTofu ${s.terraformVersion}` : '';
  lines.push(`### ${code(s.name)} — ${RISK_BADGE[s.risk]}`, '');
  lines.push(`<sub>fingerprint \`${s.fingerprint.slice(0, 16)}\`${tf}${s.file ? ` · ${escapeHtml(s.file)}` : ''}</sub>`, '');
  if (s.destructive.length) lines.push(`**Destructive (stateful):** ${s.destructive.map(code).join(', ')}`, '');
  if (level === 0) {
    lines.push(`_Details cut to fit the comment; see ${location}._`, '');
    return lines.join('\n');
  }
  const cap = level === 1 ? 20 : Infinity;
  let used = lines.reduce((n, l) => n + l.length + 1, 0);
  // At most `cap` lines per list, each counted against the limit as it is made.
  const capped = <T>(items: readonly T[], line: (item: T) => string): string[] => {
    const out: string[] = [];
    for (const item of items) {
      if (out.length === cap) {
        out.push(`- … and ${items.length - cap} more`);
        break;
      }
      const text = line(item);
      used += text.length + 1;
      if (used > limit) throw new OverLimit();
      out.push(text);
    }
    return out;
  };
  for (const kind of CHANGE_KINDS) {
    const group = s.changes.filter((c) => c.kind === kind);
    if (group.length) lines.push(details(`${KIND_TITLE[kind]} (${group.length})`, capped(group, (c) => changeLine(c, level === 3))));
  }
  if (s.moved.length) lines.push(details(`Moved (${s.moved.length})`, capped(s.moved, (m) => `- ${code(m.from)} → ${code(m.to)}`)));
  if (s.imported.length) lines.push(details(`Imported (${s.imported.length})`, capped(s.imported, (a) => `- ${code(a)}`)));
  if (s.forgotten.length) lines.push(details(`Removed from state, not destroyed (${s.forgotten.length})`, capped(s.forgotten, (a) => `- ${code(a)}`)));
  if (s.outputs.length) {
    lines.push(
      details(
        `Output changes (${s.outputs.length})`,
        capped(s.outputs, (o) => {
          const value = level < 3 ? '' : o.kind === 'update' ? `: ${code(o.before ?? '')} → ${code(o.after ?? '')}` : o.after !== undefined ? `: ${code(o.after)}` : '';
          return `- ${code(o.name)} (${o.kind}${o.sensitive ? ', sensitive' : ''})${value}`;
        }),
      ),
    );
  }
  if (s.unknown.length) lines.push(details(`Unknown action (${s.unknown.length})`, capped(s.unknown, (u) => `- ${code(u.address)} (${u.actions})`)));
  if (s.deferred.length) {
    lines.push(details(`Deferred to a later plan (${s.deferred.length})`, capped(s.deferred, (d) => `- ${code(d.address)} (${d.actions}; ${d.reason.replace(/_/g, ' ')})`)));
  }
  if (s.invoked.length) lines.push(details(`Actions invoked (${s.invoked.length})`, capped(s.invoked, (a) => `- ${code(a)}`)));
  if (s.drift.length) {
    const driftLine = (d: StackSummary['drift'][number]) => `- ${code(d.address)} (${d.actions}${d.previousAddress ? `; moved from ${code(d.previousAddress)}` : ''})`;
    lines.push(details(`Changed outside Terraform since the last apply (${s.drift.length})`, capped(s.drift, driftLine)));
  }
  if (s.reads.length) lines.push(`<sub>${s.reads.length} data source${s.reads.length === 1 ? '' : 's'} read during apply.</sub>`, '');
  return lines.join('\n');
}

function renderNoChanges(stacks: StackSummary[]): string {
  return stacks.length ? `**No changes:** ${stacks.map((s) => code(s.name)).join(', ')}\n` : '';
}

/**
 * Renders the report for a set of stacks: a heading with the overall risk, the destructive changes called out,
 * one table over all stacks (risks first), then a section per stack with changed addresses grouped by action in
 * collapsible blocks. With `maxChars`, sections lose detail (attribute values, then long address lists, then
 * everything but the counts) until the report fits; the head and the table are never cut.
 */
export function renderMarkdownReport(input: readonly StackSummary[], opts: RenderOptions = {}): RenderedReport {
  const stacks = orderByRisk(input);
  const location = opts.fullReportLocation ?? 'the job summary and the plan artifact of this workflow run';
  const max = opts.maxChars ?? Infinity;
  const mqOnly = Object.keys(opts.skipped ?? {}).sort(byCodePoint);
  const fingerprints = opts.embedFingerprints
    ? `<!-- ${FINGERPRINTS_MARKER} ${JSON.stringify(Object.fromEntries(stacks.map((s) => [s.name, s.fingerprint])))} -->\n${mqOnly.length ? `<!-- ${MERGE_QUEUE_ONLY_MARKER} ${JSON.stringify(mqOnly)} -->\n` : ''}`
    : '';
  const head = renderHead(stacks, opts) + fingerprints;
  // Drift-only and incomplete stacks get a section too: "No changes" would hide what happened outside Terraform.
  const detailed = (s: StackSummary) => hasChanges(s) || s.drift.length > 0 || s.incomplete;
  const changed = stacks.filter(detailed);
  const unchanged = renderNoChanges(stacks.filter((s) => !detailed(s)));
  const fullSections: string[] = [];
  let fullUsed = head.length + unchanged.length + 1;
  for (const s of changed) {
    const text = renderSection(s, 3, location, max - fullUsed);
    if (text === undefined) break;
    fullSections.push(text);
    fullUsed += text.length + 1;
  }
  const full = fullSections.length === changed.length ? [head, ...fullSections, unchanged].join('\n') : undefined;
  if (full !== undefined && full.length <= max) return { markdown: full, truncated: false, cut: [] };

  const reserve = 800; // room for the truncation note
  const sections: string[] = [];
  const reduced: string[] = [];
  const omitted: string[] = [];
  let used = head.length + unchanged.length + reserve;
  for (const s of changed) {
    let placed = false;
    for (const level of [3, 2, 1, 0] as const) {
      const text = renderSection(s, level, location, max - used - 1);
      if (text !== undefined && used + text.length + 1 <= max) {
        sections.push(text);
        used += text.length + 1;
        if (level < 3) reduced.push(`${s.name} (${level === 2 ? 'attribute values' : level === 1 ? 'long address lists' : 'all details'})`);
        placed = true;
        break;
      }
    }
    if (!placed) omitted.push(s.name);
  }
  const cut = [...reduced.map((r) => `details of ${r}`), ...(omitted.length ? [`the sections of ${omitted.length} stack(s): ${omitted.join(', ')}`] : [])];
  const noteList = cut.join('; ');
  const note = `> [!NOTE]\n> This report was cut to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character comment limit. Cut: ${
    noteList.length > reserve - 250 ? `${noteList.slice(0, reserve - 260)}…` : noteList
  }. The full report is in ${location}.\n`;
  const markdown = [head, note, ...sections, unchanged].join('\n');
  return { markdown, truncated: true, cut };
}

export function renderMarkdown(stacks: readonly StackSummary[], opts: RenderOptions = {}): string {
  return renderMarkdownReport(stacks, opts).markdown;
}

/** The machine-readable form: exactly `{"stacks":[{"name","create","update","delete","replace","destructive"}]}`. */
export function renderJson(stacks: readonly StackSummary[]): string {
  return `${JSON.stringify(
    {
      stacks: stacks.map((s) => ({ name: s.name, create: s.create, update: s.update, delete: s.delete, replace: s.replace, destructive: [...s.destructive] })),
    },
    null,
    2,
  )}\n`;
}
