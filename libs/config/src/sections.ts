import { z } from 'zod';
import { DIGEST_PATTERN, resolveImageDigest } from './images';
import { issuerUrlProblem, scopeTokenProblem } from './oidc';
import { addonVersion, awsRoleArn, cidrField, dailyWindow, exactSemver, imageDigest, k8sQuantity, logRetentionDays, positiveInt, quantityMi, quantityMilli, weeklyWindow } from './fields';
import { parseCidr } from './cidr';
import { zoneDelegationSchema, domainDelegationProblems } from './delegations';

/**
 * Layer sections that still live here until their layer takes them into libs/<layer>/src/settings.ts (docs/architecture.md
 * → Settings: where a knob lives). Each holds its fields, their defaults and the rules that need only its own fields;
 * the environment schema is assembled from the sections in apps/infra/src/environment.
 */

/** The site's domain (dns and edge layers). */
export const domainSection = z.strictObject({
  name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a DNS name like dev.example.com').describe('The site name, served by CloudFront'),
  hostedZone: z
    .discriminatedUnion('mode', [
      z.strictObject({ mode: z.literal('create') }),
      z.strictObject({ mode: z.literal('lookup'), name: z.string().min(3).describe('Existing public zone to look up') }),
    ])
    .prefault({ mode: 'create' })
    .describe('create: the dns stack creates the zone (delegate it from the parent before the edge stack plans); lookup: an existing, delegated zone'),
  delegationResolverUrl: z
    .string()
    .regex(/^https:\/\/[^\s?#]+$/, 'expected an https URL without a query, like https://dns.google/resolve')
    .default('https://dns.google/resolve')
    .describe("DNS JSON API (Google's ?name=&type=NS format) the edge stack asks whether a created zone is delegated"),
  // Child zones this environment's created zone delegates (dns layer; rules and the check across files: ./delegations.ts).
  delegations: z
    .array(zoneDelegationSchema)
    .default([])
    .describe('Child zones delegated from this environment\'s created zone (e.g. prod lists dev.shop.example.com): the dns stack writes their NS (and DS) records'),
})
  .superRefine((domain, ctx) => {
    for (const [path, message] of domainDelegationProblems(domain)) ctx.addIssue({ code: 'custom', path, message });
    // The edge writes the site's records and certificate validation records into the looked-up zone.
    const zone = domain.hostedZone.mode === 'lookup' ? domain.hostedZone.name.replace(/\.$/, '') : undefined;
    if (zone !== undefined && domain.name !== zone && !domain.name.endsWith(`.${zone}`)) {
      ctx.addIssue({ code: 'custom', path: ['hostedZone', 'name'], message: `expected a zone containing "${domain.name}" (its parent domain or the name itself), got "${zone}"` });
    }
  });

/** The data layer. */
export const dataSection = z
  .strictObject({
    database: z
      .strictObject({
        engineVersion: z.string().regex(/^\d+(\.\d+)?$/, 'expected a PostgreSQL version like 17 or 17.6').default('17').describe('Major ("17": AWS applies minor upgrades, Terraform does not fight them) or major.minor (pinned)'),
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
        slowQueryMs: z.number().int().min(-1).max(3_600_000).default(500).describe('log_min_duration_statement: statements slower than this are logged (-1 turns it off)'),
        backupWindow: dailyWindow.default('02:00-03:00').describe('Daily automated backup window (UTC), hh24:mi-hh24:mi'),
        maintenanceWindow: weeklyWindow.default('sun:03:30-sun:04:30').describe('Weekly maintenance window (UTC), ddd:hh24:mi-ddd:hh24:mi; must not overlap the backup window'),
      })
      .prefault({}),
    cache: z
      .strictObject({
        engine: z.enum(['valkey', 'redis']).default('valkey'),
        engineVersion: z.string().default('8.0'),
        nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'expected a node type like cache.r7g.large').default('cache.r7g.large'),
        shards: z.number().int().min(1).max(500).default(2),
        replicasPerShard: z.number().int().min(0).max(5).default(1),
        snapshotRetentionDays: z.number().int().min(0).max(35).default(7),
        snapshotWindow: dailyWindow.default('01:00-02:00').describe('Daily snapshot window (UTC), hh24:mi-hh24:mi'),
        maintenanceWindow: weeklyWindow.default('mon:03:30-mon:04:30').describe('Weekly maintenance window (UTC); must not overlap the snapshot window'),
      })
      .prefault({}),
    buckets: z
      .strictObject({
        noncurrentVersionExpirationDays: positiveInt.default(90),
        logExpirationDays: positiveInt.default(365),
      })
      .prefault({}),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of the data layer\'s CloudWatch log groups (RDS exports, cache slow log)'),
    kmsDeletionWindowDays: z.number().int().min(7).max(30).default(30).describe('Days before a deleted data/secrets KMS key is gone for good'),
  })
  .superRefine((d, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    // The cache always runs in cluster mode, which requires automatic failover; a shard without a replica breaks: the
    // provider refuses a single node with failover (hashicorp/terraform-provider-aws#43233) and ElastiCache refuses
    // later updates ("must have at least one read replica to enable autofailover"). Every tier.
    if (d.cache.replicasPerShard < 1) {
      issue(['cache', 'replicasPerShard'], `expected at least 1 (cluster mode needs automatic failover, which needs a replica per shard; a small environment: 1 shard, 1 replica), got ${d.cache.replicasPerShard}`);
    }
    const pg = d.database;
    if (pg.allocatedStorageGb > pg.maxAllocatedStorageGb) {
      issue(['database', 'maxAllocatedStorageGb'], `expected >= allocatedStorageGb (${pg.allocatedStorageGb}), got ${pg.maxAllocatedStorageGb}`);
    }
    // Windows long enough and not overlapping (RDS and ElastiCache refuse both at apply time).
    dataWindowProblems(d).forEach(([p, message]) => issue(p, message));
  })
  .prefault({});

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

