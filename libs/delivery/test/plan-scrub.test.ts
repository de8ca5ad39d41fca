import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  MASK,
  parsePlanText,
  planFingerprint,
  readPlanFile,
  renderMarkdown,
  reviewItems,
  scrubPlan,
  scrubPlanFile,
  scrubValue,
  SENSITIVE,
  summarizePlan,
  type TerraformPlan,
} from '@awp/delivery';

// The one scrubber: what the workflow scripts upload (.github/scripts/dist/scrub-plan.cjs bundles scrubPlanFile).
const DIR = path.join(__dirname, 'fixtures', 'plans');
const fixture = (name: string) => readPlanFile(path.join(DIR, name), { errored: 'accept' });
const plans = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'tfjson-invalid-corrupted.plan.json')
  .sort();

describe('scrubValue', () => {
  it('replaces exactly what the mask marks, at any depth, and keeps nulls', () => {
    const value = { a: 'clear', b: 'secret', list: [{ k: 'x', v: 'hidden' }, { k: 'y', v: 'shown' }], whole: { deep: 1 }, none: null };
    const mask = { b: true, list: [{ v: true }, {}], whole: true, none: true };
    expect(scrubValue(value, mask)).toEqual({ a: 'clear', b: SENSITIVE, list: [{ k: 'x', v: SENSITIVE }, { k: 'y', v: 'shown' }], whole: SENSITIVE, none: null });
    expect(scrubValue('s', true)).toBe(SENSITIVE);
    expect(scrubValue(value, undefined)).toBe(value);
    expect(scrubValue(value, false)).toBe(value);
  });
});

describe('scrubPlan', () => {
  it('masks sensitive attributes of changes, drift and deferred changes', () => {
    const change = (v: string) => ({ actions: ['update'], before: { token: `${v}-old`, name: 'n' }, after: { token: `${v}-new`, name: 'n' }, before_sensitive: { token: true }, after_sensitive: { token: true } });
    const [plan] = parsePlanText(
      JSON.stringify({
        format_version: '1.2',
        resource_changes: [{ address: 'a.b', type: 'a', change: change('rc') }],
        resource_drift: [{ address: 'a.b', type: 'a', change: change('drift') }],
        deferred_changes: [{ reason: 'provider_config_unknown', resource_change: { address: 'a.c', type: 'a', change: change('deferred') } }],
        action_invocations: [{ address: 'action.x.y', type: 'x', name: 'y', config_values: { key: 'action-secret' } }],
      }),
      'p.json',
    );
    const out = scrubPlan(plan);
    const text = JSON.stringify(out);
    for (const secret of ['rc-old', 'rc-new', 'drift-old', 'drift-new', 'deferred-old', 'deferred-new', 'action-secret']) expect(text).not.toContain(secret);
    expect(out.resource_changes?.[0].change.after).toEqual({ token: SENSITIVE, name: 'n' });
    // What the report reads survives: the deferred change (it makes the plan incomplete) and the invoked action.
    expect(summarizePlan(out, 's')).toMatchObject({ incomplete: true, invoked: ['action.x.y'], deferred: [{ address: 'a.c' }], drift: [{ address: 'a.b' }] });
  });

  it('masks a sensitive output everywhere, also the legacy format (0.x) that flags it only in planned_values', () => {
    const [legacy] = fixture('tfjson-no-changes.plan.json');
    expect(legacy.output_changes?.foo.after).toBe('bar'); // Terraform 0.12 writes the value in clear
    const out = scrubPlan(legacy);
    expect(out.output_changes?.foo.after).toBe(SENSITIVE);
    expect(out.planned_values?.outputs?.foo).toEqual({ sensitive: true, value: SENSITIVE });
    expect(out.prior_state?.values?.outputs?.foo).toEqual({ sensitive: true, value: SENSITIVE });
    expect(out.output_changes?.string.after).toBe('foo');
    // and the report still sees "no change" for it (the legacy comparison with the prior state's value)
    expect(summarizePlan(out, 's').outputs).toEqual(summarizePlan(legacy, 's').outputs);
  });

  it('keeps values the schema does not mark sensitive (the fingerprint hashes them); reports still mask them by name', () => {
    const [plan] = parsePlanText(
      JSON.stringify({
        format_version: '1.2',
        resource_changes: [{ address: 'aws_lambda_function.f', type: 'aws_lambda_function', change: { actions: ['update'], before: { environment: [{ variables: { DB: 'old' } }] }, after: { environment: [{ variables: { DB: 'pw-new' } }] } } }],
      }),
      'p.json',
    );
    const out = scrubPlan(plan);
    expect(out.resource_changes?.[0].change.after).toEqual({ environment: [{ variables: { DB: 'pw-new' } }] });
    const changed = { ...plan, resource_changes: [{ ...plan.resource_changes![0], change: { ...plan.resource_changes![0].change, after: { environment: [{ variables: { DB: 'pw-other' } }] } } }] };
    expect(planFingerprint(scrubPlan(changed))).not.toBe(planFingerprint(out)); // a changed variable is a new plan to review
    const md = renderMarkdown([summarizePlan(out, 'dev-fn')], {});
    expect(md).toContain(MASK);
    expect(md).not.toContain('pw-new');
  });

  it.each(plans)('%s: same fingerprint and review items as the unscrubbed plan; scrubbing twice changes nothing', (name) => {
    const raw = fixture(name);
    raw.forEach((plan: TerraformPlan) => {
      const out = scrubPlan(plan);
      expect(planFingerprint(out)).toBe(planFingerprint(plan));
      expect(reviewItems(out)).toEqual(reviewItems(plan));
      expect(scrubPlan(out)).toEqual(out); // idempotent
    });
  });

  it('leaves no value marked sensitive in any fixture', () => {
    // every string under a `true` of a *_sensitive mask in the raw fixtures must be gone from the scrubbed text
    const secrets = new Set<string>();
    const collect = (value: unknown, mask: unknown): void => {
      if (mask === true) {
        const walk = (v: unknown): void => {
          if (typeof v === 'string' && v.length >= 4) secrets.add(v);
          else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
        };
        walk(value);
      } else if (typeof mask === 'object' && mask !== null && typeof value === 'object' && value !== null) {
        for (const [k, m] of Object.entries(mask)) collect((value as Record<string, unknown>)[k], m);
      }
    };
    let scrubbed = '';
    for (const name of plans) {
      for (const plan of fixture(name)) {
        for (const rc of [...(plan.resource_changes ?? []), ...(plan.resource_drift ?? [])]) {
          collect(rc.change.before, rc.change.before_sensitive);
          collect(rc.change.after, rc.change.after_sensitive);
        }
        scrubbed += JSON.stringify(scrubPlan(plan));
      }
    }
    expect(secrets.size).toBeGreaterThan(3);
    for (const s of secrets) expect(scrubbed).not.toContain(JSON.stringify(s));
  });
});

