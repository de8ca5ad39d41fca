import { z } from 'zod';
import { REGION_AZ_COUNT, KNOWN_REGIONS } from './regions';
import { parseCidr, planSubnets, isPrivateRange, nonPublicRange, isIpv6DocumentationRange } from './cidr';
import { DIGEST_PATTERN, resolveImageDigest } from './images';
import { cognitoDomainPrefixProblem, issuerUrlProblem, scopeTokenProblem } from './oidc';
import { cognitoDomainPrefix } from './naming';
import { zoneDelegationSchema, domainDelegationProblems, type ParentZone } from './delegations';

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
// Data layer: AWS maintenance windows (UTC). Overlaps are checked below (RDS and ElastiCache refuse them at apply).
const dailyWindow = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'expected a daily window like 02:00-03:00 (UTC)');
const weeklyWindow = z
  .string()
  .regex(/^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/, 'expected a weekly window like sun:03:30-sun:04:30 (UTC)');
const imageDigest = z.string().regex(DIGEST_PATTERN, 'expected an image digest like sha256:<64 hex digits>');
const githubId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
// AWS WAF's range for a rate-based rule's limit (edge layer).
const wafRateLimit = z.number().int().min(10, 'expected at least 10 (AWS WAF\'s smallest rate limit)').max(2_000_000_000, 'expected at most 2000000000 (AWS WAF\'s largest rate limit)');
const awsRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN');

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
    // GitHub's numeric IDs never change and are never reused: the delivery roles' OIDC trust pins them, so a
    // renamed, deleted or re-created repository of the same name cannot assume them (docs/delivery.md → Threat model).
    repositoryId: githubId.describe('The repository\'s immutable numeric ID (gh api repos/<org>/<repo> --jq .id)'),
    repositoryOwnerId: githubId
      .optional()
      .describe('The owner\'s numeric ID (gh api repos/<org>/<repo> --jq .owner.id): the roles then also accept GitHub\'s immutable subject format repo:<org>@<ownerId>/<repo>@<repositoryId>:…'),
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
        runsOn: z
          .array(z.string().min(1))
          .min(1)
          .default(['ubuntu-24.04'])
          .describe(
            'runs-on labels of the jobs that plan and apply this environment (`platform bootstrap --describe` prints them for the workflows). ' +
              'GitHub-hosted (default ["ubuntu-24.04"]) cannot reach a private EKS endpoint; self-hosted runners in the VPC: ["self-hosted", "linux", "x64", "awp-<env>"] (libs/compute/README.md)',
          ),
      })
      .prefault({}),
    domain: z.strictObject({
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
      }),
    network: z.strictObject({
      vpcCidr: cidr,
      azCount: z.number().int().min(1).max(6).default(3),
      availabilityZones: z
        .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected an AZ name like eu-west-1a'))
        .optional()
        .describe('Explicit AZ names (default: <region>a, b, c… up to azCount). Pinned names keep the subnet set from changing when AWS adds a zone.'),
      natGateways: z.enum(['single', 'perAz']).default('perAz').describe('perAz survives an AZ outage; single is cheaper'),
      flowLogRetentionDays: days.default(365),
      flowLogTrafficType: z.enum(['ALL', 'ACCEPT', 'REJECT']).default('ALL'),
      interfaceEndpoints: z.array(z.enum(INTERFACE_ENDPOINTS)).default(['ecr.api', 'ecr.dkr', 'sts', 'logs', 'secretsmanager']),
    }),
    data: z
      .strictObject({
        postgres: z
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
        redis: z
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
        s3: z
          .strictObject({
            noncurrentVersionExpirationDays: positiveInt.default(90),
            logExpirationDays: positiveInt.default(365),
          })
          .prefault({}),
        logRetentionDays: days.default(365).describe('Retention of the data layer\'s CloudWatch log groups (RDS exports, cache slow log)'),
        kmsDeletionWindowDays: z.number().int().min(7).max(30).default(30).describe('Days before a deleted data/secrets KMS key is gone for good'),
      })
      .prefault({}),
    compute: z.strictObject({
      kubernetesVersion: z.string().regex(/^1\.\d{2}$/, 'expected a Kubernetes minor version like "1.33"'),
      endpointPublicAccessCidrs: z
        .array(cidr)
        .default([])
        .describe('Static public egress CIDRs (at most 40) allowed to reach the public EKS endpoint: the NAT of self-hosted runners, a GitHub larger runner\'s static IP range; empty = private endpoint only'),
      endpointPrivateAccessCidrs: z
        .array(cidr)
        .default([])
        .describe('Private CIDRs admitted on 443 to the private EKS endpoint: where the self-hosted runners (delivery.runsOn) live, e.g. the VPC\'s private subnets or a peered runner VPC'),
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
          clusterAutoscalerImageDigest: imageDigest
            .optional()
            .describe('sha256 digest of the cluster-autoscaler tag (default: the verified digest libs/config/src/images.ts knows for the tag)'),
          metricsServerImageTag: z.string().regex(/^v\d+\.\d+\.\d+$/, 'expected a metrics-server image tag like v0.8.0').default('v0.8.0').describe('metrics-server image tag'),
          metricsServerImageDigest: imageDigest.optional().describe('sha256 digest of the metrics-server tag (default: the verified digest for the tag)'),
        })
        .prefault({})
        .describe('Pinned Helm charts of the workloads stack'),
      ecrMaxImages: z.number().int().min(10).max(10000).default(200).describe('ECR lifecycle: tagged images kept (oldest expire first)'),
    }),
    edge: z
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
        logRetentionDays: days.default(365).describe('Retention of the WAF (edge) and Route 53 query (dns) log groups in us-east-1'),
      })
      .superRefine((e, ctx) => {
        if (e.writeRateLimit > e.readRateLimit) ctx.addIssue({ code: 'custom', path: ['writeRateLimit'], message: `expected at most readRateLimit (${e.readRateLimit}): every request counts towards it, got ${e.writeRateLimit}` });
      })
      .prefault({}),
    // The issuer of the access tokens the service requires on every write (issue 16): a Cognito user pool of the
    // identity layer, or any OpenID Connect issuer the organisation already runs.
    identity: z
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
      .describe('Who issues the access tokens the service requires on writes'),
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
        logRetentionDays: days.default(365).describe("Retention of a service log group the Observability construct creates itself; the platform uses the cluster stack's Container Insights group instead (retention: compute.logRetentionDays)"),
        alarmEmails: z.array(z.email()).default([]).describe('Email addresses subscribed to the alarm topics (each confirms once per topic)'),
        chatbot: z
          .strictObject({
            slackTeamId: z.string().regex(/^[A-Z0-9]{9,12}$/, 'expected a Slack workspace id like T0123ABCDE'),
            slackChannelId: z.string().regex(/^[CG][A-Z0-9]{8,12}$/, 'expected a Slack channel id like C0123ABCDE'),
          })
          .optional()
          .describe('AWS Chatbot (Amazon Q Developer in chat) Slack channel for alarms; the workspace must be authorized once in the console'),
        postgresMaxConnections: positiveInt
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

    if (env.network.availabilityZones) {
      const azs = env.network.availabilityZones;
      if (azs.length !== env.network.azCount) issue(['network', 'availabilityZones'], `expected ${env.network.azCount} names (azCount), got ${azs.length}`);
      azs.forEach((az, i) => {
        if (!az.startsWith(env.region)) issue(['network', 'availabilityZones', i], `expected a zone of ${env.region}, got "${az}"`);
        if (azs.indexOf(az) !== i) issue(['network', 'availabilityZones', i], `expected distinct zones, "${az}" appears twice`);
      });
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
    endpointAccessProblems(env).forEach(([p, message]) => issue(p, message));

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
    for (const [image, tagField, digestField] of [
      ['cluster-autoscaler', 'clusterAutoscalerImageTag', 'clusterAutoscalerImageDigest'],
      ['metrics-server', 'metricsServerImageTag', 'metricsServerImageDigest'],
    ] as const) {
      const given = env.compute.charts[digestField];
      if (given !== undefined && !DIGEST_PATTERN.test(given)) continue; // the field's own format error says it
      const resolved = resolveImageDigest(image, env.compute.charts[tagField], given);
      if ('error' in resolved) issue(['compute', 'charts', digestField], resolved.error);
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
    // Data layer: windows long enough and not overlapping (RDS and ElastiCache refuse both at apply time).
    dataWindowProblems(env.data).forEach(([p, message]) => issue(['data', ...p], message));
    // infra-fixes: the cache always runs in cluster mode, which requires automatic failover; a shard without a replica
    // breaks: the provider refuses a single node with failover (hashicorp/terraform-provider-aws#43233) and ElastiCache
    // refuses later updates ("must have at least one read replica to enable autofailover").
    if (env.data.redis.replicasPerShard < 1) {
      issue(['data', 'redis', 'replicasPerShard'], `expected at least 1 (cluster mode needs automatic failover, which needs a replica per shard; a small environment: 1 shard, 1 replica), got ${env.data.redis.replicasPerShard}`);
    }
    if (env.promotesFrom === env.name) issue(['promotesFrom'], 'expected another environment, not this one');
    if (env.identity.mode === 'cognito') {
      // The default prefix carries the environment name: an environment called "aws-…" would get a prefix Cognito refuses.
      const prefix = cognitoDomainPrefix({ name: env.name, account: env.account, identity: env.identity });
      const problem = cognitoDomainPrefixProblem(prefix);
      if (problem) issue(['identity', 'domainPrefix'], env.identity.domainPrefix === undefined ? `${problem} (the default <env>-auth-<account id>; set identity.domainPrefix)` : problem);
    }

    // Production: highly available and protected.
    if (env.tier === 'prod') {
      if (!pg.multiAz) issue(['data', 'postgres', 'multiAz'], 'expected true: prod must be Multi-AZ');
      if (env.network.azCount < 2) issue(['network', 'azCount'], `expected at least 2 in prod (Multi-AZ), got ${env.network.azCount}`);
      if (env.network.natGateways !== 'perAz') issue(['network', 'natGateways'], 'expected "perAz" in prod: a single NAT gateway is a single-AZ failure');
      if (pg.readReplicas < 1) issue(['data', 'postgres', 'readReplicas'], `expected at least 1 read replica in prod, got ${pg.readReplicas}`);
      if (!pg.deletionProtection) issue(['data', 'postgres', 'deletionProtection'], 'expected true: prod databases are deletion-protected');
      if (pg.backupRetentionDays < 7) issue(['data', 'postgres', 'backupRetentionDays'], `expected at least 7 days in prod, got ${pg.backupRetentionDays}`);
      if (env.data.redis.snapshotRetentionDays < 1) issue(['data', 'redis', 'snapshotRetentionDays'], 'expected at least 1 in prod: the cache keeps daily snapshots');
      if (env.service.replicas.min < 2) issue(['service', 'replicas', 'min'], `expected at least 2 in prod, got ${env.service.replicas.min}`);
      if (env.identity.mode === 'cognito') {
        if (env.identity.threatProtection !== 'ENFORCED') issue(['identity', 'threatProtection'], `expected "ENFORCED" in prod (with featurePlan "PLUS"), got "${env.identity.threatProtection}"`);
        if (!env.identity.deletionProtection) issue(['identity', 'deletionProtection'], 'expected true: a deleted prod user pool takes every client id and secret with it');
      }
    }
  });