/** The cluster layer. */
export const computeSection = z.strictObject({
  kubernetesVersion: z.string().regex(/^1\.\d{2}$/, 'expected a Kubernetes minor version like "1.33"'),
  endpointPublicAccessCidrs: z
    .array(cidrField)
    .default([])
    .describe('Static public egress CIDRs (at most 40) allowed to reach the public EKS endpoint: the NAT of self-hosted runners, a GitHub larger runner\'s static IP range; empty = private endpoint only'),
  endpointPrivateAccessCidrs: z
    .array(cidrField)
    .default([])
    .describe('Private CIDRs admitted on 443 to the private EKS endpoint: where the self-hosted runners (delivery.runsOn) live, e.g. the VPC\'s private subnets or a peered runner VPC'),
  adminRoleArn: awsRoleArn.optional().describe('A role granted cluster-admin through an EKS access entry'),
  logRetentionDays: logRetentionDays.default(365),
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
      metricsServer: exactSemver.default('3.13.0').describe('kubernetes-sigs/metrics-server chart version'),
      clusterAutoscaler: exactSemver.default('9.47.0').describe('kubernetes/autoscaler cluster-autoscaler chart version'),
      clusterAutoscalerImageTag: z
        .string()
        .regex(/^v1\.\d{2}\.\d+$/, 'expected a cluster-autoscaler image tag like v1.33.0')
        .default('v1.33.0')
        .describe("cluster-autoscaler image; its minor version must match the cluster's Kubernetes version"),
      clusterAutoscalerImageDigest: imageDigest
        .optional()
        .describe('sha256 digest of the cluster-autoscaler tag (default: the verified digest libs/config/src/images.ts knows for the tag)'),
      metricsServerImageTag: z.string().regex(/^v\d+\.\d+\.\d+$/, 'expected a metrics-server image tag like v0.8.0').default('v0.8.0').describe('metrics-server image tag'),
      metricsServerImageDigest: imageDigest.optional().describe('sha256 digest of the metrics-server tag (default: the verified digest for the tag)'),
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
  });

// AWS WAF's range for a rate-based rule's limit (edge layer).
const wafRateLimit = z.number().int().min(10, 'expected at least 10 (AWS WAF\'s smallest rate limit)').max(2_000_000_000, 'expected at most 2000000000 (AWS WAF\'s largest rate limit)');

