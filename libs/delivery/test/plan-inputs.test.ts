import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_COMMENT_BUDGET,
  hasChanges,
  loadPlanFiles,
  PlanParseError,
  readPlanFile,
  renderMarkdown,
  renderMarkdownReport,
  runPlanReport,
  summarizePlan,
} from '@awp/delivery';

// Every plan this file reads is real Terraform output: copied from public projects (fixtures/plans, README there)
// or made by Terraform 1.11 here (fixtures/terraform, made by generate.sh). Variants (encodings, CI wrappers,
// trimmed fields) are derived from them by code below, never written by hand.
const PLANS = path.join(__dirname, 'fixtures', 'plans');
const TF = path.join(__dirname, 'fixtures', 'terraform');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'plan-inputs-'));
const real = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('wrong-') && f !== 'tfjson-invalid-corrupted.plan.json')
    .sort()
    .map((f) => path.join(dir, f));
const ALL = [...real(PLANS), ...real(TF)];
const tfPlan = (name: string) => path.join(TF, `tf111-${name}.plan.json`);
const write = (name: string, content: string | Buffer) => {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
};
const summaries = (file: string, opts = {}) => readPlanFile(file, { errored: 'accept', ...opts }).map((p) => summarizePlan(p, 'x'));
function errorOf(fn: () => unknown): PlanParseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PlanParseError);
    return e as PlanParseError;
  }
  throw new Error('expected a PlanParseError, got none');
}

