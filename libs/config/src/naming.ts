// No runtime imports: @awp/delivery (and the action bundles) load this file alone through `@awp/config/naming`.
import type { PlatformEnvironment } from './environment';

/** The platform's layers, in the order they are built (a topological order of LAYER_DEPENDENCIES); dns is applied first. */
export const LAYERS = ['dns', 'network', 'data', 'cluster', 'edge', 'identity', 'workloads', 'observability'] as const;
export type Layer = (typeof LAYERS)[number];

/**
 * The stack graph of docs/architecture.md: dns → edge; network → data, cluster, edge; cluster → workloads; data, edge,
 * identity → workloads; network, data, cluster, edge, workloads → observability. The edge layer also reads the data layer's buckets (assets origin,
 * logs) and the dns layer's zone: a created zone is delegated by hand between the two applies (libs/edge README → First
 * deploy). The workloads read the identity layer's issuer.
 */
export const LAYER_DEPENDENCIES: Readonly<Record<Layer, readonly Layer[]>> = {
  dns: [],
  network: [],
  data: ['network'],
  cluster: ['network'],
  edge: ['dns', 'network', 'data'],
  // The token issuer stands alone: no network, no data (see libs/identity's README for why it is its own layer).
  identity: [],
  workloads: ['network', 'cluster', 'data', 'edge', 'identity'],
  observability: ['network', 'data', 'cluster', 'edge', 'workloads'],
};

/**
 * The dependencies a downstream layer reads MORE than the upstream's outputs through, at plan time: a pull-request
 * plan of the downstream waits for ANY change of such an upstream, not only for a changed output
 * (.github/scripts/plan-stacks.sh; @awp/delivery puts them in each matrix entry's `waitOnAnyChange`).
 * - workloads → cluster: its kubernetes and helm providers reach the cluster through the EKS access entries the
 *   cluster stack manages (a new plan role's entry is no output; planned before it exists, the refresh is refused);
 * - workloads → identity: it looks the Cognito pool and app clients up by name (libs/identity lookupIssuer).
 */
export const READS_BEYOND_OUTPUTS: Readonly<Partial<Record<Layer, readonly Layer[]>>> = {
  workloads: ['cluster', 'identity'],
};

/**
 * The Nx project (libs/<project>) that builds each layer: a change to that project re-plans the layer's stacks in
 * every environment (@awp/delivery's affected stacks). libs/edge builds both SiteZone (dns) and Edge; libs/compute
 * both the cluster and the workloads.
 */
export const LAYER_PROJECTS: Readonly<Record<Layer, string>> = {
  dns: 'edge',
  network: 'network',
  data: 'data',
  cluster: 'compute',
  edge: 'edge',
  identity: 'identity',
  workloads: 'compute',
  observability: 'observability',
};

/** `<env>-<layer>`: the stack name, the state key and the prefix of the layer's resource names. */
export function stackName(env: Pick<PlatformEnvironment, 'name'>, layer: string): string {
  return `${env.name}-${layer}`;
}

/**
 * A resource name unique per environment: `<env>-<parts…>`, lowercased, with characters AWS names commonly
 * refuse replaced by '-', cut to `maxLength` (default 63, the tightest common limit: S3, RDS, ElastiCache ids).
 */
export function resourceName(env: Pick<PlatformEnvironment, 'name'>, ...parts: string[]): string {
  const raw = [env.name, ...parts].join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-');
  return raw.slice(0, 63).replace(/-$/, '');
}

/** Globally unique names (S3 buckets): the account id makes them unique without random suffixes. */
export function globalName(env: Pick<PlatformEnvironment, 'name' | 'account'>, ...parts: string[]): string {
  return resourceName(env, ...parts, env.account.id);
}

/** Default tags every resource carries (the guardrails check for them). */
export function defaultTags(env: PlatformEnvironment, layer: string): Record<string, string> {
  return {
    Environment: env.name,
    Layer: layer,
    Owner: env.owner,
    CostCenter: env.costCenter,
    Repository: env.repository,
    ManagedBy: 'cdktf',
  };
}

