import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LAYER_DEPENDENCIES, type Layer } from '@awp/config';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { GuardrailError } from '@awp/guardrails';
import { synthesize } from '../src/synth';
import { REPO, readStack, treeDigest } from './helpers';

const ENV_DIR = path.join(REPO, 'environments');
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-synth-')), 'cdktf.out');
const result = synthesize({ dir: ENV_DIR, outdir });
const ACCOUNTS: Record<string, string> = { dev: '111111111111', staging: '222222222222', prod: '333333333333' };

// Keys whose values are user maps (any key allowed): tags, labels, annotations, data of config maps, etc.
const USER_MAPS = new Set(['tags', 'tags_all', 'labels', 'annotations', 'match_labels', 'node_selector', 'data', 'binary_data', 'string_data', 'variables', 'environment', 'triggers', 'parameters', 'context', 'outputs', 'configuration_values', 'capacity_provider_strategy', 'selector', 'dimensions']);

/** Every attribute and block name below resource/data/provider/terraform must be snake_case. */
function camelKeys(value: unknown, where: string, out: string[]): void {
  if (Array.isArray(value)) return value.forEach((v, i) => camelKeys(v, `${where}[${i}]`, out));
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === '//') continue;
    if (!/^[a-z0-9_]+$/.test(k)) out.push(`${where}.${k}`);
    if (!USER_MAPS.has(k)) camelKeys(v, `${where}.${k}`, out);
  }
}

describe('every synthesized stack', () => {
  it('exists for each environment and layer built so far', () => {
    expect(result.stacks.filter((s) => s.layer === 'network').map((s) => s.name)).toEqual(['dev-network', 'staging-network', 'prod-network']);
    expect(result.findings.filter((f) => f.severity === 'error' && !f.suppressedBecause)).toEqual([]);
  });

  it('uses only snake_case attribute and block names (our stand-in for terraform validate)', () => {
    const bad: string[] = [];
    for (const s of result.stacks) {
      const json = readStack(outdir, s.name);
      for (const section of ['resource', 'data']) {
        for (const [type, byName] of Object.entries<Record<string, unknown>>(json[section] ?? {})) {
          for (const [name, cfg] of Object.entries(byName)) camelKeys(cfg, `${s.name}:${section}.${type}.${name}`, bad);
        }
      }
      for (const [type, list] of Object.entries<unknown[]>(json.provider ?? {})) camelKeys(list, `${s.name}:provider.${type}`, bad);
      camelKeys(json.terraform, `${s.name}:terraform`, bad);
    }
    expect(bad).toEqual([]);
  });

  it('follows the stack conventions: S3 backend with lock file, pinned providers, account guard, default tags', () => {
    for (const s of result.stacks) {
      const json = readStack(outdir, s.name);
      // Write-only arguments and ephemeral resources: an older CLI must stop with a version error, not a confusing one.
      expect([s.name, json.terraform.required_version]).toEqual([s.name, '>= 1.11']);
      expect(json.terraform.backend.s3).toEqual({ bucket: `awp-tfstate-${ACCOUNTS[s.env]}`, key: `platform/${s.env}/${s.layer}.tfstate`, region: 'eu-west-1', use_lockfile: true });
      for (const [name, p] of Object.entries<{ version: string }>(json.terraform.required_providers)) expect([name, p.version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
      for (const aws of json.provider.aws) {
        expect(aws.allowed_account_ids).toEqual([ACCOUNTS[s.env]]);
        expect(aws.default_tags[0].tags).toEqual(expect.objectContaining({ Environment: s.env, Layer: s.layer, ManagedBy: 'cdktf' }));
      }
    }
  });

  it("records the design's dependency graph in cdktf's manifest", () => {
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const built = new Set(result.stacks.map((s) => s.name));
    for (const s of result.stacks) {
      const expected = LAYER_DEPENDENCIES[s.layer as Layer].map((d) => `${s.env}-${d}`).filter((d) => built.has(d));
      expect([...manifest.stacks[s.name].dependencies].sort()).toEqual(expect.arrayContaining(expected.sort()));
    }
  });
});

describe('guardrails at synth', () => {
  it('fail the synth with the full list and write nothing', () => {
    const before = treeDigest(outdir);
    let error: unknown;
    try {
      synthesize({
        dir: ENV_DIR,
        outdir,
        customize: (_env, stacks) => new CloudwatchLogGroup(stacks.get('network')!, 'unencrypted', { name: 'oops' }),
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GuardrailError);
    const msg = (error as Error).message;
    for (const env of ['dev', 'staging', 'prod']) expect(msg).toContain(`[AWP-LOG-001] ${env}-network/unencrypted`);
    expect(msg).toMatch(/6 errors/); // AWP-LOG-001 and AWP-LOG-002 in each of the three environments
    expect(treeDigest(outdir)).toBe(before);
  });
});
