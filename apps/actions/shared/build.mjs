#!/usr/bin/env node
// Bundles each action's src/main.ts (with @actions/*, Octokit and @awp/delivery) into one CommonJS file,
// dist/index.js, built for the runtime its action.yml declares (`runs.using: node24`). Deterministic: paths in the bundle are relative
// to the action's folder, so the committed dist is byte-identical when rebuilt (checked by .ci/checks/50-actions-dist.sh).
// Usage: node apps/actions/shared/build.mjs [action ...]   (no argument: every action)
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The actions live next to this folder: apps/actions/<name>.
const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ACTIONS = ['plan-report', 'affected-stacks', 'promote-gate', 'drift-report'];

/**
 * The esbuild target of an action: the runtime its action.yml declares (`runs.using: node24` → `node24`), so the
 * bundle is built for the Node.js GitHub runs it on (docs.github.com → metadata syntax → runs.using).
 */
export function targetFor(name) {
  const yml = readFileSync(path.join(here, name, 'action.yml'), 'utf8');
  const using = /^runs:\n(?:[ \t]+.*\n)*?[ \t]+using:[ \t]*['"]?(node\d+)['"]?[ \t]*$/m.exec(yml);
  if (!using) throw new Error(`${name}/action.yml: expected runs.using: node<version> (a JavaScript action)`);
  return using[1];
}

export async function buildAction(name) {
  const dir = path.join(here, name);
  if (!existsSync(path.join(dir, 'src', 'main.ts'))) throw new Error(`${name}: no src/main.ts in ${dir}`);
  await build({
    absWorkingDir: dir,
    entryPoints: ['src/main.ts'],
    outfile: 'dist/index.js',
    bundle: true,
    platform: 'node',
    target: targetFor(name),
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
