import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadPlanFiles, PlanParseError, renderJson, renderMarkdown, runPlanReport } from '@awp/delivery';

// Real `terraform show -json` outputs from public projects' test data (sources and licences: fixtures/plans/README.md).
const DIR = path.join(__dirname, 'fixtures', 'plans');
const file = (name: string) => path.join(DIR, name);

/**
 * Expected numbers per fixture, computed independently of this library with a throwaway Python script over the
 * raw JSON (actions tuple → kind; previous_address; change.importing; resource_drift length; output_changes
 * whose actions are not no-op) and cross-checked with the fixtures' README.
 */
const EXPECTED: Record<string, { create: number; update: number; delete: number; replace: number; moved: number; imported: number; drift: number; reads: number }> = {
  'borchero-empty-no-resource-changes': { create: 0, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'borchero-local-file-delete': { create: 0, update: 0, delete: 2, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'borchero-local-file-replace': { create: 0, update: 0, delete: 0, replace: 2, moved: 0, imported: 0, drift: 0, reads: 0 },
  'borchero-terragrunt-multiplan-concatenated#1': { create: 1, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'borchero-terragrunt-multiplan-concatenated#2': { create: 1, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'borchero-terragrunt-multiplan-concatenated#3': { create: 1, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'cds-snc-aws-import': { create: 1, update: 0, delete: 0, replace: 0, moved: 0, imported: 2, drift: 0, reads: 0 },
  'cds-snc-outputs-only-changes': { create: 0, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'checkov-aws-data-read-config-unknown': { create: 2, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 1 },
  'ovsds-sensitive-replace': { create: 0, update: 0, delete: 0, replace: 1, moved: 0, imported: 0, drift: 0, reads: 0 },
  'snyk-aws-create-only': { create: 10, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'snyk-aws-update-in-place': { create: 0, update: 1, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tf-summarize-github-for-each-modules-drift': { create: 7, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 3, reads: 0 },
  'tfc-aws-nested-modules-3-levels': { create: 14, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tfjson-120-basic-sensitive-output': { create: 7, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tfjson-013-module-depends-on': { create: 2, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 1 },
  'tfjson-110-sensitive-values': { create: 7, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tfjson-action-invocations': { create: 0, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tfjson-identity-import-update': { create: 0, update: 1, delete: 0, replace: 0, moved: 0, imported: 1, drift: 0, reads: 0 },
  'tfjson-action-reason-tainted-replace': { create: 0, update: 0, delete: 0, replace: 1, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tfjson-basic': { create: 7, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 1 },
  'tfjson-deep-module': { create: 1, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tfjson-has-checks': { create: 2, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
  'tfjson-moved-block': { create: 0, update: 0, delete: 0, replace: 0, moved: 1, imported: 0, drift: 0, reads: 0 },
  'tfjson-no-changes': { create: 0, update: 0, delete: 0, replace: 0, moved: 0, imported: 0, drift: 0, reads: 0 },
};

const validFiles = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'tfjson-invalid-corrupted.plan.json')
  .sort()
  .map(file);

describe('the plan fixtures are the upstream files, byte for byte', () => {
  // git's blob id of each file must be the one its README cites with the upstream source and licence.
  const readme = readFileSync(path.join(DIR, 'README.md'), 'utf8');
  const blobId = (buf: Buffer) => createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
  it.each(readdirSync(DIR).filter((f) => f.endsWith('.json')))('%s has the blob id and a licence in README.md', (f) => {
    const section = readme.split('\n### ').find((s) => s.startsWith(`\`${f}\``));
    expect(section).toBeDefined();
    expect(section).toContain(`git blob \`${blobId(readFileSync(file(f)))}\``);
    expect(section).toMatch(/license (MIT|MPL-2\.0|Apache-2\.0)/);
  });
});

describe('plan parsing on every fixture', () => {
  it('covers every fixture file in the directory (a new fixture must get expected numbers here)', () => {
    const names = new Set(Object.keys(EXPECTED).map((n) => n.replace(/#\d+$/, '')));
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).length).toBe(names.size + 1); // + the corrupted one
    for (const f of validFiles) expect(names.has(path.basename(f, '.plan.json'))).toBe(true);
  });

  const stacks = loadPlanFiles(validFiles);
  it.each(Object.entries(EXPECTED))('%s: exact counts', (name, want) => {
    const s = stacks.find((x) => x.name === name);
    expect(s).toBeDefined();
    if (!s) return;
    expect({ create: s.create, update: s.update, delete: s.delete, replace: s.replace }).toEqual({
      create: want.create,
      update: want.update,
      delete: want.delete,
      replace: want.replace,
    });
    expect(s.moved).toHaveLength(want.moved);
    expect(s.imported).toHaveLength(want.imported);
    expect(s.drift).toHaveLength(want.drift);
    expect(s.reads).toHaveLength(want.reads);
    // None of the shared fixtures deletes or replaces a stateful AWS type (their deletes are local_file etc.).
    expect(s.destructive).toEqual([]);
  });

  it('the JSON form has exactly the documented shape and numbers', () => {
    const json = JSON.parse(runPlanReport(validFiles, { format: 'json' })) as { stacks: Record<string, unknown>[] };
    expect(Object.keys(json)).toEqual(['stacks']);
    expect(json.stacks).toHaveLength(Object.keys(EXPECTED).length);
    for (const s of json.stacks) {
      expect(Object.keys(s)).toEqual(['name', 'create', 'update', 'delete', 'replace', 'destructive']);
      const want = EXPECTED[s.name as string];
      expect(s).toEqual({ name: s.name, create: want.create, update: want.update, delete: want.delete, replace: want.replace, destructive: [] });
    }
  });

  it('replacements count once, in both orders, and name their order and reason', () => {
    const s = stacks.find((x) => x.name === 'tfjson-action-reason-tainted-replace');
    expect(s?.changes).toEqual([expect.objectContaining({ address: 'null_resource.example', kind: 'replace', replaceOrder: 'delete-then-create', actionReason: 'replace_because_tainted' })]);
  });

  it('moves and imports are reported as such, not as no changes or create+delete', () => {
    expect(stacks.find((x) => x.name === 'tfjson-moved-block')?.moved).toEqual([{ from: 'random_id.test', to: 'random_id.test2' }]);
    expect(stacks.find((x) => x.name === 'cds-snc-aws-import')?.imported).toEqual([
      'aws_cloudwatch_log_group.controltower-notificationforwarder',
      'aws_sns_topic.controltower-notificationforwarder',
    ]);
    const md = renderMarkdown(stacks);
    expect(md).toContain('- `random_id.test` → `random_id.test2`');
    expect(md).toContain('<details><summary>Imported (2)</summary>');
  });

  it('output changes: modern formats as reported, the legacy 0.12 "everything is create" quirk filtered', () => {
    const outputs = (name: string) => stacks.find((x) => x.name === name)?.outputs.map((o) => `${o.name}:${o.kind}`);
    expect(outputs('cds-snc-outputs-only-changes')).toEqual(['bar:update', 'baz:create', 'foo:delete']);
    expect(outputs('tfjson-120-basic-sensitive-output')).toHaveLength(8);
    expect(outputs('tfjson-no-changes')).toEqual([]);
    // 0.12 first apply: only outputs not already equal in the prior state (the unknown ones) remain.
    expect(outputs('tfjson-basic')).toEqual(['interpolated:create', 'interpolated_deep:create', 'referenced:create', 'referenced_deep:create']);
  });

  it('no-change plans are reported as no changes', () => {
    for (const name of ['borchero-empty-no-resource-changes', 'tfjson-no-changes']) {
      expect(stacks.find((x) => x.name === name)?.risk).toBe('none');
    }
    expect(renderMarkdown(stacks)).toContain('**No changes:** `borchero-empty-no-resource-changes`, `tfjson-no-changes`');
  });

  it('drift is kept apart from planned changes', () => {
    const s = stacks.find((x) => x.name === 'tf-summarize-github-for-each-modules-drift');
    expect(s?.drift.map((d) => d.actions)).toEqual(['delete', 'delete', 'delete']);
    expect(s?.delete).toBe(0);
  });

  it('never prints sensitive values: sensitive outputs, sensitive attributes', () => {
    const md = renderMarkdown(stacks);
    // tfjson-basic: output foo is sensitive only via planned_values, its clear value "bar" sits in output_changes.
    const basic = stacks.find((x) => x.name === 'tfjson-120-basic-sensitive-output');
    expect(basic?.outputs.find((o) => o.name === 'foo')).toEqual(expect.objectContaining({ sensitive: true, after: '(sensitive)' }));
    expect(md).toContain('- `foo` (create, sensitive): `(sensitive)`');
    // ovsds: base64/hex are sensitive and their clear values are in `before`.
    const ovsds = stacks.find((x) => x.name === 'ovsds-sensitive-replace');
    const attrs = Object.fromEntries(ovsds?.changes[0].attributes.map((a) => [a.name, a]) ?? []);
    expect(attrs.base64).toEqual({ name: 'base64', before: '(sensitive)', after: '(known after apply)' });
    expect(attrs.length).toEqual({ name: 'length', before: '4', after: '8' });
    expect(md).not.toContain('hxk5iA==');
    expect(md).not.toContain('87193988');
  });

  it('a file of several plans (terragrunt show --all -json) gives one stack per document', () => {
    const multi = loadPlanFiles([file('borchero-terragrunt-multiplan-concatenated.plan.json')]);
    expect(multi.map((s) => `${s.name}:${s.changes.map((c) => c.address).join()}`)).toEqual([
      'borchero-terragrunt-multiplan-concatenated#1:local_file.cache',
      'borchero-terragrunt-multiplan-concatenated#2:local_file.database',
      'borchero-terragrunt-multiplan-concatenated#3:local_file.server',
    ]);
  });

  it('the corrupted plan fails with an error naming the file and the position, and no partial output', () => {
    const corrupted = file('tfjson-invalid-corrupted.plan.json');
    let err: unknown;
    let out: string | undefined;
    try {
      out = runPlanReport([...validFiles, corrupted], { format: 'markdown' });
    } catch (e) {
      err = e;
    }
    expect(out).toBeUndefined();
    expect(err).toBeInstanceOf(PlanParseError);
    expect((err as PlanParseError).file).toBe(corrupted);
    expect((err as Error).message).toMatch(/^.*tfjson-invalid-corrupted\.plan\.json: not valid JSON at line 676 column 29/);
  });

  it('fingerprints differ between different plans and are stable for the same plan', () => {
    const again = loadPlanFiles(validFiles);
    expect(again.map((s) => s.fingerprint)).toEqual(stacks.map((s) => s.fingerprint));
    const replace = stacks.find((x) => x.name === 'borchero-local-file-replace');
    const del = stacks.find((x) => x.name === 'borchero-local-file-delete');
    expect(replace?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(replace?.fingerprint).not.toBe(del?.fingerprint);
  });

  it('JSON rendering matches renderJson over the loaded stacks', () => {
    expect(runPlanReport(validFiles, { format: 'json' })).toBe(renderJson(stacks));
  });
});
