import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, REPO } from './helpers';

const FIXTURES = path.join(REPO, 'libs/delivery/test/fixtures/plans');
// Counted independently of our parser (a few lines of Python over resource_changes: no-op and read left out,
// ["delete","create"] and ["create","delete"] one replace each).
const EXPECTED: Record<string, [number, number, number, number]> = {
  'borchero-empty-no-resource-changes': [0, 0, 0, 0],
  'borchero-local-file-delete': [0, 0, 2, 0],
  'borchero-local-file-replace': [0, 0, 0, 2],
  'cds-snc-aws-import': [1, 0, 0, 0],
  'cds-snc-outputs-only-changes': [0, 0, 0, 0],
  'checkov-aws-data-read-config-unknown': [2, 0, 0, 0],
  'ovsds-sensitive-replace': [0, 0, 0, 1],
  'snyk-aws-create-only': [10, 0, 0, 0],
  'snyk-aws-update-in-place': [0, 1, 0, 0],
  'tf-summarize-github-for-each-modules-drift': [7, 0, 0, 0],
  'tfc-aws-nested-modules-3-levels': [14, 0, 0, 0],
  'tfjson-120-basic-sensitive-output': [7, 0, 0, 0],
  'tfjson-action-reason-tainted-replace': [0, 0, 0, 1],
  'tfjson-basic': [7, 0, 0, 0],
  'tfjson-deep-module': [1, 0, 0, 0],
  'tfjson-has-checks': [2, 0, 0, 0],
  'tfjson-moved-block': [0, 0, 0, 0],
  'tfjson-no-changes': [0, 0, 0, 0],
};
const file = (name: string) => path.join(FIXTURES, `${name}.plan.json`);

