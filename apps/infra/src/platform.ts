import type { Construct } from 'constructs';
import { LAYER_DEPENDENCIES, type Layer, type PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from './environment';
import { dnsStack } from './stacks/dns';
import { networkStack } from './stacks/network';
import { dataStack } from './stacks/data';
import { clusterStack } from './stacks/cluster';
import { edgeStack } from './stacks/edge';
import { identityStack } from './stacks/identity';
import { workloadsStack } from './stacks/workloads';
import { observabilityStack } from './stacks/observability';

/**
 * Builds every layer's stack for one environment. All layers are always built (cross-stack references need
 * their producers in the same app); `synth --layer` only chooses which stacks are written out.
 * Each layer's wiring lives in `src/stacks/<layer>.ts`.
 */
export function buildEnvironment(scope: Construct, env: EnvironmentConfig): Map<Layer, PlatformStack> {
  const stacks = new Map<Layer, PlatformStack>();
  const dns = dnsStack(scope, env);
  stacks.set('dns', dns.stack);
  const network = networkStack(scope, env);
  stacks.set('network', network.stack);
  const data = dataStack(scope, env, network.network);
  stacks.set('data', data.stack);
  const cluster = clusterStack(scope, env, network.network);
  stacks.set('cluster', cluster.stack);
  const edge = edgeStack(scope, env, dns.zone.ref, network.network, data.data);
  stacks.set('edge', edge.stack);
  const identity = identityStack(scope, env);
  stacks.set('identity', identity.stack);
  const workloads = workloadsStack(scope, env, { cluster: cluster.cluster, data: data.data, edge: edge.edge, network: network.network });
  stacks.set('workloads', workloads.stack);
  const observability = observabilityStack(scope, env, { network: network.network, cluster: cluster.cluster, workloads: workloads.workloads, data: data.data, edge: edge.edge });
  stacks.set('observability', observability.stack);

  // Declared dependencies (plan/apply order) follow the design's graph even where no value crosses.
  for (const [layer, stack] of stacks) {
    for (const dep of LAYER_DEPENDENCIES[layer]) {
      const upstream = stacks.get(dep);
      if (upstream) stack.addDependency(upstream);
    }
  }
  return stacks;
}