describe('every format version', () => {
  // Which real plans stand for which format version (Terraform 0.12–0.15: 0.1; 1.0.x and 1.1 pre-releases: 0.2;
  // 1.1: 1.0; 1.2–1.4: 1.1; 1.5 and later: 1.2). A new version among the fixtures must be added here.
  const BY_VERSION: Record<string, string[]> = {
    '0.1': ['tfjson-basic', 'tfjson-013-module-depends-on', 'snyk-aws-create-only', 'tfc-aws-nested-modules-3-levels'],
    '0.2': ['tfjson-110-sensitive-values'],
    '1.0': ['tf-summarize-github-for-each-modules-drift'],
    '1.1': ['tfjson-120-basic-sensitive-output', 'checkov-aws-data-read-config-unknown', 'cds-snc-outputs-only-changes'],
    '1.2': ['tfjson-has-checks', 'cds-snc-aws-import', 'tfjson-identity-import-update', 'tfjson-action-invocations', 'tf111-changes'],
  };

  it('the fixtures cover each version, and each is listed under its own', () => {
    const found = new Map<string, string>();
    for (const f of ALL) {
      for (const doc of readFileSync(f, 'utf8').split(/\n(?=\{)/)) found.set(path.basename(f, '.plan.json'), (JSON.parse(doc) as { format_version: string }).format_version);
    }
    for (const [version, names] of Object.entries(BY_VERSION)) for (const n of names) expect([n, found.get(n)]).toEqual([n, version]);
    expect([...new Set(found.values())].sort()).toEqual(Object.keys(BY_VERSION).sort());
  });

  it.each(Object.entries(BY_VERSION).flatMap(([v, names]) => names.map((n) => [v, n])))('format %s: %s gives a report', (_v, name) => {
    const file = name.startsWith('tf111-') ? path.join(TF, `${name}.plan.json`) : path.join(PLANS, `${name}.plan.json`);
    expect(renderMarkdown(loadPlanFiles([file]))).toContain(`\`${name}\``);
  });

  it.each([
    ['address', 'addresses from module/mode/type/name/index'],
    ['type', 'types from addresses'],
  ])('derives what older formats or trimmed files leave out: without "%s", %s, the same report', (field) => {
    // Every real plan with that field removed from every resource change and drift entry. One exception: in
    // snyk-aws-create-only, `aws_route.private["1"]` carries `"index": 1` (a number for the string key "1"), so its
    // address cannot be derived from the parts; the file has the address, which is what the report uses.
    for (const file of ALL.filter((f) => field !== 'address' || !f.endsWith('snyk-aws-create-only.plan.json'))) {
      const docs = readFileSync(file, 'utf8').split(/\n(?=\{)/).map((d) => JSON.parse(d) as Record<string, Record<string, unknown>[] | undefined>);
      for (const doc of docs) for (const key of ['resource_changes', 'resource_drift']) for (const rc of doc[key] ?? []) delete rc[field];
      const trimmed = write(`no-${field}-${path.basename(file)}`, docs.map((d) => JSON.stringify(d)).join('\n'));
      expect([file, summaries(trimmed)]).toEqual([file, summaries(file)]);
    }
  });
});

describe('every action', () => {
  const changes = loadPlanFiles([tfPlan('changes')])[0];
  const mif = loadPlanFiles([tfPlan('moved-import-forget')])[0];

  it('create, update, delete, both replacement orders, replace by request; outputs; counted as Terraform prints them', () => {
    // Terraform printed "Plan: 5 to add, 1 to change, 4 to destroy" for this plan (2 creates + 3 replacements).
    expect([changes.create, changes.update, changes.delete, changes.replace]).toEqual([2, 1, 1, 3]);
    const replaced = Object.fromEntries(changes.changes.filter((c) => c.kind === 'replace').map((c) => [c.address, [c.replaceOrder, c.actionReason]]));
    expect(replaced).toEqual({
      'terraform_data.c': ['delete-then-create', 'replace_because_cannot_update'],
      'terraform_data.d': ['create-then-delete', 'replace_because_cannot_update'],
      'terraform_data.e': ['delete-then-create', 'replace_by_request'],
    });
    expect(changes.outputs.map((o) => `${o.name}:${o.kind}`)).toEqual(['added:create', 'changed:update', 'dropped:delete', 'secret:update']);
  });

  it('forget is "removed from state", never a delete; imports with and without changes; moves with and without changes', () => {
    expect([mif.create, mif.update, mif.delete, mif.replace]).toEqual([0, 2, 0, 0]);
    expect(mif.forgotten).toEqual(['terraform_data.l']);
    expect(mif.imported).toEqual(['terraform_data.j', 'terraform_data.k']);
    expect(mif.moved).toEqual([
      { from: 'terraform_data.g', to: 'terraform_data.h' },
      { from: 'terraform_data.i', to: 'terraform_data.i2' },
    ]);
    expect(mif.risk).toBe('low');
    const md = renderMarkdown([mif]);
    expect(md).toContain('<details><summary>Removed from state, not destroyed (1)</summary>');
    expect(md).not.toContain('Delete (');
  });

  it('a deposed object is a delete of that object; destroy plans delete everything; checks do not count', () => {
    const [deposed, destroy, checks, none] = loadPlanFiles([tfPlan('deposed'), tfPlan('destroy'), tfPlan('checks'), tfPlan('no-changes')]);
    expect(deposed.changes).toEqual([expect.objectContaining({ address: 'terraform_data.r', kind: 'delete', deposed: '0badc0de' })]);
    expect([destroy.delete, destroy.outputs.map((o) => o.kind)]).toEqual([3, ['delete']]);
    expect([checks.create, checks.risk]).toEqual([1, 'low']);
    expect([none.risk, hasChanges(none)]).toEqual(['none', false]);
  });

  it('drift is shown apart from the changes to apply (a refresh-only plan has drift and nothing to apply)', () => {
    const [drift] = loadPlanFiles([tfPlan('refresh-only-drift')]);
    expect(drift.drift).toEqual([{ address: 'terraform_data.q', actions: 'no-op', previousAddress: 'terraform_data.p' }]);
    expect([drift.create + drift.update + drift.delete + drift.replace, hasChanges(drift)]).toEqual([0, false]);
    expect(renderMarkdown([drift])).toContain('Changed outside Terraform since the last apply (1)');
  });

  it('an errored plan is refused with what to do, and when accepted it is incomplete, never "no changes"', () => {
    const e = errorOf(() => loadPlanFiles([tfPlan('errored')]));
    expect(e.message).toBe(`${tfPlan('errored')}: the plan errored ("errored": true): Terraform stopped planning on an error, so the changes in it are incomplete and it cannot be applied; fix the errors \`terraform plan\` printed and plan again`);
    const [accepted] = loadPlanFiles([tfPlan('errored')], { errored: 'accept' });
    expect(accepted.incomplete).toBe(true);
    const md = renderMarkdown([accepted]);
    expect(md).toContain('Incomplete or errored plan: `tf111-errored`');
    expect(md).not.toContain('**No changes:**');
  });

  it('deferred changes (synthetic: only experimental Terraform builds defer) are listed, not counted, and make the plan incomplete', () => {
    // Built from the real tf111-changes plan: the create of terraform_data.f[1] moved into deferred_changes, in
    // the shape Terraform's jsonplan writes (reason + resource_change), and complete=false as Terraform sets it.
    const doc = JSON.parse(readFileSync(tfPlan('changes'), 'utf8')) as { resource_changes: { address: string }[]; deferred_changes?: unknown[]; complete?: boolean };
    const i = doc.resource_changes.findIndex((rc) => rc.address === 'terraform_data.f[1]');
    doc.deferred_changes = [{ reason: 'provider_config_unknown', resource_change: doc.resource_changes.splice(i, 1)[0] }];
    doc.complete = false;
    const [s] = loadPlanFiles([write('deferred.plan.json', JSON.stringify(doc))]);
    expect(s.deferred).toEqual([{ address: 'terraform_data.f[1]', actions: 'create', reason: 'provider_config_unknown' }]);
    expect([s.create, s.incomplete]).toEqual([1, true]);
    expect(renderMarkdown([s])).toContain('Deferred to a later plan (1)');
  });

  it('an action this report does not know is shown as unknown (medium risk), never dropped or counted', () => {
    const doc = JSON.parse(readFileSync(tfPlan('changes'), 'utf8')) as { resource_changes: { change: { actions: string[] } }[] };
    doc.resource_changes[0].change.actions = ['archive'];
    const [s] = loadPlanFiles([write('unknown-action.plan.json', JSON.stringify(doc))]);
    expect(s.unknown).toEqual([{ address: 'terraform_data.a', actions: 'archive' }]);
    expect([s.update, s.risk]).toEqual([0, 'medium']);
    expect(renderMarkdown([s])).toContain('Unknown action (1)');
  });

  it('action blocks invoked by a plan (Terraform 1.14) are a change', () => {
    const [s] = loadPlanFiles([path.join(PLANS, 'tfjson-action-invocations.plan.json')]);
    expect([s.invoked, hasChanges(s), s.risk]).toEqual([['action.bufo_print.success'], true, 'low']);
  });

  it('never prints a sensitive value from the real plans', () => {
    const md = renderMarkdown(loadPlanFiles([tfPlan('changes')]));
    expect(readFileSync(tfPlan('changes'), 'utf8')).toContain('rotated-password-2'); // the clear value is in the JSON …
    expect(md).not.toContain('rotated-password-2'); // … and never in the report
    expect(md).not.toContain('initial-password-1');
  });
});

describe('every encoding a shell writes', () => {
  // Made here from UTF-8 fixtures, byte by byte: BOM + UTF-16 code units (LE or BE), CRLF line ends. A value with
  // non-ASCII text (and a character outside the BMP, a surrogate pair in UTF-16) proves decoding, not just parsing.
  const source = (() => {
    const doc = JSON.parse(readFileSync(tfPlan('changes'), 'utf8')) as { output_changes: Record<string, { after: unknown }> };
    doc.output_changes.changed.after = 'Zürich — 東京 🚀';
    return `${JSON.stringify(doc, null, 2)}\n`;
  })();
  const utf16 = (text: string, be: boolean) => {
    const le = Buffer.from(`\uFEFF${text}`, 'utf16le');
    return be ? Buffer.from(le).swap16() : le;
  };
  const variants: [string, Buffer][] = [
    ['UTF-8', Buffer.from(source)],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(source)])],
    ['UTF-16 LE with BOM (Windows PowerShell >)', utf16(source, false)],
    ['UTF-16 BE with BOM', utf16(source, true)],
    ['UTF-8, CRLF line ends', Buffer.from(source.replace(/\n/g, '\r\n'))],
    ['UTF-16 LE with BOM and CRLF', utf16(source.replace(/\n/g, '\r\n'), false)],
  ];
  const expected = summaries(write('enc-utf8.plan.json', Buffer.from(source)));

  it.each(variants)('%s: the same report, both read paths', (name, bytes) => {
    const file = write(`enc-${name.replace(/\W+/g, '-')}.plan.json`, bytes);
    expect(summaries(file)).toEqual(expected);
    expect(summaries(file, { streamAboveBytes: 0 })).toEqual(expected);
    expect(JSON.stringify(expected)).toContain('Zürich — 東京 🚀');
  });

  it.each([
    ['UTF-32 LE', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('{\0\0\0')]), 'the file is UTF-32 LE (byte-order mark FF FE 00 00), which is not supported: write it again as UTF-8'],
    ['UTF-16 LE without BOM', Buffer.from(source, 'utf16le'), 'the file looks like UTF-16 LE without a byte-order mark, which is not supported'],
    ['Windows-1252', Buffer.from(source.replace('Zürich — 東京 🚀', 'Z\u00fcrich'), 'latin1'), 'not valid UTF-8 (an invalid byte sequence after byte'],
    ['zip planfile', readFileSync(path.join(TF, 'wrong-binary-planfile.tfplan')), 'this is a binary Terraform planfile (a zip archive), not its JSON form: run `terraform show -json <planfile> > plan.json`'],
    ['gzip', gzipSync(source), 'this is gzip-compressed data'],
  ])('%s is refused with the encoding found and what to do', (name, bytes, message) => {
    const file = write(`bad-${name.replace(/\W+/g, '-')}.json`, bytes);
    for (const streamAboveBytes of [undefined, 0]) {
      const e = errorOf(() => readPlanFile(file, { streamAboveBytes }));
      expect(e.file).toBe(file);
      expect(e.message).toContain(`${file}: ${message}`);
    }
  });
});

