#!/usr/bin/env node
// Benchmark: how long synthesizing every stack of every environment takes.
//   cold    — `platform synth` in a fresh process (TypeScript compiled on the fly by tsx, cache cleared first)
//   warm    — the same with tsx's compile cache warm (what a developer sees on the second run)
//   nx-miss — `nx run infra:synth --skip-nx-cache` (Nx overhead + warm synth)
//   nx-hit  — `nx run infra:synth` after a successful run: restored from Nx's local cache
// Each is run RUNS times (default 3); the median and min are printed side by side. Not a test: numbers only.
import { spawnSync } from 'node:child_process';
import { rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const runs = Number(process.env.RUNS ?? 3);

function time(cmd, args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', ...env } });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  }
  return { s, out: r.stdout };
}

function clearTsxCache() {
  for (const d of readdirSync(tmpdir())) if (d.startsWith('tsx-')) rmSync(path.join(tmpdir(), d), { recursive: true, force: true });
}

const cases = {
  cold: () => (clearTsxCache(), time('node', ['apps/infra/bin/platform.js', 'synth'])),
  warm: () => time('node', ['apps/infra/bin/platform.js', 'synth']),
  'nx-miss': () => time('node_modules/.bin/nx', ['run', 'infra:synth', '--skip-nx-cache']),
  'nx-hit': () => time('node_modules/.bin/nx', ['run', 'infra:synth']),
};

const results = {};
let summary = '';
for (const [name, fn] of Object.entries(cases)) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const { s, out } = fn();
    xs.push(s);
    const m = /(\d+) stacks, (\d+) resources/.exec(out);
    if (m) summary = `${m[1]} stacks, ${m[2]} resources`;
  }
  xs.sort((a, b) => a - b);
  results[name] = { median: xs[Math.floor(xs.length / 2)], min: xs[0] };
  process.stderr.write(`${name}: ${xs.map((x) => x.toFixed(2)).join(' ')} s\n`);
}
console.log(`synth of all environments (${summary}), ${runs} runs each, seconds:`);
console.log('case      median   min');
for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(8)}  ${r.median.toFixed(2).padStart(6)}  ${r.min.toFixed(2).padStart(5)}`);
console.log(`nx cache hit vs cold: ${(results.cold.median / results['nx-hit'].median).toFixed(1)}x faster`);
