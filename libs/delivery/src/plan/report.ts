import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PlanInputError, PlanParseError } from './parse';
import { readPlanFile, type ReadPlanOptions } from './read';
import { renderJson, renderMarkdown, type RenderOptions } from './render';
import { summarizePlan, type StackSummary } from './summarize';

/** `dev-network.plan.json` → `dev-network`: the base name without `.json` and then `.plan`. */
export function stackNameFromFile(file: string): string {
  return path.basename(file).replace(/\.json$/i, '').replace(/\.plan$/i, '');
}

export interface LoadOptions extends ReadPlanOptions {
  /** Stack names by position, one per file (the CLI's repeated `--stack-name`); default: from the file name. */
  stackNames?: readonly string[];
}

/**
 * Reads and summarizes plan files. All files are read and parsed before anything is returned, so one bad file
 * fails the whole call ({@link PlanParseError} naming it). A file holding several plans (terragrunt) gives one
 * stack per document, named `<name>#<n>`.
 */
export function loadPlanFiles(files: readonly string[], opts: LoadOptions = {}): StackSummary[] {
  if (files.length === 0) throw new PlanInputError('no plan files given');
  if (opts.stackNames && opts.stackNames.length > 0 && opts.stackNames.length !== files.length) {
    throw new PlanInputError(`got ${opts.stackNames.length} stack name(s) for ${files.length} plan file(s): give one per file, in the same order`);
  }
  // Each file is decoded, parsed and normalized on its own (large ones streamed), see readPlanFile.
  const parsed = files.map((file) => ({ file, plans: readPlanFile(file, opts) }));
  const stacks = parsed.flatMap(({ file, plans }, i) => {
    const name = opts.stackNames?.[i] ?? stackNameFromFile(file);
    return plans.map((plan, n) => summarizePlan(plan, plans.length > 1 ? `${name}#${n + 1}` : name, file));
  });
  const seen = new Set<string>();
  for (const s of stacks) {
    if (seen.has(s.name)) throw new PlanInputError(`two plans are named "${s.name}": give distinct file names or stack names`, s.file);
    seen.add(s.name);
  }
  return stacks;
}

/**
 * Expands plan inputs as given to the Actions: each entry a file, or a directory whose `*.json` files are taken
 * (sorted); entries separated by newlines or commas. With `allowEmpty`, missing or empty directories give no files
 * instead of an error.
 */
export function expandPlanInputs(input: string | readonly string[], cwd = process.cwd(), opts: { allowEmpty?: boolean } = {}): string[] {
  // A string (action input) is a newline/comma list; an array (CLI arguments) is taken as given.
  const entries = (typeof input === 'string' ? input.split(/[\n,]/) : [...input]).map((e) => e.trim()).filter(Boolean);
  const files: string[] = [];
  for (const entry of entries) {
    const abs = path.resolve(cwd, entry);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // allowEmpty: a plans folder that was never created (no stack planned, no artifact downloaded) is no plans.
      if (opts.allowEmpty && code === 'ENOENT') continue;
      throw new PlanParseError(entry, `cannot read the file (${code ?? String(err)})`);
    }
    if (isDir) {
      const found = readdirSync(abs).filter((f) => f.toLowerCase().endsWith('.json')).sort();
      if (found.length === 0 && !opts.allowEmpty) throw new PlanParseError(entry, 'directory holds no *.json plan files');
      files.push(...found.map((f) => path.join(entry, f)));
    } else files.push(entry);
  }
  return files;
}

export interface PlanReportOptions extends LoadOptions, Pick<RenderOptions, 'maxChars' | 'fullReportLocation' | 'title'> {
  format: 'markdown' | 'json';
}

/**
 * The `platform plan-report` command: reads every file first (no partial output on any error — the error names
 * the file), then returns the whole report as markdown or as the JSON form. A directory argument stands for its
 * `*.json` files (sorted); `stackNames` then apply to the expanded list.
 */
export function runPlanReport(files: readonly string[], opts: PlanReportOptions): string {
  if (opts.format !== 'markdown' && opts.format !== 'json') throw new PlanInputError(`unknown format "${String(opts.format)}": expected markdown or json`);
  const stacks = loadPlanFiles(expandPlanInputs(files), { stackNames: opts.stackNames, errored: opts.errored, streamAboveBytes: opts.streamAboveBytes });
  return opts.format === 'json' ? renderJson(stacks) : renderMarkdown(stacks, { maxChars: opts.maxChars, fullReportLocation: opts.fullReportLocation, title: opts.title });
}

/**
 * Parses "stack waits for upstream" declarations: a JSON object `{"dev-workloads":["dev-network"]}` or lines
 * `dev-workloads: dev-network, dev-data`. Errors name `source` (e.g. the action input).
 */
export function parseWaiting(text: string, source = 'waiting'): Record<string, string[]> {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
  const check = (stack: string, upstream: unknown[]): string[] => {
    if (!NAME.test(stack)) throw new Error(`${source}: "${stack}" is not a stack name`);
    if (upstream.length === 0 || upstream.some((u) => typeof u !== 'string' || !NAME.test(u))) {
      throw new Error(`${source}: "${stack}" must wait for one or more stack names`);
    }
    return upstream as string[];
  };
  const out: Record<string, string[]> = {};
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
    }
    for (const [stack, upstream] of Object.entries(value as Record<string, unknown>)) {
      out[stack] = check(stack, Array.isArray(upstream) ? upstream : [upstream]);
    }
    return out;
  }
  for (const line of trimmed.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${source}: expected "<stack>: <upstream>, …", got "${line}"`);
    out[m[1]] = check(m[1], m[2].split(',').map((u) => u.trim()).filter(Boolean));
  }
  return out;
}

/**
 * Reads reviewed fingerprints (stack → sha256): JSON object text, or the path of a JSON file holding one (e.g. the
 * `fingerprints` output of the PR's plan-report saved with the plan artifact). Errors name `source` or the file.
 */
export function parseFingerprints(text: string, source = 'fingerprints'): Record<string, string> {
  const trimmed = text.trim();
  let where = source;
  let json = trimmed;
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    where = trimmed;
    try {
      json = readFileSync(trimmed, 'utf8');
    } catch (err) {
      throw new Error(`${source}: cannot read "${trimmed}" (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a JSON object or a file holding one`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected a JSON object of stack name → fingerprint`);
  for (const [stack, fp] of Object.entries(value)) {
    if (typeof fp !== 'string' || !/^[0-9a-f]{64}$/.test(fp)) throw new Error(`${where}: fingerprint of "${stack}" must be 64 lower-case hex characters (sha256)`);
  }
  return value as Record<string, string>;
}
