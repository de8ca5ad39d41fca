import { z } from 'zod';
import { REGION_AZ_COUNT, KNOWN_REGIONS } from './regions';
import { parseCidr, planSubnets, isPrivateRange } from './cidr';

/**
 * The environment file's schema: the only knob of the platform. Defaults are the production-safe choice;
 * environments relax them (dev turns Multi-AZ off), never the other way round.
 * Layers read their own section; every field carries a description that ends up in the JSON Schema.
 */

const cidr = z.string().describe('An IPv4 CIDR block, e.g. 10.20.0.0/16');
const positiveInt = z.number().int().positive();
const days = z
  .union([
    z.literal(1), z.literal(3), z.literal(5), z.literal(7), z.literal(14), z.literal(30), z.literal(60),
    z.literal(90), z.literal(120), z.literal(150), z.literal(180), z.literal(365), z.literal(400),
    z.literal(545), z.literal(731), z.literal(1096), z.literal(1827), z.literal(2192), z.literal(2557),
    z.literal(2922), z.literal(3288), z.literal(3653),
  ])
  .describe('A CloudWatch Logs retention period in days (one of the values CloudWatch accepts)');
const k8sQuantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi)?$/, 'expected a Kubernetes quantity such as 500m or 512Mi');
const addonVersion = z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, 'expected an EKS add-on version like v1.20.0-eksbuild.1');
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected an exact chart version like 3.13.0 (no ranges)');
const awsRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, 'expected an IAM role ARN');

export const TIERS = ['dev', 'staging', 'prod'] as const;
export const INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'secretsmanager', 'kms', 'elasticloadbalancing', 'ec2', 'eks', 'eks-auth', 'monitoring'] as const;

const nodeGroup = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'expected a lowercase name like "general"'),
    instanceTypes: z.array(z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, 'expected an EC2 instance type like m7i.large')).min(1),
    capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND'),
    amiType: z.enum(['AL2023_x86_64_STANDARD', 'AL2023_ARM_64_STANDARD', 'BOTTLEROCKET_x86_64', 'BOTTLEROCKET_ARM_64']).default('AL2023_x86_64_STANDARD'),
    minSize: z.number().int().min(0),
    desiredSize: z.number().int().min(0),
    maxSize: positiveInt,
    diskSizeGb: z.number().int().min(20).max(16384).default(50),
    maxUnavailablePercentage: z.number().int().min(1).max(100).default(33).describe('Rolling update: share of nodes replaced at once'),
    labels: z.record(z.string(), z.string()).default({}),
    taints: z
      .array(z.strictObject({ key: z.string().min(1), value: z.string().default(''), effect: z.enum(['NO_SCHEDULE', 'NO_EXECUTE', 'PREFER_NO_SCHEDULE']) }))
      .default([]),
  })
  .describe('A managed node group (an Auto Scaling group)');

