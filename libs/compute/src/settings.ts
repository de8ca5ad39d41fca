import { z } from 'zod';
import {
  addonVersion,
  awsRoleArn,
  cidrField,
  DIGEST_PATTERN,
  exactSemver,
  imageDigest,
  isIpv6DocumentationRange,
  isPrivateRange,
  k8sQuantity,
  kmsDeletionWindowDays,
  logRetentionDays,
  nonPublicRange,
  parseCidr,
  positiveInt,
  quantityMi,
  quantityMilli,
} from '@awp/config';
import { resolveImageDigest } from './versions';

/**
 * The compute layer's settings: the `compute` section of an environment file (the `settings` prop of `Cluster`) and
 * the `service` section (the `settings` prop of `ServiceWorkloads`). The one place each default is written
 * (docs/architecture.md → Settings: where a knob lives); versions.ts keeps only the tables they are checked against.
 */

export const nodeGroupSettings = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'expected a lowercase name like "general"'),
    instanceTypes: z
      .array(z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, 'expected an EC2 instance type like m7i.large'))
      .min(1)
      .describe('Instance types; the first that has capacity is used (same vCPU/memory shape keeps the autoscaler\'s maths right)'),
    capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND'),
    amiType: z.enum(['AL2023_x86_64_STANDARD', 'AL2023_ARM_64_STANDARD', 'BOTTLEROCKET_x86_64', 'BOTTLEROCKET_ARM_64']).default('AL2023_x86_64_STANDARD'),
    minSize: z.number().int().min(0),
    desiredSize: z.number().int().min(0).describe('Initial size only: Terraform ignores later changes so the cluster-autoscaler owns it'),
    maxSize: positiveInt,
    diskSizeGb: z.number().int().min(20).max(16384).default(50).describe('Root volume (gp3, encrypted) in GiB'),
    maxUnavailablePercentage: z.number().int().min(1).max(100).default(33).describe('Rolling update: share of nodes replaced at once'),
    labels: z.record(z.string(), z.string()).default({}).describe('Kubernetes node labels'),
    taints: z
      .array(z.strictObject({ key: z.string().min(1), value: z.string().default(''), effect: z.enum(['NO_SCHEDULE', 'NO_EXECUTE', 'PREFER_NO_SCHEDULE']) }))
      .default([])
      .describe('Kubernetes node taints'),
  })
  .describe('A managed node group (an Auto Scaling group)');

/** EKS accepts at most 40 public endpoint CIDRs per cluster (Service Quotas: "Public endpoint access CIDR ranges per cluster", not adjustable). */
export const EKS_MAX_PUBLIC_ACCESS_CIDRS = 40;