describe('platform plan-report', () => {
  it('prints exactly the JSON form with the right counts for every fixture', () => {
    const names = Object.keys(EXPECTED);
    const r = cli(['plan-report', '--format', 'json', ...names.map(file)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['stacks']);
    expect(json.stacks.map((s: any) => [s.name, s.create, s.update, s.delete, s.replace])).toEqual(names.map((n) => [n, ...EXPECTED[n]]));
    for (const s of json.stacks) expect(Object.keys(s)).toEqual(['name', 'create', 'update', 'delete', 'replace', 'destructive']);
  });

  it('renders markdown with the summary table for every fixture', () => {
    for (const name of ['snyk-aws-create-only', 'borchero-local-file-replace', 'tfjson-no-changes']) {
      const r = cli(['plan-report', file(name)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(name);
      expect(r.stdout).toMatch(/\|/);
    }
  });

  it('lists deleted or replaced stateful resources as destructive, and takes stack names', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plans-'));
    const plan = {
      format_version: '1.2',
      terraform_version: '1.9.8',
      resource_changes: [
        { address: 'aws_db_instance.primary', mode: 'managed', type: 'aws_db_instance', name: 'primary', change: { actions: ['delete', 'create'], before: {}, after: {} } },
        { address: 'aws_s3_bucket.logs', mode: 'managed', type: 'aws_s3_bucket', name: 'logs', change: { actions: ['delete'], before: {}, after: null } },
        { address: 'aws_security_group.web', mode: 'managed', type: 'aws_security_group', name: 'web', change: { actions: ['delete'], before: {}, after: null } },
        { address: 'aws_iam_role.r', mode: 'managed', type: 'aws_iam_role', name: 'r', change: { actions: ['update'], before: {}, after: {} } },
      ],
    };
    writeFileSync(path.join(dir, 'x.json'), JSON.stringify(plan));
    const r = cli(['plan-report', '--format', 'json', '--stack-name', 'prod-data', path.join(dir, 'x.json')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ stacks: [{ name: 'prod-data', create: 0, update: 1, delete: 2, replace: 1, destructive: ['aws_db_instance.primary', 'aws_s3_bucket.logs'] }] });
  });

  it('fails cleanly on a malformed or non-plan file, naming it, with no partial output', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plans-'));
    copyFileSync(file('tfjson-basic'), path.join(dir, 'good.plan.json'));
    writeFileSync(path.join(dir, 'notaplan.json'), JSON.stringify({ hello: 'world' }));
    const corrupted = cli(['plan-report', file('tfjson-basic'), path.join(FIXTURES, 'tfjson-invalid-corrupted.plan.json')]);
    expect(corrupted.code).toBe(1);
    expect(corrupted.stdout).toBe('');
    expect(corrupted.stderr).toMatch(/tfjson-invalid-corrupted\.plan\.json: not valid JSON/);
    const notPlan = cli(['plan-report', '--format', 'json', path.join(dir, 'good.plan.json'), path.join(dir, 'notaplan.json')]);
    expect(notPlan.code).toBe(1);
    expect(notPlan.stdout).toBe('');
    expect(notPlan.stderr).toMatch(/notaplan\.json/);
    const missing = cli(['plan-report', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.json: cannot read the file \(ENOENT\)/);
  });

  // Issue 13: every real plan is accepted, every wrong input gets a message naming the file and nothing on stdout.
  const TF = path.join(REPO, 'libs/delivery/test/fixtures/terraform');

  it('reads the same plan written by every shell: UTF-8 ± BOM, UTF-16 LE/BE with BOM (PowerShell 5), CRLF', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plans-enc-'));
    const text = readFileSync(path.join(TF, 'tf111-changes.plan.json'), 'utf8');
    const utf16 = (t: string, be: boolean) => {
      const le = Buffer.from(`\uFEFF${t}`, 'utf16le');
      return be ? Buffer.from(le).swap16() : le;
    };
    const variants: Record<string, Buffer> = {
      'bom.json': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      'utf16le.json': utf16(text.replace(/\n/g, '\r\n'), false),
      'utf16be.json': utf16(text, true),
      'crlf.json': Buffer.from(text.replace(/\n/g, '\r\n')),
    };
    for (const [name, bytes] of Object.entries(variants)) writeFileSync(path.join(dir, name), bytes);
    const r = cli(['plan-report', '--format', 'json', ...Object.keys(variants).map((n) => path.join(dir, n))]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).stacks.map((s: any) => [s.name, s.create, s.update, s.delete, s.replace])).toEqual(
      ['bom', 'utf16le', 'utf16be', 'crlf'].map((n) => [n, 2, 1, 1, 3]),
    );
  });

  it('wrong inputs: exit 1, nothing on stdout, the file and what to do on stderr', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plans-wrong-'));
    const empty = path.join(dir, 'empty.json');
    writeFileSync(empty, '');
    const cases: [string, string][] = [
      [path.join(TF, 'wrong-binary-planfile.tfplan'), 'this is a binary Terraform planfile (a zip archive), not its JSON form: run `terraform show -json <planfile> > plan.json`'],
      [path.join(TF, 'wrong-plan-json-log.json'), 'this is the machine-readable log of `terraform plan -json`'],
      [path.join(TF, 'wrong-state-file.json'), 'this is a Terraform state file (terraform.tfstate), not a plan'],
      [path.join(TF, 'wrong-validate.json'), 'this is the output of `terraform validate -json`, not a plan'],
      [path.join(TF, 'wrong-human-readable-plan.txt'), 'this is the human-readable output of `terraform plan` / `terraform show`, not JSON'],
      [path.join(TF, 'tf111-errored.plan.json'), 'the plan errored ("errored": true)'],
      [empty, 'the file is empty'],
    ];
    for (const [file, message] of cases) {
      const r = cli(['plan-report', path.join(TF, 'tf111-changes.plan.json'), file]);
      expect([file, r.code, r.stdout]).toEqual([file, 1, '']);
      expect(r.stderr).toContain(`error: ${file}: ${message}`);
    }
  });

  it('recovers a plan from setup-terraform wrapper output, and reports an errored plan as incomplete with --allow-errored', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plans-wrap-'));
    const json = readFileSync(path.join(TF, 'tf111-changes.plan.json'), 'utf8').trimEnd();
    const wrapped = path.join(dir, 'wrapped.json');
    writeFileSync(wrapped, `[command]/home/runner/work/_temp/abc/terraform-bin show -json tfplan\n${json}\n::debug::Terraform exited with code 0.\n::debug::exitcode: 0\n`);
    const r = cli(['plan-report', '--format', 'json', wrapped]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).stacks[0]).toEqual({ name: 'wrapped', create: 2, update: 1, delete: 1, replace: 3, destructive: [] });
    const errored = cli(['plan-report', '--allow-errored', path.join(TF, 'tf111-errored.plan.json')]);
    expect(errored.code).toBe(0);
    expect(errored.stdout).toContain('Incomplete or errored plan: `tf111-errored`');
  });
});

