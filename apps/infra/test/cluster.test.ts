import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { loadEnvironments, type EnvironmentConfig } from '../src/environment';
import { buildEnvironment } from '../src/platform';
import { synthesize } from '../src/synth';
import { REPO, readStack } from './helpers';
import { all } from '@awp/guardrails/testing';

type Json = Record<string, any>;
const ENV_DIR = path.join(REPO, 'environments');
const rawEnv = (name: string): Json => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));

/** Synthesizes every stack of the given (possibly modified) environments; returns each stack's cdk.tf.json text. */
function synthAll(envs: EnvironmentConfig[]): Record<string, string> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'awp-cluster-'));
  const app = new App({ outdir, stackTraces: false });
  for (const env of envs) buildEnvironment(app, env);
  app.synth();
  const stacksDir = path.join(outdir, 'stacks');
  return Object.fromEntries(readdirSync(stacksDir).map((s) => [s, readFileSync(path.join(stacksDir, s, 'cdk.tf.json'), 'utf8')]));
}

const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-synth-')), 'cdktf.out');
const result = synthesize({ dir: ENV_DIR, outdir });
const stack = (name: string) => readStack(outdir, name);

describe('the cluster stacks', () => {
  it('npm run synth produces <env>-cluster and <env>-workloads for dev, staging and prod', () => {
    const names = result.stacks.map((s) => s.name);
    for (const env of ['dev', 'staging', 'prod']) for (const layer of ['cluster', 'workloads']) expect(names).toContain(`${env}-${layer}`);
    expect(result.findings.filter((f) => f.severity === 'error' && !f.suppressedBecause && /^(prod|staging|dev)-(cluster|workloads)$/.test(f.stack))).toEqual([]);
  });

  it('depend on the network only (the cluster reads nothing from data or edge)', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      expect(result.stacks.find((s) => s.name === `${env}-cluster`)?.dependencies).toEqual([`${env}-network`]);
      const remote = Object.keys(stack(`${env}-cluster`).data.terraform_remote_state ?? {});
      expect(remote).toEqual([`cross-stack-reference-input-${env}-network`]);
    }
  });

  describe('prod-cluster', () => {
    const json = stack('prod-cluster');
    const prod = rawEnv('prod');

    it('has an EKS cluster with secrets encryption and a private-only endpoint, reached by the runners of environments/prod.json', () => {
      const [cluster] = all(json, 'aws_eks_cluster');
      expect(cluster.name).toBe('prod-eks');
      expect(cluster.version).toBe(prod.compute.kubernetesVersion);
      expect(cluster.encryption_config).toEqual({ resources: ['secrets'], provider: { key_arn: expect.stringMatching(/^\$\{aws_kms_key\./) } });
      expect(cluster.vpc_config.endpoint_private_access).toBe(true);
      // The committed answer: no public endpoint; self-hosted runners in the private subnets reach the private one.
      expect(prod.compute.endpointPublicAccessCidrs).toEqual([]);
      expect(cluster.vpc_config.endpoint_public_access).toBe(false);
      expect(cluster.vpc_config.public_access_cidrs).toBeUndefined();
      const fromRunners = all(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.description === 'Kubernetes API from the delivery runners');
      expect(fromRunners.map((r) => r.cidr_ipv4)).toEqual(prod.compute.endpointPrivateAccessCidrs);
      expect(fromRunners.every((r) => r.from_port === 443 && /cluster_security_group_id/.test(r.security_group_id))).toBe(true);
      expect(cluster.vpc_config.subnet_ids).toHaveLength(3);
      expect(cluster.access_config.authentication_mode).toBe('API');
    });

    it('has node groups whose scaling_config equals environments/prod.json', () => {
      const groups = all(json, 'aws_eks_node_group');
      expect(groups.map((g) => g.node_group_name)).toEqual(prod.compute.nodeGroups.map((g: Json) => g.name));
      groups.forEach((g, i) => {
        const want = prod.compute.nodeGroups[i];
        expect(g.scaling_config).toEqual({ min_size: want.minSize, desired_size: want.desiredSize, max_size: want.maxSize });
        expect(g.instance_types).toEqual(want.instanceTypes);
      });
    });

    it('launches nodes from a template with http_tokens = "required" and hop limit 1', () => {
      const lts = all(json, 'aws_launch_template');
      expect(lts.length).toBe(prod.compute.nodeGroups.length);
      for (const lt of lts) expect(lt.metadata_options).toEqual(expect.objectContaining({ http_tokens: 'required', http_put_response_hop_limit: 1 }));
    });

    it('names the outputs the pipeline reads', () => {
      expect(Object.keys(json.output).filter((k) => !k.startsWith('cross-stack-output-')).sort()).toEqual(['cluster_name', 'ecr_repository_name', 'ecr_repository_url']);
      expect(json.output.ecr_repository_url.value).toMatch(/^\$\{aws_ecr_repository\.[^.]+\.repository_url\}$/);
    });

    it('has an ECR repository with immutable tags and scan on push', () => {
      expect(all(json, 'aws_ecr_repository')).toEqual([expect.objectContaining({ name: 'prod-api', image_tag_mutability: 'IMMUTABLE', image_scanning_configuration: { scan_on_push: true } })]);
    });

    it('grants the delivery apply role cluster-admin and maps both plan roles to the plan readers\' group (no access policy)', () => {
      const policies = all(json, 'aws_eks_access_policy_association').map((a) => a.policy_arn.replace(/^.*\//, '')).sort();
      expect(policies).toEqual(['AmazonEKSClusterAdminPolicy']);
      const entries = all(json, 'aws_eks_access_entry').map((e) => [e.principal_arn, e.kubernetes_groups]).sort();
      expect(entries).toEqual([
        ['arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-apply', undefined],
        ['arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-plan', ['awp-plan-readers']],
        ['arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-plan-pr', ['awp-plan-readers']],
      ]);
    });

    it('sends control-plane logs to /aws/eks/prod-eks/cluster, encrypted with the network logs key', () => {
      const lg = all(json, 'aws_cloudwatch_log_group').find((g) => g.name === '/aws/eks/prod-eks/cluster') as Json;
      expect(lg.retention_in_days).toBe(prod.compute.logRetentionDays);
      expect(lg.kms_key_id).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-network\.outputs\./);
    });
  });

  it('follows each environment file: dev is smaller and keeps logs shorter', () => {
    const dev = stack('dev-cluster');
    const [group] = all(dev, 'aws_eks_node_group');
    const want = rawEnv('dev').compute.nodeGroups[0];
    expect(group.scaling_config).toEqual({ min_size: want.minSize, desired_size: want.desiredSize, max_size: want.maxSize });
    expect(all(dev, 'aws_cloudwatch_log_group').every((g) => g.retention_in_days === 30)).toBe(true);
    expect(all(dev, 'aws_eks_cluster')[0].vpc_config.subnet_ids).toHaveLength(2);
  });
});

