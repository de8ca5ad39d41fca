import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
// The one layer list (docs/architecture.md → Stacks): stacks are named `<env>-<layer>`. The environments are not
// listed anywhere in code: they are the environment files, and the manifest holds their stacks in promotion order.
import { LAYERS } from '@awp/config/naming';

export interface StackNode {
  name: string;
  /** Names of the stacks this one depends on (plan/apply them first). */
  dependencies: string[];
  /** cdktf's working directory of the stack, relative to the manifest's directory (`stacks/<name>`). */
  workingDirectory: string;
  /** The synthesized file, relative to the manifest's directory (`stacks/<name>/cdk.tf.json`). */
  synthesizedStackPath: string;
}

export interface StackGraph {
  /** Directory that holds manifest.json (cdktf.out), as given. */
  dir: string;
  stacks: Record<string, StackNode>;
  /**
   * The environments, in the order their stacks first appear in the manifest: `platform synth` writes the manifest
   * in promotion order (environments/*.json's promotesFrom), then layer order.
   */
  environments: string[];
}

export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ManifestError';
  }
}

/** A dependency cycle; `cycle` lists the stacks around it, first repeated at the end. */
export class StackCycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`stack dependency cycle: ${cycle.join(' → ')}`);
    this.name = 'StackCycleError';
  }
}

/** Builds a graph from the parsed content of cdktf's `manifest.json`; `file` names it in errors. */
export function parseManifest(value: unknown, file: string, dir = path.dirname(file)): StackGraph {
  const fail = (detail: string): never => {
    throw new ManifestError(file, detail);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object (cdktf.out/manifest.json)');
  const stacksRaw = (value as { stacks?: unknown }).stacks;
  if (typeof stacksRaw !== 'object' || stacksRaw === null || Array.isArray(stacksRaw)) return fail('"stacks" must be an object of stack name → stack');
  const byPath = new Map<string, string>();
  const stacks: Record<string, StackNode> = {};
  for (const [key, raw] of Object.entries(stacksRaw as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) return fail(`stacks.${key} must be an object`);
    const s = raw as Record<string, unknown>;
    const deps = s.dependencies ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) return fail(`stacks.${key}.dependencies must be an array of strings`);
    const synthesizedStackPath = typeof s.synthesizedStackPath === 'string' ? s.synthesizedStackPath : fail(`stacks.${key}.synthesizedStackPath must be a string`);
    const workingDirectory = typeof s.workingDirectory === 'string' ? s.workingDirectory : path.posix.dirname(synthesizedStackPath);
    const name = typeof s.name === 'string' ? s.name : key;
    stacks[name] = { name, dependencies: deps as string[], workingDirectory, synthesizedStackPath };
    byPath.set(typeof s.constructPath === 'string' ? s.constructPath : name, name);
  }
  // cdktf records dependencies as construct paths; top-level stacks' paths equal their names.
  for (const node of Object.values(stacks)) {
    node.dependencies = node.dependencies.map((d) => {
      const target = byPath.get(d) ?? (stacks[d] ? d : undefined);
      return target ?? fail(`stacks.${node.name}.dependencies: unknown stack "${d}"`);
    });
  }
  const environments = [...new Set(Object.keys(stacks).map((n) => splitStackName(n).env).filter((e): e is string => e !== undefined))];
  return { dir, stacks, environments };
}

/** Reads `<dir>/manifest.json` (dir = cdktf's output directory; a path to the manifest file itself also works). */
export function readManifest(dir: string): StackGraph {
  let file = dir;
  let outDir = dir;
  try {
    if (statSync(dir).isDirectory()) file = path.join(dir, 'manifest.json');
    else outDir = path.dirname(dir);
  } catch {
    throw new ManifestError(dir, 'no such file or directory (run the synth first: npm run synth)');
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ManifestError(file, `cannot read the manifest (${(err as NodeJS.ErrnoException).code ?? String(err)}; run the synth first)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(file, `not valid JSON (${(err as Error).message})`);
  }
  return parseManifest(value, file, outDir);
}

/**
 * Stacks in dependency order (every stack after all it depends on); ties keep a stable order: by environment
 * (the manifest's order: promotion order), by layer order of the platform, then by name. Throws {@link StackCycleError} naming the cycle.
 */
export function topologicalOrder(graph: StackGraph, subset?: Iterable<string>): string[] {
  const wanted = new Set(subset ?? Object.keys(graph.stacks));
  const rank = (name: string): [number, number, string] => {
    const { env, layer } = splitStackName(name);
    const e = env ? graph.environments.indexOf(env) : -1;
    const l = layer ? (LAYERS as readonly string[]).indexOf(layer) : -1;
    return [e === -1 ? 99 : e, l === -1 ? 99 : l, name];
  };
  const sorted = [...Object.keys(graph.stacks)].sort((a, b) => {
    const [ea, la, na] = rank(a);
    const [eb, lb, nb] = rank(b);
    return ea - eb || la - lb || (na < nb ? -1 : na > nb ? 1 : 0);
  });
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const visit = (name: string, trail: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new StackCycleError([...trail.slice(trail.indexOf(name)), name]);
    state.set(name, 'visiting');
    for (const dep of [...graph.stacks[name].dependencies].sort()) visit(dep, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of sorted) visit(name, []);
  return order.filter((n) => wanted.has(n));
}

/** Every stack that depends on one of `names`, directly or not, plus `names` themselves. */
export function downstreamClosure(graph: StackGraph, names: Iterable<string>): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const node of Object.values(graph.stacks)) for (const d of node.dependencies) dependents.set(d, [...(dependents.get(d) ?? []), node.name]);
  const out = new Set<string>();
  const queue = [...names];
  while (queue.length) {
    const n = queue.shift() as string;
    if (out.has(n)) continue;
    out.add(n);
    queue.push(...(dependents.get(n) ?? []));
  }
  return out;
}

/** `prod-data` → { env: 'prod', layer: 'data' }: the longest known layer suffix wins; unknown layers split at the last '-'. */
export function splitStackName(name: string): { env?: string; layer?: string } {
  const layer = [...LAYERS].sort((a, b) => b.length - a.length).find((l) => name.endsWith(`-${l}`));
  if (layer) return { env: name.slice(0, -(layer.length + 1)), layer };
  const i = name.lastIndexOf('-');
  return i > 0 ? { env: name.slice(0, i), layer: name.slice(i + 1) } : {};
}
