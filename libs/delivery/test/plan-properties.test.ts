import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parsePlanText, PlanParseError, readPlanFile, renderJson, renderMarkdown, summarizePlan, type StackSummary } from '@awp/delivery';

/**
 * Property tests: plan documents of each format version's shape (the fields that version writes, per Terraform's
 * JSON output docs and the real fixtures), with fields removed at random. The parser either reports — with counts
 * equal to an independent count over the same document — or throws only PlanParseError naming the file; and no
 * value marked sensitive (or held by an attribute that usually holds secrets) ever reaches the output.
 */

type Doc = Record<string, unknown>;
type Version = '0.1' | '0.2' | '1.0' | '1.1' | '1.2';
const VERSIONS: Version[] = ['0.1', '0.2', '1.0', '1.1', '1.2'];
const at = (v: Version, min: Version) => VERSIONS.indexOf(v) >= VERSIONS.indexOf(min);

const ACTIONS: string[][] = [['no-op'], ['create'], ['read'], ['update'], ['delete'], ['delete', 'create'], ['create', 'delete'], ['forget'], ['create', 'forget'], ['archive']];
const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
// Secrets are unique, recognisable strings: the no-leak property searches the output for "S3CR3T".
const secret = fc.stringMatching(/^[a-z0-9]{6}$/).map((s) => `S3CR3T-${s}`);

function resourceChange(v: Version) {
  return fc
    .record({
      type: fc.constantFrom('aws_db_instance', 'aws_s3_bucket', 'aws_iam_role', 'terraform_data', 'null_resource'),
      name: ident,
      module: fc.option(ident, { nil: undefined }),
      data: fc.boolean(),
      index: fc.option(fc.oneof(fc.nat(5), ident), { nil: undefined }),
      actions: fc.constantFrom(...ACTIONS.filter((a) => at(v, '1.2') || !a.includes('forget'))),
      plain: fc.string({ maxLength: 12 }),
      hidden: secret,
      password: secret,
      importing: fc.boolean(),
      moved: fc.boolean(),
      reason: fc.constantFrom('replace_because_cannot_update', 'replace_because_tainted', 'delete_because_no_resource_config'),
    })
    .map((r) => {
      const module = r.module ? `module.${r.module}` : undefined;
      const index = r.index === undefined ? '' : typeof r.index === 'number' ? `[${r.index}]` : `[${JSON.stringify(r.index)}]`;
      const address = `${module ? `${module}.` : ''}${r.data ? 'data.' : ''}${r.type}.${r.name}${index}`;
      const sensitiveMarks = at(v, '0.2') || v === '0.1'; // 0.1 from Terraform 0.14 on has them; both shapes are generated
      const before = r.actions.includes('create') && r.actions.length === 1 ? null : { plain: r.plain, hidden: r.hidden, password: r.password };
      const after = r.actions.includes('delete') && r.actions.length === 1 ? null : { plain: `${r.plain}!`, hidden: r.hidden, password: r.password };
      const change: Doc = { actions: r.actions, before, after, after_unknown: after ? {} : false };
      // The hidden value is ALWAYS marked sensitive where it appears (a plan without markers never has it in clear).
      if (sensitiveMarks) Object.assign(change, { before_sensitive: before ? { hidden: true } : false, after_sensitive: after ? { hidden: true } : false });
      else {
        if (before) delete (before as Doc).hidden;
        if (after) delete (after as Doc).hidden;
      }
      if (at(v, '1.2') && r.importing) change.importing = { id: `import-${r.name}` };
      if (at(v, '1.0') && r.actions.length === 2 && r.actions.includes('delete')) change.replace_paths = [['plain']];
      const rc: Doc = { address, mode: r.data ? 'data' : 'managed', type: r.type, name: r.name, provider_name: 'registry.terraform.io/hashicorp/x', change };
      if (module) rc.module_address = module;
      if (r.index !== undefined) rc.index = r.index;
      if (at(v, '1.0') && r.actions.length === 2) rc.action_reason = r.reason;
      if (at(v, '1.1') && r.moved) rc.previous_address = `${address}_old`;
      return rc;
    });
}

function planDocument(v: Version) {
  return fc
    .record({
      changes: fc.array(resourceChange(v), { maxLength: 8 }),
      drift: fc.array(resourceChange(v), { maxLength: 3 }),
      deferred: fc.array(resourceChange(v), { maxLength: 2 }),
      outputSecret: secret,
      outputPlain: fc.string({ maxLength: 10 }),
    })
    .map((p) => {
      const doc: Doc = {
        format_version: v,
        terraform_version: { '0.1': '0.13.7', '0.2': '1.0.11', '1.0': '1.1.9', '1.1': '1.3.10', '1.2': '1.11.4' }[v],
        planned_values: { outputs: { token: { sensitive: true }, plain: { sensitive: false, value: p.outputPlain } }, root_module: {} },
        resource_changes: p.changes,
        output_changes: {
          token: { actions: ['create'], before: null, after: p.outputSecret, after_unknown: false, ...(at(v, '0.2') ? { before_sensitive: true, after_sensitive: true } : {}) },
          plain: { actions: ['update'], before: 'x', after: p.outputPlain, after_unknown: false },
        },
        configuration: { root_module: {} },
      };
      if (at(v, '0.2')) doc.resource_drift = p.drift;
      if (at(v, '1.2')) Object.assign(doc, { deferred_changes: p.deferred.map((rc) => ({ reason: 'provider_config_unknown', resource_change: rc })), errored: false, applyable: true, complete: p.deferred.length === 0 });
      return doc;
    });
}

