import type { PlanAction, TerraformPlan } from './types';

/** A plan file that cannot be read as `terraform show -json` output. The message always starts with the file. */
export class PlanParseError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'PlanParseError';
  }
}

/**
 * A problem with the set of plan inputs rather than one file's content (no files, stack names that do not match
 * the files, two plans with one name). A PlanParseError subclass so callers catching that one see these too.
 */
export class PlanInputError extends PlanParseError {
  constructor(detail: string, file = '') {
    super(file, detail);
    this.name = 'PlanInputError';
    this.message = file ? `${file}: ${detail}` : detail;
  }
}

const KNOWN_ACTIONS: ReadonlySet<string> = new Set<PlanAction>(['no-op', 'create', 'read', 'update', 'delete', 'forget']);

/** 1-based line and column of a character offset, for error messages. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line} column ${column}`;
}

function describeJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const position = /position (\d+)/.exec(message);
  const where = position ? ` at ${lineColumn(text, Number(position[1]))}` : '';
  return `not valid JSON${where} (${message.replace(/\s+/g, ' ').slice(0, 160)})`;
}

/**
 * Splits text made of several top-level JSON objects written one after another (what `terragrunt show --all -json`
 * and `run --all show -json` print: one plan per unit). Returns undefined unless the text is exactly ≥2 complete
 * top-level objects separated by whitespace — anything else is left to JSON.parse's own error.
 */
function splitConcatenatedObjects(text: string): string[] | undefined {
  const docs: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0) {
      if (c === '{') {
        start = i;
        depth = 1;
      } else if (!/\s/.test(c)) return undefined;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) docs.push(text.slice(start, i + 1));
    }
  }
  return depth === 0 && docs.length >= 2 ? docs : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks that a parsed JSON value is a plan (not a state file, a manifest or anything else) and names what is off. */
export function assertPlan(value: unknown, file: string, docLabel = ''): asserts value is TerraformPlan {
  const where = docLabel ? `${docLabel}: ` : '';
  const fail = (detail: string): never => {
    throw new PlanParseError(file, `${where}${detail}`);
  };
  if (!isObject(value)) return fail(`not a Terraform plan: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  if (typeof value.format_version !== 'string') return fail('not a Terraform plan: missing "format_version" (expected the output of `terraform show -json <planfile>`)');
  if (!('planned_values' in value) && !('resource_changes' in value) && !('output_changes' in value)) {
    return fail('not a Terraform plan: none of "planned_values", "resource_changes", "output_changes" (a state file or another JSON document?)');
  }
  for (const key of ['resource_changes', 'resource_drift'] as const) {
    const list = value[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return fail(`"${key}" must be an array`);
    list.forEach((rc: unknown, i: number) => {
      const at = `${key}[${i}]`;
      if (!isObject(rc)) return fail(`${at} must be an object`);
      if (typeof rc.address !== 'string' || rc.address === '') return fail(`${at}.address must be a non-empty string`);
      if (typeof rc.type !== 'string') return fail(`${at}.type must be a string (${rc.address})`);
      if (!isObject(rc.change) || !Array.isArray(rc.change.actions) || rc.change.actions.length === 0) {
        return fail(`${at}.change.actions must be a non-empty array (${rc.address})`);
      }
      for (const a of rc.change.actions) {
        if (typeof a !== 'string' || !KNOWN_ACTIONS.has(a)) return fail(`${at}.change.actions: unknown action ${JSON.stringify(a)} (${rc.address})`);
      }
    });
  }
  if (value.output_changes !== undefined && value.output_changes !== null) {
    if (!isObject(value.output_changes)) return fail('"output_changes" must be an object');
    for (const [name, oc] of Object.entries(value.output_changes)) {
      if (!isObject(oc) || !Array.isArray(oc.actions)) return fail(`output_changes.${name}.actions must be an array`);
    }
  }
}

/**
 * Parses the text of a plan file into one or more plans. A file holding several plans written back to back
 * (terragrunt's `show --all -json`) yields one plan per document; anything that is not plan JSON throws
 * {@link PlanParseError} naming the file and, for bad JSON, the line and column.
 */
export function parsePlanText(text: string, file: string): TerraformPlan[] {
  const trimmed = text.replace(/^\uFEFF/, '');
  if (trimmed.trim() === '') throw new PlanParseError(file, 'empty file (expected the output of `terraform show -json <planfile>`)');
  let docs: unknown[];
  try {
    docs = [JSON.parse(trimmed)];
  } catch (err) {
    // Decision: concatenated plans are supported (one summary per document) rather than rejected, because
    // terragrunt users get exactly this from `show --all -json`; everything else is a JSON error.
    const parts = splitConcatenatedObjects(trimmed);
    if (!parts) throw new PlanParseError(file, describeJsonError(trimmed, err));
    docs = parts.map((part, i) => {
      try {
        return JSON.parse(part) as unknown;
      } catch (inner) {
        throw new PlanParseError(file, `document ${i + 1}: ${describeJsonError(part, inner)}`);
      }
    });
  }
  docs.forEach((doc, i) => assertPlan(doc, file, docs.length > 1 ? `document ${i + 1}` : ''));
  return docs as TerraformPlan[];
}
