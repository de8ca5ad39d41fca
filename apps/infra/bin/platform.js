#!/usr/bin/env node
// Runs the platform CLI from its TypeScript sources: tsx compiles on the fly (esbuild, cached), so a fresh
// clone needs only `npm ci` — no build step before `npm run synth`. Workspace libraries resolve to their
// sources through apps/infra/tsconfig.json's paths.
const path = require('node:path');
process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', 'tsconfig.json');
require('tsx/cjs');
require('../src/main.ts');
