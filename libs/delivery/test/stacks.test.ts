import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// cdktf (a workspace dependency) is used by the test only, to produce a real manifest.json.
import { App, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { affectedStacks, ManifestError, parseManifest, readManifest, StackCycleError, toMatrix, topologicalOrder, splitStackName } from '@awp/delivery';

const FIXTURE = path.join(__dirname, 'fixtures', 'synth');
const graph = readManifest(FIXTURE);
const names = (r: { include: { stack: string }[] }) => r.include.map((e) => e.stack);

describe('cdktf manifest and stack graph', () => {
  it('reads stacks, dependencies and directories from manifest.json', () => {
    expect(Object.keys(graph.stacks)).toHaveLength(18);
    expect(graph.stacks['prod-workloads']).toEqual({
      name: 'prod-workloads',
      dependencies: ['prod-cluster', 'prod-data', 'prod-edge'],
      workingDirectory: 'stacks/prod-workloads',
      synthesizedStackPath: 'stacks/prod-workloads/cdk.tf.json',
    });
    expect(readManifest(path.join(FIXTURE, 'manifest.json')).stacks['dev-network'].dependencies).toEqual([]);
  });

  it('orders stacks so every stack comes after its dependencies', () => {
    const order = topologicalOrder(graph);
    expect(order.slice(0, 6)).toEqual(['dev-network', 'dev-data', 'dev-cluster', 'dev-edge', 'dev-workloads', 'dev-observability']);
    for (const [name, node] of Object.entries(graph.stacks)) for (const d of node.dependencies) expect(order.indexOf(d)).toBeLessThan(order.indexOf(name));
  });

  it('reports a cycle with the stacks around it', () => {
    const cyclic = parseManifest(
      {
        stacks: {
          'dev-network': { synthesizedStackPath: 'stacks/dev-network/cdk.tf.json', dependencies: ['dev-observability'] },
          'dev-data': { synthesizedStackPath: 'stacks/dev-data/cdk.tf.json', dependencies: ['dev-network'] },
          'dev-observability': { synthesizedStackPath: 'stacks/dev-observability/cdk.tf.json', dependencies: ['dev-data'] },
        },
      },
      'cdktf.out/manifest.json',
    );
    expect(() => topologicalOrder(cyclic)).toThrow(StackCycleError);
    expect(() => topologicalOrder(cyclic)).toThrow('stack dependency cycle: dev-network → dev-observability → dev-data → dev-network');
  });

  it('names the manifest file in errors', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    expect(() => readManifest(dir)).toThrow(`${path.join(dir, 'manifest.json')}: cannot read the manifest (ENOENT`);
    writeFileSync(path.join(dir, 'manifest.json'), '{"stacks": {"a-network": {"synthesizedStackPath": "x", "dependencies": ["nope"]}}}');
    expect(() => readManifest(dir)).toThrow(ManifestError);
    expect(() => readManifest(dir)).toThrow('stacks.a-network.dependencies: unknown stack "nope"');
    writeFileSync(path.join(dir, 'manifest.json'), '{"stacks": [] }');
    expect(() => readManifest(dir)).toThrow('"stacks" must be an object');
    expect(() => readManifest(path.join(dir, 'nothing-here'))).toThrow('no such file or directory');
  });

  it.each([
    [[], 'expected a JSON object'],
    [{ stacks: { a: 1 } }, 'stacks.a must be an object'],
    [{ stacks: { a: { synthesizedStackPath: 'x', dependencies: [1] } } }, 'stacks.a.dependencies must be an array of strings'],
    [{ stacks: { a: { dependencies: [] } } }, 'stacks.a.synthesizedStackPath must be a string'],
  ])('rejects manifest %j', (value, message) => {
    expect(() => parseManifest(value, 'out/manifest.json')).toThrow(`out/manifest.json: ${message}`);
  });

  it('splits stack names into env and layer', () => {
    expect(splitStackName('prod-data')).toEqual({ env: 'prod', layer: 'data' });
    expect(splitStackName('eu-prod-observability')).toEqual({ env: 'eu-prod', layer: 'observability' });
  });
});

