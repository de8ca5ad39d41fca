#!/usr/bin/env node
// Bundles each action's src/main.ts (with @actions/*, Octokit and @awp/delivery) into one CommonJS file,
// dist/index.js, which GitHub runs with `runs.using: node24`. Deterministic: paths in the bundle are relative
// to the action's folder, so the committed dist is byte-identical when rebuilt (checked by .ci/checks/50-actions-dist.sh).
// Usage: node apps/actions/shared/build.mjs [action ...]   (no argument: every action)
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The actions live next to this folder: apps/actions/<name>.
const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ACTIONS = ['plan-report', 'affected-stacks', 'promote-gate', 'drift-report'];

export async function buildAction(name) {
  const dir = path.join(here, name);
  if (!existsSync(path.join(dir, 'src', 'main.ts'))) throw new Error(`${name}: no src/main.ts in ${dir}`);
  await build({
    absWorkingDir: dir,
    entryPoints: ['src/main.ts'],
    outfile: 'dist/index.js',
    bundle: true,
    platform: 'node',
    // node20 is the oldest runtime we support locally; GitHub runs the bundle on node24.
    target: 'node20',
    format: 'cjs',
    tsconfig: 'tsconfig.json',
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ACTIONS;
  for (const name of names) await buildAction(name);
}
