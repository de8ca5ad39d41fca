import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, editEnv, tempWorkspace, treeDigest } from './helpers';

// One workspace synthesized once; the failure cases below must leave its cdktf.out exactly as it was.
const ws = tempWorkspace();
const first = cli(['synth'], ws);
const out = path.join(ws, 'cdktf.out');

describe('platform synth', () => {
  it('writes one stack per layer per environment and prints the summary table', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const env of ['dev', 'staging', 'prod']) expect(existsSync(path.join(out, 'stacks', `${env}-network`, 'cdk.tf.json'))).toBe(true);
    expect(first.stdout).toMatch(/^stack\s+resources\s+dependencies$/m);
    expect(first.stdout).toMatch(/^prod-network\s+\d+\s+-$/m);
    expect(first.stdout).toMatch(/\d+ stacks, \d+ resources written to .* in \d+\.\d\d s; guardrails: 0 errors/);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.stacks)).toEqual(expect.arrayContaining(['dev-network', 'staging-network', 'prod-network']));
  });

  it('synthesizes only the environments and layers asked for, keeping the others', () => {
    const before = readFileSync(path.join(out, 'stacks', 'prod-network', 'cdk.tf.json'), 'utf8');
    const r = cli(['synth', '--env', 'dev', '--layer', 'network'], ws);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dev-network\s/m);
    expect(r.stdout).not.toMatch(/^prod-network\s/m);
    expect(readFileSync(path.join(out, 'stacks', 'prod-network', 'cdk.tf.json'), 'utf8')).toBe(before);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.stacks['prod-network']).toBeDefined();
  });

  it('fails on a bad environment file, naming the file and the field, and writes nothing', () => {
    const digest = treeDigest(out);
    editEnv(ws, 'dev', (raw) => (raw.network.vpcCidr = '10.0.0.0/33'));
    try {
      const r = cli(['synth', '--env', 'dev'], ws);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/environments\/dev\.json: network\.vpcCidr: expected a prefix length between 0 and 32, got \/33/);
      expect(treeDigest(out)).toBe(digest);
      expect(readdirSync(ws).filter((f) => f.startsWith('.cdktf.out-'))).toEqual([]);
    } finally {
      editEnv(ws, 'dev', (raw) => (raw.network.vpcCidr = '10.10.0.0/16'));
    }
  });

  it('reports every problem of every file at once', () => {
    const digest = treeDigest(out);
    editEnv(ws, 'dev', (raw) => {
      raw.network.vpcCidr = '10.0.0.0/33';
      raw.compute.nodeGroups[0].desiredSize = 99;
    });
    editEnv(ws, 'prod', (raw) => (raw.data.database.multiAz = false));
    try {
      const r = cli(['synth'], ws);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/3 problems/);
      expect(r.stderr).toMatch(/environments\/dev\.json: compute\.nodeGroups\[0\]\.desiredSize: expected desiredSize <= maxSize/);
      expect(r.stderr).toMatch(/environments\/prod\.json: data\.database\.multiAz: expected true: prod must be Multi-AZ/);
      expect(treeDigest(out)).toBe(digest);
    } finally {
      editEnv(ws, 'dev', (raw) => {
        raw.network.vpcCidr = '10.10.0.0/16';
        raw.compute.nodeGroups[0].desiredSize = 2;
      });
      editEnv(ws, 'prod', (raw) => (raw.data.database.multiAz = true));
    }
  });

  it('lists the valid environments and layers for unknown names', () => {
    const env = cli(['synth', '--env', 'nosuch'], ws);
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/unknown environment "nosuch"; valid environments: dev, staging, prod/);
    const layer = cli(['synth', '--layer', 'nosuch'], ws);
    expect(layer.code).toBe(1);
    expect(layer.stderr).toMatch(/unknown layer "nosuch"; valid layers: dns, network, data, cluster, edge, identity, workloads, observability/);
  });
});

describe('platform stacks, graph, validate, schema, help', () => {
  it('lists stacks with dependencies as JSON', () => {
    const r = cli(['stacks', '--env', 'prod', '--json'], ws);
    expect(r.code).toBe(0);
    const stacks = JSON.parse(r.stdout);
    expect(stacks.map((s: { name: string }) => s.name)).toEqual(['prod-dns', 'prod-network', 'prod-data', 'prod-cluster', 'prod-edge', 'prod-identity', 'prod-workloads', 'prod-observability']);
    expect(stacks.find((s: { name: string }) => s.name === 'prod-workloads').dependencies).toEqual(['prod-network', 'prod-cluster', 'prod-data', 'prod-edge', 'prod-identity']);
    expect(cli(['stacks'], ws).stdout).toMatch(/^staging-edge\s+staging\s+edge\s+staging-dns, staging-network, staging-data$/m);
  });

  it('prints the dependency graph as Mermaid', () => {
    const r = cli(['graph', '--env', 'dev'], ws);
    expect(r.stdout.split('\n')[0]).toBe('flowchart LR');
    expect(r.stdout).toMatch(/^ {2}dev_network --> dev_data$/m);
    expect(r.stdout).toMatch(/^ {2}dev_cluster --> dev_workloads$/m);
    expect(r.stdout).toMatch(/^ {2}dev_identity --> dev_workloads$/m);
    expect(r.stdout).not.toMatch(/prod_/);
  });

  it('validates, checks the schema and has help', () => {
    expect(cli(['validate'], ws).stdout).toMatch(/valid: environments\/dev\.json, environments\/staging\.json, environments\/prod\.json/);
    expect(cli(['schema', '--check']).code).toBe(0);
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/synth \[options\]/);
    const bad = cli(['nonsense']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown command 'nonsense'/);
  });
});