/** Every removable field path (not the secrets' sensitivity markers: without them a value is no longer sensitive). */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null || prefix.length > 5) return out;
  for (const [k, v] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const p = [...prefix, k];
    const name = String(k);
    const marker = /sensitive$/.test(name) || (name === 'sensitive' && prefix.includes('planned_values')) || name === 'hidden' || name === 'token';
    if (!marker) out.push(p);
    paths(v, p, out);
  }
  return out;
}

function removeAll(doc: Doc, remove: (string | number)[][]): Doc {
  const copy = structuredClone(doc);
  for (const p of remove) {
    let node: unknown = copy;
    for (const k of p.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[k] : undefined;
    if (node && typeof node === 'object' && !Array.isArray(node)) delete (node as Doc)[String(p[p.length - 1])];
  }
  return copy;
}

const documents = fc.constantFrom(...VERSIONS).chain((v) => planDocument(v).chain((doc) => fc.subarray(paths(doc), { maxLength: 6 }).map((rm) => removeAll(doc, rm))));

/** The independent count: a few lines over the raw document, in the README's terms. */
function independentCount(doc: Doc) {
  const c = { create: 0, update: 0, delete: 0, replace: 0, forgotten: 0, imported: 0, unknown: 0, drift: 0, deferred: 0 };
  for (const rc of (doc.resource_changes as Doc[] | undefined) ?? []) {
    const change = rc.change as Doc;
    const a = (change.actions as string[]).join(',');
    if (a === 'create' || a === 'create,forget') c.create++;
    else if (a === 'update') c.update++;
    else if (a === 'delete') c.delete++;
    else if (a === 'delete,create' || a === 'create,delete') c.replace++;
    else if (!['no-op', 'read', 'forget'].includes(a)) c.unknown++;
    if (a.includes('forget')) c.forgotten++;
    if (change.importing && typeof change.importing === 'object') c.imported++;
  }
  c.drift = ((doc.resource_drift as unknown[] | undefined) ?? []).length;
  c.deferred = ((doc.deferred_changes as unknown[] | undefined) ?? []).length;
  return c;
}

const counted = (s: StackSummary) => ({
  create: s.create,
  update: s.update,
  delete: s.delete,
  replace: s.replace,
  forgotten: s.forgotten.length,
  imported: s.imported.length,
  unknown: s.unknown.length,
  drift: s.drift.length,
  deferred: s.deferred.length,
});

describe('generated plans of every format version, fields removed at random', () => {
  it('report with independent counts, or only PlanParseError naming the file; never a secret in the output', () => {
    let reported = 0;
    let refused = 0;
    fc.assert(
      fc.property(documents, (doc) => {
        let summary: StackSummary;
        try {
          const [plan] = parsePlanText(JSON.stringify(doc), 'gen.plan.json');
          summary = summarizePlan(plan, 'gen');
        } catch (e) {
          // Only our own error, and it says which file and what is wrong.
          expect(e).toBeInstanceOf(PlanParseError);
          expect((e as Error).message).toMatch(/^gen\.plan\.json: \S/);
          refused++;
          return;
        }
        reported++;
        expect(counted(summary)).toEqual(independentCount(doc));
        const out = renderMarkdown([summary]) + renderJson([summary]) + JSON.stringify(summary);
        expect(out).not.toMatch(/S3CR3T-/);
      }),
      { numRuns: 400 },
    );
    // Both outcomes were exercised (the generator is not trivially always-valid or always-broken).
    expect(reported).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(0);
  });

  it('the streaming reader gives the same reports and the same errors as JSON.parse', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-props-'));
    const outcome = (file: string, streamAboveBytes?: number) => {
      try {
        return readPlanFile(file, { streamAboveBytes }).map((p) => summarizePlan(p, 'x'));
      } catch (e) {
        expect(e).toBeInstanceOf(PlanParseError);
        // JSON syntax errors are worded by each parser; everything else is the same message.
        return /not valid JSON/.test((e as Error).message) ? 'invalid JSON' : (e as Error).message;
      }
    };
    fc.assert(
      fc.property(documents, fc.nat(1000), (doc, n) => {
        const file = path.join(dir, `p${n}.json`);
        writeFileSync(file, JSON.stringify(doc));
        expect(outcome(file, 0)).toEqual(outcome(file));
      }),
      { numRuns: 60 },
    );
  });
});
