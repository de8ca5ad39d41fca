import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { EksCluster, type EksClusterConfig } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { checkStack, computeRules, suppress, type Finding } from '../index';

const TAGS = { Environment: 'dev', Layer: 't', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(s, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  new KubernetesProvider(s, 'kubernetes', { host: 'https://k8s.example' });
  new HelmProvider(s, 'helm', {});
  return s;
}
const findings = (s: TerraformStack, id?: string): Finding[] => checkStack(s, computeRules).filter((f) => !id || f.ruleId === id);
const messages = (s: TerraformStack, id: string) => findings(s, id).map((f) => f.message);

// ---- EKS ------------------------------------------------------------------------------------------------
const GOOD_CLUSTER: EksClusterConfig = {
  name: 'c',
  roleArn: 'arn:aws:iam::111111111111:role/c',
  vpcConfig: { subnetIds: ['s'], endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24'] },
  encryptionConfig: { resources: ['secrets'], provider: { keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k' } },
};
const cluster = (s: TerraformStack, patch: Partial<EksClusterConfig> = {}) => new EksCluster(s, 'cluster', { ...GOOD_CLUSTER, ...patch });

describe('EKS rules', () => {
  it('stay quiet on a private, CIDR-limited, encrypted cluster and an IMDSv2 node group', () => {
    const s = stack();
    cluster(s);
    const lt = new LaunchTemplate(s, 'lt', { metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 } });
    new EksNodeGroup(s, 'ng', { clusterName: 'c', nodeRoleArn: 'r', subnetIds: ['s'], scalingConfig: { minSize: 1, maxSize: 2, desiredSize: 1 }, launchTemplate: { id: lt.id, version: '1' } });
    expect(findings(s)).toEqual([]);
  });

  it('AWP-EKS-001 fires on a launch template that allows IMDSv1', () => {
    const s = stack();
    new LaunchTemplate(s, 'lt', { metadataOptions: { httpTokens: 'optional' } });
    new LaunchTemplate(s, 'lt2', {});
    expect(messages(s, 'AWP-EKS-001')).toEqual(['IMDSv1 allowed (metadata_options.http_tokens is "optional")', 'IMDSv1 allowed (metadata_options.http_tokens is unset)']);
  });

  it('AWP-EKS-001 fires on a managed node group without a launch template', () => {
    const s = stack();
    new EksNodeGroup(s, 'ng', { clusterName: 'c', nodeRoleArn: 'r', subnetIds: ['s'], scalingConfig: { minSize: 1, maxSize: 2, desiredSize: 1 } });
    expect(messages(s, 'AWP-EKS-001')).toEqual([expect.stringMatching(/no launch template/)]);
  });

  it('AWP-EKS-002 fires on a public-only endpoint open to the internet', () => {
    const s = stack();
    cluster(s, { vpcConfig: { subnetIds: ['s'] } }); // Terraform defaults: private off, public on, 0.0.0.0/0
    expect(messages(s, 'AWP-EKS-002')).toEqual([expect.stringMatching(/private endpoint access is off/), expect.stringMatching(/open to the whole internet/)]);
  });

  it('AWP-EKS-002 fires on a public endpoint listing 0.0.0.0/0 even with the private endpoint on', () => {
    const s = stack();
    cluster(s, { vpcConfig: { subnetIds: ['s'], endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] } });
    expect(messages(s, 'AWP-EKS-002')).toEqual([expect.stringMatching(/open to the whole internet/)]);
  });

  it('AWP-EKS-002 accepts a private-only endpoint', () => {
    const s = stack();
    cluster(s, { vpcConfig: { subnetIds: ['s'], endpointPrivateAccess: true, endpointPublicAccess: false } });
    expect(messages(s, 'AWP-EKS-002')).toEqual([]);
  });

  it('AWP-EKS-004 fires on a vpc-cni add-on that does not enforce NetworkPolicies, not on other add-ons', () => {
    const s = stack();
    new EksAddon(s, 'cni-default', { clusterName: 'c', addonName: 'vpc-cni' });
    new EksAddon(s, 'cni-off', { clusterName: 'c', addonName: 'vpc-cni', configurationValues: JSON.stringify({ enableNetworkPolicy: 'false' }) });
    new EksAddon(s, 'cni-on', { clusterName: 'c', addonName: 'vpc-cni', configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }) });
    new EksAddon(s, 'dns', { clusterName: 'c', addonName: 'coredns' });
    expect(messages(s, 'AWP-EKS-004')).toEqual(['vpc-cni does not enforce NetworkPolicies (enableNetworkPolicy is not "true")', 'vpc-cni does not enforce NetworkPolicies (enableNetworkPolicy is not "true")']);
  });

  it('AWP-EKS-003 fires on a cluster without secrets encryption', () => {
    const s = stack();
    cluster(s, { encryptionConfig: undefined });
    expect(messages(s, 'AWP-EKS-003')).toEqual([expect.stringMatching(/secrets are not envelope-encrypted/)]);
  });
});

