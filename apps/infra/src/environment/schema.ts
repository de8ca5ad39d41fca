import { z } from 'zod';
import {
  awsAccountId,
  defaultCognitoDomainPrefix,
  cognitoDomainPrefixProblem,
  githubId,
  KNOWN_REGIONS,
  planSubnets,
  REGION_AZ_COUNT,
  TIERS,
} from '@awp/config';
import { identitySettings } from '@awp/identity';
import { computeSettings, EKS_MAX_PUBLIC_ACCESS_CIDRS, serviceSettings } from '@awp/compute';
import { dataSettings } from '@awp/data';
import { domainSettings, edgeSettings } from '@awp/edge';
import { networkSettings } from '@awp/network';
import { observabilitySettings } from '@awp/observability';
import type { ParentZone } from './delegations';

/**
 * The environment file's schema, assembled above the layers (docs/architecture.md → Settings: where a knob lives):
 * the top-level fields every stack reads (name, tier, account, region, tags, repository, delivery, state), one section
 * per layer taken from the package that owns it, and the rules that span more than one section. A layer's own defaults
 * and rules are written in its section, never here.
 */
export const environmentSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path to the JSON Schema, for editors'),
    name: z.string().regex(/^[a-z][a-z0-9-]{1,15}$/, 'expected a short lowercase name like "dev"').describe('Environment name; prefix of every stack (<name>-<layer>)'),
    tier: z.enum(TIERS).describe('Which guardrails apply: prod requires Multi-AZ, deletion protection, backups'),
    promotesFrom: z.string().optional().describe('The environment a commit must have succeeded in before it may be applied here'),
    account: z.strictObject({ id: awsAccountId }),
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
            'runs-on labels of the jobs that APPLY this environment (`platform bootstrap --describe` prints them for the workflows). ' +
              'GitHub-hosted (default ["ubuntu-24.04"]) cannot reach a private EKS endpoint; self-hosted runners in the VPC: ["self-hosted", "linux", "x64", "awp-<env>"] (libs/compute/README.md)',
          ),
        // Plan and drift jobs get runners of their own (a plan job runs pull-request code); checked with runsOn in
        // planRunnerProblems (below).
        planRunsOn: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe(
            'runs-on labels of the jobs that PLAN this environment (pull requests, merge queue, drift). Default: runsOn, allowed only for GitHub-hosted runners outside the prod tier: ' +
              'with self-hosted apply runners (whose runner group admits only deploy-env.yml on main) plan jobs, which run pull-request code, need runners of their own: ' +
              'e.g. ["self-hosted", "linux", "x64", "awp-<env>-plan"] in a runner group of its own',
          ),
      })
      .prefault({}),
    domain: domainSettings,
    network: networkSettings,
    data: dataSettings.prefault({}),
    compute: computeSettings,
    edge: edgeSettings.prefault({}),
    identity: identitySettings,
    service: serviceSettings,
    observability: observabilitySettings,
  })
  .superRefine((env, ctx) => crossLayerProblems(env).forEach(([path, message]) => ctx.addIssue({ code: 'custom', path, message })));

/** What an environment file holds after validation and defaults. */
export type EnvironmentConfig = z.output<typeof environmentSchema> & {
  /** Set by the loader, never in a file: the environment whose created zone must delegate this one's (./delegations.ts). */
  readonly parentZone?: ParentZone;
};
/** What an environment file may contain (defaults optional). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type NodeGroupConfig = EnvironmentConfig['compute']['nodeGroups'][number];

/** The JSON Schema that environment files reference for editor completion (`platform schema`). */
export function environmentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
}

type Problem = [(string | number)[], string];

/**
 * The rules that read more than one section (or a section and the top-level fields). A rule that needs only one
 * layer's fields belongs in that layer's section.
 */
