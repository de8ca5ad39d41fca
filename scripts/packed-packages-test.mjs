#!/usr/bin/env node
// Packed-packages test: proof that the library packages work as PUBLISHED, not only inside the monorepo.
// 1. build @awp/config, @awp/guardrails and the layer packages (nx, dependency order);
// 2. `npm pack` each into a temp folder (exactly what `npm publish` would upload: `files`, `exports`);
// 3. create a throwaway project OUTSIDE the workspace and `npm install` the tarballs plus cdktf, constructs and
//    the provider packages at the workspace's versions (--prefer-offline: the npm cache has them after `npm ci`);
// 4. copy every layer package's examples (libs/<layer>/examples/<name>/main.ts: the same files each package's jest
//    suite synthesizes) into that project, type-check them against the packages' .d.ts (the workspace's tsc, no
//    paths mapping, no @types/node), compile and run each as a team would (`node main.js`, CDKTF_OUTDIR), then check
//    the synthesized JSON: each layer's main resources, the packed guardrails clean, one `constructs` copy.
// Usage: node scripts/packed-packages-test.mjs [--keep]   (--keep leaves the temp project for inspection)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const started = Date.now();
const step = (msg) => console.log(`[packed-packages ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });

// The packages a platform team consumes; layer packages are included when they exist in this checkout.
const CORE = ['config', 'guardrails'];
const LAYERS = ['network', 'data', 'compute', 'edge', 'identity', 'observability'];
const libs = [...CORE, ...LAYERS].filter((l) => existsSync(path.join(root, 'libs', l, 'package.json')));
// Each layer's main constructs: they must load from their tarballs and extend the consumer's single copy of
// `constructs` (a bundled or duplicated copy breaks construct trees: peerDependencies must be right).
const MAIN_CONSTRUCTS = { '@awp/network': ['Network'], '@awp/data': ['DataLayer'], '@awp/compute': ['Cluster', 'ServiceWorkloads'], '@awp/edge': ['Edge', 'SiteZone'], '@awp/identity': ['Identity'], '@awp/observability': ['Observability'] };
if (!libs.includes('network')) throw new Error('libs/network is missing: nothing to test');

const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = (name) => {
  const v = rootPkg.dependencies?.[name] ?? rootPkg.devDependencies?.[name];
  if (!v) throw new Error(`package.json: no version for ${name}`);
  return v;
};

const work = mkdtempSync(path.join(os.tmpdir(), 'awp-packed-'));
if (work.startsWith(root)) throw new Error(`temp folder ${work} is inside the workspace`);
try {
  step(`building ${libs.join(', ')}`);
  run('npx', ['nx', 'run-many', '-t', 'build', '-p', ...libs, '--outputStyle=static'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

  const tarballs = path.join(work, 'tarballs');
  mkdirSync(tarballs);
  const packed = {};
  for (const lib of libs) {
    const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: path.join(root, 'libs', lib) }));
    const files = info.files.map((f) => f.path);
    if (!files.includes('dist/index.js') || !files.includes('dist/index.d.ts')) throw new Error(`${info.name}: the tarball lacks dist/index.js or dist/index.d.ts (files: ${files.join(', ')})`);
    // Examples are the repository's (libs/<layer>/examples), not the package's: `files` leaves them out, like tests
    // and the workspace-only test helpers (@awp/guardrails/testing).
    const leaked = files.filter((f) => /(^|\/)(src\/|test\/|examples\/)|\.test\.|(^|\/)testing\.|tsconfig|jest\.config/.test(f));
    if (leaked.length) throw new Error(`${info.name}: the tarball ships development files: ${leaked.join(', ')}`);
    packed[info.name] = path.join(tarballs, info.filename);
    step(`packed ${info.name}@${info.version}: ${info.entryCount} files, ${(info.size / 1024).toFixed(1)} KiB`);
  }

  const project = path.join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'awp-consumer', version: '1.0.0', private: true }, null, 2));
  const providers = ['@cdktf/provider-aws', ...(packed['@awp/compute'] ? ['@cdktf/provider-kubernetes', '@cdktf/provider-helm'] : [])];
  const deps = [...Object.values(packed), `cdktf@${version('cdktf')}`, `constructs@${version('constructs')}`, ...providers.map((p) => `${p}@${version(p)}`)];
  step(`npm install (outside the workspace, ${project}): ${deps.map((d) => path.basename(d)).join(' ')}`);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...deps], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
  // Guard: nothing may resolve back into the monorepo (a workspace symlink would make this test meaningless).
  for (const name of Object.keys(packed)) {
    const resolved = run(process.execPath, ['-p', `require.resolve(${JSON.stringify(name)})`], { cwd: project }).trim();
    if (resolved.startsWith(root) || !resolved.startsWith(project)) throw new Error(`${name} resolves to ${resolved}, not the installed tarball`);
  }

  // Guard: one copy of `constructs` in the consumer (a bundled or duplicated copy breaks construct trees).
  const constructsCopies = run('find', ['node_modules', '-path', '*/constructs/package.json', '-not', '-path', '*/constructs/*/constructs/package.json'], { cwd: project })
    .split('\n')
    .filter((f) => f.endsWith('node_modules/constructs/package.json'));
  if (constructsCopies.length !== 1) throw new Error(`expected one copy of constructs in the consumer, found ${constructsCopies.length}: ${constructsCopies.join(', ')}`);

  // The packages' own examples (libs/<layer>/examples/<name>/main.ts, synthesized by each package's jest suite in the
  // workspace) are the consumer's code: the same files, type-checked here against the tarballs' .d.ts and run.
  const examples = [];
  for (const lib of libs) {
    const dir = path.join(root, 'libs', lib, 'examples');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!existsSync(path.join(dir, name, 'main.ts'))) continue;
      mkdirSync(path.join(project, 'examples', lib, name), { recursive: true });
      cpSync(path.join(dir, name, 'main.ts'), path.join(project, 'examples', lib, name, 'main.ts'));
      examples.push({ lib, name, id: `${lib}/${name}` });
    }
  }
  for (const lib of LAYERS.filter((l) => libs.includes(l))) {
    if (!examples.some((e) => e.lib === lib)) throw new Error(`libs/${lib} has no examples/<name>/main.ts: every layer package ships one (issue 14)`);
  }
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    // No @types/node and no paths mapping: the examples see only the packages' own types, as a team's project would.
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, esModuleInterop: true, skipLibCheck: true, outDir: 'out', rootDir: '.', types: [] }, include: ['examples/**/*.ts'] }, null, 2),
  );
  step(`type-checking and compiling ${examples.length} examples against the installed .d.ts files: ${examples.map((e) => e.id).join(', ')}`);
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, stdio: ['ignore', 'inherit', 'inherit'] });

  // A plain script of the consumer's, run against each synthesized stack: every layer's main construct extends the
  // consumer's single `constructs`, and the packed @awp/guardrails finds no error (the examples' own assertClean()
  // already refuses to finish on one; this checks the JSON as written, through the package's public API).
  writeFileSync(
    path.join(project, 'check.cjs'),
    `const { Construct } = require('constructs');
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { ALL_RULES, evaluate, stackView } = require('@awp/guardrails');
const MAIN = ${JSON.stringify(Object.fromEntries(Object.entries(MAIN_CONSTRUCTS).filter(([pkg]) => packed[pkg])))};
const notConstructs = Object.entries(MAIN).flatMap(([pkg, names]) => names.filter((n) => !(require(pkg)[n].prototype instanceof Construct)).map((n) => pkg + ' ' + n));
const stacks = {};
for (const outdir of process.argv.slice(2)) {
  for (const name of readdirSync(path.join(outdir, 'stacks'))) {
    const json = JSON.parse(readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
    const errors = evaluate(stackView(name, json), ALL_RULES).filter((f) => f.severity === 'error' && !f.suppressedBecause).map((f) => f.ruleId + ' ' + f.address);
    stacks[name] = { resources: json.resource ?? {}, errors };
  }
}
console.log(JSON.stringify({ notConstructs, constructs: Object.values(MAIN).flat(), stacks }));
`,
  );

  const outdirs = [];
  for (const e of examples) {
    step(`synthesizing ${e.id}`);
    const outdir = path.join(project, 'cdktf.out', e.lib, e.name);
    mkdirSync(outdir, { recursive: true }); // cdktf creates only the last folder
    // cdktf's App writes to CDKTF_OUTDIR: the examples run exactly as a team runs them (`node main.js`).
    run(process.execPath, [path.join('out', 'examples', e.lib, e.name, 'main.js')], { cwd: project, env: { ...process.env, CDKTF_OUTDIR: outdir } });
    outdirs.push(outdir);
  }
  const { notConstructs, constructs, stacks } = JSON.parse(run(process.execPath, ['check.cjs', ...outdirs], { cwd: project }).trim().split('\n').pop());

  const failures = [];
  const expect = (ok, what) => (ok ? undefined : failures.push(what));
  expect(notConstructs.length === 0, `main constructs that do not extend the consumer's Construct: ${notConstructs.join(', ')}`);
  const count = (stack, type) => Object.keys(stacks[stack]?.resources[type] ?? {}).length;
  // The main resources of each layer's example, built from the tarballs (each package's jest suite asserts the details).
  const MUST_HAVE = {
    'team-network': ['aws_vpc', 'aws_subnet', 'aws_nat_gateway', 'aws_flow_log', 'aws_kms_key'],
    'team-data': ['aws_db_instance', 'aws_elasticache_replication_group', 'aws_s3_bucket'],
    'team-cluster': ['aws_eks_cluster', 'aws_eks_node_group', 'aws_ecr_repository'],
    'team-dns': ['aws_route53_zone', 'aws_route53_hosted_zone_dnssec'],
    'team-site': ['aws_cloudfront_distribution', 'aws_wafv2_web_acl', 'aws_lb'],
    'team-identity': ['aws_cognito_user_pool', 'aws_cognito_user_pool_client'],
    'team-observability': ['aws_sns_topic', 'aws_cloudwatch_metric_alarm', 'aws_cloudwatch_dashboard'],
  };
  for (const [stack, types] of Object.entries(MUST_HAVE)) {
    if (!stacks[stack]) continue; // its package is not in this checkout
    for (const type of types) expect(count(stack, type) >= 1, `${stack}: a ${type} (got none)`);
  }
  if (stacks['team-network']) expect(count('team-network', 'aws_subnet') === 6, `team-network: 6 subnets (public, private, isolated × 2 AZs), got ${count('team-network', 'aws_subnet')}`);
  for (const [name, { errors }] of Object.entries(stacks)) expect(errors.length === 0, `${name}: no guardrail errors from the packed @awp/guardrails, got ${errors.join('; ')}`);
  const total = Object.values(stacks).reduce((n, s) => n + Object.values(s.resources).reduce((m, byName) => m + Object.keys(byName).length, 0), 0);
  if (failures.length) {
    console.error(`packed-packages: FAILED\n  - ${failures.join('\n  - ')}`);
    process.exitCode = 1;
  } else {
    step(`OK: ${Object.keys(packed).length} packages installed from tarballs; ${examples.length} examples type-checked and synthesized into ${Object.keys(stacks).length} stacks, ${total} resources (${Object.entries(stacks).map(([n, s]) => `${n} ${Object.values(s.resources).reduce((m, b) => m + Object.keys(b).length, 0)}`).join(', ')}); guardrails clean; ${constructs.join(', ')} extend the consumer's Construct`);
  }
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
