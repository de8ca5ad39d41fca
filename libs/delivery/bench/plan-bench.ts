/**
 * `npm run bench:plan` (and `npm run bench`): how plan-report copes with size. Not a test: it prints numbers.
 *   1. a 10,000-resource-change plan: read + summarize time, render time within the comment budget, comment size;
 *   2. a ~100 MB plan (planned_values, resource_changes, prior_state and configuration, like `terraform show -json`
 *      writes them): read + summarize time and peak RSS of a fresh process, streamed (the default above 64 MiB)
 *      and with JSON.parse forced, for comparison.
 * Inputs are generated into a temp folder and removed afterwards. SIZE_MB (default 100) and CHANGES (default 10000)
 * change the sizes.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_COMMENT_BUDGET, GITHUB_COMMENT_LIMIT, loadPlanFiles, renderMarkdownReport } from '../src/index';

const ACTIONS = [['create'], ['update'], ['update'], ['delete'], ['delete', 'create'], ['create', 'delete'], ['no-op'], ['read']];
const TYPES = ['aws_instance', 'aws_security_group_rule', 'aws_iam_role_policy', 'aws_db_instance', 'aws_s3_bucket', 'aws_route53_record'];

function attributes(i: number, variant: string, width: number): Record<string, unknown> {
  const o: Record<string, unknown> = { id: `id-${i}`, name: `resource-${i}-${variant}`, tags: { env: 'bench', owner: 'platform', index: String(i) } };
  for (let k = 0; k < width; k++) o[`attribute_${k}`] = `value-${k}-${variant}-${'x'.repeat(24)}`;
  o.password = `not-a-real-secret-${i}`;
  return o;
}

/** Writes a plan with `count` resource changes; `width` attributes per object sets the size. Returns the path. */
function writePlan(file: string, count: number, width: number): string {
  const fd = openSync(file, 'w');
  const w = (s: string) => writeSync(fd, s);
  const resource = (i: number) => ({ type: TYPES[i % TYPES.length], name: `r${Math.floor(i / TYPES.length)}`, module: i % 3 ? `module.m${i % 7}` : undefined });
  const address = (i: number) => {
    const r = resource(i);
    return `${r.module ? `${r.module}.` : ''}${ACTIONS[i % ACTIONS.length][0] === 'read' ? 'data.' : ''}${r.type}.${r.name}`;
  };
  w('{"format_version":"1.2","terraform_version":"1.11.4","planned_values":{"root_module":{"resources":[');
  for (let i = 0; i < count; i++) w(`${i ? ',' : ''}${JSON.stringify({ address: address(i), mode: 'managed', type: resource(i).type, name: resource(i).name, values: attributes(i, 'after', width), sensitive_values: {} })}`);
  w(']}},"resource_changes":[');
  for (let i = 0; i < count; i++) {
    const actions = ACTIONS[i % ACTIONS.length];
    const r = resource(i);
    const before = actions[0] === 'create' && actions.length === 1 ? null : attributes(i, 'before', width);
    const after = actions[0] === 'delete' && actions.length === 1 ? null : attributes(i, 'after', width);
    const rc = {
      address: address(i),
      module_address: r.module,
      mode: actions[0] === 'read' ? 'data' : 'managed',
      type: r.type,
      name: r.name,
      provider_name: 'registry.terraform.io/hashicorp/aws',
      change: { actions, before, after, after_unknown: after ? { id: actions.includes('create') } : false, before_sensitive: before ? { password: true } : false, after_sensitive: after ? { password: true } : false },
    };
    w(`${i ? ',' : ''}${JSON.stringify(rc)}`);
  }
  w('],"prior_state":{"format_version":"1.0","terraform_version":"1.11.4","values":{"root_module":{"resources":[');
  for (let i = 0; i < count; i++) w(`${i ? ',' : ''}${JSON.stringify({ address: address(i), mode: 'managed', type: resource(i).type, name: resource(i).name, values: attributes(i, 'before', width) })}`);
  w(']}}},"configuration":{"root_module":{"resources":[');
  for (let i = 0; i < count; i++) w(`${i ? ',' : ''}${JSON.stringify({ address: address(i), type: resource(i).type, expressions: { name: { constant_value: `resource-${i}` } } })}`);
  w(']}},"timestamp":"2026-01-01T00:00:00Z","applyable":true,"complete":true,"errored":false}\n');
  closeSync(fd);
  return file;
}

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Child mode: read one file and print timings and peak RSS as JSON (a fresh process per measurement). */
if (process.argv[2] === '--child') {
  const [file, mode] = process.argv.slice(3);
  const t = process.hrtime.bigint();
  const stacks = loadPlanFiles([file], { streamAboveBytes: mode === 'parse' ? Infinity : undefined });
  const readMs = ms(t);
  const r = renderMarkdownReport(stacks, { maxChars: DEFAULT_COMMENT_BUDGET });
  const s = stacks[0];
  process.stdout.write(
    JSON.stringify({ readMs, changes: s.create + s.update + s.delete + s.replace, chars: r.markdown.length, peakRssMb: process.resourceUsage().maxRSS / 1024 }),
  );
  process.exit(0);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'awp-bench-plan-'));