export function crossLayerProblems(env: EnvironmentConfig): Problem[] {
  const out: Problem[] = [];
  const issue = (path: (string | number)[], message: string) => out.push([path, message]);

  // Region and AZ count: a region we do not know cannot be checked, so it is refused with the list.
  const azInRegion = REGION_AZ_COUNT[env.region];
  if (azInRegion === undefined) {
    issue(['region'], `expected a known AWS region (${KNOWN_REGIONS.join(', ')}), got "${env.region}"`);
  } else if (env.network.azCount > azInRegion) {
    issue(['network', 'azCount'], `expected at most ${azInRegion} (the AZs of ${env.region}), got ${env.network.azCount}`);
  }
  env.network.availabilityZones?.forEach((az, i) => {
    if (!az.startsWith(env.region)) issue(['network', 'availabilityZones', i], `expected a zone of ${env.region}, got "${az}"`);
  });
  endpointAccessProblems(env).forEach(([p, message]) => issue(p, message));
  planRunnerProblems(env).forEach(([p, message]) => issue(p, message));
  if (env.promotesFrom === env.name) issue(['promotesFrom'], 'expected another environment, not this one');
  if (env.identity.mode === 'cognito' && env.identity.domainPrefix === undefined) {
    // The default prefix carries the environment name: an environment called "aws-…" would get a prefix Cognito
    // refuses (an explicit identity.domainPrefix is checked by the identity section).
    const problem = cognitoDomainPrefixProblem(defaultCognitoDomainPrefix(env));
    if (problem) issue(['identity', 'domainPrefix'], `${problem} (the default <env>-auth-<account id>; set identity.domainPrefix)`);
  }

  // Production: highly available and protected.
  if (env.tier === 'prod') {
    const pg = env.data.database;
    if (!pg.multiAz) issue(['data', 'database', 'multiAz'], 'expected true: prod must be Multi-AZ');
    if (env.network.azCount < 2) issue(['network', 'azCount'], `expected at least 2 in prod (Multi-AZ), got ${env.network.azCount}`);
    if (env.network.natGateways !== 'perAz') issue(['network', 'natGateways'], 'expected "perAz" in prod: a single NAT gateway is a single-AZ failure');
    if (pg.readReplicas < 1) issue(['data', 'database', 'readReplicas'], `expected at least 1 read replica in prod, got ${pg.readReplicas}`);
    if (!pg.deletionProtection) issue(['data', 'database', 'deletionProtection'], 'expected true: prod databases are deletion-protected');
    if (pg.backupRetentionDays < 7) issue(['data', 'database', 'backupRetentionDays'], `expected at least 7 days in prod, got ${pg.backupRetentionDays}`);
    if (env.data.cache.snapshotRetentionDays < 1) issue(['data', 'cache', 'snapshotRetentionDays'], 'expected at least 1 in prod: the cache keeps daily snapshots');
    // Outside prod, environments rebuilt at will may skip them (their files say so); prod keeps a last copy.
    if (!pg.finalSnapshot) issue(['data', 'database', 'finalSnapshot'], 'expected true: a deleted prod database leaves a final snapshot');
    if (!env.data.cache.finalSnapshot) issue(['data', 'cache', 'finalSnapshot'], 'expected true: a deleted prod cache leaves a final snapshot');
    if (env.service.replicas.min < 2) issue(['service', 'replicas', 'min'], `expected at least 2 in prod, got ${env.service.replicas.min}`);
    if (env.identity.mode === 'cognito') {
      if (env.identity.threatProtection !== 'ENFORCED') issue(['identity', 'threatProtection'], `expected "ENFORCED" in prod (with featurePlan "PLUS"), got "${env.identity.threatProtection}"`);
      if (!env.identity.deletionProtection) issue(['identity', 'deletionProtection'], 'expected true: a deleted prod user pool takes every client id and secret with it');
    }
  }
  return out;
}

/** GitHub's standard hosted runner labels (ubuntu-24.04, windows-latest, macos-15, ubuntu-24.04-arm…): no fixed egress IPs. */
const STANDARD_GITHUB_HOSTED = /^(ubuntu|windows|macos)-(latest|\d+(\.\d+)?)(-arm|-arm64|-intel|-large|-xlarge)?$/;

/** Whether the runs-on labels select self-hosted runners (GitHub gives every self-hosted runner the `self-hosted` label). */
export function isSelfHostedRunner(runsOn: readonly string[]): boolean {
  return runsOn.includes('self-hosted');
}

/** The runs-on labels of an environment's plan and drift jobs (delivery.planRunsOn, default delivery.runsOn). */
export function planRunners(env: { delivery: { runsOn: readonly string[]; planRunsOn?: readonly string[] } }): readonly string[] {
  return env.delivery.planRunsOn ?? env.delivery.runsOn;
}