/** The cluster: EKS, its node groups and add-ons, the ECR repository, and the cluster-wide Helm charts. */
export const computeSettings = z
  .strictObject({
    kubernetesVersion: z.string().regex(/^1\.\d{2}$/, 'expected a Kubernetes minor version like "1.33"').describe('Kubernetes minor version; the node groups follow it'),
    endpointPublicAccessCidrs: z
      .array(cidrField)
      .default([])
      .describe('Static public egress CIDRs (at most 40) allowed to reach the public EKS endpoint: the NAT of self-hosted runners, a GitHub larger runner\'s static IP range; empty = private endpoint only'),
    endpointPrivateAccessCidrs: z
      .array(cidrField)
      .default([])
      .describe('Private CIDRs admitted on 443 to the private EKS endpoint: where the self-hosted runners (delivery.runsOn) live, e.g. the VPC\'s private subnets or a peered runner VPC'),
    adminRoleArn: awsRoleArn.optional().describe('A role granted cluster-admin through an EKS access entry'),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of the control-plane and Container Insights log groups'),
    nodeGroups: z.array(nodeGroupSettings).min(1),
    deletionProtection: z.boolean().default(true).describe('EKS cluster deletion protection (AWS refuses DeleteCluster while it is on)'),
    kmsDeletionWindowDays: kmsDeletionWindowDays.default(30).describe('Days before a deleted secrets or images KMS key is gone for good'),
    // Pinned add-on versions: a new version is a reviewed change in one file, never a surprise at apply.
    // Defaults are for Kubernetes 1.33; list the valid ones with `aws eks describe-addon-versions --kubernetes-version <v>`.
    addons: z
      .strictObject({
        vpcCni: addonVersion.default('v1.20.0-eksbuild.1'),
        coredns: addonVersion.default('v1.12.1-eksbuild.2'),
        kubeProxy: addonVersion.default('v1.33.0-eksbuild.2'),
        podIdentityAgent: addonVersion.default('v1.3.7-eksbuild.2'),
        cloudwatchObservability: addonVersion.default('v4.1.0-eksbuild.1'),
      })
      .prefault({})
      .describe('Managed EKS add-on versions (vpc-cni, coredns, kube-proxy, eks-pod-identity-agent, amazon-cloudwatch-observability)'),
    charts: z
      .strictObject({
        metricsServer: exactSemver.default('3.13.0').describe('kubernetes-sigs/metrics-server chart version'),
        clusterAutoscaler: exactSemver.default('9.47.0').describe('kubernetes/autoscaler cluster-autoscaler chart version'),
        clusterAutoscalerImageTag: z
          .string()
          .regex(/^v1\.\d{2}\.\d+$/, 'expected a cluster-autoscaler image tag like v1.33.0')
          .default('v1.33.0')
          .describe("cluster-autoscaler image; its minor version must match the cluster's Kubernetes version"),
        clusterAutoscalerImageDigest: imageDigest
          .optional()
          .describe('sha256 digest of the cluster-autoscaler tag (default: the verified digest libs/compute/src/versions.ts knows for the tag)'),
        metricsServerImageTag: z.string().regex(/^v\d+\.\d+\.\d+$/, 'expected a metrics-server image tag like v0.8.0').default('v0.8.0').describe('metrics-server image tag'),
        metricsServerImageDigest: imageDigest.optional().describe('sha256 digest of the metrics-server tag (default: the verified digest for the tag)'),
        metricsServerReplicas: z.number().int().min(1).max(10).default(2).describe('metrics-server replicas: 2 keeps the HPA working through a node drain; 1 is enough where the service runs a single pod'),
      })
      .prefault({})
      .describe('Pinned Helm charts of the workloads stack'),
    ecrMaxImages: z.number().int().min(10).max(10000).default(200).describe('ECR lifecycle: tagged images kept (oldest expire first)'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    // Sizes: min <= desired <= max.
    c.nodeGroups.forEach((g, i) => {
      if (g.minSize > g.desiredSize) issue(['nodeGroups', i, 'desiredSize'], `expected desiredSize >= minSize (${g.minSize}), got ${g.desiredSize}`);
      if (g.desiredSize > g.maxSize) issue(['nodeGroups', i, 'desiredSize'], `expected desiredSize <= maxSize (${g.maxSize}), got ${g.desiredSize}`);
    });
    const names = c.nodeGroups.map((g) => g.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) issue(['nodeGroups', i, 'name'], `expected unique node group names, "${n}" appears twice`);
    });
    // Versions that must follow the cluster's Kubernetes minor version.
    const k8s = c.kubernetesVersion;
    const caMinor = c.charts.clusterAutoscalerImageTag.replace(/^v(1\.\d+)\..*$/, '$1');
    if (caMinor !== k8s) {
      issue(['charts', 'clusterAutoscalerImageTag'], `expected a v${k8s}.x image (cluster-autoscaler must match the Kubernetes minor version ${k8s}), got ${c.charts.clusterAutoscalerImageTag}`);
    }
    for (const [image, tagField, digestField] of [
      ['cluster-autoscaler', 'clusterAutoscalerImageTag', 'clusterAutoscalerImageDigest'],
      ['metrics-server', 'metricsServerImageTag', 'metricsServerImageDigest'],
    ] as const) {
      const given = c.charts[digestField];
      if (given !== undefined && !DIGEST_PATTERN.test(given)) continue; // the field's own format error says it
      const resolved = resolveImageDigest(image, c.charts[tagField], given);
      if ('error' in resolved) issue(['charts', digestField], resolved.error);
    }
    if (!c.addons.kubeProxy.startsWith(`v${k8s}.`)) {
      issue(['addons', 'kubeProxy'], `expected a v${k8s}.x-eksbuild.N version (kube-proxy must match the Kubernetes minor version ${k8s}), got ${c.addons.kubeProxy}`);
    }
    endpointCidrProblems(c).forEach(([p, message]) => issue(p, message));
  });

/**
 * The endpoint CIDRs on their own (the runners that must fit them are checked with delivery.runsOn in the environment
 * assembly). Public allow-list entries must be real public egress ranges: the committed files once listed a
 * documentation range, so no runner could ever reach the endpoint.
 */
