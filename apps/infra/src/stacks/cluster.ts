import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { clusterName, deliveryRoleArns, PlatformStack, resourceName } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { Cluster } from '@awp/compute';
import type { Network } from '@awp/network';

/** `<env>-cluster`: the EKS cluster, its node groups and add-ons, pod identity roles and the ECR repository. */
export function clusterStack(scope: Construct, env: EnvironmentConfig, network: Network): { stack: PlatformStack; cluster: Cluster } {
  const stack = new PlatformStack(scope, { env, layer: 'cluster' });
  const delivery = deliveryRoleArns(env);
  // The layer's section passes through as it is; wiring inputs (names, the network's IDs, the delivery roles) sit beside it.
  const cluster = new Cluster(stack, 'cluster', {
    settings: env.compute,
    clusterName: clusterName(env),
    privateSubnetIds: network.privateSubnetIds,
    workloadSecurityGroupId: network.workloadSecurityGroupId,
    logsKeyArn: network.logsKeyArn,
    repositoryName: resourceName(env, env.service.name),
    // The apply role deploys the workloads stack (cluster-admin); compute.adminRoleArn follows it.
    adminRoleArns: [delivery.apply],
    // Both plan roles (merge queue/drift, pull requests) read the workloads stack through its RBAC (PlanReaderRbac).
    viewRoleArns: [delivery.plan, delivery.planPullRequest],
    serviceNamespace: env.service.name,
    serviceAccountName: env.service.name,
  });
  // Named outputs for the pipeline (image push target, smoke tests); other stacks use cross-stack references.
  new TerraformOutput(stack, 'cluster_name', { value: cluster.clusterName, description: 'EKS cluster name (aws eks update-kubeconfig --name …)' });
  new TerraformOutput(stack, 'ecr_repository_url', { value: cluster.ecrRepositoryUrl, description: 'Push the service image here, tagged with the commit SHA' });
  new TerraformOutput(stack, 'ecr_repository_name', { value: cluster.ecrRepositoryName });
  return { stack, cluster };
}
