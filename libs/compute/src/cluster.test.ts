import { Testing, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, checkStack, computeRules } from '@awp/guardrails';
import { SettingsError } from '@awp/config';
import { Cluster, computeSettings, PLAN_READER_GROUP, type ClusterProps, type ComputeSettings } from './index';
import { all } from '@awp/guardrails/testing';

type Json = Record<string, any>;
const TAGS = { Environment: 'test', Layer: 'cluster', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };
const SETTINGS = {
  kubernetesVersion: '1.33',
  nodeGroups: [
    { name: 'general', instanceTypes: ['m7i.large'], minSize: 2, desiredSize: 3, maxSize: 6, labels: { tier: 'web' }, taints: [{ key: 'dedicated', value: 'api', effect: 'NO_SCHEDULE' as const }] },
    { name: 'spot', instanceTypes: ['m7i.large', 'm6i.large'], capacityType: 'SPOT' as const, minSize: 0, desiredSize: 0, maxSize: 4, maxUnavailablePercentage: 50 },
  ],
  endpointPublicAccessCidrs: ['52.94.76.0/24'],
  endpointPrivateAccessCidrs: ['10.30.0.0/18', '10.30.64.0/18'],
} satisfies ComputeSettings;
const BASE: ClusterProps = {
  settings: SETTINGS,
  clusterName: 'test-eks',
  privateSubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
  workloadSecurityGroupId: 'sg-workload',
  logsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/logs',
  repositoryName: 'test-api',
  adminRoleArns: ['arn:aws:iam::111111111111:role/apply'],
  viewRoleArns: ['arn:aws:iam::111111111111:role/plan'],
  serviceNamespace: 'api',
  serviceAccountName: 'api',
};

/** Synthesizes a Cluster with BASE's settings and wiring, each overridden field by field. */
function synth(settings: Partial<ComputeSettings> = {}, wiring: Partial<Omit<ClusterProps, 'settings'>> = {}): { json: Json; stack: TerraformStack; cluster: Cluster } {
  const stack = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  const cluster = new Cluster(stack, 'cluster', { ...BASE, ...wiring, settings: { ...SETTINGS, ...settings } });
  return { json: JSON.parse(Testing.synth(stack)), stack, cluster };
}
const one = (json: Json, type: string): Json => {
  const list = all(json, type);
  expect(list).toHaveLength(1);
  return list[0];
};
const policyDoc = (json: Json, name: string): Json => {
  const key = Object.keys(json.data.aws_iam_policy_document).find((k) => k.includes(name));
  expect(key).toBeDefined();
  return json.data.aws_iam_policy_document[key as string];
};