export const environmentSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path to the JSON Schema, for editors'),
    name: z.string().regex(/^[a-z][a-z0-9-]{1,15}$/, 'expected a short lowercase name like "dev"').describe('Environment name; prefix of every stack (<name>-<layer>)'),
    tier: z.enum(TIERS).describe('Which guardrails apply: prod requires Multi-AZ, deletion protection, backups'),
    promotesFrom: z.string().optional().describe('The environment a commit must have succeeded in before it may be applied here'),
    account: z.strictObject({ id: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id') }),
    region: z.string().describe('AWS region, e.g. eu-west-1'),
    owner: z.string().min(1).describe('Owning team, written to the owner tag'),
    costCenter: z.string().min(1).describe('Cost centre tag'),
    repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected "org/repo"').describe('GitHub repository that deploys this environment'),
    state: z
      .strictObject({
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
        region: z.string().optional().describe('Defaults to the environment region'),
        keyPrefix: z.string().default('platform'),
      })
      .describe('Remote state (created by the bootstrap stack)'),
    delivery: z
      .strictObject({
        planRoleName: z.string().optional().describe('Default: <repo>-<env>-plan'),
        applyRoleName: z.string().optional().describe('Default: <repo>-<env>-apply'),
      })
      .prefault({}),
    domain: z.strictObject({
      name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a DNS name like dev.example.com').describe('The site name, served by CloudFront'),
      hostedZone: z
        .discriminatedUnion('mode', [
          z.strictObject({ mode: z.literal('create') }),
          z.strictObject({ mode: z.literal('lookup'), name: z.string().min(3).describe('Existing public zone to look up') }),
        ])
        .prefault({ mode: 'create' }),
    }),
    network: z.strictObject({
      vpcCidr: cidr,
      azCount: z.number().int().min(1).max(6).default(3),
      natGateways: z.enum(['single', 'perAz']).default('perAz').describe('perAz survives an AZ outage; single is cheaper'),
      flowLogRetentionDays: days.default(365),
      flowLogTrafficType: z.enum(['ALL', 'ACCEPT', 'REJECT']).default('ALL'),
      interfaceEndpoints: z.array(z.enum(INTERFACE_ENDPOINTS)).default(['ecr.api', 'ecr.dkr', 'sts', 'logs', 'secretsmanager']),
    }),
    data: z
      .strictObject({
        postgres: z
          .strictObject({
            engineVersion: z.string().regex(/^\d+(\.\d+)?$/).default('17.6'),
            instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an RDS class like db.r7g.large').default('db.r7g.large'),
            allocatedStorageGb: z.number().int().min(20).default(100),
            maxAllocatedStorageGb: z.number().int().min(20).default(500),
            multiAz: z.boolean().default(true),
            readReplicas: z.number().int().min(0).max(5).default(1),
            backupRetentionDays: z.number().int().min(0).max(35).default(14),
            deletionProtection: z.boolean().default(true),
            performanceInsightsRetentionDays: z.number().int().min(7).default(7),
            monitoringIntervalSeconds: z.union([z.literal(0), z.literal(1), z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)]).default(60),
            databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).default('catalogue'),
          })
          .prefault({}),
        redis: z
          .strictObject({
            engine: z.enum(['valkey', 'redis']).default('valkey'),
            engineVersion: z.string().default('8.0'),
            nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'expected a node type like cache.r7g.large').default('cache.r7g.large'),
            shards: z.number().int().min(1).max(500).default(2),
            replicasPerShard: z.number().int().min(0).max(5).default(1),
            snapshotRetentionDays: z.number().int().min(0).max(35).default(7),
          })
          .prefault({}),
        s3: z
          .strictObject({
            noncurrentVersionExpirationDays: positiveInt.default(90),
            logExpirationDays: positiveInt.default(365),
          })
          .prefault({}),
      })
      .prefault({}),
    compute: z.strictObject({
      kubernetesVersion: z.string().regex(/^1\.\d{2}$/, 'expected a Kubernetes minor version like "1.33"'),
      endpointPublicAccessCidrs: z.array(cidr).default([]).describe('CIDRs allowed to reach the public EKS endpoint; empty = private endpoint only'),
      adminRoleArn: awsRoleArn.optional().describe('A role granted cluster-admin through an EKS access entry'),
      logRetentionDays: days.default(365),
      nodeGroups: z.array(nodeGroup).min(1),
      deletionProtection: z.boolean().default(true).describe('EKS cluster deletion protection (AWS refuses DeleteCluster while it is on)'),
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
          metricsServer: semver.default('3.13.0').describe('kubernetes-sigs/metrics-server chart version'),
          clusterAutoscaler: semver.default('9.47.0').describe('kubernetes/autoscaler cluster-autoscaler chart version'),
          clusterAutoscalerImageTag: z
            .string()
            .regex(/^v1\.\d{2}\.\d+$/, 'expected a cluster-autoscaler image tag like v1.33.0')
            .default('v1.33.0')
            .describe("cluster-autoscaler image; its minor version must match the cluster's Kubernetes version"),
        })
        .prefault({})
        .describe('Pinned Helm charts of the workloads stack'),
      ecrMaxImages: z.number().int().min(10).max(10000).default(200).describe('ECR lifecycle: tagged images kept (oldest expire first)'),
    }),
    edge: z
      .strictObject({
        wafRateLimit: z.number().int().min(10).max(2_000_000_000).default(2000).describe('Requests per 5 minutes per client IP'),
        botControl: z.boolean().default(false),
        maxRequestBodyBytes: positiveInt.default(65536),
        priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100'),
      })
      .prefault({}),
    service: z
      .strictObject({
        name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/).default('api'),
        port: z.number().int().min(1024).max(65535).default(3000),
        nodePort: z.number().int().min(30000).max(32767).default(30080).describe('NodePort the ALB target group forwards to'),
        replicas: z.strictObject({ min: positiveInt, max: positiveInt }).prefault({ min: 3, max: 12 }),
        hpa: z
          .strictObject({
            cpuUtilization: z.number().int().min(10).max(95).default(70),
            memoryUtilization: z.number().int().min(10).max(95).default(80),
          })
          .prefault({}),
        resources: z
          .strictObject({
            cpuRequest: k8sQuantity.default('500m'),
            cpuLimit: k8sQuantity.default('1'),
            memoryRequest: k8sQuantity.default('512Mi'),
            memoryLimit: k8sQuantity.default('512Mi'),
          })
          .prefault({}),
        drainSeconds: z.number().int().min(1).max(300).default(20).describe('Graceful shutdown drain; the ALB deregistration delay and pod grace period follow it'),
        logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('LOG_LEVEL of the service'),
        migrationTimeoutSeconds: z.number().int().min(30).max(3600).default(600).describe('The migration Job must finish within this time or the deploy fails'),
      })
      .prefault({}),
    observability: z
      .strictObject({
        logRetentionDays: days.default(365),
        alarmEmails: z.array(z.email()).default([]),
        chatbot: z
          .strictObject({ slackTeamId: z.string().min(1), slackChannelId: z.string().min(1) })
          .optional()
          .describe('AWS Chatbot (Amazon Q Developer in chat) Slack channel for alarms'),
        thresholds: z
          .strictObject({
            cpuPercent: z.number().min(1).max(100).default(80),
            memoryPercent: z.number().min(1).max(100).default(80),
            storageFreePercent: z.number().min(1).max(100).default(20),
            connectionsPercent: z.number().min(1).max(100).default(80),
            replicaLagSeconds: z.number().positive().default(30),
            latencyP99Seconds: z.number().positive().default(0.1),
            errorRatePercent: z.number().positive().max(100).default(1),
            evaluationPeriods: positiveInt.default(3),
            periodSeconds: z.union([z.literal(60), z.literal(300)]).default(60),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((env, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

    // Region and AZ count: a region we do not know cannot be checked, so it is refused with the list.
    const azInRegion = REGION_AZ_COUNT[env.region];
    if (azInRegion === undefined) {
      issue(['region'], `expected a known AWS region (${KNOWN_REGIONS.join(', ')}), got "${env.region}"`);
    } else if (env.network.azCount > azInRegion) {
      issue(['network', 'azCount'], `expected at most ${azInRegion} (the AZs of ${env.region}), got ${env.network.azCount}`);
    }

    // VPC range: syntax, private space, and room for three subnets per AZ.
    const parsed = parseCidr(env.network.vpcCidr);
    if (typeof parsed === 'string') {
      issue(['network', 'vpcCidr'], parsed);
    } else if (parsed.prefix < 16 || parsed.prefix > 24) {
      issue(['network', 'vpcCidr'], `expected a prefix between /16 and /24 (AWS's VPC limits for a usable EKS network), got /${parsed.prefix}`);
    } else if (!isPrivateRange(parsed)) {
      issue(['network', 'vpcCidr'], `expected an RFC 1918 private range (10/8, 172.16/12, 192.168/16), got "${env.network.vpcCidr}"`);
    } else {
      const plan = planSubnets(env.network.vpcCidr, env.network.azCount);
      if (typeof plan === 'string') issue(['network', 'vpcCidr'], plan);
    }
    env.compute.endpointPublicAccessCidrs.forEach((c, i) => {
      const p = parseCidr(c);
      if (typeof p === 'string') issue(['compute', 'endpointPublicAccessCidrs', i], p);
    });

    // Sizes: min <= desired <= max.
    env.compute.nodeGroups.forEach((g, i) => {
      if (g.minSize > g.desiredSize) issue(['compute', 'nodeGroups', i, 'desiredSize'], `expected desiredSize >= minSize (${g.minSize}), got ${g.desiredSize}`);
      if (g.desiredSize > g.maxSize) issue(['compute', 'nodeGroups', i, 'desiredSize'], `expected desiredSize <= maxSize (${g.maxSize}), got ${g.desiredSize}`);
    });
    const names = env.compute.nodeGroups.map((g) => g.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) issue(['compute', 'nodeGroups', i, 'name'], `expected unique node group names, "${n}" appears twice`);
    });
    // Versions that must follow the cluster's Kubernetes minor version.
    const k8s = env.compute.kubernetesVersion;
    const caMinor = env.compute.charts.clusterAutoscalerImageTag.replace(/^v(1\.\d+)\..*$/, '$1');
    if (caMinor !== k8s) {
      issue(['compute', 'charts', 'clusterAutoscalerImageTag'], `expected a v${k8s}.x image (cluster-autoscaler must match the Kubernetes minor version ${k8s}), got ${env.compute.charts.clusterAutoscalerImageTag}`);
    }
    if (!env.compute.addons.kubeProxy.startsWith(`v${k8s}.`)) {
      issue(['compute', 'addons', 'kubeProxy'], `expected a v${k8s}.x-eksbuild.N version (kube-proxy must match the Kubernetes minor version ${k8s}), got ${env.compute.addons.kubeProxy}`);
    }
    // Limits below requests are refused by the API server at apply time; catch them before synth.
    if (quantityMi(env.service.resources.memoryLimit) < quantityMi(env.service.resources.memoryRequest)) {
      issue(['service', 'resources', 'memoryLimit'], `expected >= memoryRequest (${env.service.resources.memoryRequest}), got ${env.service.resources.memoryLimit}`);
    }
    if (quantityMilli(env.service.resources.cpuLimit) < quantityMilli(env.service.resources.cpuRequest)) {
      issue(['service', 'resources', 'cpuLimit'], `expected >= cpuRequest (${env.service.resources.cpuRequest}), got ${env.service.resources.cpuLimit}`);
    }
    if (env.service.replicas.min > env.service.replicas.max) {
      issue(['service', 'replicas', 'min'], `expected min <= max (${env.service.replicas.max}), got ${env.service.replicas.min}`);
    }
    const pg = env.data.postgres;
    if (pg.allocatedStorageGb > pg.maxAllocatedStorageGb) {
      issue(['data', 'postgres', 'maxAllocatedStorageGb'], `expected >= allocatedStorageGb (${pg.allocatedStorageGb}), got ${pg.maxAllocatedStorageGb}`);
    }
    if (env.promotesFrom === env.name) issue(['promotesFrom'], 'expected another environment, not this one');

    // Production: highly available and protected.
    if (env.tier === 'prod') {
      if (!pg.multiAz) issue(['data', 'postgres', 'multiAz'], 'expected true: prod must be Multi-AZ');
      if (env.network.azCount < 2) issue(['network', 'azCount'], `expected at least 2 in prod (Multi-AZ), got ${env.network.azCount}`);
      if (env.network.natGateways !== 'perAz') issue(['network', 'natGateways'], 'expected "perAz" in prod: a single NAT gateway is a single-AZ failure');
      if (pg.readReplicas < 1) issue(['data', 'postgres', 'readReplicas'], `expected at least 1 read replica in prod, got ${pg.readReplicas}`);
      if (!pg.deletionProtection) issue(['data', 'postgres', 'deletionProtection'], 'expected true: prod databases are deletion-protected');
      if (pg.backupRetentionDays < 7) issue(['data', 'postgres', 'backupRetentionDays'], `expected at least 7 days in prod, got ${pg.backupRetentionDays}`);
      if (env.data.redis.replicasPerShard < 1) issue(['data', 'redis', 'replicasPerShard'], 'expected at least 1 in prod: automatic failover needs a replica');
      if (env.service.replicas.min < 2) issue(['service', 'replicas', 'min'], `expected at least 2 in prod, got ${env.service.replicas.min}`);
    }
  });

/** A Kubernetes CPU quantity in millicores ("500m" → 500, "1" → 1000). */
export function quantityMilli(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

/** A Kubernetes memory quantity in MiB ("512Mi" → 512, "1Gi" → 1024). */
export function quantityMi(q: string): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'Gi' ? n * 1024 : m[2] === 'Ki' ? n / 1024 : m[2] === 'Mi' ? n : n / (1024 * 1024);
}

/** What an environment file holds after validation and defaults. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;
/** What an environment file may contain (defaults optional). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type NodeGroupConfig = EnvironmentConfig['compute']['nodeGroups'][number];

/** The JSON Schema that environment files reference for editor completion. */
export function environmentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
}