/** The edge and dns layers. */
export const edgeSection = z
  .strictObject({
    // ---- WAF per-IP rate limits (libs/edge EdgeWaf; DEFAULT_RATE_LIMITS there holds the same defaults) ----
    // AWS WAF rate-based rules: limit 10 to 2,000,000,000, evaluation window 60, 120, 300 or 600 s (AWS WAF
    // Developer Guide, "Rate-based rule high-level settings"). Reads get a high limit so the 500 req/s target is
    // reachable from 4 load-generator IPs and a carrier NAT of phones is not blocked; writes a strict one.
    rateLimitWindowSeconds: z
      .union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)])
      .default(300)
      .describe('Evaluation window of both rate limits, in seconds (AWS WAF accepts 60, 120, 300, 600)'),
    writeRateLimit: wafRateLimit.default(600).describe('Requests per window per client IP that change something (any method but GET, HEAD, OPTIONS)'),
    readRateLimit: wafRateLimit
      .default(50_000)
      .describe('Requests of any kind per window per client IP: the ceiling for reads (GET/HEAD on /api/* and the storefront); 50,000 per 5 min is ~167 req/s'),
    rateLimitExemptCidrs: z
      .array(
        z.string().superRefine((v, ctx) => {
          const c = parseCidr(v);
          // AWS WAF IP sets take any CIDR but /0 (WAFV2 API Reference, IPSet.Addresses).
          if (typeof c === 'string' || c.prefix === 0) ctx.addIssue({ code: 'custom', message: typeof c === 'string' ? c : 'expected a prefix from /1 to /32 (AWS WAF refuses /0)' });
        }),
      )
      .max(50)
      .default([])
      .describe('IPv4 CIDR blocks of allow-listed load generators: neither rate limit counts them (a WAF IP set); every other rule still applies'),
    wafRateLimit: z.never({ error: 'replaced: set edge.writeRateLimit (writes) and edge.readRateLimit (every request) instead' }).optional().describe('Replaced by writeRateLimit and readRateLimit'),
    botControl: z.boolean().default(false),
    // WAF inspects at most 64 KB of a CloudFront request body: a larger limit could not be enforced.
    maxRequestBodyBytes: positiveInt
      .max(65536, 'expected at most 65536: WAF inspects at most 64 KB of a CloudFront request body')
      .default(65536)
      .describe('Largest request body on API paths; WAF blocks larger ones'),
    priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100'),
    deletionProtection: z.boolean().default(true).describe('ALB deletion protection (guardrail AWP-EDGE-008 requires it in prod)'),
    dnssec: z.boolean().default(true).describe('Sign a created hosted zone with DNSSEC (dns stack; add the DS record to the parent zone once delegated)'),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of the WAF (edge) and Route 53 query (dns) log groups in us-east-1'),
  })
  .superRefine((e, ctx) => {
    if (e.writeRateLimit > e.readRateLimit) ctx.addIssue({ code: 'custom', path: ['writeRateLimit'], message: `expected at most readRateLimit (${e.readRateLimit}): every request counts towards it, got ${e.writeRateLimit}` });
  })
  .prefault({});

