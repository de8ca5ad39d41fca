import type { z } from 'zod';

/**
 * How a layer's settings are checked, for the environment loader and for a construct alike (docs/architecture.md →
 * Settings: where a knob lives). A layer writes its section once in libs/<layer>/src/settings.ts; its construct parses
 * what it is given through that section with `parseSettings`, so a team using the construct directly gets the same
 * defaults and the same messages as an environment file.
 */

/** One problem: the field path (dotted, `[i]` for array items) and what was expected. */
export interface SettingsProblem {
  readonly path: string;
  readonly message: string;
}

/** `['data', 'cache', 0, 'name']` → `data.cache[0].name`. */
export function fieldPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** One zod issue in the platform's words: zod's own for the common cases, unknown keys listed so a typo is obvious. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message.replace(/^Invalid input: /, '');
}

/** Every issue of a failed parse as problems, each path under `prefix` (e.g. `settings`). */
export function settingsProblems(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): SettingsProblem[] {
  return issues.map((i) => ({ path: fieldPath([...prefix, ...i.path]), message: describeIssue(i) }));
}

/** Bad settings given to a construct: names the construct (class and path) and every field at fault. */
export class SettingsError extends Error {
  constructor(
    readonly construct: string,
    readonly problems: readonly SettingsProblem[],
  ) {
    super(`${construct}: invalid settings (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/**
 * Parses a construct's `settings` prop through its layer's section: defaults filled, the section's own rules checked.
 * `construct` names it in errors, e.g. `Network prod-network/network`. Sections are written so that their output
 * parses again unchanged (no transforms), so settings that already came through the environment loader pass as they are.
 */
export function parseSettings<S extends z.ZodType>(section: S, settings: z.input<S> | undefined, construct: string): z.output<S> {
  const result = section.safeParse(settings ?? {});
  if (!result.success) throw new SettingsError(construct, settingsProblems(result.error.issues, ['settings']));
  return result.data;
}
