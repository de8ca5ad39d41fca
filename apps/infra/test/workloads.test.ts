import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { synthesize } from '../src/synth';
import { REPO, readStack, rolePermissions } from './helpers';
import { all } from '@awp/guardrails/testing';

type Json = Record<string, any>;
const ENV_DIR = path.join(REPO, 'environments');
const rawEnv = (name: string): Json => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-synth-')), 'cdktf.out');
const result = synthesize({ dir: ENV_DIR, outdir, layers: ['cluster', 'data', 'edge', 'workloads'] });
const stack = (name: string) => readStack(outdir, name);
const one = (json: Json, type: string): Json => {
  const list = all(json, type);
  expect(list).toHaveLength(1);
  return list[0];
};
const remote = (env: string, layer: string) => `data.terraform_remote_state.cross-stack-reference-input-${env}-${layer}.outputs.`;

describe('prod-workloads', () => {
  const json = stack('prod-workloads');
  const prod = rawEnv('prod');
  const deployment = one(json, 'kubernetes_deployment_v1');
  const pod = deployment.spec.template.spec;
  const container = pod.container[0];

  it('depends on cluster, data, edge and identity (and the network)', () => {
    expect(result.stacks.find((s) => s.name === 'prod-workloads')?.dependencies).toEqual(['prod-cluster', 'prod-data', 'prod-edge', 'prod-identity', 'prod-network']);
  });

  it('configures kubernetes and helm from the cluster stack with exec auth, never a token data source', () => {
    const k8s = json.provider.kubernetes[0];
    expect(k8s.host).toContain(remote('prod', 'cluster'));
    expect(k8s.cluster_ca_certificate).toMatch(/^\$\{base64decode\(data\.terraform_remote_state\.cross-stack-reference-input-prod-cluster\./);
    expect(k8s.exec[0].command).toBe('aws');
    expect(k8s.exec[0].args).toEqual(['eks', 'get-token', '--cluster-name', expect.stringContaining(remote('prod', 'cluster')), '--region', 'eu-west-1']);
    expect(json.provider.helm[0].kubernetes.exec.args.slice(0, 2)).toEqual(['eks', 'get-token']);
    expect(json.data.aws_eks_cluster_auth).toBeUndefined();
    expect(k8s.token).toBeUndefined();
  });

  it('has helm releases for metrics-server and cluster-autoscaler with pinned versions', () => {
    const releases = Object.fromEntries(all(json, 'helm_release').map((r) => [r.chart, r]));
    expect(Object.keys(releases).sort()).toEqual(['cluster-autoscaler', 'metrics-server']);
    expect(releases['metrics-server'].version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(releases['cluster-autoscaler'].version).toMatch(/^\d+\.\d+\.\d+$/);
    const values = JSON.parse(releases['cluster-autoscaler'].values[0]);
    expect(values.autoDiscovery.clusterName).toContain(remote('prod', 'cluster'));
    // By digest: the promoter-published digest of the tag (libs/config PINNED_IMAGES), never the tag alone.
    expect(values.image.tag).toBe(`v${prod.compute.kubernetesVersion}.0@sha256:6ef10d108e0e45ecd883e074682330bbd4a3403e767ad56804800f2f4ee816da`);
    expect(JSON.parse(releases['metrics-server'].values[0]).image.tag).toBe('v0.8.0@sha256:89258156d0e9af60403eafd44da9676fd66f600c7934d468ccc17e42b199aee2');
  });

  it('has a Deployment with probes and a non-root, read-only, capability-free security context', () => {
    expect(container.liveness_probe.http_get.path).toBe('/healthz');
    expect(container.readiness_probe.http_get.path).toBe('/readyz');
    expect(container.startup_probe).toBeDefined();
    expect(container.security_context).toEqual(expect.objectContaining({ run_as_non_root: true, read_only_root_filesystem: true, allow_privilege_escalation: false, capabilities: { drop: ['ALL'] } }));
    expect(pod.security_context.run_as_non_root).toBe(true);
    expect(deployment.lifecycle.ignore_changes).toEqual(['spec[0].replicas']);
    expect(pod.termination_grace_period_seconds).toBeGreaterThan(20); // service.drainSeconds default
  });

  it('runs the ECR image of the cluster stack at the deploy-time tag, after a migration Job of the same image', () => {
    const lookup = Object.values(json.data.aws_ecr_image)[0] as Json;
    expect(lookup.image_tag).toBe('${var.image_tag}');
    expect(lookup.repository_name).toContain(remote('prod', 'cluster'));
    expect(container.image).toMatch(/@\$\{data\.aws_ecr_image\.[^.]+\.image_digest\}$/);
    expect(container.image).toContain(remote('prod', 'cluster'));
    const job = one(json, 'kubernetes_job_v1');
    expect(job.metadata.name).toContain('var.image_tag');
    expect(job.wait_for_completion).toBe(true);
    expect(job.spec.template.spec.container[0].image).toBe(container.image);
    expect(deployment.depends_on[0]).toMatch(/^kubernetes_job_v1\./);
    expect(json.variable.image_tag.type).toBe('string');
  });

  it('passes the contract env vars from the data and edge stacks', () => {
    const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
    expect(env.DATABASE_HOST).toContain(remote('prod', 'data'));
    expect(env.DATABASE_READ_HOST).toContain(remote('prod', 'data'));
    // IAM database authentication as the "api" user: the service gets no secret to the database at all.
    expect(env.DATABASE_USER).toBe('api');
    expect(env.DATABASE_IAM_AUTH).toBe('true');
    expect(env.DATABASE_SECRET_ARN).toBeUndefined();
    expect(env.REDIS_HOST).toContain(remote('prod', 'data'));
    expect(env.REDIS_AUTH_SECRET_ARN).toContain(remote('prod', 'data'));
    expect(env.S3_BUCKET).toContain(remote('prod', 'data'));
    // Image URLs are `${CDN_BASE_URL}/${key}`; the edge serves the uploads bucket under /uploads/* (see edge.test.ts).
    expect(env.CDN_BASE_URL).toBe('https://shop.example.com/uploads');
    expect(env.REDIS_TLS).toBe('true');
    expect(env.PORT).toBe('3000');
  });

  it('has an HPA v2 on CPU and memory with the bounds of environments/prod.json, and a PDB', () => {
    const hpa = one(json, 'kubernetes_horizontal_pod_autoscaler_v2');
    expect(hpa.spec.min_replicas).toBe(prod.service.replicas.min);
    expect(hpa.spec.max_replicas).toBe(prod.service.replicas.max);
    expect(hpa.spec.metric.map((m: Json) => m.resource.name)).toEqual(['cpu', 'memory']);
    expect(one(json, 'kubernetes_pod_disruption_budget_v1').spec.selector.match_labels).toEqual(deployment.spec.selector.match_labels);
  });

  it("attaches every node group ASG to the edge's target group, on the NodePort the edge forwards to", () => {
    const attachments = all(json, 'aws_autoscaling_attachment');
    expect(attachments).toHaveLength(prod.compute.nodeGroups.length);
    expect(attachments[0].autoscaling_group_name).toContain(remote('prod', 'cluster'));
    expect(attachments[0].lb_target_group_arn).toContain(remote('prod', 'edge'));
    const nodePort = one(json, 'kubernetes_service_v1').spec.port[0].node_port;
    const edgeTargetGroups = all(stack('prod-edge'), 'aws_lb_target_group');
    expect(edgeTargetGroups.map((t) => t.port)).toContain(nodePort);
  });

  it('names the outputs the smoke test reads', () => {
    expect(Object.keys(json.output).filter((k) => !k.startsWith('cross-stack-output-')).sort()).toEqual(['deployment_name', 'image', 'migration_job_name', 'namespace']);
    expect(json.output.image.value).toBe(container.image);
  });

  it("grants the service role and the migration role (alone: the master secret) through the data layer's grant helpers, here", () => {
    const grants = all(json, 'aws_iam_role_policy');
    expect(grants.map((g) => g.name).sort()).toEqual(['cache-auth-secret-read', 'cache-connect', 'database-connect', 'database-master-secret-read', 'uploads-read-write']);
    for (const g of grants) expect(g.role).toContain(remote('prod', 'cluster'));
    expect(grants.filter((g) => g.name === 'database-master-secret-read').map((g) => g.role)).toEqual([expect.stringContaining('migration-role')]);
    expect(all(json, 'aws_iam_role_policy_attachment')).toEqual([]);
    // The service waits for its grants, the migration Job for its own.
    expect(deployment.depends_on.filter((d: string) => d.startsWith('aws_iam_role_policy.')).sort()).toEqual(
      ['cache-auth-secret-read', 'cache-connect', 'database-connect', 'uploads-read-write'].map((n) => `aws_iam_role_policy.service-grant-${n}`),
    );
    expect(one(json, 'kubernetes_job_v1').depends_on).toContain('aws_iam_role_policy.migration-grant-database-master-secret-read');
    const job = one(json, 'kubernetes_job_v1').spec.template.spec;
    const env = Object.fromEntries(job.container[0].env.map((e: Json) => [e.name, e.value]));
    expect(env.DATABASE_SECRET_ARN).toContain(remote('prod', 'data'));
    expect(env.DATABASE_APP_USER).toBe('api');
    expect(job.service_account_name).not.toBe(pod.service_account_name);
    // The data stack writes no IAM policy of its own any more.
    expect(stack('prod-data').resource.aws_iam_policy).toBeUndefined();
  });

  it("default-denies the namespace and allows the service's flows to the subnets of environments/prod.json", () => {
    const policies = Object.fromEntries(all(json, 'kubernetes_network_policy_v1').map((p) => [p.metadata.name, p.spec]));
    expect(policies['default-deny']).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'] });
    const flows = policies['api-flows'];
    expect(flows.ingress[0].from.map((f: Json) => f.ip_block.cidr)).toEqual(['10.30.0.0/18', '10.30.64.0/18', '10.30.128.0/18']);
    const toData = flows.egress.filter((e: Json) => ['5432', '6379'].includes(e.ports[0].port));
    expect(toData.map((e: Json) => e.to.map((t: Json) => t.ip_block.cidr))).toEqual([
      ['10.30.224.0/21', '10.30.232.0/21', '10.30.240.0/21'],
      ['10.30.224.0/21', '10.30.232.0/21', '10.30.240.0/21'],
    ]);
  });
});

describe('what each role may do with the data layer (the grants, whichever way they are delivered)', () => {
  // Written down from the bundled service-access and migration-access policies before the grant helpers replaced
  // them: the same actions on the same resources under the same conditions, role by role (issue 14).
  const region = '${data.aws_region.data_region.region}';
  const viaSecretsManager = `StringEquals kms:ViaService secretsmanager.${region}.amazonaws.com`;
  const decryptSecrets = { effect: 'Allow', actions: ['kms:Decrypt'], resources: ['aws_kms_key.data_keys_secrets-key.arn'], conditions: [viaSecretsManager] };
  const readSecret = (secret: string) => ({ effect: 'Allow', actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], resources: [secret], conditions: [] });
  const dbUser = (instance: string) =>
    `arn:\${data.aws_partition.data_partition.partition}:rds-db:${region}:\${data.aws_caller_identity.data_caller.account_id}:dbuser:\${aws_db_instance.data_postgres_${instance}.resource_id}/api`;
  const expected = (replicas: number) => ({
    'aws_iam_role.cluster_migration-role.name': [decryptSecrets, readSecret('aws_db_instance.data_postgres_primary.master_user_secret[0].secret_arn')],
    'aws_iam_role.cluster_service-role.name': [
      { effect: 'Allow', actions: ['elasticache:Connect'], resources: ['aws_elasticache_replication_group.data_cache_group.arn', 'aws_elasticache_user.data_cache_app-user.arn'], conditions: [] },
      { effect: 'Allow', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['aws_kms_key.data_keys_data-key.arn'], conditions: [`StringEquals kms:ViaService s3.${region}.amazonaws.com`] },
      decryptSecrets,
      { effect: 'Allow', actions: ['rds-db:connect'], resources: ['primary', ...[...Array(replicas).keys()].map((i) => `replica-${i + 1}`)].map(dbUser).sort(), conditions: [] },
      { effect: 'Allow', actions: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'], resources: ['${aws_s3_bucket.data_buckets_uploads.arn}/*'], conditions: [] },
      { effect: 'Allow', actions: ['s3:ListBucket'], resources: ['aws_s3_bucket.data_buckets_uploads.arn'], conditions: [] },
      readSecret('aws_secretsmanager_secret.data_cache-auth-secret.arn'),
    ],
  });

  for (const env of ['dev', 'staging', 'prod']) {
    it(`${env}: the service role connects to the database (as "api") and the cache, reads its secret and the uploads; the migration role reads the master secret, nothing else`, () => {
      expect(rolePermissions(outdir, `${env}-workloads`)).toEqual(expected(rawEnv(env).data.database?.readReplicas ?? 1));
    });
  }
});

describe('dev-workloads', () => {
  it('takes its bounds from environments/dev.json', () => {
    const json = stack('dev-workloads');
    const dev = rawEnv('dev');
    const hpa = one(json, 'kubernetes_horizontal_pod_autoscaler_v2');
    expect([hpa.spec.min_replicas, hpa.spec.max_replicas]).toEqual([dev.service.replicas.min, dev.service.replicas.max]);
    expect(one(json, 'kubernetes_deployment_v1').spec.replicas).toBe(String(dev.service.replicas.min));
    const metrics = all(json, 'helm_release').find((r) => r.chart === 'metrics-server') as Json;
    expect(JSON.parse(metrics.values[0]).replicas).toBe(1);
  });
});
