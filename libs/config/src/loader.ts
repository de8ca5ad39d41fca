import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { fieldPath, settingsProblems } from './settings';

/** One problem in one environment file: the file, the field path and what was expected. */
export interface ConfigProblem {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

/** Raised for any bad environment input. `problems` holds all of them, not only the first. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly ConfigProblem[],
    summary?: string,
  ) {
    super(summary ?? ConfigError.format(problems));
    this.name = 'ConfigError';
  }

  static format(problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => `  ${p.file}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
    return `invalid environment configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
  }
}

export interface LoadOptions {
  /** Folder holding `<env>.json`. Default: `environments` under the workspace root. */
  readonly dir?: string;
  /** Base for the file names in messages. Default: the current directory. */
  readonly relativeTo?: string;
}

/** The workspace's environments folder: the nearest ancestor of `from` that has one. */
export function findEnvironmentsDir(from = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, 'environments');
    if (existsSync(candidate) && existsSync(path.join(dir, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new ConfigError([{ file: 'environments/', path: '', message: `no environments folder found above ${from}` }]);
    dir = parent;
  }
}

/** Names of the environments defined in the folder (`*.json` except the schema), sorted by promotion order. */
export function listEnvironments(dir = findEnvironmentsDir()): string[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.json'.length));
  // Promotion order, read from the files themselves (dev, staging, prod for this repository): a new
  // environment file takes its place by its promotesFrom; an unreadable file sorts last (the loader reports it).
  const from = new Map(names.map((n) => [n, peekPromotesFrom(path.join(dir, `${n}.json`))]));
  return orderByPromotion(names, (n) => from.get(n));
}

function peekPromotesFrom(file: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { promotesFrom?: unknown }).promotesFrom;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Names in promotion order: by the length of their promotesFrom chain (the first environment has none), then by
 * name. Unknown targets end a chain and cycles are cut here; the loader (and @awp/delivery's promotionOrder)
 * report both as errors.
 */
export function orderByPromotion(names: readonly string[], promotesFrom: (name: string) => string | undefined): string[] {
  const depth = (name: string, seen: readonly string[] = []): number => {
    const next = promotesFrom(name);
    return next !== undefined && names.includes(next) && !seen.includes(next) ? 1 + depth(next, [...seen, name]) : 0;
  };
  return [...names].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
}

/**
 * What the generic loader needs to know about an environment file: its schema (assembled by the app from the layers'
 * sections), the keys that were renamed (refused with the new name), and the checks that compare files.
 */
export interface EnvironmentFileSpec<T extends { readonly name: string; readonly promotesFrom?: string }> {
  readonly schema: z.ZodType<T>;
  /**
   * Renamed keys, dotted old path → dotted new path (`'data.redis': 'data.cache'`): a file that still uses the old key
   * is refused with a message naming the new one (README → Config migration), not a bare "unknown field".
   */
  readonly renamed?: Readonly<Record<string, string>>;
  /**
   * Problems only visible across files (each file valid on its own); `fileOf` names a config's file. `all` holds the
   * loaded configs and every other valid file of the folder (loading `dev` alone still sees prod's zone delegations).
   */
  readonly acrossFiles?: (configs: readonly T[], fileOf: (config: T) => string, all: readonly T[]) => ConfigProblem[];
  /** Adds what only the other files tell (e.g. which environment's zone delegates this one) to each loaded config. */
  readonly annotate?: (config: T, all: readonly T[], folder: string) => T;
}

/** Old keys still present in `raw`, as problems naming the new key. */
function renamedKeyProblems(raw: unknown, renamed: Readonly<Record<string, string>>, file: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [from, to] of Object.entries(renamed)) {
    const keys = from.split('.');
    let node: unknown = raw;
    for (const k of keys.slice(0, -1)) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
    if (node !== null && typeof node === 'object' && Object.hasOwn(node, keys[keys.length - 1])) {
      out.push({ file, path: from, message: `renamed to "${to}" (README → Config migration): move this key's fields there` });
    }
  }
  return out;
}

/** Validates already-parsed JSON against `spec`; returns the typed config or every problem. */
export function validateEnvironmentFile<T extends { readonly name: string; readonly promotesFrom?: string }>(
  spec: EnvironmentFileSpec<T>,
  raw: unknown,
  file: string,
  expectedName?: string,
): { config?: T; problems: ConfigProblem[] } {
  const renamed = spec.renamed ?? {};
  const renames = renamedKeyProblems(raw, renamed, file);
  const result = spec.schema.safeParse(raw);
  if (!result.success) {
    // An old key is reported once, by its rename, not again as an unknown field.
    const issues = result.error.issues.flatMap((i): z.core.$ZodIssue[] => {
      if (i.code !== 'unrecognized_keys') return [i];
      const keys = i.keys.filter((k) => renamed[fieldPath([...i.path, k])] === undefined);
      return keys.length > 0 ? [{ ...i, keys }] : [];
    });
    return { problems: [...renames, ...settingsProblems(issues).map((p) => ({ file, ...p }))] };
  }
  if (renames.length > 0) return { problems: renames };
  if (expectedName && result.data.name !== expectedName) {
    return { problems: [{ file, path: 'name', message: `expected "${expectedName}" (the file name), got "${result.data.name}"` }] };
  }
  return { config: result.data, problems: [] };
}

function readOne<T extends { readonly name: string; readonly promotesFrom?: string }>(spec: EnvironmentFileSpec<T>, name: string, dir: string, relativeTo: string): { config?: T; problems: ConfigProblem[] } {
  const full = path.join(dir, `${name}.json`);
  const file = path.relative(relativeTo, full) || full;
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    return { problems: [{ file, path: '', message: `cannot read the file: ${(e as Error).message}` }] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { problems: [{ file, path: '', message: `expected valid JSON: ${(e as Error).message}` }] };
  }
  return validateEnvironmentFile(spec, raw, file, name);
}

/**
 * Loads and validates the named environments (default: all) against `spec`. Every problem of every file is collected
 * and thrown together as one ConfigError; an unknown name lists the valid ones.
 */
export function loadEnvironmentFiles<T extends { readonly name: string; readonly promotesFrom?: string }>(spec: EnvironmentFileSpec<T>, names?: readonly string[], options: LoadOptions = {}): T[] {
  const dir = options.dir ?? findEnvironmentsDir();
  const relativeTo = options.relativeTo ?? process.cwd();
  const known = listEnvironments(dir);
  const wanted = names && names.length > 0 ? [...new Set(names)] : known;
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    const rel = path.relative(relativeTo, dir) || dir;
    throw new ConfigError(
      unknown.map((n) => ({ file: path.join(rel, `${n}.json`), path: '', message: `unknown environment "${n}"; valid environments: ${known.join(', ')}` })),
    );
  }
  const results = wanted.map((n) => readOne(spec, n, dir, relativeTo));
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const configs = results.map((r) => r.config as T);
  const fileOf = (c: T) => path.join(path.relative(relativeTo, dir), `${c.name}.json`);
  const problemsAcross: ConfigProblem[] = [];
  for (const c of configs) {
    if (c.promotesFrom && !known.includes(c.promotesFrom)) {
      problemsAcross.push({ file: fileOf(c), path: 'promotesFrom', message: `expected one of ${known.join(', ')}, got "${c.promotesFrom}"` });
    }
  }
  // A file that does not validate is left to its own load to report.
  const all = [...configs, ...known.filter((n) => !wanted.includes(n)).flatMap((n) => readOne(spec, n, dir, relativeTo).config ?? [])];
  problemsAcross.push(...(spec.acrossFiles?.(configs, fileOf, all) ?? []));
  if (problemsAcross.length > 0) throw new ConfigError(problemsAcross);
  const annotate = spec.annotate;
  return annotate ? configs.map((c) => annotate(c, all, dir)) : configs;
}
