import { renderMarkdown } from './plan/render';
import { hasChanges, type StackSummary } from './plan/summarize';

/** Label every drift issue carries (also used to find them). */
export const DRIFT_LABEL = 'drift';

/** Hidden marker identifying the drift issue of one environment. */
export function driftMarker(env: string): string {
  return `<!-- awp:drift env=${env} -->`;
}

export interface ExistingIssue {
  number: number;
  state: 'open' | 'closed';
  body?: string | null;
}

export type DriftAction = 'open' | 'update' | 'close' | 'none';

export interface DriftDecision {
  action: DriftAction;
  drifted: boolean;
  title: string;
  /** Issue body for open/update; the closing comment for close. */
  body: string;
  labels: string[];
  issueNumber?: number;
}

/** A stack has drifted when its plan would change something or Terraform saw objects changed outside it. */
export function stackDrifted(s: StackSummary): boolean {
  return hasChanges(s) || s.drift.length > 0;
}

/** Body budget: GitHub issue bodies share the 65,536-character limit of comments. */
const BODY_BUDGET = 60_000;

/**
 * Decides what to do with the one drift issue of `env` after a scheduled plan of all its stacks: open one when
 * there is drift and none is open, update the open one, close it when the plans are clean, or nothing.
 */
export function decideDrift(input: {
  env: string;
  stacks: readonly StackSummary[];
  /** The open drift issue of this environment, found by its marker, if any. */
  existing?: ExistingIssue;
  /** Link to the run that planned, shown in the body. */
  runUrl?: string;
  label?: string;
  /** Stacks whose plan errored → an excerpt of the error. Their state is unknown: never "clean". */
  errored?: Readonly<Record<string, string>>;
  /** The commit the environment runs (what was planned), shown in the body. */
  commit?: string;
}): DriftDecision {
  const { env, stacks, existing } = input;
  const label = input.label ?? DRIFT_LABEL;
  const drifted = stacks.filter(stackDrifted);
  // An errored or incomplete plan JSON (Terraform stopped planning, or deferred changes) says nothing about drift:
  // counted as errored, so it never closes the issue as clean.
  const incomplete = Object.fromEntries(stacks.filter((s) => s.incomplete).map((s) => [s.name, 'the plan is errored or incomplete: Terraform did not plan every change (see the run log)']));
  const errored = Object.entries({ ...incomplete, ...input.errored }).sort(([a], [b]) => (a < b ? -1 : 1));
  const parts = [
    ...(drifted.length ? [`${drifted.length} ${drifted.length === 1 ? 'stack differs' : 'stacks differ'} from the code`] : []),
    ...(errored.length ? [`${errored.length} ${errored.length === 1 ? 'plan' : 'plans'} errored`] : []),
  ];
  const title = `Drift in ${env}: ${parts.join(', ') || 'none'}`;
  const open = existing && existing.state === 'open' ? existing : undefined;
  const at = input.commit ? ` at its deployed commit \`${input.commit.slice(0, 12)}\`` : '';
  if (drifted.length === 0 && errored.length === 0) {
    const body = `${driftMarker(env)}\nNo drift in **${env}**${at}: all ${stacks.length} stack plans are clean${input.runUrl ? ` ([run](${input.runUrl}))` : ''}. Closing.`;
    return open
      ? { action: 'close', drifted: false, title, body, labels: [label], issueNumber: open.number }
      : { action: 'none', drifted: false, title, body, labels: [label] };
  }
  const lines = [
    driftMarker(env),
    `The scheduled plan of **${env}**${at} found ${drifted.length ? 'changes that are not in the code' : 'plans that errored (their state is unknown, so this issue stays open)'}${input.runUrl ? ` — [run](${input.runUrl})` : ''}.`,
    '',
    ...(drifted.length ? [`Drifted stacks: ${drifted.map((s) => `\`${s.name}\``).join(', ')}.`, ''] : []),
    ...(errored.length
      ? ['**Errored plans** (not compared with the code):', ...errored.map(([name, excerpt]) => `- \`${name}\`\n\n  \`\`\`text\n${indent(excerpt.slice(0, 2000))}\n  \`\`\``), '']
      : []),
    'Re-apply from main to restore the code\'s state, or change the code to accept the new state. This issue is updated by every scheduled run and closed when the plans are clean.',
    '',
  ];
  const head = lines.join('\n');
  const report = renderMarkdown(stacks, {
    marker: false,
    title: `Plan of ${env}`,
    maxChars: BODY_BUDGET - head.length,
    fullReportLocation: 'the job summary of the drift run',
  });
  const body = `${head}${report}`;
  if (open) return { action: 'update', drifted: drifted.length > 0, title, body, labels: [label], issueNumber: open.number };
  return { action: 'open', drifted: drifted.length > 0, title, body, labels: [label] };
}

function indent(text: string): string {
  return text.replace(/```/g, "'''").split('\n').map((l) => `  ${l}`).join('\n');
}
