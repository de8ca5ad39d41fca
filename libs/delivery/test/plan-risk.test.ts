import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  compareFingerprints,
  DEFAULT_COMMENT_BUDGET,
  expandPlanInputs,
  isStatefulType,
  loadPlanFiles,
  parseFingerprints,
  parsePlanText,
  parseWaiting,
  PLAN_REPORT_MARKER,
  PlanParseError,
  planFingerprint,
  renderJson,
  renderMarkdown,
  renderMarkdownReport,
  runPlanReport,
  stackNameFromFile,
  summarizePlan,
  type TerraformPlan,
} from '@awp/delivery';

const OWN = path.join(__dirname, 'fixtures', 'aws-stateful-destroy.plan.json');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'delivery-'));
function writeTmp(name: string, content: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('risk on stateful AWS resources (own fixture)', () => {
  const [s] = loadPlanFiles([OWN], { stackNames: ['prod-data'] });

  it('counts create-then-delete and delete-then-create each once as a replacement', () => {
    expect({ create: s.create, update: s.update, delete: s.delete, replace: s.replace }).toEqual({ create: 1, update: 2, delete: 2, replace: 2 });
    expect(s.changes.filter((c) => c.kind === 'replace').map((c) => [c.address, c.replaceOrder])).toEqual([
      ['aws_db_instance.main', 'create-then-delete'],
      ['module.compute.aws_eks_node_group.general', 'delete-then-create'],
    ]);
  });

  it('flags deletes and replacements of stateful types as destructive and high risk, not other deletes', () => {
    expect(s.destructive).toEqual(['aws_db_instance.main', 'aws_s3_bucket.uploads', 'module.compute.aws_eks_node_group.general']);
    expect(s.destructive).not.toContain('aws_iam_role.ci');
    expect(s.risk).toBe('high');
    expect(JSON.parse(renderJson([s]))).toEqual({
      stacks: [{ name: 'prod-data', create: 1, update: 2, delete: 2, replace: 2, destructive: ['aws_db_instance.main', 'aws_s3_bucket.uploads', 'module.compute.aws_eks_node_group.general'] }],
    });
  });

  it('knows the stateful families', () => {
    for (const t of ['aws_db_instance', 'aws_rds_cluster', 'aws_rds_cluster_instance', 'aws_elasticache_replication_group', 'aws_s3_bucket', 'aws_eks_cluster', 'aws_eks_node_group', 'aws_kms_key', 'aws_secretsmanager_secret', 'aws_ebs_volume', 'aws_efs_file_system', 'aws_route53_zone', 'aws_dynamodb_table']) {
      expect(isStatefulType(t)).toBe(true);
    }
    for (const t of ['aws_iam_role', 'aws_security_group', 'aws_s3_bucket_policy', 'null_resource', 'local_file']) expect(isStatefulType(t)).toBe(false);
  });

  it('keeps moves, imports, outputs and drift apart from the counts', () => {
    expect(s.moved).toEqual([{ from: 'aws_sqs_queue.old_jobs', to: 'aws_sqs_queue.jobs' }]);
    expect(s.imported).toEqual(['aws_route53_zone.main']);
    expect(s.reads).toEqual(['data.aws_caller_identity.current']);
    expect(s.drift).toEqual([{ address: 'aws_security_group.legacy', actions: 'update' }]);
    expect(s.outputs.map((o) => `${o.name}:${o.kind}:${o.sensitive}`)).toEqual(['api_token:create:false', 'db_password:update:true', 'endpoint:create:false']);
  });

  it('calls out destructive changes first, above the table, and masks every secret', () => {
    const md = renderMarkdown([s]);
    const caution = md.indexOf('[!CAUTION]');
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(md.indexOf('| Stack |'));
    expect(md).toContain('> - `prod-data`: `aws_db_instance.main` — replace (create-then-delete)');
    expect(md).toContain('> - `prod-data`: `aws_s3_bucket.uploads` — delete');
    // Shown: harmless changed values. Masked: schema-sensitive values and secret-looking attributes and outputs.
    expect(md).toContain('`engine_version`: `"15.7"` → `"16.4"`');
    expect(md).toContain('`memory_size`: `256` → `512`');
    expect(md).toContain('`environment`: `(masked)` → `(masked)`');
    expect(md).toContain('`user_data`: `(masked)` → `(masked)`');
    expect(md).toContain('- `db_password` (update, sensitive): `(sensitive)` → `(sensitive)`');
    expect(md).toContain('- `api_token` (create): `(masked)`');
    for (const secret of ['S3cr3t', 'hunter2', 'hunter3', 'fake-token', 'IyEvYmluL2Jhc2g', 'fake-out-pw', 'fake-unmarked-token']) expect(md).not.toContain(secret);
  });

  it('groups changed addresses by action in collapsible blocks, replacements first', () => {
    const md = renderMarkdown([s]);
    const order = ['<details><summary>Replace (2)</summary>', '<details><summary>Delete (2)</summary>', '<details><summary>Update in place (2)</summary>', '<details><summary>Create (1)</summary>'];
    const positions = order.map((o) => md.indexOf(o));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(md.startsWith(PLAN_REPORT_MARKER)).toBe(true);
  });
});

describe('fingerprint', () => {
  const base = JSON.parse(require('node:fs').readFileSync(OWN, 'utf8')) as TerraformPlan;
  const clone = () => JSON.parse(JSON.stringify(base)) as TerraformPlan;

  it('is independent of the order of resource changes and of no-ops, reads and unknown values', () => {
    const reordered = clone();
    reordered.resource_changes?.reverse();
    expect(planFingerprint(reordered)).toBe(planFingerprint(base));
    const extraNoop = clone();
    extraNoop.resource_changes?.push({ address: 'aws_vpc.main', type: 'aws_vpc', change: { actions: ['no-op'], before: { a: 1 }, after: { a: 1 } } });
    expect(planFingerprint(extraNoop)).toBe(planFingerprint(base));
  });

  it('changes when a known after value, an action or an address changes', () => {
    const a = clone();
    (a.resource_changes?.[0].change.after as Record<string, unknown>).engine_version = '16.5';
    expect(planFingerprint(a)).not.toBe(planFingerprint(base));
    const b = clone();
    if (b.resource_changes) b.resource_changes[3].change.actions = ['update'];
    expect(planFingerprint(b)).not.toBe(planFingerprint(base));
  });

  it('does not hash sensitive values in clear: a different secret gives the same fingerprint', () => {
    const a = clone();
    (a.resource_changes?.[0].change.after as Record<string, unknown>).password = 'another-fake-value';
    expect(planFingerprint(a)).toBe(planFingerprint(base));
  });
});

describe('apply what was reviewed', () => {
  const [reviewed] = loadPlanFiles([OWN], { stackNames: ['prod-data'] });
  const noChange = summarizePlan({ format_version: '1.2', planned_values: {} }, 'prod-network');

  it('matches the same plan, and ignores unreviewed stacks without changes', () => {
    expect(compareFingerprints({ 'prod-data': reviewed.fingerprint }, [reviewed, noChange])).toEqual({ match: true, problems: [] });
  });

  it('refuses a changed plan, a missing stack and unreviewed changes, naming each stack', () => {
    const plan = JSON.parse(require('node:fs').readFileSync(OWN, 'utf8')) as TerraformPlan;
    (plan.resource_changes?.[0].change.after as Record<string, unknown>).engine_version = '17.0';
    const changed = summarizePlan(plan, 'prod-data');
    const r = compareFingerprints({ 'prod-data': reviewed.fingerprint, 'prod-edge': 'f'.repeat(64) }, [changed, summarizePlan(plan, 'prod-cache')]);
    expect(r.match).toBe(false);
    expect(r.problems).toEqual([
      `prod-data: the plan differs from the reviewed one (fingerprint ${changed.fingerprint.slice(0, 12)} ≠ reviewed ${reviewed.fingerprint.slice(0, 12)})`,
      'prod-edge: reviewed, but not in the new plans',
      'prod-cache: has changes that were never reviewed',
    ]);
  });
});

describe('reviewed fingerprints input', () => {
  it('reads a JSON object or a file, and names what is wrong', () => {
    const fp = 'a'.repeat(64);
    expect(parseFingerprints(`{"prod-data":"${fp}"}`)).toEqual({ 'prod-data': fp });
    const f = writeTmp('fingerprints.json', JSON.stringify({ 'dev-network': fp }));
    expect(parseFingerprints(f)).toEqual({ 'dev-network': fp });
    expect(() => parseFingerprints('{"prod-data":"abc"}', 'input "expected-fingerprints"')).toThrow('input "expected-fingerprints": fingerprint of "prod-data" must be 64 lower-case hex characters (sha256)');
    expect(() => parseFingerprints('[]', 'x')).toThrow('x: expected a JSON object of stack name → fingerprint');
    expect(() => parseFingerprints(path.join(tmp, 'nope.json'), 'x')).toThrow(/x: cannot read ".*nope\.json" \(ENOENT\)/);
    const bad = writeTmp('bad-fp.json', '{');
    expect(() => parseFingerprints(bad)).toThrow(`${bad}: not valid JSON`);
  });
});

describe('bad input', () => {
  it('names the file for JSON that is not a plan (state JSON, array, manifest) and says what to run', () => {
    const state = writeTmp('state.json', JSON.stringify({ format_version: '1.0', terraform_version: '1.9.8', values: { root_module: {} } }));
    expect(() => loadPlanFiles([state])).toThrow(`${state}: this is \`terraform show -json\` of the current state (no planfile was given), not a plan: run \`terraform show -json <planfile>\``);
    const arr = writeTmp('arr.json', '[1,2]');
    expect(() => loadPlanFiles([arr])).toThrow(`${arr}: not a Terraform plan: the file holds a JSON array`);
    const manifest = writeTmp('manifest.json', JSON.stringify({ version: '0.21.0', stacks: {} }));
    expect(() => loadPlanFiles([manifest])).toThrow(/manifest\.json: not a Terraform plan: none of "planned_values", "resource_changes", .* \(top-level keys: version, stacks\)/);
  });

  it('carries unknown actions through (shown, never counted) and derives a missing type, but names entries it cannot read', () => {
    const text = JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'a.b', type: 'a', change: { actions: ['explode'] } }] });
    const [plan] = parsePlanText(text, 'x.json');
    const s = summarizePlan(plan, 'x');
    expect(s.unknown).toEqual([{ address: 'a.b', actions: 'explode' }]);
    expect([s.create, s.update, s.delete, s.replace, s.risk]).toEqual([0, 0, 0, 0, 'medium']);
    const noType = JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'module.m["k"].aws_db_instance.db', change: { actions: ['delete'] } }] });
    expect(summarizePlan(parsePlanText(noType, 'y.json')[0], 'y').destructive).toEqual(['module.m["k"].aws_db_instance.db']);
    const noActions = JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'a.b', type: 'a', change: {} }] });
    expect(() => parsePlanText(noActions, 'y.json')).toThrow('y.json: resource_changes[0] (a.b): "change.actions" must be a non-empty array');
  });

  it.each([
    ['{"format_version":"1.2","resource_changes":{}}', '"resource_changes" must be an array'],
    ['{"format_version":"1.2","planned_values":{},"resource_drift":[1]}', 'resource_drift[0] must be an object'],
    ['{"format_version":"1.2","resource_changes":[{"address":"","change":{"actions":["create"]}}]}', 'resource_changes[0] has no "address" and no "type"/"name" to derive one from'],
    ['{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":[1]}}]}', '"change.actions" must hold strings'],
    ['{"format_version":"1.2","output_changes":[]}', '"output_changes" must be an object'],
    ['{"format_version":"1.2","output_changes":{"x":{"actions":"create"}}}', 'output_changes.x: "actions" must be a non-empty array of strings'],
    ['{"format_version":"2.0","planned_values":{}}', 'plan format_version "2.0" is newer than this report reads'],
    ['"just a string"', 'the file holds a JSON string, not an object'],
  ])('rejects %s', (text, message) => {
    expect(() => parsePlanText(text, 'p.json')).toThrow(message);
  });

  it('rejects empty, missing and truncated files with PlanParseError', () => {
    expect(() => parsePlanText('  \n', 'e.json')).toThrow(PlanParseError);
    expect(() => loadPlanFiles([path.join(tmp, 'missing.json')])).toThrow(/missing\.json: cannot read the file \(ENOENT\)/);
    const truncated = writeTmp('trunc.json', '{"format_version":"1.2","resource_changes":[');
    expect(() => loadPlanFiles([truncated])).toThrow(/trunc\.json: not valid JSON/);
    // Two documents where the second is broken: not silently cut to the first.
    expect(() => parsePlanText('{"format_version":"1.2","planned_values":{}}\n{"format_version": oops}', 'two.json')).toThrow(/two\.json: document 2: not valid JSON/);
  });

  it('reads every file before returning anything (one bad file → no output at all)', () => {
    const good = writeTmp('good.json', JSON.stringify({ format_version: '1.2', planned_values: {} }));
    const bad = writeTmp('bad.json', '{');
    expect(() => runPlanReport([good, bad], { format: 'json' })).toThrow(/bad\.json/);
  });

  it('expands directories given to runPlanReport, and errors are PlanParseErrors the CLI can catch', () => {
    const dir = path.join(tmp, 'plans-dir');
    require('node:fs').mkdirSync(dir);
    writeFileSync(path.join(dir, 'dev-network.plan.json'), JSON.stringify({ format_version: '1.2', planned_values: {} }));
    writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
    expect(JSON.parse(runPlanReport([dir, OWN], { format: 'json' })).stacks.map((x: { name: string }) => x.name)).toEqual(['dev-network', 'aws-stateful-destroy']);
    expect(() => runPlanReport([path.join(tmp, 'nothing')], { format: 'json' })).toThrow(PlanParseError);
    expect(() => runPlanReport([OWN, OWN], { format: 'json' })).toThrow(PlanParseError);
    expect(() => runPlanReport([], { format: 'json' })).toThrow('no plan files given');
  });

  it('with allowEmpty, missing or empty plan folders are no plans; the report then says nothing was planned', () => {
    const empty = path.join(tmp, 'empty-plans');
    require('node:fs').mkdirSync(empty);
    expect(() => expandPlanInputs(empty)).toThrow(`${empty}: directory holds no *.json plan files`);
    expect(expandPlanInputs(`${empty}\n${path.join(tmp, 'never-created')}`, process.cwd(), { allowEmpty: true })).toEqual([]);
    const md = renderMarkdown([]);
    expect(md.trim()).toBe('<!-- awp:plan-report -->\n## Terraform plan: 0 stacks, 0 with changes, risk ⚪ none\n\nNo stack was planned: nothing in this change affects a Terraform stack.');
  });

  it('requires one stack name per file and unique names', () => {
    expect(() => loadPlanFiles([OWN, OWN], { stackNames: ['a'] })).toThrow('got 1 stack name(s) for 2 plan file(s)');
    expect(() => loadPlanFiles([OWN, OWN])).toThrow(`${OWN}: two plans are named "aws-stateful-destroy"`);
    expect(loadPlanFiles([OWN, OWN], { stackNames: ['a', 'b'] }).map((x) => x.name)).toEqual(['a', 'b']);
  });

  it('derives stack names from file names without .json and .plan', () => {
    expect(stackNameFromFile('/x/prod-data.plan.json')).toBe('prod-data');
    expect(stackNameFromFile('dev-network.json')).toBe('dev-network');
    expect(stackNameFromFile('dev-edge.plan')).toBe('dev-edge');
  });
});