describe('environment changes', () => {
  const envs = loadEnvironments(undefined, { dir: ENV_DIR });
  const baseline = synthAll(envs);

  it('changing node group bounds in one environment changes only that environment\'s cluster stack (and its nodes-at-max alarm)', () => {
    const modified = envs.map((e) => structuredClone(e));
    const prod = modified.find((e) => e.name === 'prod') as EnvironmentConfig;
    prod.compute.nodeGroups[0].maxSize += 3;
    prod.compute.nodeGroups[0].minSize += 1;
    prod.compute.nodeGroups[0].desiredSize = prod.compute.nodeGroups[0].minSize;
    const after = synthAll(modified);
    expect(Object.keys(after).sort()).toEqual(Object.keys(baseline).sort());
    const changed = Object.keys(after).filter((s) => after[s] !== baseline[s]);
    // The observability stack's nodes-at-max alarm compares the node count with the sum of maxSize: it follows.
    expect(changed).toEqual(['prod-cluster', 'prod-observability']);
    const nodesAtMax = all(JSON.parse(after['prod-observability']), 'aws_cloudwatch_metric_alarm').find((a) => a.alarm_name === 'prod-eks-nodes-at-max');
    expect(nodesAtMax?.threshold).toBe(prod.compute.nodeGroups[0].maxSize);
    const group = all(JSON.parse(after['prod-cluster']), 'aws_eks_node_group')[0];
    expect(group.scaling_config).toEqual({ min_size: prod.compute.nodeGroups[0].minSize, desired_size: prod.compute.nodeGroups[0].desiredSize, max_size: prod.compute.nodeGroups[0].maxSize });
  });

  it('an admin role and a public allow-list change the access entries and turn the public endpoint on for those CIDRs only', () => {
    const modified = envs.map((e) => structuredClone(e));
    const staging = modified.find((e) => e.name === 'staging') as EnvironmentConfig;
    staging.compute.adminRoleArn = 'arn:aws:iam::222222222222:role/platform-admins';
    staging.compute.endpointPublicAccessCidrs = ['52.94.76.10/32'];
    const after = synthAll(modified);
    expect(Object.keys(after).filter((s) => after[s] !== baseline[s])).toEqual(['staging-cluster']);
    const json = JSON.parse(after['staging-cluster']);
    expect(all(json, 'aws_eks_access_entry').map((e) => e.principal_arn)).toContain('arn:aws:iam::222222222222:role/platform-admins');
    expect(all(json, 'aws_eks_cluster')[0].vpc_config).toEqual(expect.objectContaining({ endpoint_public_access: true, public_access_cidrs: ['52.94.76.10/32'], endpoint_private_access: true }));
  });
});
