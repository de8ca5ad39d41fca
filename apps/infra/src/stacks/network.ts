import type { Construct } from 'constructs';
import { availabilityZones, clusterName, PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { Network } from '@awp/network';

/** `<env>-network`: the VPC every other layer stands in. */
export function networkStack(scope: Construct, env: EnvironmentConfig): { stack: PlatformStack; network: Network } {
  const stack = new PlatformStack(scope, { env, layer: 'network' });
  const network = new Network(stack, 'network', {
    namePrefix: env.name,
    vpcCidr: env.network.vpcCidr,
    availabilityZones: availabilityZones(env),
    natGateways: env.network.natGateways,
    flowLogRetentionDays: env.network.flowLogRetentionDays,
    flowLogTrafficType: env.network.flowLogTrafficType,
    interfaceEndpoints: env.network.interfaceEndpoints,
    clusterName: clusterName(env),
  });
  return { stack, network };
}