// ---- Kubernetes ------------------------------------------------------------------------------------------
type Container = NonNullable<ConstructorParameters<typeof DeploymentV1>[2]['spec']['template']['spec']>['container'];
const GOOD_CONTAINER = {
  name: 'app',
  image: `repo/app@sha256:${'a'.repeat(64)}`,
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '128Mi' } },
  securityContext: { runAsNonRoot: true, runAsUser: '1000', allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  livenessProbe: { httpGet: { path: '/healthz', port: '3000' } },
  readinessProbe: { httpGet: { path: '/readyz', port: '3000' } },
};
function deployment(s: TerraformStack, container: Record<string, unknown>, podSecurity: Record<string, unknown> = { runAsNonRoot: true }) {
  return new DeploymentV1(s, 'deployment', {
    metadata: { name: 'app' },
    spec: {
      selector: { matchLabels: { app: 'app' } },
      template: { metadata: { labels: { app: 'app' } }, spec: { securityContext: podSecurity, container: [container] as unknown as Container } },
    },
  });
}

describe('Kubernetes rules', () => {
  it('stay quiet on a hardened deployment with probes and resources, and on a pinned chart', () => {
    const s = stack();
    deployment(s, GOOD_CONTAINER);
    new Release(s, 'r', { name: 'metrics-server', chart: 'metrics-server', version: '3.13.0', values: [JSON.stringify({ image: { tag: `v0.8.0@sha256:${'b'.repeat(64)}` } })] });
    expect(findings(s)).toEqual([]);
  });

  it('AWP-K8S-005 fires on containers and charts pinned by tag only', () => {
    const s = stack();
    deployment(s, { ...GOOD_CONTAINER, image: 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.0' });
    new Release(s, 'no-image', { name: 'a', chart: 'metrics-server', version: '3.13.0' });
    new Release(s, 'tag-only', { name: 'b', chart: 'cluster-autoscaler', version: '9.47.0', values: [JSON.stringify({ image: { tag: 'v1.33.0' } })] });
    new Release(s, 'digest-key', { name: 'c', chart: 'other', version: '1.0.0', values: [JSON.stringify({ controller: { image: { tag: 'v1', digest: `sha256:${'c'.repeat(64)}` } } })] });
    expect(messages(s, 'AWP-K8S-005')).toEqual([
      'container "app" runs image "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.0" by tag, not by digest',
      'chart "metrics-server" sets no image in its values: the chart\'s default image is pinned by tag only',
      'chart "cluster-autoscaler" pins image tag "v1.33.0" without a digest',
    ]);
  });

  it('AWP-K8S-006 fires on a namespace without a default-deny NetworkPolicy, not on one with it', () => {
    const s = stack();
    const open = new NamespaceV1(s, 'open', { metadata: { name: 'open' } });
    // An allow policy alone is not a default deny.
    new NetworkPolicyV1(s, 'allow', { metadata: { name: 'allow', namespace: open.metadata.name }, spec: { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Ingress'], ingress: [{}] } });
    const ingressOnly = new NamespaceV1(s, 'ingress-only', { metadata: { name: 'ingress-only' } });
    new NetworkPolicyV1(s, 'deny-in', { metadata: { name: 'deny', namespace: ingressOnly.metadata.name }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    const closed = new NamespaceV1(s, 'closed', { metadata: { name: 'closed' } });
    new NetworkPolicyV1(s, 'deny', { metadata: { name: 'default-deny', namespace: closed.metadata.name }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    expect(messages(s, 'AWP-K8S-006')).toEqual([
      'namespace "open" has no default-deny NetworkPolicy: every pod may reach and be reached by anything',
      'namespace "ingress-only" has no default-deny NetworkPolicy: every pod may reach and be reached by anything',
    ]);
  });

  it('AWP-K8S-001 fires on a privileged container', () => {
    const s = stack();
    deployment(s, { ...GOOD_CONTAINER, securityContext: { ...GOOD_CONTAINER.securityContext, privileged: true } });
    expect(messages(s, 'AWP-K8S-001')).toEqual(['container "app" is privileged']);
  });

  it('AWP-K8S-001 fires on a root container and on privilege escalation left on', () => {
    const s = stack();
    deployment(s, { ...GOOD_CONTAINER, securityContext: { runAsUser: '0' } }, {});
    expect(messages(s, 'AWP-K8S-001')).toEqual(['container "app" allows privilege escalation', 'container "app" runs as user 0 (root)']);
  });

  it('AWP-K8S-001 fires when nothing says non-root (and on Jobs too)', () => {
    const s = stack();
    new JobV1(s, 'job', {
      metadata: { name: 'j' },
      spec: { template: { metadata: {}, spec: { container: [{ name: 'm', image: 'i', securityContext: { allowPrivilegeEscalation: false }, resources: GOOD_CONTAINER.resources }] } } },
    });
    expect(messages(s, 'AWP-K8S-001')).toEqual(['container "m" may run as root (run_as_non_root not set)']);
    expect(messages(s, 'AWP-K8S-003')).toEqual([]); // Jobs need no probes
  });

  it('AWP-K8S-002 fires on missing resource limits', () => {
    const s = stack();
    deployment(s, { ...GOOD_CONTAINER, resources: { requests: { cpu: '100m', memory: '128Mi' } } });
    expect(messages(s, 'AWP-K8S-002')).toEqual(['container "app" lacks resources limits.cpu, limits.memory']);
  });

  it('AWP-K8S-003 fires on a deployment without probes', () => {
    const s = stack();
    const { livenessProbe: _l, readinessProbe: _r, ...noProbes } = GOOD_CONTAINER;
    deployment(s, noProbes);
    expect(messages(s, 'AWP-K8S-003')).toEqual(['container "app" has no liveness_probe / readiness_probe']);
  });

  it('AWP-K8S-004 fires on an unpinned chart', () => {
    const s = stack();
    new Release(s, 'r', { name: 'x', chart: 'cluster-autoscaler' });
    new Release(s, 'r2', { name: 'y', chart: 'metrics-server', version: '~3.13' });
    expect(messages(s, 'AWP-K8S-004')).toEqual(['chart "cluster-autoscaler" is not pinned to an exact version (version: unset)', 'chart "metrics-server" is not pinned to an exact version (version: "~3.13")']);
  });

  it('a reasoned suppression marks the finding instead of dropping it', () => {
    const s = stack();
    const d = deployment(s, { ...GOOD_CONTAINER, securityContext: { ...GOOD_CONTAINER.securityContext, privileged: true } });
    suppress(d, 'AWP-K8S-001', 'node agent needs host access by design');
    expect(findings(s, 'AWP-K8S-001')[0].suppressedBecause).toBe('node agent needs host access by design');
  });
});