describe('wrong inputs get a message that says what to do, naming the file', () => {
  it.each([
    ['wrong-binary-planfile.tfplan', 'this is a binary Terraform planfile (a zip archive), not its JSON form'],
    ['wrong-human-readable-plan.txt', 'this is the human-readable output of `terraform plan` / `terraform show`, not JSON: run `terraform show -json <planfile>`'],
    ['wrong-plan-json-log.json', 'this is the machine-readable log of `terraform plan -json` (one JSON message per line), not a plan: save the plan with `terraform plan -out=tfplan`, then run `terraform show -json tfplan`'],
    ['wrong-state-file.json', 'this is a Terraform state file (terraform.tfstate), not a plan: run `terraform show -json <planfile>`'],
    ['wrong-show-state.json', 'this is `terraform show -json` of the current state (no planfile was given), not a plan'],
    ['wrong-validate.json', 'this is the output of `terraform validate -json`, not a plan'],
  ])('%s', (name, message) => {
    const file = path.join(TF, name);
    for (const streamAboveBytes of [undefined, 0]) {
      let out: string | undefined;
      const e = errorOf(() => {
        out = runPlanReport([tfPlan('changes'), file], { format: 'markdown', streamAboveBytes });
      });
      expect(out).toBeUndefined();
      expect(e.file).toBe(file);
      expect(e.message).toContain(`${file}: ${message}`);
    }
  });

  it('an empty or blank file', () => {
    for (const content of ['', '\n\n', '\uFEFF']) {
      const file = write('empty.json', content);
      expect(errorOf(() => loadPlanFiles([file])).message).toBe(
        `${file}: the file is empty: the command that should have written the plan wrote nothing (did \`terraform show -json <planfile>\` fail?)`,
      );
    }
  });

  it('JSON cut short or with a log line in front: the position, and what belongs in the file', () => {
    const file = write('prefixed.json', `Initializing...\n${readFileSync(tfPlan('changes'), 'utf8')}`);
    expect(errorOf(() => loadPlanFiles([file])).message).toMatch(
      /prefixed\.json: not valid JSON .*; the file starts with "Initializing\.\.\." — only the JSON that `terraform show -json` prints belongs in it/,
    );
  });
});

