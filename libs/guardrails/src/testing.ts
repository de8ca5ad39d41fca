// Test helpers for the workspace's jest suites, imported as `@awp/guardrails/testing`. Not part of the published
// package: tsconfig.lib.json leaves this file out of dist and package.json `exports` has no `./testing`; tests
// resolve it through tsconfig.base.json's paths and jest.preset.js's moduleNameMapper.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evaluate, stackView } from './engine';
import { formatFinding } from './aspect';
import { ALL_RULES } from './rules';

/** Synthesized Terraform JSON (cdk.tf.json): data, not a type worth declaring. */
export type TfJson = Record<string, any>;

/** Every block of one Terraform type in a synthesized stack (`kind` 'data' for data sources). */
export function all(json: TfJson, type: string, kind: 'resource' | 'data' = 'resource'): TfJson[] {
  return Object.values(json[kind]?.[type] ?? {}) as TfJson[];
}

/** The one block of a type; throws naming the type when there are none or several. */
export function only(json: TfJson, type: string, kind: 'resource' | 'data' = 'resource'): TfJson {
  const blocks = all(json, type, kind);
  if (blocks.length !== 1) throw new Error(`expected one ${kind === 'data' ? 'data.' : ''}${type}, found ${blocks.length}`);
  return blocks[0];
}

/** The unsuppressed error-severity findings of every guardrail rule on one synthesized stack, formatted. */
export function guardrailErrors(name: string, json: TfJson): string[] {
  return evaluate(stackView(name, json), ALL_RULES)
    .filter((f) => f.severity === 'error' && !f.suppressedBecause)
    .map(formatFinding);
}

/**
 * Runs an example's main.ts as it is (in this jest process, with cdktf's CDKTF_OUTDIR pointed at a temp folder)
 * and returns each synthesized stack's JSON by stack name. A throw in the example (bad props, a guardrail
 * error from its own `assertClean()`) fails the calling test.
 */
export function runExample(mainFile: string): Record<string, TfJson> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'awp-example-'));
  const previous = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = outdir;
  try {
    // A fresh module registry: the example builds its own App, exactly as `node main.js` would.
    jest.isolateModules(() => require(mainFile));
    const stacksDir = path.join(outdir, 'stacks');
    return Object.fromEntries(readdirSync(stacksDir).map((name) => [name, JSON.parse(readFileSync(path.join(stacksDir, name, 'cdk.tf.json'), 'utf8')) as TfJson]));
  } finally {
    if (previous === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = previous;
    rmSync(outdir, { recursive: true, force: true });
  }
}
