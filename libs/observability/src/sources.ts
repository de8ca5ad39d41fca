/** From the network layer. */
export interface NetworkSource {
  /** CMK for CloudWatch Logs in the region: the service log group is encrypted with it. */
  readonly logsKeyArn: string;
}

/** From the cluster layer. */
export interface ClusterSource {
  readonly clusterName: string;
  /**
   * The most worker nodes the cluster may run: the sum of its node groups' `maxSize` (`Cluster.maxNodeCount`).
   * The at-max alarm compares Container Insights' `cluster_node_count` with it.
   */
  readonly maxNodeCount: number;
}

/** From the workloads layer (and the environment's HPA bounds). */
export interface WorkloadsSource {
  readonly namespace: string;
  readonly deploymentName: string;
  /** The Kubernetes Service in front of the pods (Container Insights' `Service` dimension). */
  readonly serviceName: string;
  /** The HPA's maxReplicas. */
  readonly maxReplicas: number;
}

/** The data layer's PostgreSQL database (RDS). */
export interface DatabaseSource {
  readonly primaryInstanceId: string;
  /** Read replica identifiers (a token list is fine). @default none */
  readonly replicaInstanceIds?: string[];
  /** Memory of the instance class in GiB (FreeableMemory threshold); see rdsInstanceMemoryGib(). */
  readonly instanceMemoryGib: number;
  /** Allocated storage in GB (FreeStorageSpace threshold). */
  readonly allocatedStorageGb: number;
  /** The database's max_connections (DatabaseConnections threshold): rdsPostgresDefaultMaxConnections(); `Observability` takes settings.databaseMaxConnections over it when set. */
  readonly maxConnections: number;
}

/** The data layer's cache (ElastiCache, Valkey or Redis OSS). */
export interface CacheSource {
  readonly replicationGroupId: string;
  /** Member cache cluster ids (one node each); a token list is fine. */
  readonly memberClusterIds: string[];
}

/** From the data layer. */
export interface DataSource {
  /** @default no RDS alarms or DB widgets */
  readonly database?: DatabaseSource;
  /** @default no ElastiCache alarms or cache widgets */
  readonly cache?: CacheSource;
}

/** From the edge layer. */
export interface EdgeSource {
  /** `app/<name>/<id>`: the ALB's CloudWatch dimension. */
  readonly albArnSuffix: string;
  /** `targetgroup/<name>/<id>`: the service's target group. */
  readonly targetGroupArnSuffix: string;
  /** The CloudFront distribution; its metrics live in us-east-1 (needs `usEast1Provider`). @default no CloudFront alarm */
  readonly distributionId?: string;
  /** The WAF web ACL's name. @default no WAF alarm */
  readonly webAclName?: string;
  /** CLOUDFRONT web ACLs report in us-east-1 without a Region dimension. @default 'CLOUDFRONT' */
  readonly webAclScope?: 'CLOUDFRONT' | 'REGIONAL';
}