describe('Cluster', () => {
  const { json, stack, cluster } = synth();

  it('creates the EKS cluster: version, private endpoint, public only for the CIDRs, API auth, envelope encryption, all logs', () => {
    const c = one(json, 'aws_eks_cluster');
    expect(c.name).toBe('test-eks');
    expect(c.version).toBe('1.33');
    expect(c.vpc_config).toEqual(expect.objectContaining({ endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ['52.94.76.0/24'], subnet_ids: BASE.privateSubnetIds }));
    expect(c.access_config).toEqual({ authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false });
    expect(c.encryption_config.resources).toEqual(['secrets']);
    expect(c.encryption_config.provider.key_arn).toMatch(/^\$\{aws_kms_key\.cluster_secrets-key_[0-9A-F]+\.arn\}$/);
    expect(c.enabled_cluster_log_types.sort()).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    expect(c.deletion_protection).toBe(true);
    expect(c.bootstrap_self_managed_addons).toBe(false);
    const keys = all(json, 'aws_kms_key');
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.enable_key_rotation === true)).toBe(true);
  });

  it('turns the public endpoint off when no CIDRs are configured', () => {
    const c = one(synth({ endpointPublicAccessCidrs: [] }).json, 'aws_eks_cluster');
    expect(c.vpc_config.endpoint_public_access).toBe(false);
    expect(c.vpc_config.public_access_cidrs).toBeUndefined();
    expect(c.vpc_config.endpoint_private_access).toBe(true);
  });

  it('creates the control-plane log group first, encrypted with the logs key and with retention', () => {
    const lg = all(json, 'aws_cloudwatch_log_group').find((g) => g.name === '/aws/eks/test-eks/cluster') as Json;
    expect(lg).toEqual(expect.objectContaining({ kms_key_id: BASE.logsKeyArn, retention_in_days: 365 }));
    const c = one(json, 'aws_eks_cluster');
    expect(c.depends_on.some((d: string) => d.startsWith('aws_cloudwatch_log_group.cluster_control-plane-logs'))).toBe(true);
    // Every group the add-on may write (dataplane and host stay empty on AL2023, but the agent may create them):
    // created here, encrypted with retention, so the agent never creates one of its own
    expect(all(json, 'aws_cloudwatch_log_group').map((g) => g.name).filter((n) => n.startsWith('/aws/containerinsights/')).sort()).toEqual([
      '/aws/containerinsights/test-eks/application',
      '/aws/containerinsights/test-eks/dataplane',
      '/aws/containerinsights/test-eks/host',
      '/aws/containerinsights/test-eks/performance',
    ]);
    expect(cluster.containerInsightsLogGroupNames).toHaveLength(4);
    expect(all(json, 'aws_cloudwatch_log_group').filter((g) => g.name.startsWith('/aws/containerinsights/test-eks/')).every((g) => g.kms_key_id === BASE.logsKeyArn)).toBe(true);
  });

  it('exposes the application log group by reference and the node groups total maximum', () => {
    const app = Testing.app();
    const s = new TerraformStack(app, 'outputs');
    new AwsProvider(s, 'aws', { region: 'eu-west-1' });
    const c = new Cluster(s, 'cluster', BASE);
    new TerraformOutput(s, 'application_log_group', { value: c.applicationLogGroupName });
    const out = JSON.parse(Testing.synth(s));
    const [address] = Object.entries<Json>(out.resource.aws_cloudwatch_log_group).find(([, g]) => g.name === '/aws/containerinsights/test-eks/application') ?? [];
    expect(address).toBeDefined();
    // A token of the resource, not the literal name: a consumer in another stack references (and waits for) it.
    expect(out.output.application_log_group.value).toBe(`\${aws_cloudwatch_log_group.${address}.name}`);
    expect(c.maxNodeCount).toBe(6 + 4);
    expect(synth({ nodeGroups: [SETTINGS.nodeGroups[0]] }).cluster.maxNodeCount).toBe(6);
  });

  it('grants cluster-admin to the admin roles and maps the view roles to the plan readers\' group, with no access policy', () => {
    const entries = all(json, 'aws_eks_access_entry');
    expect(entries.map((e) => e.principal_arn).sort()).toEqual(['arn:aws:iam::111111111111:role/apply', 'arn:aws:iam::111111111111:role/plan']);
    expect(entries.find((e) => e.principal_arn.endsWith('/plan'))?.kubernetes_groups).toEqual([PLAN_READER_GROUP]);
    // Only the admin role has an access policy: AmazonEKSViewPolicy reads pod logs, AmazonEKSAdminViewPolicy every Secret.
    const assoc = all(json, 'aws_eks_access_policy_association');
    expect(assoc.map((a) => [a.principal_arn, a.policy_arn.replace(/^.*\//, ''), a.access_scope])).toEqual([[expect.stringMatching(/admin-access-0_\w+\.principal_arn/), 'AmazonEKSClusterAdminPolicy', { type: 'cluster' }]]);
  });

  it('pins the five managed add-ons, with pod identity for vpc-cni and the CloudWatch agent', () => {
    const addons = Object.fromEntries(all(json, 'aws_eks_addon').map((a) => [a.addon_name, a]));
    expect(Object.keys(addons).sort()).toEqual(['amazon-cloudwatch-observability', 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni']);
    // The defaults of the settings section, the one place they are written.
    expect(addons['vpc-cni'].addon_version).toBe(cluster.settings.addons.vpcCni);
    expect(addons['kube-proxy'].addon_version).toBe('v1.33.0-eksbuild.2');
    expect(addons['coredns'].addon_version).toBe(computeSettings.parse(SETTINGS).addons.coredns);
    expect(addons['vpc-cni'].pod_identity_association).toEqual([{ role_arn: expect.stringContaining('aws_iam_role.cluster_vpc-cni-role'), service_account: 'aws-node' }]);
    expect(addons['amazon-cloudwatch-observability'].pod_identity_association).toEqual([{ role_arn: expect.stringContaining('aws_iam_role.cluster_cloudwatch-agent-role'), service_account: 'cloudwatch-agent' }]);
    // Networking add-ons come before the nodes (asserted below), the agent after them and its log groups.
    expect(addons['amazon-cloudwatch-observability'].depends_on.filter((d: string) => d.startsWith('aws_eks_node_group.'))).toHaveLength(2);
    expect(addons['amazon-cloudwatch-observability'].depends_on.filter((d: string) => d.startsWith('aws_cloudwatch_log_group.cluster_container-insights'))).toHaveLength(4);
  });

  it('enforces NetworkPolicies in the VPC CNI', () => {
    const cni = all(json, 'aws_eks_addon').find((a) => a.addon_name === 'vpc-cni')!;
    expect(JSON.parse(cni.configuration_values)).toEqual({ enableNetworkPolicy: 'true' });
  });

  it('runs the CloudWatch agent for Container Insights only: no Application Signals, which its role has no permissions for', () => {
    const agent = all(json, 'aws_eks_addon').find((a) => a.addon_name === 'amazon-cloudwatch-observability')!;
    const config = JSON.parse(agent.configuration_values).agent.config;
    expect(config).toEqual({ logs: { metrics_collected: { kubernetes: { enhanced_container_insights: true } } } });
    expect(JSON.stringify(config)).not.toContain('application_signals');
    const role = policyDoc(json, 'cloudwatch-agent-policy-doc').statement;
    expect(role.flatMap((st: Json) => st.actions).filter((a: string) => a.startsWith('xray:'))).toEqual([]);
  });

  it('creates one managed node group per spec with its launch template, labels, taints and autoscaler tags', () => {
    const groups = all(json, 'aws_eks_node_group');
    expect(groups).toHaveLength(2);
    const general = groups.find((g) => g.node_group_name === 'general') as Json;
    expect(general.scaling_config).toEqual({ min_size: 2, desired_size: 3, max_size: 6 });
    expect(general.update_config).toEqual({ max_unavailable_percentage: 33 });
    expect(general.subnet_ids).toEqual(BASE.privateSubnetIds);
    expect(general.labels).toEqual({ tier: 'web', 'awp/node-group': 'general' });
    expect(general.taint).toEqual([{ key: 'dedicated', value: 'api', effect: 'NO_SCHEDULE' }]);
    expect(general.tags).toEqual({ 'k8s.io/cluster-autoscaler/enabled': 'true', 'k8s.io/cluster-autoscaler/test-eks': 'owned' });
    expect(general.lifecycle.ignore_changes).toEqual(['scaling_config[0].desired_size']);
    expect(general.remote_access).toBeUndefined();
    expect(general.disk_size).toBeUndefined();
    expect(general.depends_on.some((d: string) => d.startsWith('aws_eks_addon.cluster_addon-vpc-cni'))).toBe(true);
    const spot = groups.find((g) => g.node_group_name === 'spot') as Json;
    expect(spot.capacity_type).toBe('SPOT');
    expect(spot.update_config).toEqual({ max_unavailable_percentage: 50 });
    expect(spot.taint).toBeUndefined();
    expect(cluster.nodeGroupAsgNames).toHaveLength(2);
    const coredns = all(json, 'aws_eks_addon').find((a) => a.addon_name === 'coredns') as Json;
    expect(coredns.depends_on.filter((d: string) => d.startsWith('aws_eks_node_group.'))).toHaveLength(2);
  });

  it('launch templates require IMDSv2 with hop limit 1, encrypt gp3 root volumes, attach only the workload security group, set no key', () => {
    const lts = all(json, 'aws_launch_template');
    expect(lts).toHaveLength(2);
    for (const lt of lts) {
      expect(lt.metadata_options).toEqual({ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'disabled' });
      expect(lt.block_device_mappings[0].ebs).toEqual(expect.objectContaining({ volume_type: 'gp3', encrypted: 'true', volume_size: 50 }));
      // Not EKS's cluster security group: it is open to itself and to all egress, which would undo the workload group's rules.
      expect(lt.vpc_security_group_ids).toEqual(['sg-workload']);
      expect(lt.key_name).toBeUndefined();
      expect(lt.user_data).toBeUndefined();
    }
  });

  it('opens the control plane to nodes and the runners on 443, and the nodes to the control plane on kubelet and webhook ports', () => {
    const rules = all(json, 'aws_vpc_security_group_ingress_rule');
    const controlPlane = rules.filter((r) => /vpc_config\[0\]\.cluster_security_group_id/.test(r.security_group_id));
    expect(controlPlane.map((r) => `${r.from_port} ${r.referenced_security_group_id ?? r.cidr_ipv4}`).sort()).toEqual(['443 10.30.0.0/18', '443 10.30.64.0/18', '443 sg-workload']);
    const nodes = rules.filter((r) => r.security_group_id === 'sg-workload');
    expect(nodes.map((r) => r.from_port).sort((a, b) => a - b)).toEqual([443, 4443, 6443, 8443, 9443, 10250]);
    expect(nodes.every((r) => r.ip_protocol === 'tcp' && r.from_port === r.to_port && /cluster_security_group_id/.test(r.referenced_security_group_id))).toBe(true);
    // Nodes join only once the control plane can reach their kubelets.
    const group = all(json, 'aws_eks_node_group')[0];
    expect(group.depends_on.filter((d: string) => d.startsWith('aws_vpc_security_group_ingress_rule.cluster_nodes-from-control-plane'))).toHaveLength(6);
  });

  it('creates every node group after every ingress rule of the cluster security group (nodes reach the private API only through them)', () => {
    const ingress = json.resource.aws_vpc_security_group_ingress_rule as Record<string, Json>;
    const toControlPlane = Object.keys(ingress).filter((k) => /vpc_config\[0\]\.cluster_security_group_id/.test(ingress[k].security_group_id));
    expect(toControlPlane).toContain(Object.keys(ingress).find((k) => k.startsWith('cluster_control-plane-from-nodes')));
    for (const group of all(json, 'aws_eks_node_group')) {
      for (const rule of toControlPlane) expect(group.depends_on).toContain(`aws_vpc_security_group_ingress_rule.${rule}`);
    }
  });

  it('gives nodes only the worker and registry-pull policies', () => {
    const attachments = all(json, 'aws_iam_role_policy_attachment').filter((a) => String(a.role).includes('node-role'));
    expect(attachments.map((a) => a.policy_arn.replace(/^.*\//, '')).sort()).toEqual(['AmazonEC2ContainerRegistryPullOnly', 'AmazonEKSWorkerNodePolicy']);
  });

  it('scopes the pod identity roles: trust to this cluster, autoscaler writes only to its tagged groups', () => {
    // Pod Identity sends no aws:SourceAccount/aws:SourceArn: each role trusts one cluster, namespace and service account
    // through the session tags (EKS User Guide, pod-id-role.html).
    const expected: Record<string, [string, string]> = {
      'vpc-cni': ['kube-system', 'aws-node'],
      'cluster-autoscaler': ['kube-system', 'cluster-autoscaler'],
      'cloudwatch-agent': ['amazon-cloudwatch', 'cloudwatch-agent'],
      service: ['api', 'api'],
      migration: ['api', 'api-migrate'],
    };
    for (const [key, [namespace, serviceAccount]] of Object.entries(expected)) {
      const trust = policyDoc(json, `cluster_${key}-trust`).statement;
      expect(trust).toHaveLength(1);
      expect(trust[0].principals).toEqual([{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }]);
      expect(trust[0].actions).toEqual(['sts:AssumeRole', 'sts:TagSession']);
      expect(trust[0].condition).toEqual([
        { test: 'StringEquals', variable: 'aws:RequestTag/eks-cluster-arn', values: [expect.stringMatching(/:cluster\/test-eks$/)] },
        { test: 'StringEquals', variable: 'aws:RequestTag/kubernetes-namespace', values: [namespace] },
        { test: 'StringEquals', variable: 'aws:RequestTag/kubernetes-service-account', values: [serviceAccount] },
      ]);
      const role = Object.values<Json>(json.resource.aws_iam_role).find((r) => r.name === `test-eks-${key}`)!;
      expect(role.assume_role_policy).toMatch(new RegExp(`data\\.aws_iam_policy_document\\.cluster_${key}-trust_`));
    }
    // The node role: EC2 documents no confused-deputy keys for instance roles (create-node-role.html).
    expect(policyDoc(json, 'cluster_node-trust').statement).toEqual([{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }] }]);
    const ca = policyDoc(json, 'cluster-autoscaler-policy-doc').statement;
    const write = ca.find((s: Json) => s.sid === 'ScaleOnlyThisClustersGroups');
    expect(write.condition).toEqual([{ test: 'StringEquals', variable: 'aws:ResourceTag/k8s.io/cluster-autoscaler/test-eks', values: ['owned'] }]);
    expect(ca.flatMap((s: Json) => s.actions).some((a: string) => a.endsWith(':*'))).toBe(false);
    const assoc = all(json, 'aws_eks_pod_identity_association');
    expect(assoc.map((a) => `${a.namespace}/${a.service_account}`).sort()).toEqual(['api/api', 'api/api-migrate', 'kube-system/cluster-autoscaler']);
    expect(cluster.migrationServiceAccountName).toBe('api-migrate');
    expect(() => synth({}, { migrationServiceAccountName: 'api' })).toThrow(/the migration Job needs a service account of its own/);
  });

  it('creates an ECR repository with immutable tags, scan on push, KMS and a lifecycle policy', () => {
    const repo = one(json, 'aws_ecr_repository');
    expect(repo).toEqual(expect.objectContaining({ name: 'test-api', image_tag_mutability: 'IMMUTABLE', image_scanning_configuration: { scan_on_push: true } }));
    expect(repo.encryption_configuration[0].encryption_type).toBe('KMS');
    const rules = JSON.parse(one(json, 'aws_ecr_lifecycle_policy').policy).rules;
    expect(rules.map((r: Json) => r.selection.tagStatus)).toEqual(['untagged', 'any']);
    expect(rules[1].selection.countNumber).toBe(200);
  });

  it('refuses node groups whose sizes are out of order, naming the construct and the field', () => {
    const bad = () => synth({ nodeGroups: [{ name: 'bad', instanceTypes: ['m7i.large'], minSize: 3, desiredSize: 2, maxSize: 4 }] });
    expect(bad).toThrow(SettingsError);
    expect(bad).toThrow('Cluster test/cluster: invalid settings (1 problem):\n  settings.nodeGroups[0].desiredSize: expected desiredSize >= minSize (3), got 2');
  });

  it('refuses what the settings refuse in an environment file: a documentation range on the public endpoint, a public private-access CIDR, a mismatched kube-proxy, an unknown field', () => {
    expect(() => synth({ endpointPublicAccessCidrs: ['203.0.113.0/24'] })).toThrow(/Cluster test\/cluster: .*\n {2}settings\.endpointPublicAccessCidrs\[0\]: "203\.0\.113\.0\/24" is a documentation range/);
    expect(() => synth({ endpointPublicAccessCidrs: ['0.0.0.0/0'] })).toThrow(/settings\.endpointPublicAccessCidrs\[0\]: "0\.0\.0\.0\/0" admits every address on the internet/);
    expect(() => synth({ endpointPrivateAccessCidrs: ['52.94.76.0/24'] })).toThrow(/settings\.endpointPrivateAccessCidrs\[0\]: expected an RFC 1918 private range/);
    expect(() => synth({ addons: { kubeProxy: 'v1.32.0-eksbuild.1' } })).toThrow(/settings\.addons\.kubeProxy: expected a v1\.33\.x-eksbuild\.N version/);
    expect(() => synth({ maxImages: 10 } as Partial<ComputeSettings>)).toThrow(/settings: unknown field "maxImages"/);
  });

  it('takes its defaults from the settings section, the only place they are written', () => {
    const s = cluster.settings;
    expect(s).toEqual(computeSettings.parse(SETTINGS));
    expect({ logRetentionDays: s.logRetentionDays, deletionProtection: s.deletionProtection, ecrMaxImages: s.ecrMaxImages, kmsDeletionWindowDays: s.kmsDeletionWindowDays }).toEqual({
      logRetentionDays: 365,
      deletionProtection: true,
      ecrMaxImages: 200,
      kmsDeletionWindowDays: 30,
    });
    expect(s.nodeGroups[0]).toEqual(expect.objectContaining({ capacityType: 'ON_DEMAND', amiType: 'AL2023_x86_64_STANDARD', diskSizeGb: 50, maxUnavailablePercentage: 33 }));
    expect(s.charts).toEqual({ metricsServer: '3.13.0', clusterAutoscaler: '9.47.0', clusterAutoscalerImageTag: 'v1.33.0', metricsServerImageTag: 'v0.8.0', metricsServerReplicas: 2 });
    expect(all(json, 'aws_kms_key').map((k) => k.deletion_window_in_days)).toEqual([30, 30]);
    const ng = all(json, 'aws_eks_node_group').find((g) => g.node_group_name === 'general')!;
    expect(ng).toEqual(expect.objectContaining({ capacity_type: 'ON_DEMAND', ami_type: 'AL2023_x86_64_STANDARD', update_config: { max_unavailable_percentage: 33 } }));
    const set = synth({ kmsDeletionWindowDays: 7, ecrMaxImages: 50, adminRoleArn: 'arn:aws:iam::111111111111:role/operator' }).json;
    expect(all(set, 'aws_kms_key').map((k) => k.deletion_window_in_days)).toEqual([7, 7]);
    expect(JSON.parse(one(set, 'aws_ecr_lifecycle_policy').policy).rules[1].selection.countNumber).toBe(50);
    // The wiring's admin roles first, then settings.adminRoleArn (the order keeps the entries' addresses stable).
    expect(all(set, 'aws_eks_access_entry').filter((e) => !e.kubernetes_groups).map((e) => e.principal_arn)).toEqual(['arn:aws:iam::111111111111:role/apply', 'arn:aws:iam::111111111111:role/operator']);
  });

  it('passes every guardrail', () => {
    const errors = checkStack(stack, [...ALL_RULES, ...computeRules]).filter((f) => f.severity === 'error' && !f.suppressedBecause);
    expect(errors.map((f) => `${f.ruleId} ${f.address}: ${f.message}`)).toEqual([]);
  });
});