/**
 * A plan job runs pull-request code, so it must not be able to land on a runner that applies the environment; and
 * the apply runner group admits only deploy-env.yml on main (libs/compute/README.md), so a plan job sent to the
 * apply labels would queue forever. GitHub sends a job to a runner that has ALL its runs-on labels, and a runner
 * belongs to one group: when every plan label is also an apply label (identical lists, or no planRunsOn, included),
 * every apply runner can take plan jobs. Every tier with self-hosted apply runners, and the prod tier always
 * (GitHub-hosted runners are a fresh VM per job and in no runner group of ours, but prod keeps the stricter rule).
 */
export function planRunnerProblems(env: { name: string; tier: string; delivery: { runsOn: readonly string[]; planRunsOn?: readonly string[] } }): [(string | number)[], string][] {
  if (env.tier !== 'prod' && !isSelfHostedRunner(env.delivery.runsOn)) return [];
  const apply = new Set(env.delivery.runsOn);
  const plan = planRunners(env);
  if (!plan.every((l) => apply.has(l))) return [];
  return [
    [
      ['delivery', env.delivery.planRunsOn ? 'planRunsOn' : 'runsOn'],
      `a plan job runs pull-request code, so it must not run on the apply runners (a self-hosted apply runner group admits only deploy-env.yml on main): the plan labels (${JSON.stringify(plan)}) are all apply labels ` +
        `(delivery.runsOn ${JSON.stringify(env.delivery.runsOn)}), so every apply runner would take plan jobs; set delivery.planRunsOn to the labels of separate plan runners, ` +
        `e.g. ["self-hosted", "linux", "x64", "awp-${env.name}-plan"], registered in a runner group of their own`,
    ],
  ];
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
  delivery: { runsOn: readonly string[]; planRunsOn?: readonly string[] };
  compute: { endpointPublicAccessCidrs: readonly string[]; endpointPrivateAccessCidrs: readonly string[] };
}): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const { endpointPublicAccessCidrs: pub, endpointPrivateAccessCidrs: priv } = env.compute;
  // Plan and apply runners both talk to the EKS API (the workloads stack): each label set is checked.
  const runnerSets = [['runsOn', env.delivery.runsOn] as const, ...(env.delivery.planRunsOn ? [['planRunsOn', env.delivery.planRunsOn] as const] : [])];
  const selfHosted = runnerSets.some(([, labels]) => isSelfHostedRunner(labels));
  const privateHint = () => {
    const plan = planSubnets(env.network.vpcCidr, env.network.azCount);
    return typeof plan === 'string' ? '' : ` (this VPC's private subnets: ${JSON.stringify(plan.private)})`;
  };
  // The CIDRs on their own (documentation ranges, 0.0.0.0/0, private ranges on the public endpoint, the 40-CIDR limit)
  // are the compute section's rules (libs/compute/src/settings.ts); here: whether the runners can use them.
  for (const [field, runsOn] of runnerSets) {
    if (pub.length === 0 && !isSelfHostedRunner(runsOn)) {
      out.push([
        ['delivery', field],
        `GitHub-hosted runners (${JSON.stringify(runsOn)}) cannot reach a private-only EKS endpoint (compute.endpointPublicAccessCidrs is empty): ` +
          `set the labels of self-hosted runners inside the VPC, e.g. ["self-hosted", "linux", "x64", "awp-${env.name}"], or list their static egress IPs in compute.endpointPublicAccessCidrs`,
      ]);
    }
    if (pub.length > 0 && runsOn.every((l) => STANDARD_GITHUB_HOSTED.test(l))) {
      out.push([
        ['delivery', field],
        `standard GitHub-hosted runners (${JSON.stringify(runsOn)}) have no static egress IPs (they use thousands of Azure ranges, far more than the ${EKS_MAX_PUBLIC_ACCESS_CIDRS} CIDRs EKS allows), so compute.endpointPublicAccessCidrs can never admit them: ` +
          'set the label of a GitHub larger runner with static IPs, or of self-hosted runners',
      ]);
    }
  }
  if (pub.length === 0 && selfHosted && priv.length === 0) {
    out.push([['compute', 'endpointPrivateAccessCidrs'], `expected the private CIDRs of the self-hosted runners${privateHint()}: the EKS cluster security group admits nothing else on 443`]);
  }
  return out;
}