describe('scrubPlanFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'scrub-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes only what the reports read: no configuration, no state or planned resources, no variables', () => {
    const out = path.join(dir, 'out.json');
    scrubPlanFile(path.join(DIR, 'tfjson-110-sensitive-values.plan.json'), out);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(doc).sort()).toEqual(expect.arrayContaining(['format_version', 'resource_changes']));
    for (const key of ['configuration', 'variables', 'relevant_attributes', 'checks']) expect(doc).not.toHaveProperty(key);
    expect(doc.planned_values?.root_module).toBeUndefined();
    expect(doc.prior_state?.values?.root_module).toBeUndefined();
    expect(readPlanFile(out)).toHaveLength(1);
  });

  it('writes one document per plan of a multi-plan file, readable as the same stacks', () => {
    const out = path.join(dir, 'out.json');
    const written = scrubPlanFile(path.join(DIR, 'borchero-terragrunt-multiplan-concatenated.plan.json'), out);
    expect(written).toHaveLength(3);
    expect(readPlanFile(out).map(planFingerprint)).toEqual(fixture('borchero-terragrunt-multiplan-concatenated.plan.json').map(planFingerprint));
  });

  it('refuses a file that is not a plan, naming it, and writes nothing', () => {
    const input = path.join(dir, 'terraform.tfstate');
    writeFileSync(input, JSON.stringify({ version: 4, lineage: 'l', serial: 3, resources: [] }));
    expect(() => scrubPlanFile(input, path.join(dir, 'out.json'))).toThrow(/terraform\.tfstate: this is a Terraform state file/);
    expect(readdirSync(dir)).toEqual(['terraform.tfstate']);
  });

  it('names the output when it cannot be written and leaves no temporary file', () => {
    const out = path.join(dir, 'missing', 'out.json');
    expect(() => scrubPlanFile(path.join(DIR, 'tfjson-basic.plan.json'), out)).toThrow(`${out}: cannot write the scrubbed plan (ENOENT)`);
    expect(readdirSync(dir)).toEqual([]);
  });
});
