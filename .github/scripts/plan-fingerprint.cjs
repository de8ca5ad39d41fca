#!/usr/bin/env node
// Usage: plan-fingerprint.cjs <plan.json>...  → prints {"<stack>": "<sha256>", …}
// The same fingerprint as the plan-report action's `fingerprints` output (both call @awp/delivery), so a
// re-plan on merge can be compared with the plan reviewed on the pull request. Runs the TypeScript sources
// through tsx (a devDependency), like apps/infra/bin/platform.js: needs `npm ci`, no build.
'use strict';
const path = require('node:path');
process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', 'tsconfig.base.json');
require('tsx/cjs');
const { loadPlanFiles } = require('../../libs/delivery/src/index.ts');

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: plan-fingerprint.cjs <plan.json>...');
  process.exit(2);
}
try {
  const stacks = loadPlanFiles(files);
  process.stdout.write(`${JSON.stringify(Object.fromEntries(stacks.map((s) => [s.name, s.fingerprint])))}\n`);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
