import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeActionYml, runAction, useFakeGitHub } from '../../shared/testing/fake-github';

const ACTION = path.resolve(__dirname, '..');
const SYNTH = path.resolve(__dirname, '../../../../libs/delivery/test/fixtures/synth');

// A workspace laid out like the repository: the cdktf output at cdktf.out (the input's default, where npm run synth writes it).
const workspace = mkdtempSync(path.join(os.tmpdir(), 'ws-'));
cpSync(SYNTH, path.join(workspace, 'cdktf.out'), { recursive: true });

const gh = useFakeGitHub('affected-stacks');

describe('affected-stacks action (bundled dist/index.js)', () => {
  it('maps nx affected projects and changed files to a matrix in dependency order', async () => {
    const r = await runAction(ACTION, {
      api: gh.url,
      cwd: workspace,
      inputs: { projects: '["compute","api"]', files: 'environments/dev.json\napps/api/src/server.ts' },
    });
    expect(r.code).toBe(0);
    const matrix = JSON.parse(r.outputs.matrix) as { include: { stack: string; env: string; layer: string; dir: string; needs: string[]; waitOnAnyChange: string[] }[] };
    expect(matrix.include.map((e) => e.stack)).toEqual([
      'dev-network', 'dev-data', 'dev-cluster', 'dev-edge', 'dev-workloads', 'dev-observability',
      'staging-cluster', 'staging-workloads', 'staging-observability',
      'prod-cluster', 'prod-workloads', 'prod-observability',
    ]);
    // waitOnAnyChange: workloads reads the cluster beyond its outputs (the kubernetes/helm providers), data and edge by outputs
    expect(matrix.include[4]).toEqual({ stack: 'dev-workloads', env: 'dev', layer: 'workloads', dir: 'cdktf.out/stacks/dev-workloads', needs: ['dev-cluster', 'dev-data', 'dev-edge'], waitOnAnyChange: ['dev-cluster'] });
    expect(matrix.include.find((e) => e.stack === 'prod-workloads')?.needs).toEqual(['prod-cluster']);
    expect(matrix.include.filter((e) => e.layer !== 'workloads').every((e) => e.waitOnAnyChange.length === 0)).toBe(true);
    expect(r.outputs.count).toBe('12');
    expect(r.outputs['has-stacks']).toBe('true');
    expect(JSON.parse(r.outputs.stacks)).toHaveLength(12);
    expect(r.summary).toContain('<td>`prod-workloads`</td><td>`prod-cluster`</td><td>project compute</td>');
    expect(gh.requests).toEqual([]); // pure: no API calls
  });

  it('filters by environment and plans everything on request', async () => {
    const r = await runAction(ACTION, { api: gh.url, cwd: workspace, inputs: { all: 'true', envs: 'prod' } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.outputs.stacks)).toEqual(['prod-network', 'prod-data', 'prod-cluster', 'prod-edge', 'prod-workloads', 'prod-observability']);
  });

  it('outputs an empty matrix when nothing that shapes a stack changed', async () => {
    const r = await runAction(ACTION, { api: gh.url, cwd: workspace, inputs: { projects: 'api\ndelivery', files: 'README.md' } });
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual(expect.objectContaining({ matrix: '{"include":[]}', count: '0', 'has-stacks': 'false' }));
  });

  it('fails clearly without a synthesized manifest or with bad inputs', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'ws-empty-'));
    const r = await runAction(ACTION, { api: gh.url, cwd: empty, inputs: { all: 'true' } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::cdktf.out: no such file or directory (run the synth first: npm run synth)');
    const bad = await runAction(ACTION, { api: gh.url, cwd: workspace, inputs: { projects: '["data",' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('::error::input "projects": not valid JSON');
    const flag = await runAction(ACTION, { api: gh.url, cwd: workspace, inputs: { all: 'maybe' } });
    expect(flag.stdout).toContain('::error::input "all": expected true or false, got "maybe"');
  });

  it('reads booleans as core.getBooleanInput does (YAML 1.2 core schema): TRUE plans everything, "yes" is refused', async () => {
    const upper = await runAction(ACTION, { api: gh.url, cwd: workspace, inputs: { all: 'TRUE', envs: 'dev' } });
    expect(upper.code).toBe(0);
    expect(JSON.parse(upper.outputs.stacks)).toHaveLength(6);
    const yes = await runAction(ACTION, { api: gh.url, cwd: workspace, inputs: { all: 'yes' } });
    expect(yes.code).not.toBe(0);
    expect(yes.stdout).toContain('::error::input "all": expected true or false, got "yes" (YAML 1.2 core schema booleans: true, True, TRUE, false, False, FALSE)');
  });
});

describeActionYml(ACTION);
