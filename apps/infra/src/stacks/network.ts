import type { Construct } from 'constructs';
import { clusterName, PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { Network } from '@awp/network';

/** `<env>-network`: the VPC every other layer stands in. */
export function networkStack(scope: Construct, env: EnvironmentConfig): { stack: PlatformStack; network: Network } {
  const stack = new PlatformStack(scope, { env, layer: 'network' });
  // The layer's section passes through as it is; wiring inputs (names, the region) sit beside it.
  const network = new Network(stack, 'network', { settings: env.network, namePrefix: env.name, region: env.region, clusterName: clusterName(env) });
  return { stack, network };
}
