// Environments are data: adding environments/<name>.json (a copy of staging.json) must reach every place that
// lists environments — the stack graph, affected stacks (the affected-stacks Action), the promotion order and the
// deploy workflow's matrix — with no code listing them (issue 14: one source for layers and environments).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { LAYERS, listEnvironments } from '@awp/config';
import { checkPromotion, promotionOrder, readManifest, topologicalOrder } from '@awp/delivery';
import { describeDelivery } from '../src/bootstrap';
import { synthesize } from '../src/synth';
import { runAction } from '../../actions/shared/testing/fake-github';

const ROOT = path.resolve(__dirname, '../../..');
const SYNTH_FIXTURE = path.join(ROOT, 'libs/delivery/test/fixtures/synth'); // dev, staging, prod as cdktf wrote them

// A temp copy of the workspace's environments, plus qa (staging.json renamed) between staging and prod.
const ws = mkdtempSync(path.join(os.tmpdir(), 'ws-fourth-env-'));
const envDir = path.join(ws, 'environments');
mkdirSync(envDir);
for (const f of ['dev.json', 'staging.json', 'prod.json', 'environment.schema.json']) cpSync(path.join(ROOT, 'environments', f), path.join(envDir, f));
const staging = JSON.parse(readFileSync(path.join(envDir, 'staging.json'), 'utf8'));
const qa = { ...staging, name: 'qa', promotesFrom: 'staging', domain: { ...staging.domain, name: 'qa.shop.example.com' }, network: { ...staging.network, vpcCidr: '10.40.0.0/16' } };
writeFileSync(path.join(envDir, 'qa.json'), JSON.stringify(qa, null, 2));
const prod = JSON.parse(readFileSync(path.join(envDir, 'prod.json'), 'utf8'));
// qa's zone lies inside prod's created zone: prod must delegate it (the loader refuses otherwise).
const delegations = [...prod.domain.delegations, { name: 'qa.shop.example.com' }];
writeFileSync(path.join(envDir, 'prod.json'), JSON.stringify({ ...prod, promotesFrom: 'qa', domain: { ...prod.domain, delegations } }, null, 2));
writeFileSync(path.join(ws, 'package.json'), '{"name":"ws","private":true}\n');
// The other environments' stacks are already synthesized (the fixture); synthesize qa into the same cdktf.out.
cpSync(SYNTH_FIXTURE, path.join(ws, 'cdktf.out'), { recursive: true });
const EXPECTED = ['dev', 'staging', 'qa', 'prod'];

describe('a fourth environment file (qa, copied from staging.json)', () => {
  beforeAll(() => {
    synthesize({ dir: envDir, envs: ['qa'], outdir: path.join(ws, 'cdktf.out'), relativeTo: ws });
  });

  it('takes its place in the promotion order: the loader, bootstrap --describe and the promotion gate', () => {
    expect(listEnvironments(envDir)).toEqual(EXPECTED);
    const described = describeDelivery(undefined, { dir: envDir, relativeTo: ws });
    expect(described.map((d) => d.env)).toEqual(EXPECTED);
    const rules = described.map((d) => ({ name: d.env, promotesFrom: d.promotesFrom ?? undefined }));
    expect(promotionOrder(rules)).toEqual(EXPECTED);
    const toProd = checkPromotion({ target: 'prod', sha: 'a'.repeat(40), environments: rules, deployments: [] });
    expect(toProd).toEqual(expect.objectContaining({ allowed: false, requires: 'qa' }));
  });

  it('has its stacks in the graph, ordered between staging and prod', () => {
    const graph = readManifest(path.join(ws, 'cdktf.out'));
    expect(graph.environments).toEqual(EXPECTED);
    for (const layer of LAYERS) expect(graph.stacks[`qa-${layer}`]).toBeDefined();
    expect(graph.stacks['qa-workloads'].dependencies.sort()).toEqual(['qa-cluster', 'qa-data', 'qa-edge', 'qa-identity', 'qa-network']);
    const order = topologicalOrder(graph);
    const envOf = order.map((s) => s.slice(0, s.indexOf('-')));
    expect([...new Set(envOf)]).toEqual(EXPECTED);
  });

  it('is planned by the affected-stacks Action: its file re-plans its stacks, `all` puts them between staging and prod', async () => {
    const action = path.join(ROOT, 'apps/actions/affected-stacks');
    const api = 'http://127.0.0.1:9'; // the action calls no API
    const one = await runAction(action, { api, cwd: ws, inputs: { files: 'environments/qa.json' } });
    expect(one.code).toBe(0);
    const stacks = JSON.parse(one.outputs.stacks) as string[];
    expect(stacks).toHaveLength(LAYERS.length);
    expect(stacks.every((s) => s.startsWith('qa-'))).toBe(true);
    const all = await runAction(action, { api, cwd: ws, inputs: { all: 'true' } });
    const envs = (JSON.parse(all.outputs.matrix) as { include: { env: string }[] }).include.map((e) => e.env);
    expect([...new Set(envs)]).toEqual(EXPECTED);
  });

  it("is deployed by deploy.yml: the build job's environments output (from bootstrap --describe) drives the chained stage jobs", () => {
    const deploy = YAML.parse(readFileSync(path.join(ROOT, '.github/workflows/deploy.yml'), 'utf8'));
    // Stage n deploys environments[n-1] after stage n-1: one stage job per environment in promotion order, so the
    // fourth environment needs a stage-4 (deploy.yml's build job refuses more environments than stages).
    const stages = Object.keys(deploy.jobs).filter((j) => /^stage-\d+$/.test(j));
    expect(stages.length).toBeGreaterThanOrEqual(EXPECTED.length);
    EXPECTED.forEach((_env, i) => {
      const job = deploy.jobs[`stage-${i + 1}`];
      expect(job.with.environment).toBe(`\${{ fromJSON(needs.build.outputs.environments)[${i}] }}`);
      expect([job.needs].flat()).toEqual(i === 0 ? ['build'] : ['build', `stage-${i}`]);
    });
    const step = (deploy.jobs.build.steps as { id?: string; run?: string; env?: Record<string, string> }[]).find((s) => s.id === 'targets');
    // The step's own shell, run in the temp workspace (platform.js finds environments/ from the working directory).
    const script = String(step?.run).replace('node apps/infra/bin/platform.js', `node ${path.join(ROOT, 'apps/infra/bin/platform.js')}`);
    const output = path.join(ws, 'github-output');
    writeFileSync(output, '');
    execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: ws, env: { ...process.env, ...step?.env, GITHUB_OUTPUT: output }, stdio: ['ignore', 'ignore', 'inherit'] });
    const outputs = Object.fromEntries(readFileSync(output, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(JSON.parse(outputs.environments)).toEqual(EXPECTED);
    expect(Object.keys(JSON.parse(outputs.targets))).toEqual(EXPECTED);
  });
});