export const REQUIRED_TAGS = ['Environment', 'Layer', 'Owner', 'CostCenter', 'Repository', 'ManagedBy'] as const;

/** The delivery roles: `plan` (merge queue, default branch, drift), `planPullRequest` (pull requests only), `apply`. */
export interface DeliveryRoles {
  readonly plan: string;
  /**
   * Pull-request plans: the plan role's reads minus what returns a secret (a pull request's code runs with it), so
   * it is a role of its own, trusted by the `pull_request` subject only (apps/infra/src/bootstrap/stack.ts).
   */
  readonly planPullRequest: string;
  readonly apply: string;
}

/** IAM role names created by the bootstrap stack for the delivery pipeline. */
export function deliveryRoleNames(env: PlatformEnvironment): DeliveryRoles {
  const repo = env.repository.split('/')[1].toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  const plan = env.delivery.planRoleName ?? `${repo}-${env.name}-plan`;
  return { plan, planPullRequest: `${plan}-pr`, apply: env.delivery.applyRoleName ?? `${repo}-${env.name}-apply` };
}

/**
 * IAM path of the delivery roles and of the policies that bound them (created by the bootstrap stack). The apply
 * role may only change roles and policies under the platform path (below), so this path is out of its reach.
 */
export const DELIVERY_IAM_PATH = '/delivery/';

/** An IAM role ARN; `path` is the role's IAM path ('/' or '/a/b/'). */
export function roleArn(env: PlatformEnvironment, roleName: string, path = '/'): string {
  return `arn:aws:iam::${env.account.id}:role${path}${roleName}`;
}

/** ARNs of the delivery roles (they live under DELIVERY_IAM_PATH). */
export function deliveryRoleArns(env: PlatformEnvironment): DeliveryRoles {
  const names = deliveryRoleNames(env);
  return { plan: roleArn(env, names.plan, DELIVERY_IAM_PATH), planPullRequest: roleArn(env, names.planPullRequest, DELIVERY_IAM_PATH), apply: roleArn(env, names.apply, DELIVERY_IAM_PATH) };
}

/**
 * Where the platform's own IAM roles and policies live, and the permissions boundary every role the platform creates
 * must carry. The apply role's boundary (bootstrap stack) only lets it create or change roles and policies under
 * `path`, and only roles that carry `permissionsBoundary`; PlatformStack applies both to every role and policy.
 */
export function platformIam(env: PlatformEnvironment): { path: string; permissionsBoundary: string; boundaryName: string } {
  const boundaryName = `${env.name}-workload-boundary`;
  return { path: `/platform/${env.name}/`, permissionsBoundary: `arn:aws:iam::${env.account.id}:policy${DELIVERY_IAM_PATH}${boundaryName}`, boundaryName };
}

/**
 * The Cognito domain prefix (`<prefix>.auth.<region>.amazoncognito.com` serves the token endpoint): the explicit
 * `identity.domainPrefix`, or `<env>-auth-<account id>` (prefixes are unique per region across every AWS account).
 */
export function cognitoDomainPrefix(env: Pick<PlatformEnvironment, 'name' | 'account'> & { readonly identity: { readonly mode: string; readonly domainPrefix?: string } }): string {
  return (env.identity.mode === 'cognito' ? env.identity.domainPrefix : undefined) ?? defaultCognitoDomainPrefix(env);
}

/** The platform's Cognito domain prefix when `identity.domainPrefix` is unset: `<env>-auth-<account id>` (the identity stack's `defaultDomainPrefix`). */
export function defaultCognitoDomainPrefix(env: Pick<PlatformEnvironment, 'name' | 'account'>): string {
  return globalName(env, 'auth');
}

/** The EKS cluster name; the network layer tags subnets with it for load balancer discovery. */
export function clusterName(env: Pick<PlatformEnvironment, 'name'>): string {
  return resourceName(env, 'eks');
}

/** AZ names: `explicit`, or `<region>a`, `b`, `c`… up to `azCount`. */
export function zoneNames(region: string, azCount: number, explicit?: readonly string[]): string[] {
  return explicit ? [...explicit] : [...'abcdef'].slice(0, azCount).map((l) => `${region}${l}`);
}
