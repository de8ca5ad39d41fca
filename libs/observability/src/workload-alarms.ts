import type { Construct } from 'constructs';
import { AlarmSet, type AlarmSetProps, type MetricSpec } from './alarm-set';

export interface WorkloadAlarmsProps extends AlarmSetProps {
  /** The EKS cluster (Container Insights' `ClusterName` dimension). */
  readonly clusterName: string;
  readonly namespace: string;
  /** The Deployment: Container Insights' `PodName` dimension carries the workload's name. */
  readonly deploymentName: string;
  /** The Kubernetes Service in front of the pods (Container Insights' `Service` dimension). */
  readonly serviceName: string;
  /** The HPA's maxReplicas. */
  readonly maxReplicas: number;
}

/** The service's pods (Container Insights): CPU and memory against their limits, and the HPA at its maximum. */
export class WorkloadAlarms extends AlarmSet {
  constructor(scope: Construct, id: string, props: WorkloadAlarmsProps) {
    super(scope, id, props);
    const t = this.thresholds;
    const pod = (metricName: string): MetricSpec => ({ namespace: 'ContainerInsights', metricName, dimensions: { ClusterName: props.clusterName, Namespace: props.namespace, PodName: props.deploymentName }, stat: 'Average' });
    this.alarm({ id: 'pod-cpu', name: this.name('pod-cpu-over-limit'), description: `Service pods use more than ${t.cpuPercent} % of their CPU limit`, metric: pod('pod_cpu_utilization_over_pod_limit'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing' });
    this.alarm({ id: 'pod-memory', name: this.name('pod-memory-over-limit'), description: `Service pods use more than ${t.memoryPercent} % of their memory limit (OOM kill ahead)`, metric: pod('pod_memory_utilization_over_pod_limit'), comparison: 'GreaterThanThreshold', threshold: t.memoryPercent, treatMissingData: 'missing' });
    // Container Insights has no HPA metric: the running pods behind the Service reaching maxReplicas is the same signal.
    this.alarm({
      id: 'hpa-at-max',
      name: this.name('hpa-at-max'),
      description: `The service has run at the HPA maximum (${props.maxReplicas} pods) for ${t.hpaAtMaxMinutes} min: raise service.replicas.max or the node groups`,
      metric: { namespace: 'ContainerInsights', metricName: 'service_number_of_running_pods', dimensions: { ClusterName: props.clusterName, Namespace: props.namespace, Service: props.serviceName }, stat: 'Minimum' },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: props.maxReplicas,
      evaluationPeriods: (t.hpaAtMaxMinutes * 60) / t.periodSeconds,
      treatMissingData: 'notBreaching',
    });
  }
}
