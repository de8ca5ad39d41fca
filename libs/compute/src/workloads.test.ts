import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { SettingsError } from '@awp/config';
import { computeSettings, EksProviders, serviceSettings, ServiceWorkloads, type ResolvedChartSettings, type ServiceSettings, type ServiceWorkloadsProps } from './index';
import { all } from '@awp/guardrails/testing';

type Json = Record<string, any>;
const MASTER_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:master';
const TAGS = { Environment: 'test', Layer: 'workloads', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };

const AUTH = { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123', audience: 'client-a,client-b', audienceClaim: 'client_id', writeScope: 'catalogue/write' };

/** The charts as a Cluster resolves them from the compute settings' defaults. */
const CHARTS: ResolvedChartSettings = computeSettings.shape.charts.parse(undefined);
const SETTINGS = { replicas: { min: 3, max: 12 }, drainSeconds: 20 } satisfies ServiceSettings;

/** Synthesizes ServiceWorkloads with the wiring below (overridden by `props`) and SETTINGS (overridden field by field). */
function synth(props: Partial<Omit<ServiceWorkloadsProps, 'settings'>> = {}, settings: Partial<ServiceSettings> = {}): { json: Json; stack: TerraformStack; workloads: ServiceWorkloads } {
  const stack = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  new EksProviders(stack, 'eks', { clusterName: 'test-eks', clusterEndpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com', clusterCertificateAuthority: 'Q0E=', region: 'eu-west-1' });
  const tag = new TerraformVariable(stack, 'image_tag', { type: 'string' });
  const workloads = new ServiceWorkloads(stack, 'workloads', {
    settings: { ...SETTINGS, ...settings },
    instance: 'test-api',
    charts: CHARTS,
    clusterName: 'test-eks',
    ecrRepositoryUrl: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/test-api',
    ecrRepositoryName: 'test-api',
    imageTag: tag.stringValue,
    serviceRoleName: 'test-eks-service',
    namespace: 'api',
    serviceAccountName: 'api',
    nodeGroupAsgNames: ['eks-general-asg', 'eks-spot-asg'],
    targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/test-api/abc',
    cdnBaseUrl: 'https://test.example.com',
    network: { privateSubnetCidrs: ['10.30.0.0/18', '10.30.64.0/18'], isolatedSubnetCidrs: ['10.30.224.0/21', '10.30.232.0/21'] },
    database: { host: 'db.internal', port: 5432, name: 'catalogue', readHost: 'db-ro.internal' },
    migration: { roleName: 'test-eks-migration', serviceAccountName: 'api-migrate', masterSecretArn: MASTER_SECRET, accessPolicyArns: ['arn:aws:iam::111111111111:policy/test-api-migration-access'] },
    cache: { host: 'redis.internal', port: 6379, authSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redis' },
    uploadsBucketName: 'test-uploads',
    auth: AUTH,
    accessPolicyArns: ['arn:aws:iam::111111111111:policy/test-api-data-access'],
    access: {
      bucketArn: 'arn:aws:s3:::test-uploads',
      secretArns: ['arn:aws:secretsmanager:eu-west-1:111111111111:secret:redis'],
      kmsKeyArns: ['arn:aws:kms:eu-west-1:111111111111:key/data', 'arn:aws:kms:eu-west-1:111111111111:key/secrets'],
    },
    ...props,
  });
  return { json: JSON.parse(Testing.synth(stack)), stack, workloads };
}
const one = (json: Json, type: string): Json => {
  const list = all(json, type);
  expect(list).toHaveLength(1);
  return list[0];
};

describe('EksProviders', () => {
  it('authenticates kubernetes and helm with exec (aws eks get-token), never a token', () => {
    const { json } = synth();
    const args = ['eks', 'get-token', '--cluster-name', 'test-eks', '--region', 'eu-west-1'];
    const k8s = json.provider.kubernetes[0];
    expect(k8s.exec).toEqual([{ api_version: 'client.authentication.k8s.io/v1beta1', command: 'aws', args }]);
    expect(k8s.token).toBeUndefined();
    expect(k8s.cluster_ca_certificate).toBe('${base64decode("Q0E=")}');
    const helm = json.provider.helm[0];
    expect(helm.kubernetes.exec).toEqual({ api_version: 'client.authentication.k8s.io/v1beta1', command: 'aws', args });
    expect(json.data?.aws_eks_cluster_auth).toBeUndefined();
  });
});

describe('ServiceWorkloads', () => {
  const { json, stack, workloads } = synth();
  const deployment = one(json, 'kubernetes_deployment_v1');
  const pod = deployment.spec.template.spec;
  const container = pod.container[0];

  it('installs metrics-server and cluster-autoscaler from pinned charts with reviewed values', () => {
    const releases = Object.fromEntries(all(json, 'helm_release').map((r) => [r.name, r]));
    expect(releases['metrics-server']).toEqual(expect.objectContaining({ chart: 'metrics-server', version: '3.13.0', namespace: 'kube-system', atomic: true }));
    const ca = releases['cluster-autoscaler'];
    expect(ca).toEqual(expect.objectContaining({ chart: 'cluster-autoscaler', version: '9.47.0', repository: 'https://kubernetes.github.io/autoscaler' }));
    const values = JSON.parse(ca.values[0]);
    expect(values.autoDiscovery).toEqual({ clusterName: 'test-eks' });
    expect(values.extraArgs).toEqual(expect.objectContaining({ 'balance-similar-node-groups': true, expander: 'least-waste' }));
    expect(values.rbac.serviceAccount).toEqual({ create: true, name: 'cluster-autoscaler' });
    // Pinned by digest, not only by tag: the chart renders "<repository>:<tag>@<digest>" (kubernetes/k8s.io promoter manifests).
    expect(values.image.tag).toBe('v1.33.0@sha256:6ef10d108e0e45ecd883e074682330bbd4a3403e767ad56804800f2f4ee816da');
    const metrics = JSON.parse(releases['metrics-server'].values[0]);
    expect(metrics.replicas).toBe(2);
    expect(metrics.image.tag).toBe('v0.8.0@sha256:89258156d0e9af60403eafd44da9676fd66f600c7934d468ccc17e42b199aee2');
  });

  it('runs the digest behind the deploy-time tag with probes, resources and a hardened security context', () => {
    expect(container.image).toMatch(/^111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/test-api@\$\{data\.aws_ecr_image\.workloads_image_[0-9A-F]+\.image_digest\}$/);
    expect(Object.values(json.data.aws_ecr_image)).toEqual([expect.objectContaining({ repository_name: 'test-api', image_tag: '${var.image_tag}' })]);
    expect(container.image_pull_policy).toBe('Always');
    expect(container.liveness_probe.http_get).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readiness_probe.http_get).toEqual({ path: '/readyz', port: 'http' });
    expect(container.startup_probe.http_get).toEqual({ path: '/healthz', port: 'http' });
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(container.security_context).toEqual(expect.objectContaining({ run_as_non_root: true, read_only_root_filesystem: true, allow_privilege_escalation: false, privileged: false, capabilities: { drop: ['ALL'] }, seccomp_profile: { type: 'RuntimeDefault' } }));
    expect(Number(container.security_context.run_as_user)).toBeGreaterThan(0);
    expect(pod.security_context).toEqual(expect.objectContaining({ run_as_non_root: true, seccomp_profile: { type: 'RuntimeDefault' } }));
    expect(pod.automount_service_account_token).toBe(false);
  });

  it('drains gracefully: preStop sleep, then a grace period longer than the drain', () => {
    expect(container.lifecycle.pre_stop[0].exec.command).toEqual(['node', '-e', 'setTimeout(() => {}, 10000)']);
    expect(pod.termination_grace_period_seconds).toBe(40);
    expect(pod.termination_grace_period_seconds).toBeGreaterThan(20 + 10);
    const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
    expect(env.DRAIN_SECONDS).toBe('20');
  });

  it('sets the env vars of the contract, none of them a secret value: the service connects as "api" with IAM, not with the master secret', () => {
    const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
    for (const k of ['PORT', 'DATABASE_HOST', 'DATABASE_PORT', 'DATABASE_NAME', 'DATABASE_READ_HOST', 'DATABASE_USER', 'DATABASE_IAM_AUTH', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_TLS', 'REDIS_AUTH_SECRET_ARN', 'S3_BUCKET', 'AWS_REGION', 'CDN_BASE_URL', 'DRAIN_SECONDS', 'LOG_LEVEL']) {
      expect(env[k]).toBeDefined();
    }
    expect(env).toEqual(expect.objectContaining({ PORT: '3000', DATABASE_PORT: '5432', DATABASE_USER: 'api', DATABASE_IAM_AUTH: 'true', REDIS_TLS: 'true', S3_BUCKET: 'test-uploads' }));
    expect(env.DATABASE_SECRET_ARN).toBeUndefined();
    expect(JSON.stringify(deployment)).not.toContain(MASTER_SECRET);
    expect(JSON.stringify(container.env)).not.toMatch(/password/i);
    // The Job migrates; a database outage keeps pods ready so cached reads survive it.
    expect(env.MIGRATE_ON_START).toBe('false');
    expect(env.READY_REQUIRES_DATABASE).toBe('false');
  });

  it('tells the service which tokens may write: issuer, audience (and its claim), write scope, in pods but not in the migration Job', () => {
    const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
    expect(env).toEqual(
      expect.objectContaining({
        AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123',
        AUTH_AUDIENCE: 'client-a,client-b',
        AUTH_AUDIENCE_CLAIM: 'client_id',
        AUTH_WRITE_SCOPE: 'catalogue/write',
      }),
    );
    expect(container.env.filter((e: Json) => e.name.startsWith('AUTH_'))).toHaveLength(4);
    // A Job's pod template is immutable: an audience change (a new Cognito client) must not replace the Job and re-run
    // the migration. `migrate` needs no issuer.
    const jobEnv = one(json, 'kubernetes_job_v1').spec.template.spec.container[0].env;
    expect(jobEnv.length).toBeGreaterThan(0);
    expect(jobEnv.filter((e: Json) => e.name.startsWith('AUTH_'))).toEqual([]);
  });

  it('spreads pods over zones and lets the HPA own the replica count', () => {
    expect(pod.topology_spread_constraint[0]).toEqual(expect.objectContaining({ topology_key: 'topology.kubernetes.io/zone', max_skew: 1, when_unsatisfiable: 'DoNotSchedule' }));
    expect(deployment.lifecycle.ignore_changes).toEqual(['spec[0].replicas']);
    expect(deployment.spec.replicas).toBe('3');
  });

  it('migrates with a Job per image tag that must finish before the rollout', () => {
    const job = one(json, 'kubernetes_job_v1');
    expect(job.metadata.name).toBe('api-migrate-${replace(substr(lower(replace(var.image_tag, "/[^0-9A-Za-z-]/", "-")), 0, 40), "/-+$/", "")}');
    expect(job.wait_for_completion).toBe(true);
    expect(job.spec.template.spec.container[0].command).toEqual(['node', 'dist/main.js', 'migrate']);
    expect(job.spec.template.spec.container[0].image).toBe(container.image);
    expect(job.spec.template.spec.restart_policy).toBe('Never');
    expect(deployment.depends_on).toEqual([expect.stringMatching(/^kubernetes_job_v1\.workloads_migrate_/), expect.stringMatching(/^aws_iam_role_policy_attachment\.workloads_service-access-0_/), expect.stringMatching(/^aws_iam_role_policy\.workloads_service-policy_/)]);
    expect(workloads.migrationJobName).toBeDefined();
  });

  it('runs the migration Job under its own service account and role, the only reader of the master secret, to create the "api" user', () => {
    const job = one(json, 'kubernetes_job_v1');
    const spec = job.spec.template.spec;
    expect(spec.service_account_name).toMatch(/^\$\{kubernetes_service_account_v1\.workloads_migration-service-account_[0-9A-F]+\.metadata\[0\]\.name\}$/);
    const accounts = all(json, 'kubernetes_service_account_v1').map((a) => a.metadata.name).sort();
    expect(accounts).toEqual(['api', 'api-migrate']);
    expect(spec.automount_service_account_token).toBe(false);
    const env = Object.fromEntries(spec.container[0].env.map((e: Json) => [e.name, e.value]));
    expect(env).toEqual({
      DATABASE_HOST: 'db.internal',
      DATABASE_PORT: '5432',
      DATABASE_NAME: 'catalogue',
      DATABASE_SECRET_ARN: MASTER_SECRET,
      DATABASE_APP_USER: 'api',
      AWS_REGION: expect.stringMatching(/^\$\{data\.aws_region\./),
      LOG_LEVEL: 'info',
    });
    const attachments = all(json, 'aws_iam_role_policy_attachment');
    expect(attachments.find((a) => a.role === 'test-eks-migration')).toEqual(expect.objectContaining({ policy_arn: 'arn:aws:iam::111111111111:policy/test-api-migration-access' }));
    expect(attachments.filter((a) => a.role === 'test-eks-service').map((a) => a.policy_arn)).toEqual(['arn:aws:iam::111111111111:policy/test-api-data-access']);
    expect(job.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy_attachment\.workloads_migration-access-0_/)]));
  });

  it('refuses to share a service account between the service and the migration Job, and the master secret in the service role', () => {
    expect(() => synth({ migration: { roleName: 'r', serviceAccountName: 'api', masterSecretArn: MASTER_SECRET, accessPolicyArns: [] } })).toThrow(/the migration Job needs its own service account/);
    expect(() => synth({ access: { bucketArn: 'arn:aws:s3:::b', secretArns: [MASTER_SECRET], kmsKeyArns: [] } })).toThrow(/must not include the database master secret/);
  });

  it('denies all traffic in the namespace by default and writes out the flows the service and the migration need', () => {
    const policies = Object.fromEntries(all(json, 'kubernetes_network_policy_v1').map((p) => [p.metadata.name, p.spec]));
    expect(Object.keys(policies).sort()).toEqual(['api-flows', 'api-migration-flows', 'default-deny']);
    expect(policies['default-deny']).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'] });
    const flows = policies['api-flows'];
    expect(flows.pod_selector).toEqual({ match_labels: { 'app.kubernetes.io/name': 'api' }, match_expressions: [{ key: 'app.kubernetes.io/component', operator: 'DoesNotExist' }] });
    // In: the service port from node addresses (the ALB's NodePort traffic, kube-proxy SNAT) only.
    expect(flows.ingress).toEqual([{ from: [{ ip_block: { cidr: '10.30.0.0/18' } }, { ip_block: { cidr: '10.30.64.0/18' } }], ports: [{ port: '3000', protocol: 'TCP' }] }]);
    const egress = flows.egress.map((e: Json) => `${e.to.map((t: Json) => t.ip_block?.cidr ?? `${t.namespace_selector.match_labels['kubernetes.io/metadata.name']}/${t.pod_selector.match_labels['k8s-app']}`).join(',')} ${e.ports.map((p: Json) => `${p.protocol}/${p.port}`).join(',')}`);
    expect(egress).toEqual([
      'kube-system/kube-dns UDP/53,TCP/53',
      '10.30.224.0/21,10.30.232.0/21 TCP/5432',
      '10.30.224.0/21,10.30.232.0/21 TCP/6379',
      '0.0.0.0/0 TCP/443',
      '169.254.170.23/32,fd00:ec2::23/128 TCP/80',
    ]);
    const migration = policies['api-migration-flows'];
    expect(migration.pod_selector.match_labels).toEqual({ 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/component': 'migration' });
    expect(migration.ingress).toBeUndefined();
    expect(migration.egress.map((e: Json) => e.ports.map((p: Json) => p.port).join())).toEqual(['53,53', '5432', '443', '80']);
    // The Job starts only once its flows exist (default deny would otherwise cut it off).
    expect(one(json, 'kubernetes_job_v1').depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^kubernetes_network_policy_v1\.workloads_migration-flows_/)]));
  });

  it('refuses a chart image tag without a verified digest', () => {
    expect(() => synth({ charts: { ...CHARTS, clusterAutoscalerImageTag: 'v1.33.99' } })).toThrow(/cluster-autoscaler: no verified digest is known for registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v1\.33\.99/);
    const { json: j } = synth({ charts: { ...CHARTS, clusterAutoscalerImageTag: 'v1.33.99', clusterAutoscalerImageDigest: `sha256:${'c'.repeat(64)}` } });
    const ca = all(j, 'helm_release').find((r) => r.name === 'cluster-autoscaler')!;
    expect(JSON.parse(ca.values[0]).image.tag).toBe(`v1.33.99@sha256:${'c'.repeat(64)}`);
  });

  it('exposes the pods on the NodePort and attaches every node group ASG to the target group', () => {
    const svc = one(json, 'kubernetes_service_v1');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.port).toEqual([expect.objectContaining({ node_port: 30080, target_port: 'http' })]);
    const attachments = all(json, 'aws_autoscaling_attachment');
    expect(attachments.map((a) => a.autoscaling_group_name)).toEqual(['eks-general-asg', 'eks-spot-asg']);
    expect(attachments.every((a) => a.lb_target_group_arn.endsWith('targetgroup/test-api/abc'))).toBe(true);
  });

  it('has a PDB and an HPA v2 on CPU and memory within the bounds', () => {
    expect(one(json, 'kubernetes_pod_disruption_budget_v1').spec.max_unavailable).toBe('1');
    const hpa = one(json, 'kubernetes_horizontal_pod_autoscaler_v2');
    expect(hpa.spec.min_replicas).toBe(3);
    expect(hpa.spec.max_replicas).toBe(12);
    expect(hpa.spec.metric.map((m: Json) => [m.resource.name, m.resource.target.average_utilization])).toEqual([['cpu', 70], ['memory', 80]]);
    expect(hpa.spec.scale_target_ref).toEqual(expect.objectContaining({ kind: 'Deployment' }));
  });

  it('limits the service role to its bucket, its secrets and decrypt through those services', () => {
    const doc = Object.values(json.data.aws_iam_policy_document)[0] as Json;
    const bySid = Object.fromEntries(doc.statement.map((s: Json) => [s.sid, s]));
    expect(bySid.ReadWriteUploads.resources).toEqual(['arn:aws:s3:::test-uploads/*']);
    expect(bySid.ReadOwnSecrets.resources).toEqual(['arn:aws:secretsmanager:eu-west-1:111111111111:secret:redis']);
    expect(bySid.DecryptThroughSecretsManagerAndS3.condition[0].variable).toBe('kms:ViaService');
    expect(doc.statement.flatMap((s: Json) => s.resources)).not.toContain('*');
    expect(one(json, 'aws_iam_role_policy').role).toBe('test-eks-service');
    expect(all(json, 'aws_iam_role_policy_attachment').find((a) => a.role === 'test-eks-service')).toEqual(expect.objectContaining({ policy_arn: 'arn:aws:iam::111111111111:policy/test-api-data-access' }));
  });

  it('attaches no inline policy without `access`', () => {
    const { json: j } = synth({ access: undefined });
    expect(all(j, 'aws_iam_role_policy')).toEqual([]);
    expect(all(j, 'aws_iam_role_policy_attachment')).toHaveLength(2); // the service's and the migration Job's
  });

  it('refuses what the settings refuse in an environment file (root, inverted bounds, limits below requests), naming the construct and the field', () => {
    expect(() => synth({}, { runAsUser: 0 })).toThrow(SettingsError);
    expect(() => synth({}, { runAsUser: 0 })).toThrow('ServiceWorkloads test/workloads: invalid settings (1 problem):\n  settings.runAsUser: expected a non-root UID (not 0)');
    expect(() => synth({}, { replicas: { min: 5, max: 2 } })).toThrow(/settings\.replicas\.min: expected min <= max \(2\), got 5/);
    expect(() => synth({}, { resources: { cpuRequest: '2', cpuLimit: '1', memoryRequest: '512Mi', memoryLimit: '512Mi' } })).toThrow(/settings\.resources\.cpuLimit: expected >= cpuRequest \(2\), got 1/);
    expect(() => synth({}, { nodeport: 30080 } as Partial<ServiceSettings>)).toThrow(/settings: unknown field "nodeport"/);
  });

  it('takes its defaults from the settings section, the only place they are written', () => {
    expect(workloads.settings).toEqual(serviceSettings.parse(SETTINGS));
    expect(workloads.settings).toEqual({
      name: 'api',
      port: 3000,
      nodePort: 30080,
      replicas: { min: 3, max: 12 },
      hpa: { cpuUtilization: 70, memoryUtilization: 80 },
      resources: { cpuRequest: '500m', cpuLimit: '1', memoryRequest: '512Mi', memoryLimit: '512Mi' },
      drainSeconds: 20,
      preStopSeconds: 10,
      logLevel: 'info',
      migrationTimeoutSeconds: 600,
      migrateCommand: ['node', 'dist/main.js', 'migrate'],
      runAsUser: 1000,
    });
    // The migration Job runs with the same requests and limits as the service.
    expect(one(json, 'kubernetes_job_v1').spec.template.spec.container[0].resources).toEqual(container.resources);
    const set = synth({}, { resources: { cpuRequest: '250m', cpuLimit: '500m', memoryRequest: '256Mi', memoryLimit: '1Gi' }, preStopSeconds: 5, runAsUser: 2000 }).json;
    const c = one(set, 'kubernetes_deployment_v1').spec.template.spec.container[0];
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } });
    expect(c.lifecycle.pre_stop[0].exec.command).toEqual(['node', '-e', 'setTimeout(() => {}, 5000)']);
    expect(c.security_context.run_as_user).toBe('2000');
  });

  it('labels every object with the instance, and what runs the image with its version (the tag)', () => {
    const labelled = ['kubernetes_namespace_v1', 'kubernetes_service_account_v1', 'kubernetes_network_policy_v1', 'kubernetes_job_v1', 'kubernetes_deployment_v1', 'kubernetes_service_v1', 'kubernetes_pod_disruption_budget_v1', 'kubernetes_horizontal_pod_autoscaler_v2'];
    for (const type of labelled) {
      for (const o of all(json, type)) expect([type, o.metadata.labels['app.kubernetes.io/instance']]).toEqual([type, 'test-api']);
    }
    const version = '${replace(substr(var.image_tag, 0, 63), "/[^0-9A-Za-z]+$/", "")}';
    const job = one(json, 'kubernetes_job_v1');
    for (const labels of [deployment.metadata.labels, deployment.spec.template.metadata.labels, job.metadata.labels, job.spec.template.metadata.labels]) {
      expect(labels).toEqual(expect.objectContaining({ 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'test-api', 'app.kubernetes.io/version': version }));
    }
    // Not on the objects that do not change with the image, and never in the (immutable) selector.
    expect(one(json, 'kubernetes_service_v1').metadata.labels['app.kubernetes.io/version']).toBeUndefined();
    expect(deployment.spec.selector.match_labels).toEqual({ 'app.kubernetes.io/name': 'api' });
  });

  it('passes every guardrail', () => {
    const errors = checkStack(stack, ALL_RULES).filter((f) => f.severity === 'error' && !f.suppressedBecause);
    expect(errors.map((f) => `${f.ruleId} ${f.address}: ${f.message}`)).toEqual([]);
  });
});
