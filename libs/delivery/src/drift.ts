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
}): DriftDecision {
  const { env, stacks, existing } = input;
  const label = input.label ?? DRIFT_LABEL;
  const drifted = stacks.filter(stackDrifted);
  const title = `Drift in ${env}: ${drifted.length} ${drifted.length === 1 ? 'stack differs' : 'stacks differ'} from the code`;
  const open = existing && existing.state === 'open' ? existing : undefined;
  if (drifted.length === 0) {
    const body = `${driftMarker(env)}\nNo drift in **${env}**: all ${stacks.length} stack plans are clean${input.runUrl ? ` ([run](${input.runUrl}))` : ''}. Closing.`;
    return open
      ? { action: 'close', drifted: false, title, body, labels: [label], issueNumber: open.number }
      : { action: 'none', drifted: false, title, body, labels: [label] };
  }
  const lines = [
    driftMarker(env),
    `The scheduled plan of **${env}** found changes that are not in the code (or code not applied yet)${input.runUrl ? ` — [run](${input.runUrl})` : ''}.`,
    '',
    `Drifted stacks: ${drifted.map((s) => `\`${s.name}\``).join(', ')}.`,
    '',
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
  if (open) return { action: 'update', drifted: true, title, body, labels: [label], issueNumber: open.number };
  return { action: 'open', drifted: true, title, body, labels: [label] };
}