describe('stacks waiting for upstream changes', () => {
  it('are listed in the table as "waits for …", not as failures, and stay out of the JSON form', () => {
    const [s] = loadPlanFiles([OWN], { stackNames: ['dev-network'] });
    const md = renderMarkdown([s], { waiting: { 'dev-workloads': ['dev-network'], 'dev-data': ['dev-network'] } });
    expect(md).toContain('## Terraform plan: 3 stacks, 1 with changes, 2 waiting, risk 🔴 high');
    expect(md).toContain('| `dev-data` | – | – | – | – | – | – | – | – | ⏳ waits for `dev-network` |');
    expect(md.indexOf('`dev-data` | –')).toBeLessThan(md.indexOf('`dev-workloads` | –'));
    expect(JSON.parse(renderJson([s])).stacks).toHaveLength(1);
  });

  it('parses waiting declarations as JSON or lines, and rejects malformed ones', () => {
    expect(parseWaiting('dev-workloads: dev-network, dev-data\n\ndev-observability: dev-network')).toEqual({ 'dev-workloads': ['dev-network', 'dev-data'], 'dev-observability': ['dev-network'] });
    expect(parseWaiting('{"dev-data":["dev-network"]}')).toEqual({ 'dev-data': ['dev-network'] });
    expect(parseWaiting('  ')).toEqual({});
    expect(() => parseWaiting('dev-data dev-network', 'input "waiting"')).toThrow('input "waiting": expected "<stack>: <upstream>, …", got "dev-data dev-network"');
    expect(() => parseWaiting('dev-data:', 'input "waiting"')).toThrow('input "waiting": "dev-data" must wait for one or more stack names');
    expect(() => parseWaiting('{"dev-data": [1]}')).toThrow('waiting: "dev-data" must wait for one or more stack names');
    expect(() => parseWaiting('{"dev-data": ')).toThrow(/waiting: not valid JSON/);
  });
});