try {
  const changes = Number(process.env.CHANGES ?? 10_000);
  const small = writePlan(path.join(dir, 'changes.plan.json'), changes, 6);
  const t0 = process.hrtime.bigint();
  const stacks = loadPlanFiles([small]);
  const readMs = ms(t0);
  const renders: number[] = [];
  let report = renderMarkdownReport(stacks, { maxChars: DEFAULT_COMMENT_BUDGET });
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    report = renderMarkdownReport(stacks, { maxChars: DEFAULT_COMMENT_BUDGET });
    renders.push(ms(t));
  }
  renders.sort((a, b) => a - b);
  const s = stacks[0];
  console.log(`plan with ${changes.toLocaleString('en-US')} resource changes (${(statSync(small).size / 1e6).toFixed(1)} MB): ${s.create} create, ${s.update} update, ${s.delete} delete, ${s.replace} replace, ${s.destructive.length} destructive`);
  console.log(`  read + summarize: ${readMs.toFixed(0)} ms`);
  console.log(`  render (budget ${DEFAULT_COMMENT_BUDGET.toLocaleString('en-US')}): median ${renders[2].toFixed(0)} ms, min ${renders[0].toFixed(0)} ms (5 runs)`);
  console.log(`  comment: ${report.markdown.length.toLocaleString('en-US')} characters (GitHub limit ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}); cut: ${report.truncated ? report.cut.join('; ') : 'nothing'}`);
  if (report.markdown.length > GITHUB_COMMENT_LIMIT) throw new Error('the comment is over GitHub\'s limit');

  // ~100 MB: 6 attributes per object give ~2.5 kB per resource across the four sections; scale the count.
  const targetMb = Number(process.env.SIZE_MB ?? 100);
  const perResource = statSync(small).size / changes;
  const big = writePlan(path.join(dir, 'big.plan.json'), Math.round((targetMb * 1e6) / perResource), 6);
  const sizeMb = statSync(big).size / 1e6;
  console.log(`plan of ${sizeMb.toFixed(1)} MB:`);
  for (const mode of ['stream', 'parse']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', big, mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`child (${mode}) failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout) as { readMs: number; changes: number; chars: number; peakRssMb: number };
    const label = mode === 'stream' ? 'streamed (default above 64 MiB)' : 'JSON.parse (forced)     ';
    console.log(`  ${label}: read + summarize ${(m.readMs / 1000).toFixed(1)} s, peak RSS ${m.peakRssMb.toFixed(0)} MB, ${m.changes.toLocaleString('en-US')} changes, comment ${m.chars.toLocaleString('en-US')} chars`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
