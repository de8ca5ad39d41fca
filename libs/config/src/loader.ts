import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { environmentSchema, type EnvironmentConfig } from './schema';
import { parentZoneOf, zoneDelegationProblems } from './delegations';

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

function zodPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // zod's own wording for the common cases is good ("Invalid input: expected number, received string");
  // unknown keys get the list so a typo is obvious.
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message.replace(/^Invalid input: /, '');
}

/** Validates already-parsed JSON; returns the typed config or the problems. */
export function validateEnvironment(raw: unknown, file: string, expectedName?: string): { config?: EnvironmentConfig; problems: ConfigProblem[] } {
  const result = environmentSchema.safeParse(raw);
  if (!result.success) {
    return { problems: result.error.issues.map((i) => ({ file, path: zodPath(i.path), message: describeIssue(i) })) };
  }
  if (expectedName && result.data.name !== expectedName) {
    return { problems: [{ file, path: 'name', message: `expected "${expectedName}" (the file name), got "${result.data.name}"` }] };
  }
  return { config: result.data, problems: [] };
}

function readOne(name: string, dir: string, relativeTo: string): { config?: EnvironmentConfig; problems: ConfigProblem[] } {
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
  return validateEnvironment(raw, file, name);
}

/**
 * Loads and validates the named environments (default: all). Every problem of every file is collected and
 * thrown together as one ConfigError; an unknown name lists the valid ones.
 */
export function loadEnvironments(names?: readonly string[], options: LoadOptions = {}): EnvironmentConfig[] {
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
  const results = wanted.map((n) => readOne(n, dir, relativeTo));
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const configs = results.map((r) => r.config as EnvironmentConfig);
  const problemsAcross: ConfigProblem[] = [];
  const fileOf = (c: EnvironmentConfig) => path.join(path.relative(relativeTo, dir), `${c.name}.json`);
  for (const c of configs) {
    if (c.promotesFrom && !known.includes(c.promotesFrom)) {
      problemsAcross.push({ file: fileOf(c), path: 'promotesFrom', message: `expected one of ${known.join(', ')}, got "${c.promotesFrom}"` });
    }
    // One repository has one ID: a second value is a typo that would lock that environment's roles out.
    const first = configs.find((o) => o.repository.toLowerCase() === c.repository.toLowerCase());
    for (const key of ['repositoryId', 'repositoryOwnerId'] as const) {
      if (first && first !== c && first[key] !== undefined && c[key] !== undefined && first[key] !== c[key]) {
        problemsAcross.push({ file: fileOf(c), path: key, message: `expected ${first[key]} (as in ${first.name}.json for ${c.repository}), got ${c[key]}` });
      }
    }
  }
  // Zones across files (./delegations.ts): the other files are read too, so `--env dev` still sees prod's delegations;
  // a file that does not validate is left to its own load to report.
  const all = [...configs, ...known.filter((n) => !wanted.includes(n)).flatMap((n) => readOne(n, dir, relativeTo).config ?? [])];
  problemsAcross.push(...zoneDelegationProblems(configs, all, fileOf));
  if (problemsAcross.length > 0) throw new ConfigError(problemsAcross);
  return configs.map((c) => {
    // Named from the folder, not the working directory: the name ends up in synthesized messages, which must not vary.
    const parentZone = parentZoneOf(c, all, (o) => `${path.basename(dir)}/${o.name}.json`);
    return parentZone ? { ...c, parentZone } : c;
  });
}

export function loadEnvironment(name: string, options: LoadOptions = {}): EnvironmentConfig {
  return loadEnvironments([name], options)[0];
}