describe('comment size budget', () => {
  // A synthetic plan with many resources and long attribute values: far over GitHub's 65,536-character limit.
  function bigPlan(n: number): TerraformPlan {
    return {
      format_version: '1.2',
      planned_values: {},
      resource_changes: Array.from({ length: n }, (_, i) => ({
        address: `module.workloads.aws_ssm_document.doc_${String(i).padStart(4, '0')}`,
        type: i % 50 === 0 ? 'aws_s3_bucket' : 'aws_cloudwatch_dashboard',
        change: {
          actions: i % 50 === 0 ? ['delete' as const] : ['update' as const],
          before: { dashboard_body: 'x'.repeat(120), name: `a${i}` },
          after: i % 50 === 0 ? null : { dashboard_body: 'y'.repeat(120), name: `b${i}` },
        },
      })),
    };
  }
  const stacks = [summarizePlan(bigPlan(3000), 'prod-workloads'), summarizePlan(bigPlan(400), 'dev-workloads'), summarizePlan({ format_version: '1.2', planned_values: {} }, 'dev-network')];

  it('cuts details, never the summary table or the destructive list, and says what was cut and where the rest is', () => {
    const full = renderMarkdown(stacks);
    expect(full.length).toBeGreaterThan(65_536);
    const r = renderMarkdownReport(stacks, { maxChars: DEFAULT_COMMENT_BUDGET, fullReportLocation: 'the job summary of run 42' });
    expect(r.truncated).toBe(true);
    expect(r.markdown.length).toBeLessThanOrEqual(DEFAULT_COMMENT_BUDGET);
    expect(r.markdown).toContain('| `prod-workloads` | 0 | 2940 | 0 | 60 | 0 | 0 | 0 | 0 | 🔴 high |');
    expect(r.markdown).toContain('| `dev-workloads` | 0 | 392 | 0 | 8 | 0 | 0 | 0 | 0 | 🔴 high |');
    expect(r.markdown).toContain('| `dev-network` | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | ⚪ none |');
    expect(r.markdown).toContain('> - `prod-workloads`: `module.workloads.aws_ssm_document.doc_2950` — delete');
    expect(r.markdown).toContain("This report was cut to stay under GitHub's 65,536-character comment limit");
    expect(r.markdown).toContain('The full report is in the job summary of run 42.');
    expect(r.cut.join(' ')).toContain('prod-workloads');
  });

  it('shows at most 25 changed attributes per resource and counts the rest', () => {
    const before = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`attr_${String(i).padStart(2, '0')}`, i]));
    const after = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`attr_${String(i).padStart(2, '0')}`, i + 1]));
    const s = summarizePlan({ format_version: '1.2', resource_changes: [{ address: 'aws_x.y', type: 'aws_x', change: { actions: ['update'], before, after } }] }, 'dev-x');
    expect(s.changes[0].attributes).toHaveLength(30);
    const md = renderMarkdown([s]);
    expect(md).toContain('`attr_24`: `24` → `25`');
    expect(md).not.toContain('`attr_25`');
    expect(md).toContain('  - … and 5 more changed attributes');
  });

  it('keeps full details where they fit', () => {
    const small = [summarizePlan(bigPlan(10), 'dev-data')];
    const r = renderMarkdownReport(small, { maxChars: DEFAULT_COMMENT_BUDGET });
    expect(r.truncated).toBe(false);
    expect(r.markdown).toContain('`dashboard_body`');
  });

  it('still renders the table when even counts-only sections do not fit', () => {
    const r = renderMarkdownReport(stacks, { maxChars: 3000 });
    expect(r.markdown).toContain('| `prod-workloads` |');
    expect(r.cut.join(' ')).toMatch(/the sections of \d+ stack\(s\)/);
  });
});
