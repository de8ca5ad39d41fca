import { TerraformOutput, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { EksProviders, ServiceWorkloads, type Cluster } from '@awp/compute';

/** What the workloads stack reads from the data layer (the DataLayer construct's public outputs). */
export interface WorkloadsDataInputs {
  readonly postgres: { readonly endpoint: string; readonly port: number; readonly readerEndpoint: string; readonly databaseName: string; readonly masterSecretArn: string; readonly appUser: string };
  readonly redis: { readonly configurationEndpoint: string; readonly port: number; readonly authSecretArn: string };
  readonly buckets: { readonly uploads: { readonly name: string; readonly arn: string } };
  readonly serviceAccessPolicyArn: string;
  readonly migrationAccessPolicyArn: string;
}

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

/** What the workloads stack reads from the identity layer: the token issuer's contract (the Identity construct). */
export interface WorkloadsIdentityInputs {
  readonly issuer: string;
  readonly audience: string;
  readonly audienceClaim: string;
  readonly writeScope: string;
}

/**
 * `<env>-workloads`: what runs inside the cluster. Its kubernetes and helm providers are configured from the
 * cluster stack's outputs (remote state) and authenticate with `aws eks get-token` at run time. The image tag is
 * the Terraform variable `image_tag`, passed at deploy time (`-var image_tag=<commit sha>`).
 */
export function workloadsStack(
  scope: Construct,
  env: EnvironmentConfig,
  upstream: { cluster: Cluster; data: WorkloadsDataInputs; edge: WorkloadsEdgeInputs; identity: WorkloadsIdentityInputs; network: WorkloadsNetworkInputs },
): { stack: PlatformStack; workloads: ServiceWorkloads; imageTag: TerraformVariable } {
  const stack = new PlatformStack(scope, { env, layer: 'workloads' });
  const { cluster, data, edge, identity, network } = upstream;
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
  const { service, compute } = env;
  // The api answers image URLs as `${CDN_BASE_URL}/${key}` with keys at the bucket's top level (products/<id>/…);
  // the edge serves the uploads bucket under a path prefix it strips, so CDN_BASE_URL must carry that prefix.
  if (!edge.uploadsBaseUrl) throw new Error(`workloads stack ${env.name}: the edge layer serves no uploads bucket, so the service has no CDN_BASE_URL for images`);
  const workloads = new ServiceWorkloads(stack, 'workloads', {
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
      host: data.postgres.endpoint,
      port: data.postgres.port,
      name: data.postgres.databaseName,
      readHost: data.postgres.readerEndpoint,
      user: data.postgres.appUser,
    },
    migration: {
      roleName: cluster.migrationRoleName,
      serviceAccountName: cluster.migrationServiceAccountName,
      masterSecretArn: data.postgres.masterSecretArn,
      accessPolicyArns: [data.migrationAccessPolicyArn],
    },
    redis: { host: data.redis.configurationEndpoint, port: data.redis.port, authSecretArn: data.redis.authSecretArn },
    uploadsBucketName: data.buckets.uploads.name,
    // The token issuer (issue 16): cross-stack references to the identity stack, or an external issuer's literals.
    auth: { issuer: identity.issuer, audience: identity.audience, audienceClaim: identity.audienceClaim, writeScope: identity.writeScope },
    // The data layer's policy is the one place that knows what the service may do with its stores.
    accessPolicyArns: [data.serviceAccessPolicyArn],
    name: service.name,
    port: service.port,
    nodePort: service.nodePort,
    replicas: service.replicas,
    hpa: service.hpa,
    resources: service.resources,
    drainSeconds: service.drainSeconds,
    logLevel: service.logLevel,
    migrationTimeoutSeconds: service.migrationTimeoutSeconds,
    charts: compute.charts,
    // Explicit digests from the file, else the verified ones for the tags (environment validation checked both).
    imageDigests: { clusterAutoscaler: compute.charts.clusterAutoscalerImageDigest, metricsServer: compute.charts.metricsServerImageDigest },
    // One metrics-server is enough where the HPA floor is a single pod.
    metricsServerReplicas: env.tier === 'dev' ? 1 : 2,
  });
  // Named outputs for the smoke test after a deploy (kubectl rollout status, logs of the migration Job).
  new TerraformOutput(stack, 'namespace', { value: workloads.namespace });
  new TerraformOutput(stack, 'deployment_name', { value: workloads.deploymentName });
  new TerraformOutput(stack, 'migration_job_name', { value: workloads.migrationJobName });
  new TerraformOutput(stack, 'image', { value: workloads.image, description: 'The image the pods run (repository@digest)' });
  return { stack, workloads, imageTag };
}