/** EKS accepts at most 40 public endpoint CIDRs per cluster (Service Quotas: "Public endpoint access CIDR ranges per cluster", not adjustable). */
export const EKS_MAX_PUBLIC_ACCESS_CIDRS = 40;

/** GitHub's standard hosted runner labels (ubuntu-24.04, windows-latest, macos-15, ubuntu-24.04-arm…): no fixed egress IPs. */
const STANDARD_GITHUB_HOSTED = /^(ubuntu|windows|macos)-(latest|\d+(\.\d+)?)(-arm|-arm64|-intel|-large|-xlarge)?$/;

/** Whether the runs-on labels select self-hosted runners (GitHub gives every self-hosted runner the `self-hosted` label). */
export function isSelfHostedRunner(runsOn: readonly string[]): boolean {
  return runsOn.includes('self-hosted');
}

/**
 * How the delivery jobs reach the EKS API, checked as one decision (issue: the committed files listed a documentation
 * range, so no runner could ever reach the endpoint). Public allow-list entries must be real public egress ranges;
 * a private-only endpoint needs self-hosted runners and the CIDRs they come from; standard GitHub-hosted runners have
 * no static egress IPs (they use thousands of Azure ranges, GitHub meta API "actions"), so no allow-list fits them.
 */
export function endpointAccessProblems(env: {
  name: string;
  network: { vpcCidr: string; azCount: number };
  delivery: { runsOn: readonly string[] };
  compute: { endpointPublicAccessCidrs: readonly string[]; endpointPrivateAccessCidrs: readonly string[] };
}): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const { endpointPublicAccessCidrs: pub, endpointPrivateAccessCidrs: priv } = env.compute;
  const runsOn = env.delivery.runsOn;
  const selfHosted = isSelfHostedRunner(runsOn);
  const privateHint = () => {
    const plan = planSubnets(env.network.vpcCidr, env.network.azCount);
    return typeof plan === 'string' ? '' : ` (this VPC's private subnets: ${JSON.stringify(plan.private)})`;
  };
  const setInstead =
    'set the static public egress IPs of your runners (the NAT gateway IPs of self-hosted runners, or a GitHub larger runner\'s static IP range), ' +
    'or set [] and use self-hosted runners in the VPC (delivery.runsOn, compute.endpointPrivateAccessCidrs)';
  pub.forEach((c, i) => {
    const where = ['compute', 'endpointPublicAccessCidrs', i];
    if (isIpv6DocumentationRange(c)) return out.push([where, `"${c}" is a documentation range (RFC 3849), not a real network; ${setInstead}`]);
    const p = parseCidr(c);
    if (typeof p === 'string') return out.push([where, p]);
    if (p.prefix === 0) return out.push([where, `"${c}" admits every address on the internet; ${setInstead}`]);
    const range = nonPublicRange(p);
    if (range?.kind === 'documentation') return out.push([where, `"${c}" is ${range.what}, a placeholder that matches no runner; ${setInstead}`]);
    if (range) {
      return out.push([where, `"${c}" is ${range.what}: the public endpoint never sees such a source address; list runners inside the VPC in compute.endpointPrivateAccessCidrs instead`]);
    }
    return undefined;
  });
  if (pub.length > EKS_MAX_PUBLIC_ACCESS_CIDRS) {
    out.push([['compute', 'endpointPublicAccessCidrs'], `expected at most ${EKS_MAX_PUBLIC_ACCESS_CIDRS} CIDRs (EKS's fixed limit per cluster), got ${pub.length}; use self-hosted runners behind a NAT gateway instead`]);
  }
  priv.forEach((c, i) => {
    const where = ['compute', 'endpointPrivateAccessCidrs', i];
    const p = parseCidr(c);
    if (typeof p === 'string') return out.push([where, p]);
    if (!isPrivateRange(p)) return out.push([where, `expected an RFC 1918 private range where self-hosted runners live${privateHint()}, got "${c}"`]);
    return undefined;
  });
  if (pub.length === 0 && !selfHosted) {
    out.push([
      ['delivery', 'runsOn'],
      `GitHub-hosted runners (${JSON.stringify(runsOn)}) cannot reach a private-only EKS endpoint (compute.endpointPublicAccessCidrs is empty): ` +
        `set the labels of self-hosted runners inside the VPC, e.g. ["self-hosted", "linux", "x64", "awp-${env.name}"], or list their static egress IPs in compute.endpointPublicAccessCidrs`,
    ]);
  }
  if (pub.length > 0 && runsOn.every((l) => STANDARD_GITHUB_HOSTED.test(l))) {
    out.push([
      ['delivery', 'runsOn'],
      `standard GitHub-hosted runners (${JSON.stringify(runsOn)}) have no static egress IPs (they use thousands of Azure ranges, far more than the ${EKS_MAX_PUBLIC_ACCESS_CIDRS} CIDRs EKS allows), so compute.endpointPublicAccessCidrs can never admit them: ` +
        'set the label of a GitHub larger runner with static IPs, or of self-hosted runners',
    ]);
  }
  if (pub.length === 0 && selfHosted && priv.length === 0) {
    out.push([['compute', 'endpointPrivateAccessCidrs'], `expected the private CIDRs of the self-hosted runners${privateHint()}: the EKS cluster security group admits nothing else on 443`]);
  }
  return out;
}

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
export function dataWindowProblems(data: { postgres: { backupWindow: string; maintenanceWindow: string }; redis: { snapshotWindow: string; maintenanceWindow: string } }): [string[], string][] {
  const out: [string[], string][] = [];
  const pairs = [
    { engine: 'postgres', daily: 'backupWindow', dailyValue: data.postgres.backupWindow, weekly: data.postgres.maintenanceWindow },
    { engine: 'redis', daily: 'snapshotWindow', dailyValue: data.redis.snapshotWindow, weekly: data.redis.maintenanceWindow },
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

/** What an environment file holds after validation and defaults. */
export type EnvironmentConfig = z.output<typeof environmentSchema> & {
  /** Set by the loader, never in a file: the environment whose created zone must delegate this one's (./delegations.ts). */
  readonly parentZone?: ParentZone;
};
/** What an environment file may contain (defaults optional). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type NodeGroupConfig = EnvironmentConfig['compute']['nodeGroups'][number];

/** The JSON Schema that environment files reference for editor completion. */
export function environmentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
}
