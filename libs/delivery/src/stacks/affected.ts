import path from 'node:path';
import { LAYER_PROJECTS, LAYERS, READS_BEYOND_OUTPUTS, type Layer } from '@awp/config/naming';
import { downstreamClosure, splitStackName, topologicalOrder, type StackGraph } from './graph';

/** Nx project → the layers (stack suffixes) it builds: LAYER_PROJECTS of @awp/config, inverted. */
export const PROJECT_LAYERS: Readonly<Record<string, readonly string[]>> = LAYERS.reduce<Record<string, string[]>>((acc, layer) => {
  (acc[LAYER_PROJECTS[layer]] ??= []).push(layer);
  return acc;
}, {});

/** Projects that shape every stack: the cdktf app, the environment schema/naming, the guardrails. */
export const GLOBAL_PROJECTS: readonly string[] = ['infra', 'config', 'guardrails'];

/** Files that shape every stack (provider versions come from the lock file). */
const GLOBAL_PATHS: readonly string[] = ['apps/infra/', 'libs/config/', 'libs/guardrails/', 'package.json', 'package-lock.json', 'tsconfig.base.json'];

export interface AffectedInput {
  graph: StackGraph;
  /** Affected Nx projects, e.g. the output of `nx show projects --affected --json`. */
  projects?: readonly string[];
  /** Changed files, relative to the repository root. */
  files?: readonly string[];
  /** Plan every stack (schedules, drift, a manual run). */
  all?: boolean;
  /** Keep only stacks of these environments. */
  envs?: readonly string[];
}

export interface MatrixEntry {
  stack: string;
  env: string;
  layer: string;
  /** The stack's synthesized directory (holds cdk.tf.json), as `<manifest dir>/<workingDirectory>`. */
  dir: string;
  /** Direct dependencies that are in the same matrix: plan/apply them first ("waits for …"). */
  needs: string[];
  /**
   * Those of `needs` this stack reads more than the outputs of (@awp/config READS_BEYOND_OUTPUTS): a pull-request
   * plan waits for any change of theirs, not only a changed output.
   */
  waitOnAnyChange: string[];
}

export interface AffectedResult {
  /** Stacks to plan, in dependency order. */
  include: MatrixEntry[];
  /** Why each stack is included. */
  reasons: Record<string, string[]>;
}

function normalize(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}

/**
 * Maps changed projects and files to the stacks that must be planned: `environments/<env>.json` → every stack of
 * that env; a layer project or its files → that layer's stacks in every env; the infra app, libs/config or
 * libs/guardrails (or the lock file) → everything. The set is closed downstream over stack dependencies (a change
 * to `dev-network` re-plans everything that reads its outputs) and returned in dependency order.
 */
export function affectedStacks(input: AffectedInput): AffectedResult {
  const { graph } = input;
  const names = Object.keys(graph.stacks).filter((n) => splitStackName(n).layer !== undefined);
  const reasons: Record<string, string[]> = {};
  const add = (stack: string, why: string) => {
    reasons[stack] ??= [];
    if (!reasons[stack].includes(why)) reasons[stack].push(why);
  };
  const addAll = (why: string) => names.forEach((n) => add(n, why));
  const addLayer = (layer: string, why: string) => names.filter((n) => splitStackName(n).layer === layer).forEach((n) => add(n, why));
  const envNames = new Set(names.map((n) => splitStackName(n).env));

  if (input.all) addAll('all stacks requested');
  for (const project of input.projects ?? []) {
    if (GLOBAL_PROJECTS.includes(project)) addAll(`project ${project}`);
    for (const layer of PROJECT_LAYERS[project] ?? []) addLayer(layer, `project ${project}`);
  }
  for (const raw of input.files ?? []) {
    const file = normalize(raw);
    if (GLOBAL_PATHS.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p))) {
      addAll(`file ${file}`);
      continue;
    }
    const env = /^environments\/([^/]+)\.json$/.exec(file);
    if (env) {
      // A known environment file re-plans that environment; anything else there (the generated schema) all of them.
      if (envNames.has(env[1])) names.filter((n) => splitStackName(n).env === env[1]).forEach((n) => add(n, `file ${file}`));
      else addAll(`file ${file}`);
      continue;
    }
    const lib = /^libs\/([^/]+)\//.exec(file);
    if (lib) for (const layer of PROJECT_LAYERS[lib[1]] ?? []) addLayer(layer, `file ${file}`);
  }

  const direct = Object.keys(reasons);
  const closed = downstreamClosure(graph, direct);
  for (const n of closed) {
    if (!reasons[n]) {
      const upstream = graph.stacks[n].dependencies.filter((d) => closed.has(d));
      add(n, `depends on ${upstream.join(', ')}`);
    }
  }
  const envFilter = input.envs && input.envs.length ? new Set(input.envs) : undefined;
  const selected = [...closed].filter((n) => !envFilter || envFilter.has(splitStackName(n).env ?? ''));
  const ordered = topologicalOrder(graph, selected);
  const inMatrix = new Set(ordered);
  const include = ordered.map((stack) => {
    const { env = '', layer = '' } = splitStackName(stack);
    const node = graph.stacks[stack];
    const needs = node.dependencies.filter((d) => inMatrix.has(d));
    const beyond = READS_BEYOND_OUTPUTS[layer as Layer] ?? [];
    return {
      stack,
      env,
      layer,
      dir: path.posix.join(normalize(graph.dir), normalize(node.workingDirectory)),
      needs,
      waitOnAnyChange: needs.filter((d) => beyond.includes(splitStackName(d).layer as Layer)),
    };
  });
  const keptReasons: Record<string, string[]> = {};
  for (const e of include) keptReasons[e.stack] = reasons[e.stack];
  return { include, reasons: keptReasons };
}

/** The GitHub Actions job matrix: `{"include":[{stack, env, layer, dir, needs, waitOnAnyChange}]}`. */
export function toMatrix(result: AffectedResult): { include: MatrixEntry[] } {
  return { include: result.include };
}