describe('affected stacks', () => {
  it('an environment file re-plans every stack of that environment, in dependency order', () => {
    const r = affectedStacks({ graph, files: ['environments/staging.json'] });
    expect(names(r)).toEqual(['staging-network', 'staging-data', 'staging-cluster', 'staging-edge', 'staging-workloads', 'staging-observability']);
    expect(r.reasons['staging-data']).toEqual(['file environments/staging.json']);
  });

  it('a layer project re-plans that layer in every env, closed downstream over dependencies', () => {
    const r = affectedStacks({ graph, projects: ['data'] });
    expect(names(r)).toEqual([
      'dev-data', 'dev-workloads', 'dev-observability',
      'staging-data', 'staging-workloads', 'staging-observability',
      'prod-data', 'prod-workloads', 'prod-observability',
    ]);
    expect(r.reasons['dev-workloads']).toEqual(['depends on dev-data']);
    expect(r.include.find((e) => e.stack === 'prod-workloads')).toEqual({
      stack: 'prod-workloads',
      env: 'prod',
      layer: 'workloads',
      dir: `${FIXTURE.replace(/\\/g, '/')}/stacks/prod-workloads`,
      needs: ['prod-data'],
      waitOnAnyChange: [], // data: outputs only (its cluster is not in this matrix)
    });
  });

  it('compute maps to the cluster and workloads stacks', () => {
    const r = affectedStacks({ graph, projects: ['compute'], envs: ['dev'] });
    expect(names(r)).toEqual(['dev-cluster', 'dev-workloads', 'dev-observability']);
    expect(r.include[1].needs).toEqual(['dev-cluster']);
  });

  it('the infra app, config, guardrails (projects or files) and the lock file re-plan everything', () => {
    for (const input of [{ projects: ['infra'] }, { projects: ['config'] }, { projects: ['guardrails'] }, { files: ['libs/guardrails/src/x.ts'] }, { files: ['apps/infra/src/main.ts'] }, { files: ['package-lock.json'] }, { all: true }]) {
      expect(affectedStacks({ graph, ...input }).include).toHaveLength(18);
    }
  });

  it('the identity project re-plans the identity stacks and the workloads that read the issuer', () => {
    const stack = (name: string, dependencies: string[]) => ({ synthesizedStackPath: `stacks/${name}/cdk.tf.json`, dependencies });
    const withIdentity = parseManifest(
      { stacks: { 'dev-network': stack('dev-network', []), 'dev-identity': stack('dev-identity', []), 'dev-workloads': stack('dev-workloads', ['dev-network', 'dev-identity']) } },
      'cdktf.out/manifest.json',
    );
    expect(names(affectedStacks({ graph: withIdentity, projects: ['identity'] }))).toEqual(['dev-identity', 'dev-workloads']);
    expect(names(affectedStacks({ graph: withIdentity, files: ['libs/identity/src/identity.ts'] }))).toEqual(['dev-identity', 'dev-workloads']);
    expect(splitStackName('prod-identity')).toEqual({ env: 'prod', layer: 'identity' });
  });

  it('a layer lib file maps like its project; unrelated projects and files map to nothing', () => {
    expect(names(affectedStacks({ graph, files: ['libs/edge/src/cdn.ts'], envs: ['prod'] }))).toEqual(['prod-edge', 'prod-workloads', 'prod-observability']);
    expect(affectedStacks({ graph, projects: ['api', 'delivery', 'action-plan-report'], files: ['apps/api/src/server.ts', 'README.md'] }).include).toEqual([]);
  });

  it('network in one env via its file plus a project: union, no duplicates, one matrix', () => {
    const r = affectedStacks({ graph, projects: ['observability'], files: ['environments/dev.json'] });
    expect(names(r)).toEqual(['dev-network', 'dev-data', 'dev-cluster', 'dev-edge', 'dev-workloads', 'dev-observability', 'staging-observability', 'prod-observability']);
    expect(r.reasons['dev-observability']).toEqual(['project observability', 'file environments/dev.json']);
    expect(toMatrix(r)).toEqual({ include: r.include });
    expect(JSON.parse(JSON.stringify(toMatrix(r))).include[0]).toEqual({ stack: 'dev-network', env: 'dev', layer: 'network', dir: expect.stringMatching(/stacks\/dev-network$/), needs: [], waitOnAnyChange: [] });
  });

  it('waitOnAnyChange: the needs a stack reads more than the outputs of (READS_BEYOND_OUTPUTS: workloads → cluster, identity), in the matrix only', () => {
    const r = affectedStacks({ graph, files: ['environments/dev.json'] });
    const entry = (s: string) => r.include.find((e) => e.stack === s)!;
    expect(entry('dev-workloads').needs).toEqual(expect.arrayContaining(['dev-cluster', 'dev-data', 'dev-edge']));
    expect(entry('dev-workloads').waitOnAnyChange).toEqual(entry('dev-workloads').needs.filter((n) => n === 'dev-cluster' || n === 'dev-identity'));
    expect(entry('dev-workloads').waitOnAnyChange).toContain('dev-cluster');
    for (const s of ['dev-network', 'dev-data', 'dev-cluster', 'dev-edge', 'dev-observability']) expect([s, entry(s).waitOnAnyChange]).toEqual([s, []]);
    // an upstream outside the matrix is not waited for at all
    const only = affectedStacks({ graph, projects: ['compute'], envs: ['dev'] });
    const w = only.include.find((e) => e.stack === 'dev-workloads')!;
    expect(w.waitOnAnyChange).toEqual(w.needs.filter((n) => n === 'dev-cluster' || n === 'dev-identity'));
  });
});

describe('against a manifest written by cdktf itself', () => {
  it('reads the stacks and dependencies that cdktf 0.21 synthesizes', () => {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'cdktf-'));
    const app = new App({ outdir });
    const mk = (name: string) => {
      const s = new TerraformStack(app, name);
      new LocalBackend(s, { path: path.join(outdir, `${name}.tfstate`) });
      return s;
    };
    const network = mk('dev-network');
    new TerraformOutput(network, 'vpc', { value: 'vpc-123' });
    const data = mk('dev-data');
    data.addDependency(network);
    const workloads = mk('dev-workloads');
    workloads.addDependency(data);
    workloads.addDependency(network);
    app.synth();
    const g = readManifest(outdir);
    expect(Object.keys(g.stacks).sort()).toEqual(['dev-data', 'dev-network', 'dev-workloads']);
    expect(g.stacks['dev-workloads'].dependencies.sort()).toEqual(['dev-data', 'dev-network']);
    expect(g.stacks['dev-data'].synthesizedStackPath).toBe('stacks/dev-data/cdk.tf.json');
    expect(topologicalOrder(g)).toEqual(['dev-network', 'dev-data', 'dev-workloads']);
    expect(names(affectedStacks({ graph: g, projects: ['network'] }))).toEqual(['dev-network', 'dev-data', 'dev-workloads']);
  });
});
