/**
 * Pinned versions. The environment file overrides them (compute.addons / compute.charts); these defaults match
 * libs/config's and target Kubernetes 1.33. Check what AWS offers with
 * `aws eks describe-addon-versions --kubernetes-version 1.33 --addon-name <name>`.
 */
export interface AddonVersions {
  readonly vpcCni: string;
  readonly coredns: string;
  readonly kubeProxy: string;
  readonly podIdentityAgent: string;
  readonly cloudwatchObservability: string;
}

export const DEFAULT_ADDON_VERSIONS: AddonVersions = {
  vpcCni: 'v1.20.0-eksbuild.1',
  coredns: 'v1.12.1-eksbuild.2',
  kubeProxy: 'v1.33.0-eksbuild.2',
  podIdentityAgent: 'v1.3.7-eksbuild.2',
  cloudwatchObservability: 'v4.1.0-eksbuild.1',
};

export interface ChartVersions {
  /** https://kubernetes-sigs.github.io/metrics-server/ chart `metrics-server`. */
  readonly metricsServer: string;
  /** https://kubernetes.github.io/autoscaler chart `cluster-autoscaler`. */
  readonly clusterAutoscaler: string;
  /** registry.k8s.io/autoscaling/cluster-autoscaler tag; its minor version must equal the cluster's. */
  readonly clusterAutoscalerImageTag: string;
  /** registry.k8s.io/metrics-server/metrics-server tag (the chart's appVersion, pinned here to pin its digest). */
  readonly metricsServerImageTag: string;
}

export const DEFAULT_CHART_VERSIONS: ChartVersions = {
  metricsServer: '3.13.0',
  clusterAutoscaler: '9.47.0',
  clusterAutoscalerImageTag: 'v1.33.0',
  metricsServerImageTag: 'v0.8.0',
};

export const METRICS_SERVER_REPOSITORY = 'https://kubernetes-sigs.github.io/metrics-server/';
export const CLUSTER_AUTOSCALER_REPOSITORY = 'https://kubernetes.github.io/autoscaler';

/** Service account the cluster-autoscaler chart creates in kube-system; its pod identity association names it. */
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = 'cluster-autoscaler';
/** The amazon-cloudwatch-observability add-on's agent service account (namespace amazon-cloudwatch). */
export const CLOUDWATCH_AGENT_SERVICE_ACCOUNT = 'cloudwatch-agent';
/** The namespace the amazon-cloudwatch-observability add-on installs the agent into (its pod identity association's namespace). */
export const CLOUDWATCH_AGENT_NAMESPACE = 'amazon-cloudwatch';
