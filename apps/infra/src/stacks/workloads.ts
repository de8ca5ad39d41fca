import { TerraformOutput, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { PlatformStack, resourceName } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { lookupIssuer } from '@awp/identity';
import { EksProviders, ServiceWorkloads, type Cluster } from '@awp/compute';
import type { DataLayer, Grantee } from '@awp/data';

/** What the workloads stack reads from the data layer: its parts' outputs and their grant helpers. */
export type WorkloadsDataInputs = Pick<DataLayer, 'database' | 'cache' | 'cacheAuthSecret' | 'buckets' | 'iamDatabaseUser'>;

/** What the workloads stack reads from the network layer (subnet ranges for the NetworkPolicies, known at synth). */
export interface WorkloadsNetworkInputs {
  readonly privateSubnetCidrs: readonly string[];
  readonly isolatedSubnetCidrs: readonly string[];
}

/** What the workloads stack reads from the edge layer (the Edge construct's public outputs). */
export interface WorkloadsEdgeInputs {
  readonly targetGroupArn: string;
  /** Base of uploaded images' URLs (`https://<domain>/uploads`); undefined when the edge serves no uploads. */
  readonly uploadsBaseUrl?: string;
}


/**
 * `<env>-workloads`: what runs inside the cluster. Its kubernetes and helm providers are configured from the
 * cluster stack's outputs (remote state) and authenticate with `aws eks get-token` at run time. The image tag is
 * the Terraform variable `image_tag`, passed at deploy time (`-var image_tag=<commit sha>`).
 */
export function workloadsStack(
  scope: Construct,
  env: EnvironmentConfig,
  upstream: { cluster: Cluster; data: WorkloadsDataInputs; edge: WorkloadsEdgeInputs; network: WorkloadsNetworkInputs },
): { stack: PlatformStack; workloads: ServiceWorkloads; imageTag: TerraformVariable } {
  const stack = new PlatformStack(scope, { env, layer: 'workloads' });
  const { cluster, data, edge, network } = upstream;
  // The token issuer by metadata lookups, NOT the identity stack's remote state: that state holds the app clients'
  // secrets, which the pull-request plan role may not read (apps/infra/src/bootstrap/plan-reads.ts). The stack
  // still depends on identity (LAYER_DEPENDENCIES): the pool exists before this plan looks it up.
  const identity = lookupIssuer(stack, 'identity', { settings: env.identity, namePrefix: env.name, region: env.region });
  new EksProviders(stack, 'eks', {
    clusterName: cluster.clusterName,
    clusterEndpoint: cluster.clusterEndpoint,
    clusterCertificateAuthority: cluster.clusterCertificateAuthority,
    region: env.region,
  });
  const imageTag = new TerraformVariable(stack, 'image_tag', {
    type: 'string',
    nullable: false,
    description: 'Tag of the service image in ECR (the commit SHA); ECR tags are immutable.',
    validation: [{ condition: '${can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", var.image_tag))}', errorMessage: 'image_tag must be a Docker image tag (letters, digits, _ . -; at most 128 characters).' }],
  });
  // The api answers image URLs as `${CDN_BASE_URL}/${key}` with keys at the bucket's top level (products/<id>/…);
  // the edge serves the uploads bucket under a path prefix it strips, so CDN_BASE_URL must carry that prefix.
  if (!edge.uploadsBaseUrl) throw new Error(`workloads stack ${env.name}: the edge layer serves no uploads bucket, so the service has no CDN_BASE_URL for images`);
  // What each role may do, granted by the parts that own the resources (written here: the cluster stack makes the
  // roles, the data stack the resources, and neither depends on the other). The service connects to the database as
  // its IAM user and to the cache, reads the cache settings and the uploads; only the migration Job reads the master secret.
  const serviceRole: Grantee = { scope: stack, id: 'service-grant', roleName: cluster.serviceRoleName };
  const migrationRole: Grantee = { scope: stack, id: 'migration-grant', roleName: cluster.migrationRoleName };
  const serviceGrants = [
    data.database.grantConnect(serviceRole, data.iamDatabaseUser),
    data.cache.grantConnect(serviceRole),
    data.cacheAuthSecret.grantRead(serviceRole),
    data.buckets.uploads.grantReadWrite(serviceRole),
  ];
  const migrationGrants = [data.database.masterSecret.grantRead(migrationRole)];
  const workloads = new ServiceWorkloads(stack, 'workloads', {
    // The service section passes through as it is; the charts are the cluster's (checked there against its version).
    settings: env.service,
    instance: resourceName(env, env.service.name),
    charts: cluster.settings.charts,
    clusterName: cluster.clusterName,
    ecrRepositoryUrl: cluster.ecrRepositoryUrl,
    ecrRepositoryName: cluster.ecrRepositoryName,
    imageTag: imageTag.stringValue,
    serviceRoleName: cluster.serviceRoleName,
    namespace: cluster.serviceNamespace,
    serviceAccountName: cluster.serviceAccountName,
    nodeGroupAsgNames: cluster.nodeGroupAsgNames,
    targetGroupArn: edge.targetGroupArn,
    cdnBaseUrl: edge.uploadsBaseUrl,
    network: { privateSubnetCidrs: network.privateSubnetCidrs, isolatedSubnetCidrs: network.isolatedSubnetCidrs },
    // The service connects as its own IAM-authenticated user; only the migration Job reads the master secret.
    database: {
      host: data.database.endpoint,
      port: data.database.port,
      name: data.database.databaseName,
      readHost: data.database.readerEndpoint,
      user: data.iamDatabaseUser,
    },
    migration: {
      roleName: cluster.migrationRoleName,
      serviceAccountName: cluster.migrationServiceAccountName,
      masterSecretArn: data.database.masterSecret.arn,
      grants: migrationGrants,
    },
    cache: { host: data.cache.configurationEndpoint, port: data.cache.port, authSecretArn: data.cacheAuthSecret.arn },
    uploadsBucketName: data.buckets.uploads.name,
    // The token issuer (issue 16): looked up by metadata (above), or an external issuer's literals.
    auth: { issuer: identity.issuer, audience: identity.audience, audienceClaim: identity.audienceClaim, writeScope: identity.writeScope },
    grants: serviceGrants,
  });
  // Named outputs for the smoke test after a deploy (kubectl rollout status, logs of the migration Job).
  new TerraformOutput(stack, 'namespace', { value: workloads.namespace });
  new TerraformOutput(stack, 'deployment_name', { value: workloads.deploymentName });
  new TerraformOutput(stack, 'migration_job_name', { value: workloads.migrationJobName });
  new TerraformOutput(stack, 'image', { value: workloads.image, description: 'The image the pods run (repository@digest)' });
  return { stack, workloads, imageTag };
}
