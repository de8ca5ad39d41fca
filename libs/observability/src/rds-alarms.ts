import type { ITerraformIterator } from 'cdktf';
import type { Construct } from 'constructs';
import { AlarmSet, eachId, type AlarmSetProps, type MetricSpec } from './alarm-set';

export interface RdsAlarmsProps extends AlarmSetProps {
  readonly primaryInstanceId: string;
  /** Read replica identifiers (a token list is fine: one for_each alarm per metric). @default none */
  readonly replicaInstanceIds?: string[];
  /** Memory of the instance class in GiB (FreeableMemory threshold); see rdsInstanceMemoryGib(). */
  readonly instanceMemoryGib: number;
  /** Allocated storage in GB (FreeStorageSpace threshold). */
  readonly allocatedStorageGb: number;
  /** The database's max_connections (DatabaseConnections threshold); see rdsPostgresDefaultMaxConnections(). */
  readonly maxConnections: number;
}

const GIB = 1024 ** 3;

/**
 * RDS, per instance (the primary and each replica): CPU, free storage (a share of the allocation), freeable memory (a
 * share of the class memory), connections (a share of max_connections), and replica lag on replicas.
 */
export class RdsAlarms extends AlarmSet {
  constructor(scope: Construct, id: string, props: RdsAlarmsProps) {
    super(scope, id, props);
    const t = this.thresholds;
    const rds = (instance: string, metricName: string, stat: string): MetricSpec => ({ namespace: 'AWS/RDS', metricName, dimensions: { DBInstanceIdentifier: instance }, stat });
    const storageBytes = Math.round(props.allocatedStorageGb * GIB * (t.storageFreePercent / 100));
    const memoryBytes = Math.round(props.instanceMemoryGib * GIB * ((100 - t.memoryPercent) / 100));
    const connections = Math.floor(props.maxConnections * (t.connectionsPercent / 100));
    const name = (metric: string, instance: string) => this.name(metric, instance);
    const instanceAlarms = (instance: string, key: string, role: 'primary' | 'replica', forEach?: ITerraformIterator) => {
      this.alarm({ id: `rds-${key}-cpu`, name: name('rds-cpu', instance), description: `RDS ${role} CPU above ${t.cpuPercent} %`, metric: rds(instance, 'CPUUtilization', 'Average'), comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, treatMissingData: 'missing', forEach });
      this.alarm({ id: `rds-${key}-storage`, name: name('rds-free-storage', instance), description: `RDS ${role} free storage below ${t.storageFreePercent} % of ${props.allocatedStorageGb} GB`, metric: rds(instance, 'FreeStorageSpace', 'Minimum'), comparison: 'LessThanThreshold', threshold: storageBytes, treatMissingData: 'missing', forEach });
      this.alarm({ id: `rds-${key}-memory`, name: name('rds-freeable-memory', instance), description: `RDS ${role} freeable memory below ${100 - t.memoryPercent} % of ${props.instanceMemoryGib} GiB`, metric: rds(instance, 'FreeableMemory', 'Minimum'), comparison: 'LessThanThreshold', threshold: memoryBytes, treatMissingData: 'missing', forEach });
      this.alarm({ id: `rds-${key}-connections`, name: name('rds-connections', instance), description: `RDS ${role} connections above ${t.connectionsPercent} % of max_connections (${props.maxConnections})`, metric: rds(instance, 'DatabaseConnections', 'Maximum'), comparison: 'GreaterThanThreshold', threshold: connections, treatMissingData: 'missing', forEach });
      if (role === 'replica') {
        this.alarm({ id: `rds-${key}-lag`, name: name('rds-replica-lag', instance), description: `RDS replica lag above ${t.replicaLagSeconds} s: reads are stale`, metric: rds(instance, 'ReplicaLag', 'Maximum'), comparison: 'GreaterThanThreshold', threshold: t.replicaLagSeconds, treatMissingData: 'missing', forEach });
      }
    };
    instanceAlarms(props.primaryInstanceId, 'primary', 'primary');
    eachId(props.replicaInstanceIds ?? [], (replica, key, forEach) => instanceAlarms(replica, `replica-${key}`, 'replica', forEach));
  }
}
