import type { Construct } from 'constructs';
import { ConfigError, PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { Observability, rdsInstanceMemoryGib, rdsPostgresDefaultMaxConnections } from '@awp/observability';

/**
 * What the observability stack reads from the other layers: their constructs' public outputs, passed as they
 * are (cdktf turns them into remote-state references). Structural types, so any construct with these fields fits.
 */
export interface ObservabilityUpstream {
  readonly network: { readonly logsKeyArn: string };
  readonly cluster: { readonly clusterName: string; readonly maxNodeCount: number; readonly applicationLogGroupName: string };
  readonly workloads: { readonly namespace: string; readonly deploymentName: string; readonly serviceName: string };
  readonly data: {
    readonly database: { readonly primaryInstanceId: string; readonly replicaInstanceIds: string[] };
    readonly cache: { readonly replicationGroupId: string; readonly memberClusterIds: string[] };
  };
  readonly edge: { readonly albArnSuffix: string; readonly targetGroupArnSuffix: string; readonly distributionId: string; readonly webAclName: string };
}

/** `<env>-observability`: alarm topics, alarms on every layer, the SLO, the dashboard and the service's error-log metric. */
export function observabilityStack(scope: Construct, env: EnvironmentConfig, upstream: ObservabilityUpstream): { stack: PlatformStack; observability: Observability } {
  const stack = new PlatformStack(scope, { env, layer: 'observability' });
  const { data, service } = env;
  const file = `environments/${env.name}.json`;
  // The database's memory and max_connections follow the data layer's instance class (another layer's setting).
  const memoryGib = rdsInstanceMemoryGib(data.database.instanceClass);
  const maxConnections = rdsPostgresDefaultMaxConnections(data.database.instanceClass);
  if (memoryGib === undefined || maxConnections === undefined) {
    throw new ConfigError([{ file, path: 'data.database.instanceClass', message: `the observability layer cannot derive the memory of "${data.database.instanceClass}" (known: db.{t,m,r,x,c}<gen>.<size>); use such a class or extend libs/observability instance-specs` }]);
  }
  const { cluster, workloads, edge } = upstream;
  // The layer's section passes through as it is; wiring inputs (names, other layers' outputs) sit beside it.
  const observability = new Observability(stack, 'observability', {
    settings: env.observability,
    namePrefix: env.name,
    network: { logsKeyArn: upstream.network.logsKeyArn },
    // maxNodeCount is the sum of compute.nodeGroups[].maxSize (a number known at synth): the nodes-at-max threshold.
    cluster: { clusterName: cluster.clusterName, maxNodeCount: cluster.maxNodeCount },
    workloads: { namespace: workloads.namespace, deploymentName: workloads.deploymentName, serviceName: workloads.serviceName, maxReplicas: service.replicas.max },
    data: {
      database: {
        primaryInstanceId: upstream.data.database.primaryInstanceId,
        replicaInstanceIds: upstream.data.database.replicaInstanceIds,
        instanceMemoryGib: memoryGib,
        allocatedStorageGb: data.database.allocatedStorageGb,
        maxConnections,
      },
      cache: { replicationGroupId: upstream.data.cache.replicationGroupId, memberClusterIds: upstream.data.cache.memberClusterIds },
    },
    edge: { albArnSuffix: edge.albArnSuffix, targetGroupArnSuffix: edge.targetGroupArnSuffix, distributionId: edge.distributionId, webAclName: edge.webAclName, webAclScope: 'CLOUDFRONT' },
    usEast1Provider: stack.awsUsEast1,
    // The cluster stack creates /aws/containerinsights/<cluster>/application (encrypted, with retention) before
    // the CloudWatch add-on can auto-create it; here only the metric filter is added to it, by reference.
    serviceLogs: { create: false, logGroupName: cluster.applicationLogGroupName },
  });
  return { stack, observability };
}
