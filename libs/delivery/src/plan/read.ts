import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { JSONParser, TokenType } from '@streamparser/json';
import { decodePlanBytes, PlanTextDecoder } from './decode';
import { PlanParseError } from './errors';
import { describeNotAPlan, normalizePlan, type NormalizeOptions } from './normalize';
import { describeNonJson, EMPTY_FILE as EMPTY, isWrapperLine, normalizeDocuments, parsePlanDocuments, WRAPPER_HINT } from './parse';
import type { TerraformPlan } from './types';

export interface ReadPlanOptions extends NormalizeOptions {
  /**
   * Files larger than this many bytes are streamed: parsed piece by piece, keeping only what the report reads
   * (resource changes, drift, deferred changes, outputs), so memory stays bounded by that rather than by the file,
   * and files over V8's maximum string length (~512 MiB) still work. Smaller files take the faster JSON.parse path.
   * Both give the same plans (tested on every fixture). Default 64 MiB.
   */
  streamAboveBytes?: number;
}

export const DEFAULT_STREAM_ABOVE_BYTES = 64 * 1024 * 1024;
const CHUNK = 1024 * 1024;

function readError(file: string, err: unknown): PlanParseError {
  const code = (err as NodeJS.ErrnoException).code;
  const hint = code === 'ENOENT' ? ': check the path (did the plan step run and write it?)' : code === 'EISDIR' ? ': give a plan file, or use a folder of *.json plans as an input' : '';
  return new PlanParseError(file, `cannot read the file (${code ?? String(err)})${hint}`);
}

/**
 * Reads one plan file: detects and decodes its encoding (UTF-8 ± BOM, UTF-16 LE/BE with BOM), recovers a plan
 * wrapped in CI log lines, splits back-to-back documents, and normalizes each plan. Large files are streamed.
 * Throws {@link PlanParseError} naming the file; nothing is returned for a bad file.
 */
export function readPlanFile(file: string, opts: ReadPlanOptions = {}): TerraformPlan[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw readError(file, err);
  }
  try {
    const size = fstatSync(fd).size;
    if (fstatSync(fd).isDirectory()) throw readError(file, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
    if (size > (opts.streamAboveBytes ?? DEFAULT_STREAM_ABOVE_BYTES)) return streamPlan(fd, file, opts);
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    const { text } = decodePlanBytes(bytes.subarray(0, read), file);
    return normalizeDocuments(parsePlanDocuments(text, file), file, opts);
  } catch (err) {
    if (err instanceof PlanParseError) throw err;
    throw readError(file, err);
  } finally {
    closeSync(fd);
  }
}

/** One document's parts as they stream by; becomes a plain (reduced) plan object for {@link normalizePlan}. */
class DocumentAccumulator {
  readonly top: Record<string, unknown> = {};
  readonly lists: Record<string, unknown[]> = {};

  add(path: (string | number | undefined)[], value: unknown): void {
    const [key] = path;
    if (typeof key !== 'string') return;
    if (path.length === 1) this.top[key] = value;
    else if (path.length === 2 && LIST_KEYS.has(key)) (this.lists[key] ??= []).push(value);
    else if (key === 'planned_values') this.top.planned_values = { outputs: value };
    else if (key === 'prior_state') this.top.prior_state = { values: { outputs: value } };
  }

  /** A key seen at the top level whose value was not kept (e.g. `configuration`): its presence still tells what the document is. */
  seen(key: string): void {
    if (!(key in this.top)) this.top[key] = null;
  }

  /**
   * The first token of a list key's value: `[` is a list (kept even when empty: `"resource_changes": []` is what
   * marks an empty plan); anything else is kept as it is (null, or a scalar or `{}` that normalizePlan refuses as
   * JSON.parse's document would be).
   */
  listStart(key: string, token: TokenType, value: unknown): void {
    if (token === TokenType.LEFT_BRACKET) this.lists[key] ??= [];
    else this.top[key] = token === TokenType.LEFT_BRACE ? {} : value;
  }

  toDocument(): Record<string, unknown> {
    const doc: Record<string, unknown> = { ...this.top };
    for (const key of LIST_KEYS) if (key in this.lists) doc[key] = this.lists[key];
    return doc;
  }
}

