import type { Construct } from 'constructs';
import { AlarmSet, eachId, type AlarmSetProps, type MetricSpec } from './alarm-set';

export interface CacheAlarmsProps extends AlarmSetProps {
  /** Member cache cluster ids (one node each); a token list is fine (one for_each alarm per metric). */
  readonly memberClusterIds: string[];
}

/** ElastiCache, per member node: host and engine CPU, memory against maxmemory, evictions, replication lag. */
export class CacheAlarms extends AlarmSet {
  constructor(scope: Construct, id: string, props: CacheAlarmsProps) {
    super(scope, id, props);
    const t = this.thresholds;
    eachId(props.memberClusterIds, (member, key, forEach) => {
      const ec = (metricName: string, stat: string): MetricSpec => ({ namespace: 'AWS/ElastiCache', metricName, dimensions: { CacheClusterId: member }, stat });
      this.alarm({ id: `cache-${key}-cpu`, name: this.name('cache-cpu', member), description: `ElastiCache node host CPU above ${t.cpuPercent} %`, metric: ec('CPUUtilization', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing', forEach });
      this.alarm({ id: `cache-${key}-engine-cpu`, name: this.name('cache-engine-cpu', member), description: `ElastiCache engine (main thread) CPU above ${t.cpuPercent} %`, metric: ec('EngineCPUUtilization', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing', forEach });
      this.alarm({ id: `cache-${key}-memory`, name: this.name('cache-memory', member), description: `ElastiCache memory usage above ${t.memoryPercent} % of maxmemory`, metric: ec('DatabaseMemoryUsagePercentage', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.memoryPercent, treatMissingData: 'missing', forEach });
      this.alarm({ id: `cache-${key}-evictions`, name: this.name('cache-evictions', member), description: `ElastiCache evicts more than ${t.cacheEvictions} keys per period: the cache is too small`, metric: ec('Evictions', 'Sum'), comparison: 'GreaterThanThreshold', threshold: t.cacheEvictions, treatMissingData: 'notBreaching', forEach });
      // Only replicas report ReplicationLag; on primaries the metric is absent, which is not a breach.
      this.alarm({ id: `cache-${key}-lag`, name: this.name('cache-replication-lag', member), description: `ElastiCache replication lag above ${t.replicaLagSeconds} s`, metric: ec('ReplicationLag', 'Maximum'), comparison: 'GreaterThanThreshold', threshold: t.replicaLagSeconds, treatMissingData: 'notBreaching', forEach });
    });
  }
}
