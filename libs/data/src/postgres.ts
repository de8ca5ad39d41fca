import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { parseSettings } from '@awp/config';
import { clientOnlySecurityGroup } from './client-security-group';
import { grantStatements, SecretRef, type Grantee } from './grants';
import type { AwsScope } from './keys';
import { databaseSettings, type DatabaseSettings, type ResolvedDatabaseSettings } from './settings';

export interface PostgresProps {
  /** The database's settings (`databaseSettings`, libs/data/src/settings.ts): documented there, with their defaults. */
  readonly settings: DatabaseSettings;
  readonly namePrefix: string;
  readonly scope: AwsScope;
  readonly vpcId: string;
  /** Isolated subnets (no route to the internet). */
  readonly subnetIds: string[];
  /** The only security group admitted on 5432 (the workloads'). */
  readonly clientSecurityGroupId: string;
  /** CMK for storage and Performance Insights. */
  readonly dataKeyArn: string;
  /** CMK for the RDS-managed master secret. */
  readonly secretsKeyArn: string;
  /** CMK for the exported logs' log groups. */
  readonly logsKeyArn: string;
  /** Retention of the exported logs' log groups (the data section's `logRetentionDays`). */
  readonly logRetentionDays: number;
  /**
   * Zones of the isolated subnets, in order. Replica i is placed in zone (i + 1) mod n, so replicas never share a
   * zone with each other while there are zones left; a single-AZ primary is placed in zone 0 (a Multi-AZ
   * primary cannot be pinned, RDS chooses).
   * @default RDS chooses every zone
   */
  readonly availabilityZones?: string[];
}

const PORT = 5432;

/**
 * RDS PostgreSQL: a primary in the isolated subnets and `readReplicas` read replicas, all encrypted with the data
 * key, TLS-only, with Performance Insights, enhanced monitoring, IAM authentication and log exports to
 * pre-created, encrypted log groups with retention (RDS would otherwise create them unencrypted, kept forever).
 */
export class Postgres extends Construct {
  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedDatabaseSettings;
  readonly primary: DbInstance;
  readonly replicas: DbInstance[];
  readonly securityGroup: SecurityGroup;
  readonly parameterGroup: DbParameterGroup;
  readonly endpoint: string;
  readonly port: number = PORT;
  readonly readerEndpoints: string[];
  readonly readerEndpoint: string;
  readonly databaseName: string;
  /** RDS-managed secret `{username, password}`, rotated by RDS; only the migration Job should read it (`masterSecret.grantRead`). */
  readonly masterSecret: SecretRef;
  readonly securityGroupId: string;
  readonly primaryInstanceId: string;
  readonly replicaInstanceIds: string[];
  /** `dbi-resource-id`s (primary first): the `rds-db:connect` resource of IAM database authentication. */
  readonly resourceIds: string[];
  private readonly scope: AwsScope;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const s = (this.settings = parseSettings(databaseSettings, props.settings, `Postgres ${this.node.path}`));
    this.scope = props.scope;
    const prefix = props.namePrefix;
    const identifier = `${prefix}-postgres`;
    const engineVersion = s.engineVersion;
    const major = engineVersion.split('.')[0];
    const instanceClass = s.instanceClass;
    const monitoringInterval = s.monitoringIntervalSeconds;
    const retentionInDays = props.logRetentionDays;
    const deletionProtection = s.deletionProtection;
    const skipFinalSnapshot = !s.finalSnapshot;
    const replicaCount = s.readReplicas;
    const multiAz = s.multiAz;
    const azs = props.availabilityZones ?? [];

    this.securityGroup = clientOnlySecurityGroup(this, {
      vpcId: props.vpcId,
      namePrefix: `${prefix}-postgres-`,
      name: `${prefix}-postgres`,
      description: `${prefix}: PostgreSQL, 5432 from the workloads only`,
      clientSecurityGroupId: props.clientSecurityGroupId,
      port: PORT,
      ruleDescription: 'PostgreSQL from the workload security group',
    });

    const subnetGroup = new DbSubnetGroup(this, 'subnets', {
      name: `${prefix}-postgres`,
      description: `${prefix}: isolated subnets for PostgreSQL`,
      subnetIds: props.subnetIds,
    });