describe('a plan inside a CI wrapper log (hashicorp/setup-terraform terraform_wrapper)', () => {
  // setup-terraform v1's wrapper with stdout redirected: @actions/exec echoes the command line, the plan follows,
  // then core.debug and core.setOutput write workflow commands (values escaped with %0A, %25) to stdout as well.
  const json = readFileSync(tfPlan('changes'), 'utf8').trimEnd();
  const escaped = json.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const wrapped = [
    '[command]/home/runner/work/_temp/6a4f0b38-8e0d-4c68-9e8c-27b8d1f2b2b4/terraform-bin show -json tfplan',
    json,
    '::debug::Terraform exited with code 0.',
    `::debug::stdout: ${escaped}%0A`,
    '::debug::stderr: ',
    '::debug::exitcode: 0',
    `::set-output name=stdout::${escaped}%0A`,
    '::set-output name=stderr::',
    '::set-output name=exitcode::0',
    '',
  ].join('\n');

  it('the embedded plan is recovered: the same report as the plain plan, both read paths', () => {
    const file = write('wrapped.plan.json', wrapped);
    const plain = summaries(tfPlan('changes'));
    expect(summaries(file)).toEqual(plain);
    expect(summaries(file, { streamAboveBytes: 0 })).toEqual(plain);
  });

  it('when no plan is left without the wrapper lines, the message names the setting to turn off', () => {
    const file = write('wrapped-error.json', '[command]/home/runner/work/_temp/x/terraform-bin show -json tfplan\n::debug::Terraform exited with code 1.\n::debug::stderr: Error: open tfplan: no such file\n');
    for (const streamAboveBytes of [undefined, 0]) {
      expect(errorOf(() => readPlanFile(file, { streamAboveBytes })).message).toContain(`${file}: it holds log lines of a CI wrapper (hashicorp/setup-terraform's \`terraform_wrapper\`) around the JSON: set \`terraform_wrapper: false\``);
    }
  });
});

