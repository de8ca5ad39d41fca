import type { Construct } from 'constructs';
import { AlarmSet, type AlarmSetProps, type MetricSpec } from './alarm-set';

export interface ClusterAlarmsProps extends AlarmSetProps {
  /** The EKS cluster (Container Insights' `ClusterName` dimension). */
  readonly clusterName: string;
  /**
   * The most worker nodes the cluster may run: the sum of its node groups' `maxSize` (`Cluster.maxNodeCount`).
   * The at-max alarm compares Container Insights' `cluster_node_count` with it. A positive integer.
   */
  readonly maxNodeCount: number;
}

/**
 * The cluster's nodes (Container Insights): node CPU and memory above `cpuPercent`/`memoryPercent`, and node capacity —
 * the cluster at its node groups' maximum size for `nodeGroupAtMaxMinutes`.
 */
export class ClusterAlarms extends AlarmSet {
  constructor(scope: Construct, id: string, props: ClusterAlarmsProps) {
    super(scope, id, props);
    const t = this.thresholds;
    const ci = (metricName: string, stat = 'Average'): MetricSpec => ({ namespace: 'ContainerInsights', metricName, dimensions: { ClusterName: props.clusterName }, stat });
    this.alarm({ id: 'node-cpu', name: this.name('eks-node-cpu'), description: `Average node CPU of cluster above ${t.cpuPercent} % (Container Insights node_cpu_utilization)`, metric: ci('node_cpu_utilization'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing' });
    this.alarm({ id: 'node-memory', name: this.name('eks-node-memory'), description: `Average node memory of cluster above ${t.memoryPercent} % (Container Insights node_memory_utilization)`, metric: ci('node_memory_utilization'), comparison: 'GreaterThanThreshold', threshold: t.memoryPercent, treatMissingData: 'missing' });
    // EKS managed node groups publish no AWS/AutoScaling group metrics (collection is off on the EKS-owned ASGs)
    // and Container Insights has no node-group dimension: the cluster's node count against the sum of the groups'
    // maxSize is the signal that exists. Minimum per period: every sample of the window was at the maximum.
    if (!Number.isInteger(props.maxNodeCount) || props.maxNodeCount < 1) {
      throw new Error(`ClusterAlarms ${this.node.path}: maxNodeCount must be a positive integer (the sum of the node groups' maxSize), got ${String(props.maxNodeCount)}`);
    }
    this.alarm({
      id: 'nodes-at-max',
      name: this.name('eks-nodes-at-max'),
      description: `The cluster has run at its node groups' maximum size (${props.maxNodeCount} nodes) for ${t.nodeGroupAtMaxMinutes} min: the autoscaler cannot add nodes; raise compute.nodeGroups[].maxSize (Container Insights cluster_node_count)`,
      metric: ci('cluster_node_count', 'Minimum'),
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: props.maxNodeCount,
      evaluationPeriods: (t.nodeGroupAtMaxMinutes * 60) / t.periodSeconds,
      treatMissingData: 'notBreaching',
    });
  }
}