/** The identity layer. */
export const identitySection = z
  .discriminatedUnion('mode', [
    z
      .strictObject({
        mode: z.literal('cognito').describe('A Cognito user pool of the identity layer issues the tokens (client credentials for machine callers)'),
        featurePlan: z.enum(['LITE', 'ESSENTIALS', 'PLUS']).default('PLUS').describe('The user pool feature plan; threat protection needs PLUS (billed per monthly active user: nothing while the pool has only machine clients)'),
        threatProtection: z
          .enum(['OFF', 'AUDIT', 'ENFORCED'])
          .default('ENFORCED')
          .describe('Threat protection of user sign-ins (compromised credentials, adaptive authentication); AWS advises AUDIT for two weeks before ENFORCED. Prod requires ENFORCED'),
        deletionProtection: z.boolean().default(true).describe('Cognito refuses DeleteUserPool while it is on (every client id and secret would be gone); prod requires it'),
        accessTokenValidityMinutes: z.number().int().min(5).max(60).default(60).describe('Lifetime of an access token (5-60 minutes); a leaked token is good for this long'),
        clients: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'expected a lowercase name like "catalogue-writer"').describe('One app client per calling system, so one can be revoked without the others'),
            }),
          )
          .min(1)
          .default([{ name: 'catalogue-writer' }])
          .describe('Machine-to-machine app clients (client credentials grant, scope catalogue/write only)'),
        domainPrefix: z.string().optional().describe('Prefix of the Cognito domain that serves the token endpoint (default: <env>-auth-<account id>); unique per region across AWS'),
      })
      .superRefine((c, ctx) => {
        if (c.threatProtection !== 'OFF' && c.featurePlan !== 'PLUS') {
          ctx.addIssue({ code: 'custom', path: ['threatProtection'], message: `expected "OFF" with featurePlan "${c.featurePlan}": threat protection needs the PLUS feature plan, got "${c.threatProtection}"` });
        }
        c.clients.forEach((client, i) => {
          if (c.clients.findIndex((o) => o.name === client.name) !== i) ctx.addIssue({ code: 'custom', path: ['clients', i, 'name'], message: `expected unique client names, "${client.name}" appears twice` });
        });
      }),
    z.strictObject({
      mode: z.literal('external').describe('An OpenID Connect issuer outside this platform; no Cognito resources are created'),
      issuer: z
        .string()
        .superRefine((v, ctx) => {
          const problem = issuerUrlProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .describe("The issuer identifier, exactly as the tokens' iss claim carries it (https, no query or fragment; a trailing slash only if the issuer's own)"),
      audience: z
        .array(z.string().regex(/^[^,\s]+$/, 'expected an audience value without commas or spaces (the pods receive the list comma-separated)'))
        .min(1)
        .describe('Accepted values of the audience claim (any one must match)'),
      audienceClaim: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, 'expected a claim name like "aud" or "client_id"')
        .default('aud')
        .describe('The claim that carries the audience: "aud" for most issuers; "client_id" for Cognito-style access tokens without aud'),
      writeScope: z
        .string()
        .superRefine((v, ctx) => {
          const problem = scopeTokenProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .default('catalogue:write')
        .describe('The scope a token needs to write to the catalogue'),
    }),
  ])
  .prefault({ mode: 'cognito' })
  .describe('Who issues the access tokens the service requires on writes');

/** The workloads layer: the service. */
export const serviceSection = z
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

/**
 * The alarm thresholds of the observability layer: the one place their defaults are written. `@awp/observability`
 * derives its DEFAULT_THRESHOLDS from this section (it depends on this package; the reverse would be a cycle).
 */
export const alarmThresholdsSchema = z
  .strictObject({
    cpuPercent: z.number().min(1).max(100).default(80).describe('CPU alarms: nodes, pods against limits, RDS, ElastiCache'),
    memoryPercent: z.number().min(1).max(100).default(80).describe('Memory alarms: nodes, pods against limits, RDS (freeable below 100-x %), ElastiCache'),
    storageFreePercent: z.number().min(1).max(100).default(20).describe('RDS free storage below this share of the allocated storage'),
    connectionsPercent: z.number().min(1).max(100).default(80).describe('RDS connections above this share of max_connections'),
    replicaLagSeconds: z.number().positive().default(30).describe('RDS ReplicaLag and ElastiCache ReplicationLag'),
    latencyP99Seconds: z.number().positive().default(0.1).describe('The latency SLO: ALB TargetResponseTime p99'),
    errorRatePercent: z.number().positive().max(100).default(1).describe('The error SLO: ALB 5xx (target + load balancer) per request'),
    cdnErrorRatePercent: z.number().positive().max(100).default(5).describe('CloudFront 5xxErrorRate'),
    cacheEvictions: z.number().int().min(0).default(1000).describe('ElastiCache evictions per period per node'),
    unhealthyHosts: z.number().int().min(0).default(0).describe('Alarm when more targets than this are unhealthy'),
    rejectedConnections: z.number().int().min(0).default(0).describe('ALB RejectedConnectionCount per period'),
    wafBlockedRequests: positiveInt.default(1000).describe('WAF blocked requests per period: a spike above this alarms'),
    errorLogs: positiveInt.default(10).describe("The service's error log lines (pino level >= 50) per period"),
    hpaAtMaxMinutes: positiveInt.default(15).describe('The HPA at its maximum replicas for this long alarms'),
    nodeGroupAtMaxMinutes: positiveInt.default(15).describe('The cluster at its node ceiling (the sum of every node group maxSize) for this long alarms'),
    evaluationPeriods: positiveInt.default(3),
    periodSeconds: z.union([z.literal(60), z.literal(300)]).default(60),
  })
  .prefault({});

/** The observability layer. */
export const observabilitySection = z
  .strictObject({
    logRetentionDays: logRetentionDays.default(365).describe("Retention of a service log group the Observability construct creates itself; the platform uses the cluster stack's Container Insights group instead (retention: compute.logRetentionDays)"),
    alarmEmails: z.array(z.email()).default([]).describe('Email addresses subscribed to the alarm topics (each confirms once per topic)'),
    chatbot: z
      .strictObject({
        slackTeamId: z.string().regex(/^[A-Z0-9]{9,12}$/, 'expected a Slack workspace id like T0123ABCDE'),
        slackChannelId: z.string().regex(/^[CG][A-Z0-9]{8,12}$/, 'expected a Slack channel id like C0123ABCDE'),
      })
      .optional()
      .describe('AWS Chatbot (Amazon Q Developer in chat) Slack channel for alarms; the workspace must be authorized once in the console'),
    databaseMaxConnections: positiveInt
      .optional()
      .describe("The database's max_connections, when not RDS's default for its instance class (LEAST(memory/9531392, 5000))"),
    thresholds: alarmThresholdsSchema,
  })
  .superRefine((o, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: ['thresholds', ...path], message });
    const t = o.thresholds;
    // CloudWatch refuses alarms whose evaluation range (periods x period) exceeds one day.
    if (t.evaluationPeriods * t.periodSeconds > 86400) {
      issue(['evaluationPeriods'], `expected evaluationPeriods x periodSeconds <= 86400 (one day, CloudWatch's limit), got ${t.evaluationPeriods} x ${t.periodSeconds}`);
    }
    for (const key of ['hpaAtMaxMinutes', 'nodeGroupAtMaxMinutes'] as const) {
      const seconds = t[key] * 60;
      if (seconds % t.periodSeconds !== 0) issue([key], `expected a multiple of periodSeconds (${t.periodSeconds / 60} min), got ${t[key]}`);
      else if (seconds > 86400) issue([key], `expected at most 1440 (one day, CloudWatch's limit), got ${t[key]}`);
    }
    o.alarmEmails.forEach((e, i) => {
      if (o.alarmEmails.indexOf(e) !== i) ctx.addIssue({ code: 'custom', path: ['alarmEmails', i], message: `expected unique addresses, "${e}" appears twice` });
    });
  })
  .prefault({});

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEK = 7 * 1440;
/** Minutes of the week a window covers, as [start, end) intervals (a window past Sunday midnight wraps). */
function windowIntervals(window: string): [number, number][] {
  const minute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const weekly = /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(window);
  const spans: [number, number][] = [];
  if (weekly) {
    spans.push([DAYS.indexOf(weekly[1]) * 1440 + minute(weekly[2]), DAYS.indexOf(weekly[3]) * 1440 + minute(weekly[4])]);
  } else {
    const [from, to] = window.split('-');
    for (let d = 0; d < 7; d++) spans.push([d * 1440 + minute(from), d * 1440 + minute(to)]);
  }
  return spans.flatMap(([s, e]): [number, number][] => (e > s ? [[s, e]] : [[s, WEEK], [0, e]]));
}

