#!/usr/bin/env node
// Packed-packages test: proof that the library packages work as PUBLISHED, not only inside the monorepo.
// 1. build @awp/config, @awp/guardrails and the layer packages (nx, dependency order);
// 2. `npm pack` each into a temp folder (exactly what `npm publish` would upload: `files`, `exports`);
// 3. create a throwaway project OUTSIDE the workspace and `npm install` the tarballs plus cdktf, constructs and
//    the provider packages at the workspace's versions (--prefer-offline: the npm cache has them after `npm ci`);
// 4. type-check a small TypeScript app there against the packages' .d.ts (the workspace's tsc, no paths
//    mapping), compile it, run it: it builds the Network (and Data, when packed) layer in a plain
//    TerraformStack, synthesizes, runs the guardrails from the tarball, and asserts on the JSON.
// Usage: node scripts/packed-packages-test.mjs [--keep]   (--keep leaves the temp project for inspection)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
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
    const leaked = files.filter((f) => /(^|\/)(src\/|test\/)|\.test\.|tsconfig|jest\.config/.test(f));
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

  const hasData = Boolean(packed['@awp/data']);
  // The other layers' main constructs must load from their tarballs and extend the consumer's single copy of
  // `constructs` (a bundled or duplicated copy breaks construct trees: peerDependencies must be right).
  const MAIN_CONSTRUCTS = { '@awp/compute': ['Cluster', 'ServiceWorkloads'], '@awp/edge': ['Edge'], '@awp/identity': ['Identity'], '@awp/observability': ['Observability'] };
  const extra = Object.entries(MAIN_CONSTRUCTS).filter(([pkg]) => packed[pkg]);
  const app = `
import { Construct } from 'constructs';
${extra.map(([pkg, names]) => `import { ${names.join(', ')} } from '${pkg}';`).join('\n')}
const mainConstructs: Record<string, unknown> = { ${extra.flatMap(([, names]) => names).join(', ')} };
for (const [name, cls] of Object.entries(mainConstructs)) {
  if (typeof cls !== 'function' || !((cls as { prototype: unknown }).prototype instanceof Construct)) throw new Error(name + " does not extend the consumer's Construct");
}
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Network } from '@awp/network';
${hasData ? "import { DataLayer } from '@awp/data';" : ''}
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { defaultTags, parseSettings } from '@awp/config';

declare const process: { argv: string[] }; // no @types/node in the consumer: only the packages' own types
// A team's own stack: plain TerraformStack, their own provider, no PlatformStack.
const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, 'team-network');
const tags: Record<string, string> = { Environment: 'sandbox', Layer: 'network', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' };
new AwsProvider(stack, 'aws', { region: 'eu-central-1', allowedAccountIds: ['123456789012'], defaultTags: [{ tags }] });
const network = new Network(stack, 'network', {
  namePrefix: 'sandbox',
  region: 'eu-central-1',
  settings: { vpcCidr: '10.42.0.0/16', azCount: 2, natGateways: 'single' },
});
${
  hasData
    ? `new DataLayer(stack, 'data', {
  settings: { database: { deletionProtection: false, finalSnapshot: false } }, // every other setting: the layer's documented default
  namePrefix: 'sandbox',
  vpcId: network.vpcId,
  isolatedSubnetIds: network.isolatedSubnetIds,
  workloadSecurityGroupId: network.workloadSecurityGroupId,
  logsKeyArn: network.logsKeyArn,
  siteDomain: 'sandbox.example.com',
  bucketNames: { assets: 'sandbox-assets-123456789012', uploads: 'sandbox-uploads-123456789012', logs: 'sandbox-logs-123456789012' },
});`
    : ''
}
// The schema and helpers of @awp/config work from the tarball too.
if (typeof parseSettings !== 'function' || defaultTags === undefined) throw new Error('@awp/config exports are broken');
const findings = checkStack(stack, ALL_RULES).filter((f) => f.severity === 'error' && !f.suppressedBecause);
app.synth();
console.log(JSON.stringify({ guardrailErrors: findings.map((f) => f.ruleId + ' ' + f.address), constructs: Object.keys(mainConstructs) }));
`;
  writeFileSync(path.join(project, 'app.ts'), app);
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, esModuleInterop: true, skipLibCheck: true, outDir: 'out', types: [] }, files: ['app.ts'] }, null, 2),
  );
  step('type-checking and compiling app.ts against the installed .d.ts files');
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, stdio: ['ignore', 'inherit', 'inherit'] });

  step('synthesizing');
  const outdir = path.join(project, 'cdktf.out');
  const printed = run(process.execPath, ['out/app.js', outdir], { cwd: project });
  const { guardrailErrors, constructs } = JSON.parse(printed.trim().split('\n').pop());
  const json = JSON.parse(readFileSync(path.join(outdir, 'stacks', 'team-network', 'cdk.tf.json'), 'utf8'));
  const resources = json.resource ?? {};
  const count = (type) => Object.keys(resources[type] ?? {}).length;
  const failures = [];
  const expect = (ok, what) => (ok ? undefined : failures.push(what));
  const [vpc] = Object.values(resources.aws_vpc ?? {});
  expect(vpc?.cidr_block === '10.42.0.0/16', `one aws_vpc with cidr_block 10.42.0.0/16 (got ${JSON.stringify(vpc?.cidr_block)})`);
  expect(count('aws_subnet') === 6, `6 subnets (public, private, isolated × 2 AZs), got ${count('aws_subnet')}`);
  expect(count('aws_nat_gateway') === 1, `1 NAT gateway (single), got ${count('aws_nat_gateway')}`);
  expect(count('aws_flow_log') >= 1, 'a VPC flow log');
  expect(count('aws_kms_key') >= 1, 'the logs KMS key');
  if (hasData) {
    expect(count('aws_db_instance') >= 1, `an aws_db_instance from @awp/data, got ${count('aws_db_instance')}`);
    expect(count('aws_elasticache_replication_group') === 1, 'one ElastiCache replication group from @awp/data');
    expect(count('aws_s3_bucket') >= 3, `three buckets from @awp/data, got ${count('aws_s3_bucket')}`);
  }
  expect(guardrailErrors.length === 0, `no guardrail errors from the packed @awp/guardrails, got ${guardrailErrors.join('; ')}`);
  const total = Object.values(resources).reduce((n, byName) => n + Object.keys(byName).length, 0);
  if (failures.length) {
    console.error(`packed-packages: FAILED\n  - ${failures.join('\n  - ')}`);
    process.exitCode = 1;
  } else {
    step(`OK: ${Object.keys(packed).length} packages installed from tarballs; synthesized ${total} resources (${count('aws_subnet')} subnets${hasData ? `, ${count('aws_db_instance')} DB instance(s)` : ''}); guardrails clean; loaded ${constructs.join(', ') || 'no other layer'}`);
  }
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