    this.parameterGroup = new DbParameterGroup(this, 'params', {
      // A prefix, not a name: a major upgrade needs a new family, created before the old one is dropped.
      namePrefix: `${prefix}-postgres${major}-`,
      family: `postgres${major}`,
      description: `${prefix}: TLS only, slow statement and audit logging`,
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'ssl_min_protocol_version', value: 'TLSv1.2' },
        { name: 'password_encryption', value: 'scram-sha-256' },
        { name: 'log_min_duration_statement', value: String(s.slowQueryMs) },
        { name: 'log_statement', value: 'ddl' }, // schema changes are audited; data statements only when slow
        { name: 'log_connections', value: '1' },
        { name: 'log_disconnections', value: '1' },
        { name: 'log_lock_waits', value: '1' },
        { name: 'log_temp_files', value: '10240' },
        { name: 'log_autovacuum_min_duration', value: '10000' },
        { name: 'shared_preload_libraries', value: 'pg_stat_statements', applyMethod: 'pending-reboot' },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    let monitoringRoleArn: string | undefined;
    if (monitoringInterval > 0) {
      const trust = new DataAwsIamPolicyDocument(this, 'monitoring-trust', {
        statement: [
          {
            actions: ['sts:AssumeRole'],
            principals: [{ type: 'Service', identifiers: ['monitoring.rds.amazonaws.com'] }],
            condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.scope.accountId] }],
          },
        ],
      });
      const role = new IamRole(this, 'monitoring-role', { name: `${prefix}-rds-monitoring`, assumeRolePolicy: trust.json, description: `${prefix}: RDS enhanced monitoring` });
      new IamRolePolicyAttachment(this, 'monitoring-policy', { role: role.name, policyArn: `arn:${props.scope.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole` });
      monitoringRoleArn = role.arn;
    }

    const logExports = ['postgresql', 'upgrade'];
    const logGroups = (instanceId: string, key: string) =>
      logExports.map(
        (kind) =>
          new CloudwatchLogGroup(this, `${key}-log-${kind}`, {
            name: `/aws/rds/instance/${instanceId}/${kind}`,
            retentionInDays,
            kmsKeyId: props.logsKeyArn,
          }),
      );
    const common = {
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: props.dataKeyArn,
      maxAllocatedStorage: s.maxAllocatedStorageGb,
      port: PORT,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      parameterGroupName: this.parameterGroup.name,
      caCertIdentifier: s.caCertIdentifier,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: props.dataKeyArn,
      performanceInsightsRetentionPeriod: s.performanceInsightsRetentionDays,
      monitoringInterval,
      monitoringRoleArn,
      iamDatabaseAuthenticationEnabled: true,
      enabledCloudwatchLogsExports: logExports,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      deletionProtection,
      maintenanceWindow: s.maintenanceWindow,
      // Changes wait for the maintenance window unless an operator applies them by hand.
      applyImmediately: false,
    };

    this.primary = new DbInstance(this, 'primary', {
      ...common,
      identifier,
      engine: 'postgres',
      engineVersion,
      instanceClass,
      allocatedStorage: s.allocatedStorageGb,
      dbName: s.databaseName,
      username: s.masterUsername,
      // RDS generates the password, keeps it in Secrets Manager under the secrets key and rotates it (7 days).
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.secretsKeyArn,
      multiAz,
      availabilityZone: !multiAz && azs.length > 0 ? azs[0] : undefined,
      dbSubnetGroupName: subnetGroup.name,
      backupRetentionPeriod: s.backupRetentionDays,
      backupWindow: s.backupWindow,
      deleteAutomatedBackups: false,
      skipFinalSnapshot,
      finalSnapshotIdentifier: skipFinalSnapshot ? undefined : `${identifier}-final`,
      allowMajorVersionUpgrade: false,
      dependsOn: logGroups(identifier, 'primary'),
    });

    // A same-region replica is always encrypted with the source's key, and RDS refuses KmsKeyId for it
    // (CreateDBInstanceReadReplica: "don't specify a value for this parameter"; InvalidParameterCombination,
    // cloudposse/terraform-aws-rds-replica#5): both encryption settings stay off the replicas (AWP-DATA-010).
    const { storageEncrypted: _encrypted, kmsKeyId: _key, ...replicaCommon } = common;
    this.replicas = [...Array(replicaCount).keys()].map((i) => {
      const replicaId = `${identifier}-replica-${i + 1}`;
      return new DbInstance(this, `replica-${i + 1}`, {
        ...replicaCommon,
        identifier: replicaId,
        // Same region: the source's identifier (an ARN only for a source in another region).
        replicateSourceDb: this.primary.identifier,
        instanceClass: s.replicaInstanceClass ?? instanceClass,
        multiAz: false,
        availabilityZone: azs.length > 0 ? azs[(i + 1) % azs.length] : undefined,
        // Replicas keep no backups of their own (the primary's are the recovery path) and take no final snapshot.
        backupRetentionPeriod: 0,
        skipFinalSnapshot: true,
        dependsOn: logGroups(replicaId, `replica-${i + 1}`),
      });
    });

    this.endpoint = this.primary.address;
    this.readerEndpoints = this.replicas.map((r) => r.address);
    // Reader endpoint = the first replica's own host name (or the primary's without replicas): RDS certificates
    // name the instance host, so clients can verify TLS (sslmode=verify-full); a Route 53 alias would break that.
    this.readerEndpoint = this.replicas.length > 0 ? this.replicas[0].address : this.primary.address;
    this.databaseName = this.primary.dbName;
    this.masterSecret = new SecretRef(this.primary.masterUserSecret.get(0).secretArn, { name: 'database-master-secret', secretsKeyArn: props.secretsKeyArn, region: props.scope.region });
    this.securityGroupId = this.securityGroup.id;
    this.primaryInstanceId = this.primary.identifier;
    this.replicaInstanceIds = this.replicas.map((r) => r.identifier);
    this.resourceIds = [this.primary, ...this.replicas].map((r) => r.resourceId);
  }

  /**
   * IAM database authentication as `dbUser` (`rds-db:connect` for that user only, on the primary and every replica):
   * the role connects with a 15-minute token, never a password. The user must exist in the database with the
   * `rds_iam` role (the migration Job creates it). IAM User Guide → "Creating and using an IAM policy for IAM database access".
   */
  grantConnect(grantee: Grantee, dbUser: string): IamRolePolicy {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbUser)) throw new Error(`Postgres ${this.node.path}: grantConnect: dbUser "${dbUser}" must be a lowercase PostgreSQL identifier`);
    const { partition, region, accountId } = this.scope;
    return grantStatements(grantee, 'database-connect', [
      { sid: 'ConnectToDatabaseWithIam', actions: ['rds-db:connect'], resources: this.resourceIds.map((rid) => `arn:${partition}:rds-db:${region}:${accountId}:dbuser:${rid}/${dbUser}`) },
    ]);
  }
}