function endpointCidrProblems(c: { endpointPublicAccessCidrs: readonly string[]; endpointPrivateAccessCidrs: readonly string[] }): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const setInstead =
    'set the static public egress IPs of your runners (the NAT gateway IPs of self-hosted runners, or a GitHub larger runner\'s static IP range), ' +
    'or set [] and use self-hosted runners in the VPC (delivery.runsOn, compute.endpointPrivateAccessCidrs)';
  c.endpointPublicAccessCidrs.forEach((cidr, i) => {
    const where = ['endpointPublicAccessCidrs', i];
    if (isIpv6DocumentationRange(cidr)) return out.push([where, `"${cidr}" is a documentation range (RFC 3849), not a real network; ${setInstead}`]);
    const p = parseCidr(cidr);
    if (typeof p === 'string') return out.push([where, p]);
    if (p.prefix === 0) return out.push([where, `"${cidr}" admits every address on the internet; ${setInstead}`]);
    const range = nonPublicRange(p);
    if (range?.kind === 'documentation') return out.push([where, `"${cidr}" is ${range.what}, a placeholder that matches no runner; ${setInstead}`]);
    if (range) {
      return out.push([where, `"${cidr}" is ${range.what}: the public endpoint never sees such a source address; list runners inside the VPC in compute.endpointPrivateAccessCidrs instead`]);
    }
    return undefined;
  });
  if (c.endpointPublicAccessCidrs.length > EKS_MAX_PUBLIC_ACCESS_CIDRS) {
    out.push([['endpointPublicAccessCidrs'], `expected at most ${EKS_MAX_PUBLIC_ACCESS_CIDRS} CIDRs (EKS's fixed limit per cluster), got ${c.endpointPublicAccessCidrs.length}; use self-hosted runners behind a NAT gateway instead`]);
  }
  c.endpointPrivateAccessCidrs.forEach((cidr, i) => {
    const p = parseCidr(cidr);
    if (typeof p === 'string') return out.push([['endpointPrivateAccessCidrs', i], p]);
    if (!isPrivateRange(p)) return out.push([['endpointPrivateAccessCidrs', i], `expected an RFC 1918 private range where self-hosted runners live (e.g. the VPC's private subnets), got "${cidr}"`]);
    return undefined;
  });
  return out;
}

/** The service's workloads: its Deployment, HPA, PDB, NodePort Service and migration Job. */
export const serviceSettings = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/).default('api').describe('Name of the Deployment, Service, HPA, PDB; also the namespace, service account and ECR repository suffix'),
    port: z.number().int().min(1024).max(65535).default(3000).describe('Container port'),
    nodePort: z.number().int().min(30000).max(32767).default(30080).describe('NodePort the ALB target group forwards to'),
    replicas: z.strictObject({ min: positiveInt, max: positiveInt }).prefault({ min: 3, max: 12 }).describe('HPA bounds; the Deployment starts at min'),
    hpa: z
      .strictObject({
        cpuUtilization: z.number().int().min(10).max(95).default(70),
        memoryUtilization: z.number().int().min(10).max(95).default(80),
      })
      .prefault({})
      .describe('HPA targets in percent of requests'),
    resources: z
      .strictObject({
        cpuRequest: k8sQuantity.default('500m'),
        cpuLimit: k8sQuantity.default('1'),
        memoryRequest: k8sQuantity.default('512Mi'),
        memoryLimit: k8sQuantity.default('512Mi'),
      })
      .prefault({})
      .describe('Container requests and limits of the service and its migration Job'),
    drainSeconds: z.number().int().min(1).max(300).default(20).describe('Graceful shutdown drain; the ALB deregistration delay and pod grace period follow it'),
    preStopSeconds: z.number().int().min(0).max(120).default(10).describe('preStop sleep, so endpoints and load balancers stop sending before the process starts draining'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('LOG_LEVEL of the service'),
    migrationTimeoutSeconds: z.number().int().min(30).max(3600).default(600).describe('The migration Job must finish within this time or the deploy fails'),
    migrateCommand: z.array(z.string().min(1)).min(1).default(['node', 'dist/main.js', 'migrate']).describe('Command of the migration Job'),
    runAsUser: z.number().int().min(1, 'expected a non-root UID (not 0)').max(2147483647).default(1000).describe('UID/GID the containers run as (never 0, root)'),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    // Limits below requests are refused by the API server at apply time; catch them before synth.
    if (quantityMi(s.resources.memoryLimit) < quantityMi(s.resources.memoryRequest)) {
      issue(['resources', 'memoryLimit'], `expected >= memoryRequest (${s.resources.memoryRequest}), got ${s.resources.memoryLimit}`);
    }
    if (quantityMilli(s.resources.cpuLimit) < quantityMilli(s.resources.cpuRequest)) {
      issue(['resources', 'cpuLimit'], `expected >= cpuRequest (${s.resources.cpuRequest}), got ${s.resources.cpuLimit}`);
    }
    if (s.replicas.min > s.replicas.max) {
      issue(['replicas', 'min'], `expected min <= max (${s.replicas.max}), got ${s.replicas.min}`);
    }
  })
  .prefault({});

/** What a caller may pass to `Cluster` (defaults optional). */
export type ComputeSettings = z.input<typeof computeSettings>;
/** What `Cluster` uses (defaults filled in). */
export type ResolvedComputeSettings = z.output<typeof computeSettings>;
export type NodeGroupSettings = z.input<typeof nodeGroupSettings>;
/** The cluster-wide Helm charts, as the Cluster resolved them (`cluster.settings.charts`); ServiceWorkloads installs them. */
export type ResolvedChartSettings = ResolvedComputeSettings['charts'];
/** What a caller may pass to `ServiceWorkloads` (defaults optional). */
export type ServiceSettings = z.input<typeof serviceSettings>;
/** What `ServiceWorkloads` uses (defaults filled in). */
export type ResolvedServiceSettings = z.output<typeof serviceSettings>;
