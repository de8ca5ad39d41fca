import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'cdktf';
import { LAYERS, LAYER_DEPENDENCIES, ConfigError, findEnvironmentsDir, listEnvironments, stackName, type Layer, type LoadOptions, type PlatformStack } from '@awp/config';
import { loadEnvironments, type EnvironmentConfig } from './environment';
import { ALL_RULES, Guardrails, GuardrailError, type Finding } from '@awp/guardrails';
import { buildEnvironment } from './platform';

export interface SynthOptions extends LoadOptions {
  /** Environments to synthesize; default all files in environments/. */
  readonly envs?: readonly string[];
  /** Layers to write; default all. */
  readonly layers?: readonly string[];
  /** Output folder; default `cdktf.out` in the current directory. */
  readonly outdir?: string;
  /** Called with each environment's stacks after they are built: a hook for extra constructs (and for tests). */
  readonly customize?: (env: EnvironmentConfig, stacks: Map<Layer, PlatformStack>) => void;
}

export interface SynthesizedStack {
  readonly name: string;
  readonly env: string;
  readonly layer: Layer;
  readonly resources: number;
  readonly dependencies: string[];
  readonly path: string;
}

export interface SynthResult {
  readonly stacks: SynthesizedStack[];
  readonly findings: Finding[];
  readonly seconds: number;
  readonly outdir: string;
}

/** Refuses layer names that do not exist, listing the valid ones. */
export function resolveLayers(layers?: readonly string[]): Layer[] {
  if (!layers || layers.length === 0) return [...LAYERS];
  const unknown = layers.filter((l) => !(LAYERS as readonly string[]).includes(l));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((l) => ({ file: '--layer', path: '', message: `unknown layer "${l}"; valid layers: ${LAYERS.join(', ')}` })));
  }
  return LAYERS.filter((l) => layers.includes(l));
}

interface ManifestStack {
  name: string;
  dependencies: string[];
  synthesizedStackPath: string;
  workingDirectory: string;
  [key: string]: unknown;
}
interface Manifest {
  version: string;
  stacks: Record<string, ManifestStack>;
}

function countResources(file: string): number {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
  return Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
}

/**
 * Validates, builds, checks and writes the stacks. Nothing under `outdir` changes unless every environment
 * file is valid and every stack passes the guardrails: cdktf writes into a scratch folder next to `outdir`,
 * and only then are the chosen stack folders moved in and the manifest merged.
 */
export function synthesize(options: SynthOptions = {}): SynthResult {
  const started = process.hrtime.bigint();
  const envs: EnvironmentConfig[] = loadEnvironments(options.envs, options);
  const layers = resolveLayers(options.layers);
  const outdir = path.resolve(options.outdir ?? 'cdktf.out');
  mkdirSync(path.dirname(outdir), { recursive: true });
  const scratch = mkdtempSync(path.join(path.dirname(outdir), '.cdktf.out-'));
  try {
    // stackTraces off: construct stack traces in metadata make synth several times slower and the JSON larger.
    const app = new App({ outdir: scratch, stackTraces: false });
    for (const env of envs) {
      const stacks = buildEnvironment(app, env);
      options.customize?.(env, stacks);
    }
    const guardrails = new Guardrails(ALL_RULES).applyTo(app);
    app.synth();
    if (guardrails.errors.length > 0) throw new GuardrailError(guardrails.findings);

    const manifest = JSON.parse(readFileSync(path.join(scratch, 'manifest.json'), 'utf8')) as Manifest;
    const merged: Manifest = existsSync(path.join(outdir, 'manifest.json'))
      ? (JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as Manifest)
      : { version: manifest.version, stacks: {} };
    merged.version = manifest.version;
    mkdirSync(path.join(outdir, 'stacks'), { recursive: true });
    const stacks: SynthesizedStack[] = [];
    const order = listEnvironments(options.dir ?? findEnvironmentsDir());
    for (const env of envs) {
      for (const layer of layers) {
        const name = stackName(env, layer);
        const entry = manifest.stacks[name];
        if (!entry) continue;
        const target = path.join(outdir, entry.workingDirectory);
        rmSync(target, { recursive: true, force: true });
        renameSync(path.join(scratch, entry.workingDirectory), target);
        merged.stacks[name] = entry;
        stacks.push({ name, env: env.name, layer, resources: countResources(path.join(outdir, entry.synthesizedStackPath)), dependencies: [...entry.dependencies].sort(), path: path.join(outdir, entry.synthesizedStackPath) });
      }
    }
    // A stable order for stable diffs that also carries the environments' promotion order (listEnvironments): the
    // delivery tools read the environments from it (@awp/delivery readManifest). Write-then-rename so a reader
    // never sees half a file.
    merged.stacks = Object.fromEntries(Object.entries(merged.stacks).sort(([a], [b]) => manifestRank(a, order).localeCompare(manifestRank(b, order))));
    const tmpManifest = path.join(scratch, 'manifest.merged.json');
    writeFileSync(tmpManifest, `${JSON.stringify(merged, null, 2)}\n`);
    renameSync(tmpManifest, path.join(outdir, 'manifest.json'));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { stacks, findings: guardrails.findings, seconds, outdir };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Sort key of a stack in the manifest: environment in promotion order, then layer order (unknown ones last, by name). */
function manifestRank(name: string, envs: readonly string[]): string {
  const layer = LAYERS.findIndex((l) => name.endsWith(`-${l}`));
  const env = layer < 0 ? -1 : envs.indexOf(name.slice(0, -(LAYERS[layer].length + 1)));
  const pad = (i: number) => String(i < 0 ? 999 : i).padStart(3, '0');
  return `${pad(env)}/${pad(layer)}/${name}`;
}

/** The static stack graph (from LAYER_DEPENDENCIES) for the given environments. */
export function stackGraph(envs: readonly Pick<EnvironmentConfig, 'name'>[]): { name: string; env: string; layer: Layer; dependencies: string[] }[] {
  return envs.flatMap((env) => LAYERS.map((layer) => ({ name: stackName(env, layer), env: env.name, layer, dependencies: LAYER_DEPENDENCIES[layer].map((d) => stackName(env, d)) })));
}
