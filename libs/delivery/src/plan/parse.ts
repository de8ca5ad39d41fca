import { PlanParseError } from './errors';
import { describeNotAPlan, normalizePlan, type NormalizeOptions } from './normalize';
import type { TerraformPlan } from './types';

export { PlanInputError, PlanParseError } from './errors';

/** 1-based line and column of a character offset, for error messages. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line} column ${offset - lineStart + 1}`;
}

function describeJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const position = /position (\d+)/.exec(message);
  const where = position ? ` at ${lineColumn(text, Number(position[1]))}` : '';
  return `not valid JSON${where} (${message.replace(/\s+/g, ' ').slice(0, 160)})`;
}

/**
 * Lines a CI wrapper adds around the wrapped command's stdout: hashicorp/setup-terraform's `terraform_wrapper`
 * (v1 and early v2) echoes `[command]…/terraform-bin show -json tfplan` before the output and prints workflow
 * commands (`::debug::stdout: …`, `::set-output name=stdout::…`) after it — all into the file when stdout is
 * redirected. Terraform's own JSON is one line and never starts with either.
 */
export function isWrapperLine(line: string): boolean {
  return /^\[command\]/.test(line) || /^::[a-z][a-z-]*( [^:]*)?::/.test(line);
}

export const EMPTY_FILE = 'the file is empty: the command that should have written the plan wrote nothing (did `terraform show -json <planfile>` fail?)';

export const WRAPPER_HINT =
  'it holds log lines of a CI wrapper (hashicorp/setup-terraform\'s `terraform_wrapper`) around the JSON: set `terraform_wrapper: false` on setup-terraform, or write the plan with the wrapped binary (`terraform-bin show -json tfplan`)';

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
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (depth === 0) {
      if (c === 0x7b) {
        start = i;
        depth = 1;
      } else if (!(c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) return undefined;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) docs.push(text.slice(start, i + 1));
    }
  }
  return depth === 0 && docs.length >= 2 ? docs : undefined;
}

/**
 * What a text that is not JSON is, when it is something people often pass by mistake; undefined otherwise.
 * Looks only at the start of the text, so it works on the head of a large file too.
 */
export function describeNonJson(head: string): string | undefined {
  const start = head.replace(/^\uFEFF/, '').trimStart().slice(0, 4096);
  if (/^(Terraform|OpenTofu) (used the selected providers|will perform the following actions|has compared your real infrastructure)|^No changes\. Your infrastructure matches|^(Refreshing state|[\w.[\]"-]+: Refreshing state)|^\s*# \S+ (will be|must be|has moved)/m.test(start)) {
    return 'this is the human-readable output of `terraform plan` / `terraform show`, not JSON: run `terraform show -json <planfile>` and pass its output';
  }
  if (/^(Error|│ Error|╷)/.test(start)) {
    return `this holds an error message, not a plan (it starts with "${start.split('\n')[0].slice(0, 80)}"): the command that wrote it failed; fix that error, then run \`terraform show -json <planfile>\``;
  }
  return undefined;
}

/**
 * Parses the text of a plan file into JSON documents: one, several written back to back (terragrunt), or the one
 * inside a CI wrapper's log lines. Throws {@link PlanParseError} naming the file with what to do.
 */
export function parsePlanDocuments(input: string, file: string): unknown[] {
  const text = input.replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new PlanParseError(file, EMPTY_FILE);
  try {
    return [JSON.parse(text)];
  } catch (err) {
    const lines = text.split(/\r?\n/);
    if (lines.some(isWrapperLine)) {
      // Decision: recover the plan from the wrapper's log rather than fail — the JSON in it is Terraform's own,
      // byte for byte; only lines the wrapper added are dropped. If that still is not JSON, say which setting.
      const kept = lines.filter((l) => !isWrapperLine(l)).join('\n');
      try {
        return kept.trim() === '' ? fail(file, `${WRAPPER_HINT}; no JSON is left without them`) : [JSON.parse(kept)];
      } catch (inner) {
        if (inner instanceof PlanParseError) throw inner;
        const docs = splitConcatenatedObjects(kept);
        if (docs) return docs.map((d) => JSON.parse(d) as unknown);
        return fail(file, `${WRAPPER_HINT}; without those lines it is still ${describeJsonError(kept, inner)}`);
      }
    }
    const known = describeNonJson(text);
    if (known) return fail(file, known);
    // Decision: concatenated plans are supported (one summary per document) rather than rejected, because
    // terragrunt users get exactly this from `show --all -json`; everything else is a JSON error.
    const parts = splitConcatenatedObjects(text);
    if (!parts) {
      const first = text.trimStart()[0];
      const hint = first !== '{' && first !== '[' ? `; the file starts with ${JSON.stringify(text.trimStart().split('\n')[0].slice(0, 60))} — only the JSON that \`terraform show -json\` prints belongs in it` : '';
      return fail(file, `${describeJsonError(text, err)}${hint}`);
    }
    return parts.map((part, i) => {
      try {
        return JSON.parse(part) as unknown;
      } catch (inner) {
        return fail(file, `document ${i + 1}: ${describeJsonError(part, inner)}`);
      }
    });
  }
}

function fail(file: string, detail: string): never {
  throw new PlanParseError(file, detail);
}

/** Normalizes the documents of one file; a `terraform plan -json` log (many small documents) gets one message. */
export function normalizeDocuments(docs: unknown[], file: string, opts: NormalizeOptions = {}): TerraformPlan[] {
  if (docs.length > 1) {
    const first = describeNotAPlan(docs[0]);
    if (first && first.includes('terraform plan -json')) fail(file, first);
  }
  return docs.map((doc, i) => normalizePlan(doc, file, docs.length > 1 ? `document ${i + 1}` : '', opts));
}

/**
 * Parses the text of a plan file into one or more plans. A file holding several plans written back to back
 * (terragrunt's `show --all -json`) yields one plan per document; anything that is not plan JSON throws
 * {@link PlanParseError} naming the file and saying what to do (for bad JSON, the line and column).
 */
export function parsePlanText(text: string, file: string, opts: NormalizeOptions = {}): TerraformPlan[] {
  return normalizeDocuments(parsePlanDocuments(text, file), file, opts);
}