describe('large files are streamed with the same result', () => {
  it.each(ALL.map((f) => [path.basename(f), f]))('%s: streamed = JSON.parse', (_name, file) => {
    expect(summaries(file, { streamAboveBytes: 0 })).toEqual(summaries(file));
  });

  it('empty lists, null and wrongly typed lists: streamed = JSON.parse (an empty plan is a plan; a bad list is refused alike)', () => {
    const outcome = (file: string, streamAboveBytes?: number) => {
      try {
        return summaries(file, { streamAboveBytes });
      } catch (e) {
        return (e as Error).message;
      }
    };
    const base = { format_version: '1.1', terraform_version: '1.3.10', configuration: { root_module: {} } };
    const cases = {
      'empty-lists': { ...base, resource_changes: [], resource_drift: [] },
      'null-list': { ...base, resource_changes: null, planned_values: {} },
      'string-list': { ...base, resource_changes: 'x' },
      'object-list': { ...base, resource_drift: {} },
    };
    for (const [name, doc] of Object.entries(cases)) {
      const file = write(`${name}.plan.json`, JSON.stringify(doc));
      expect([name, outcome(file, 0)]).toEqual([name, outcome(file)]);
    }
    expect(Array.isArray(outcome(path.join(tmp, 'empty-lists.plan.json'), 0))).toBe(true); // a report, not an error
    expect(outcome(path.join(tmp, 'string-list.plan.json'), 0)).toMatch(/"resource_changes" must be an array/);
  });

  it('a broken file streamed still names the file and where', () => {
    const file = path.join(PLANS, 'tfjson-invalid-corrupted.plan.json');
    expect(errorOf(() => readPlanFile(file, { streamAboveBytes: 0 })).message).toMatch(/tfjson-invalid-corrupted\.plan\.json: not valid JSON after byte 15,5\d\d of the JSON text/);
  });
});

describe('every size', () => {
  it('10,000 resource changes render inside the comment budget with the full table and honest counts', () => {
    const base = JSON.parse(readFileSync(tfPlan('changes'), 'utf8')) as { resource_changes: Record<string, unknown>[] };
    const kinds = [['create'], ['update'], ['delete'], ['delete', 'create'], ['create', 'delete']];
    base.resource_changes = Array.from({ length: 10_000 }, (_, i) => ({
      address: `module.m${i % 10}.aws_db_instance.db[${i}]`,
      type: 'aws_db_instance',
      change: { actions: kinds[i % 5], before: { name: `b${i}`, password: 'hunter2' }, after: { name: `a${i}`, password: 'hunter2' }, after_unknown: {} },
    }));
    const [s] = loadPlanFiles([write('10k.plan.json', JSON.stringify(base))]);
    expect([s.create, s.update, s.delete, s.replace, s.destructive.length]).toEqual([2000, 2000, 2000, 4000, 6000]);
    const { markdown, truncated } = renderMarkdownReport([s], { maxChars: DEFAULT_COMMENT_BUDGET });
    expect(truncated).toBe(true);
    expect(markdown.length).toBeLessThanOrEqual(65_536);
    expect(markdown).toContain('| `10k` | 2000 | 2000 | 4000 | 2000 |');
    expect(markdown).not.toContain('hunter2');
  });
});