const LIST_KEYS = new Set(['resource_changes', 'resource_drift', 'deferred_changes', 'action_invocations']);
// Scalars and the few small objects the report reads; the big parts (configuration, planned_values.root_module,
// prior_state's resources, relevant_attributes) are parsed but dropped as they complete.
const PATHS = [
  '$.format_version',
  '$.terraform_version',
  '$.errored',
  '$.applyable',
  '$.complete',
  '$.output_changes',
  '$.planned_values.outputs',
  '$.prior_state.values.outputs',
  ...[...LIST_KEYS].map((k) => `$.${k}.*`),
  // Markers of documents that are not plans (a state file, validate output), for the error message.
  '$.valid',
  '$.lineage',
  '$.serial',
  '$.version',
  '$.@level',
];

/**
 * Streams a large plan file through @streamparser/json, keeping one document's reduced parts at a time. Lines a CI
 * wrapper added are dropped at line starts (the plan itself is one line); back-to-back documents are split.
 */
function streamPlan(fd: number, file: string, opts: NormalizeOptions): TerraformPlan[] {
  const decoder = new PlanTextDecoder(file);
  const docs: Record<string, unknown>[] = [];
  let current = new DocumentAccumulator();
  let depth = 0;
  let lastString: string | undefined;
  let droppedWrapperLines = 0;
  let head = '';
  let lastOffset = 0;
  const parser = new JSONParser({ paths: PATHS, keepStack: false, separator: '' });
  let listKey: string | undefined; // a top-level list key whose value starts with the next token
  parser.onToken = ({ token, value, offset }) => {
    lastOffset = offset;
    if (listKey !== undefined) {
      current.listStart(listKey, token, value);
      listKey = undefined;
    }
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) depth++;
    else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
      depth--;
      if (depth === 0) {
        docs.push(current.toDocument());
        current = new DocumentAccumulator();
      }
    } else if (depth === 1 && token === TokenType.STRING) lastString = value as string;
    else if (depth === 1 && token === TokenType.COLON && lastString !== undefined) {
      if (LIST_KEYS.has(lastString)) listKey = lastString;
      else current.seen(lastString);
    }
  };
  parser.onValue = ({ value, key, stack }) => {
    const path = [...stack.slice(1).map((s) => s.key), key] as (string | number | undefined)[];
    current.add(path, value);
  };

  // Line filter for wrapper output: decide at each line start whether the line is a wrapper line.
  let atLineStart = true;
  let dropping = false;
  let pendingLine = '';
  const feed = (text: string): void => {
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (atLineStart) {
        pendingLine += text[i];
        i++;
        const decided = pendingLine.length >= 64 || pendingLine.endsWith('\n') || !/^(\[|:)/.test(pendingLine) || /^\[command\]|^::[a-z][a-z-]*( [^:\n]*)?::/.test(pendingLine);
        if (!decided) continue;
        atLineStart = false;
        dropping = isWrapperLine(pendingLine);
        if (dropping) droppedWrapperLines++;
        else out += pendingLine;
        if (pendingLine.endsWith('\n')) atLineStart = true;
        pendingLine = '';
        continue;
      }
      const nl = text.indexOf('\n', i);
      const end = nl === -1 ? text.length : nl + 1;
      if (!dropping) out += text.slice(i, end);
      i = end;
      if (nl !== -1) atLineStart = true;
    }
    if (head.length < 4096) head += out.slice(0, 4096 - head.length);
    if (out) parser.write(out);
  };

  const buf = Buffer.alloc(CHUNK);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      feed(decoder.write(buf.subarray(0, n)));
    }
    feed(decoder.end() + pendingLine);
    pendingLine = '';
    parser.end();
    if (depth !== 0) throw new Error('Unexpected end of input: the JSON is cut short');
  } catch (err) {
    if (err instanceof PlanParseError) throw err;
    if (head.trim() === '' && docs.length === 0) {
      throw new PlanParseError(file, droppedWrapperLines ? `${WRAPPER_HINT}; no JSON is left without them` : EMPTY);
    }
    const known = describeNonJson(head);
    if (known) throw new PlanParseError(file, known);
    const message = (err as Error).message.replace(/\s+/g, ' ').slice(0, 160);
    throw new PlanParseError(file, `${droppedWrapperLines ? `${WRAPPER_HINT}; without those lines it is still ` : ''}not valid JSON after byte ${lastOffset.toLocaleString('en-US')} of the JSON text (${message}; the file was streamed because of its size)`);
  }
  if (docs.length === 0) throw new PlanParseError(file, droppedWrapperLines ? `${WRAPPER_HINT}; no JSON is left without them` : EMPTY);
  if (docs.length > 1) {
    const first = describeNotAPlan(docs[0]);
    if (first && first.includes('terraform plan -json')) throw new PlanParseError(file, first);
  }
  return docs.map((doc, i) => normalizePlan(doc, file, docs.length > 1 ? `document ${i + 1}` : '', opts));
}
