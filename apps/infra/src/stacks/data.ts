import type { Construct } from 'constructs';
import { deliveryRoleArns, globalName, PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { DataLayer } from '@awp/data';
import type { Network } from '@awp/network';

/** `<env>-data`: databases, cache, buckets, keys and secrets, inside the network's isolated subnets. */
export function dataStack(scope: Construct, env: EnvironmentConfig, network: Network): { stack: PlatformStack; data: DataLayer } {
  const stack = new PlatformStack(scope, { env, layer: 'data' });
  // The data construct's props still say postgres and s3 (renamed with the data layer's own settings.ts).
  const { database: postgres, cache: redis, buckets: s3 } = env.data;
  const data = new DataLayer(stack, 'data', {
    namePrefix: env.name,
    vpcId: network.vpcId,
    isolatedSubnetIds: network.isolatedSubnetIds,
    workloadSecurityGroupId: network.workloadSecurityGroupId,
    logsKeyArn: network.logsKeyArn,
    availabilityZones: network.availabilityZones,
    siteDomain: env.domain.name,
    bucketNames: { assets: globalName(env, 'assets'), uploads: globalName(env, 'uploads'), logs: globalName(env, 'logs') },
    postgres: {
      engineVersion: postgres.engineVersion,
      instanceClass: postgres.instanceClass,
      allocatedStorageGb: postgres.allocatedStorageGb,
      maxAllocatedStorageGb: postgres.maxAllocatedStorageGb,
      multiAz: postgres.multiAz,
      readReplicas: postgres.readReplicas,
      backupRetentionDays: postgres.backupRetentionDays,
      deletionProtection: postgres.deletionProtection,
      // Final snapshots on delete in prod; dev and staging are rebuilt at will (and staging keeps deletion protection).
      skipFinalSnapshot: env.tier !== 'prod',
      performanceInsightsRetentionDays: postgres.performanceInsightsRetentionDays,
      monitoringIntervalSeconds: postgres.monitoringIntervalSeconds,
      databaseName: postgres.databaseName,
      slowQueryMs: postgres.slowQueryMs,
      backupWindow: postgres.backupWindow,
      maintenanceWindow: postgres.maintenanceWindow,
    },
    cache: {
      engine: redis.engine,
      engineVersion: redis.engineVersion,
      nodeType: redis.nodeType,
      shards: redis.shards,
      replicasPerShard: redis.replicasPerShard,
      snapshotRetentionDays: redis.snapshotRetentionDays,
      snapshotWindow: redis.snapshotWindow,
      maintenanceWindow: redis.maintenanceWindow,
      finalSnapshot: env.tier === 'prod',
    },
    s3: { noncurrentVersionExpirationDays: s3.noncurrentVersionExpirationDays, logExpirationDays: s3.logExpirationDays },
    logRetentionDays: env.data.logRetentionDays,
    kmsDeletionWindowDays: env.data.kmsDeletionWindowDays,
    keyAdministratorArns: [deliveryRoleArns(env).apply],
    serviceName: env.service.name,
  });
  return { stack, data };
}