function windowMinutes(window: string): number {
  const total = windowIntervals(window).reduce((n, [s, e]) => n + e - s, 0);
  return /^[a-z]{3}:/.test(window) ? total : total / 7; // a daily window repeats on each of the 7 days
}

/** Data layer window checks: each at least 30 minutes (RDS, ElastiCache minimum), and no overlap within an engine. */
export function dataWindowProblems(data: { database: { backupWindow: string; maintenanceWindow: string }; cache: { snapshotWindow: string; maintenanceWindow: string } }): [string[], string][] {
  const out: [string[], string][] = [];
  const pairs = [
    { engine: 'database', daily: 'backupWindow', dailyValue: data.database.backupWindow, weekly: data.database.maintenanceWindow },
    { engine: 'cache', daily: 'snapshotWindow', dailyValue: data.cache.snapshotWindow, weekly: data.cache.maintenanceWindow },
  ];
  for (const p of pairs) {
    for (const [field, value] of [[p.daily, p.dailyValue], ['maintenanceWindow', p.weekly]]) {
      const minutes = windowMinutes(value);
      if (minutes < 30) out.push([[p.engine, field], `expected a window of at least 30 minutes, got ${minutes} ("${value}")`]);
    }
    const a = windowIntervals(p.dailyValue);
    const b = windowIntervals(p.weekly);
    if (a.some(([s1, e1]) => b.some(([s2, e2]) => s1 < e2 && s2 < e1))) {
      out.push([[p.engine, 'maintenanceWindow'], `expected no overlap with ${p.daily} ("${p.dailyValue}"), got "${p.weekly}"`]);
    }
  }
  return out;
}
