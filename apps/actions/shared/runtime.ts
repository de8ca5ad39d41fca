// Runtime helpers shared by the actions' entry points (bundled into each dist/index.js). Imports @actions/*
// (ESM-only), so only the bundled entry points use this file; jest never imports it.
import * as core from '@actions/core';
import * as github from '@actions/github';

export type Octokit = ReturnType<typeof github.getOctokit>;

/** A list input: entries separated by newlines or commas, blanks dropped. */
export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * A boolean input through core.getBooleanInput (the YAML 1.2 core schema: true | True | TRUE | false | False |
 * FALSE, as GitHub's own actions read them); `fallback` only when the input is empty (no action.yml default).
 */
export function booleanInput(name: string, fallback: boolean): boolean {
  const raw = core.getInput(name);
  if (raw === '') return fallback;
  try {
    return core.getBooleanInput(name);
  } catch {
    throw new Error(`input "${name}": expected true or false, got "${raw}" (YAML 1.2 core schema booleans: true, True, TRUE, false, False, FALSE)`);
  }
}

export function client(): Octokit {
  // The runner already masks github.token and secrets.* in logs; nothing here prints the token.
  return github.getOctokit(core.getInput('github-token', { required: true }));
}

export function repo(): { owner: string; repo: string } {
  return github.context.repo;
}

/** Link to the current workflow run, for comments and issues. */
export function runUrl(): string {
  const { serverUrl, runId } = github.context;
  const { owner, repo: name } = github.context.repo;
  return `${serverUrl}/${owner}/${name}/actions/runs/${runId}`;
}

/** Runs an entry point: any error fails the step with its message (which names the file/field at fault). */
export function run(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    core.setFailed(err instanceof Error ? err.message : String(err));
  });
}
