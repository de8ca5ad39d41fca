import type { Construct } from 'constructs';
import { deliveryRoleArns, globalName, PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { DataLayer } from '@awp/data';
import type { Network } from '@awp/network';

/** `<env>-data`: databases, cache, buckets, keys and secrets, inside the network's isolated subnets. */
export function dataStack(scope: Construct, env: EnvironmentConfig, network: Network): { stack: PlatformStack; data: DataLayer } {
  const stack = new PlatformStack(scope, { env, layer: 'data' });
  // The layer's section passes through as it is; wiring inputs (names, the network's IDs) sit beside it.
  const data = new DataLayer(stack, 'data', {
    settings: env.data,
    namePrefix: env.name,
    vpcId: network.vpcId,
    isolatedSubnetIds: network.isolatedSubnetIds,
    workloadSecurityGroupId: network.workloadSecurityGroupId,
    logsKeyArn: network.logsKeyArn,
    availabilityZones: network.availabilityZones,
    siteDomain: env.domain.name,
    bucketNames: { assets: globalName(env, 'assets'), uploads: globalName(env, 'uploads'), logs: globalName(env, 'logs') },
    keyAdministratorArns: [deliveryRoleArns(env).apply],
    serviceName: env.service.name,
  });
  return { stack, data };
}
