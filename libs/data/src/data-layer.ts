import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { DataBuckets, LOG_PREFIXES, type BucketOutputs } from './buckets';
import { Cache, type CacheSettings } from './cache';
import { DataKeys, type AwsScope } from './keys';
import { Postgres, type PostgresSettings } from './postgres';

export interface DataLayerProps {
  /** Prefix of every name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
  /** From the network layer. */
  readonly vpcId: string;
  /** From the network layer: subnets without any route out; the databases and the cache live there. */
  readonly isolatedSubnetIds: string[];
  /** From the network layer: the only group admitted on 5432 and 6379. */
  readonly workloadSecurityGroupId: string;
  /** From the network layer: CMK for CloudWatch Logs (RDS log exports, cache slow/engine logs). */
  readonly logsKeyArn: string;
  /**
   * From the network layer: the zones of the isolated subnets, in order; read replicas are spread over them.
   * @default RDS places the replicas
   */
  readonly availabilityZones?: string[];
  /** The site's DNS name; the uploads bucket admits browser PUTs from `https://<siteDomain>`. */
  readonly siteDomain: string;
  /** Globally unique bucket names (e.g. `globalName(env, 'assets')`). */
  readonly bucketNames: { readonly assets: string; readonly uploads: string; readonly logs: string };
  /** RDS PostgreSQL settings; every field has a production default. @default {} */
  readonly postgres?: PostgresSettings;
  /** ElastiCache settings; every field has a production default. @default {} */
  readonly cache?: CacheSettings;
  /** S3 lifecycle settings. @default {} */
  readonly s3?: {
    /** @default 90 */
    readonly noncurrentVersionExpirationDays?: number;
    /** @default 365 */
    readonly logExpirationDays?: number;
    /** @default true (see DataBucketsProps) */
    readonly legacyElbAccountLogDelivery?: boolean;
  };
  /**
   * Further origins for the uploads CORS rule (e.g. a local dev server); the site itself is always allowed.
   * @default []
   */
  readonly extraCorsOrigins?: string[];
  /** Retention of the layer's log groups. @default 365 */
  readonly logRetentionDays?: number;
  /** @default 30 */
  readonly kmsDeletionWindowDays?: number;
  /** Roles that administer (not use) the KMS keys, e.g. the delivery apply role. @default [] */
  readonly keyAdministratorArns?: string[];
  /** The service whose secrets and access policy this layer creates. @default 'api' */
  readonly serviceName?: string;
  /**
   * Database user the service logs in as with IAM database authentication (`rds-db:connect` for this user only). The
   * migration Job, which alone reads the master secret, creates it (`CREATE ROLE <name> LOGIN; GRANT rds_iam TO <name>`)
   * with only the rights the service needs: the service never connects as the master user (`rds_superuser`).
   * @default 'api'
   */
  readonly iamDatabaseUser?: string;
  /** Days a deleted secret can be restored. @default 30 */
  readonly secretRecoveryWindowDays?: number;
}

export interface DataLayerPostgresOutputs {
  /** Primary host name. */
  readonly endpoint: string;
  readonly port: number;
  /** One host per replica. */
  readonly readerEndpoints: string[];
  /** The first replica's host (the primary's without replicas); see README "Reader endpoint". */
  readonly readerEndpoint: string;
  readonly databaseName: string;
  /** RDS-managed secret `{username, password}`, rotated by RDS; only the migration Job may read it (`migrationAccessPolicyArn`). */
  readonly masterSecretArn: string;
  /** The database user the service connects as with an IAM token (`DATABASE_USER`). */
  readonly appUser: string;
  readonly securityGroupId: string;
  readonly primaryInstanceId: string;
  readonly replicaInstanceIds: string[];
}

export interface DataLayerRedisOutputs {
  readonly configurationEndpoint: string;
  readonly port: number;
  /** Secret with the IAM-auth connection settings `{mode:'iam', username, replicationGroupId, host, port, tls}` (no password exists). */
  readonly authSecretArn: string;
  readonly securityGroupId: string;
  readonly replicationGroupId: string;
  /** Node ids from the resource (token list). */
  readonly memberClusterIds: string[];
  /** Node ids by AWS's cluster-mode naming, known at synth time (for per-node alarms). */
  readonly nodeIds: string[];
  /** The ElastiCache user the service authenticates as (IAM). */
  readonly userName: string;
  readonly userArn: string;
  readonly slowLogGroupName: string;
}

/**
 * The data layer: KMS keys, RDS PostgreSQL with read replicas, ElastiCache (Valkey, cluster mode, IAM auth),
 * the assets/uploads/logs buckets, the service's Secrets Manager secret and an IAM policy with everything the
 * service needs to use them (`serviceAccessPolicyArn`, attached by the compute layer to the service role).
 */
export class DataLayer extends Construct {
  readonly kms: { readonly dataKeyArn: string; readonly secretsKeyArn: string };
  readonly postgres: DataLayerPostgresOutputs;
  readonly redis: DataLayerRedisOutputs;
  readonly buckets: { readonly assets: BucketOutputs; readonly uploads: BucketOutputs; readonly logs: BucketOutputs };
  /** The edge layer adds these to the assets bucket policy it owns (deny non-TLS). */
  readonly assetsBucketPolicyStatements: DataAwsIamPolicyDocumentStatement[];
  /** The edge layer adds these to the uploads bucket policy it owns (deny non-TLS); this layer attaches none. */
  readonly uploadsBucketPolicyStatements: DataAwsIamPolicyDocumentStatement[];
  /** Key prefixes in the logs bucket: `alb` (ALB access_logs prefix), `cloudfront/` (standard logs), `s3-access/`. */
  readonly logPrefixes: typeof LOG_PREFIXES = LOG_PREFIXES;
  /** Every secret the service may read (the cache settings; never the database master secret). */
  readonly appSecretArns: string[];
  /** Managed policy of the service: read the app secrets, connect to the cache (IAM) and the database as `appUser` (IAM), use the uploads bucket. */
  readonly serviceAccessPolicyArn: string;
  /** Managed policy of the migration Job: read the RDS-managed master secret (it creates and grants `appUser`), nothing else. */
  readonly migrationAccessPolicyArn: string;
  /** The sub-constructs, for callers that need more than the outputs. */
  readonly keys: DataKeys;
  readonly database: Postgres;
  readonly cache: Cache;
  readonly storage: DataBuckets;

  constructor(scope: Construct, id: string, props: DataLayerProps) {
    super(scope, id);
    const prefix = props.namePrefix;
    const service = props.serviceName ?? 'api';
    const caller = new DataAwsCallerIdentity(this, 'caller');
    const region = new DataAwsRegion(this, 'region');
    const partition = new DataAwsPartition(this, 'partition');
    const aws: AwsScope = { accountId: caller.accountId, region: region.region, partition: partition.partition };
    const logRetentionDays = props.logRetentionDays ?? 365;

    this.keys = new DataKeys(this, 'keys', { namePrefix: prefix, scope: aws, keyAdministratorArns: props.keyAdministratorArns, deletionWindowDays: props.kmsDeletionWindowDays });
    this.kms = { dataKeyArn: this.keys.dataKeyArn, secretsKeyArn: this.keys.secretsKeyArn };

    this.database = new Postgres(this, 'postgres', {
      ...props.postgres,
      namePrefix: prefix,
      scope: aws,
      vpcId: props.vpcId,
      subnetIds: props.isolatedSubnetIds,
      clientSecurityGroupId: props.workloadSecurityGroupId,
      dataKeyArn: this.keys.dataKeyArn,
      secretsKeyArn: this.keys.secretsKeyArn,
      logsKeyArn: props.logsKeyArn,
      logRetentionDays,
      availabilityZones: props.availabilityZones,
    });
    const pg = this.database;
    const iamDbUser = props.iamDatabaseUser ?? 'api';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(iamDbUser)) throw new Error(`DataLayer ${this.node.path}: iamDatabaseUser "${iamDbUser}" must be a lowercase PostgreSQL identifier`);
    this.postgres = {
      endpoint: pg.endpoint,
      port: pg.port,
      readerEndpoints: pg.readerEndpoints,
      readerEndpoint: pg.readerEndpoint,
      databaseName: pg.databaseName,
      masterSecretArn: pg.masterSecretArn,
      appUser: iamDbUser,
      securityGroupId: pg.securityGroupId,
      primaryInstanceId: pg.primaryInstanceId,
      replicaInstanceIds: pg.replicaInstanceIds,
    };

    this.cache = new Cache(this, 'cache', {
      ...props.cache,
      namePrefix: prefix,
      scope: aws,
      vpcId: props.vpcId,
      subnetIds: props.isolatedSubnetIds,
      clientSecurityGroupId: props.workloadSecurityGroupId,
      dataKeyArn: this.keys.dataKeyArn,
      logsKeyArn: props.logsKeyArn,
      logRetentionDays,
      userName: `${prefix}-${service}`,
    });

    // The cache has no password: the secret tells the service how to authenticate (IAM, as which user, where).
    // Its value is built from resource attributes only, so nothing sensitive is in the JSON or the state.
    const cacheSecret = new SecretsmanagerSecret(this, 'cache-auth-secret', {
      name: `${prefix}/${service}/cache-auth`,
      description: `${prefix}: how the ${service} service authenticates to the cache (IAM auth; tokens are signed per connection, no password exists)`,
      kmsKeyId: this.keys.secretsKeyArn,
      recoveryWindowInDays: props.secretRecoveryWindowDays ?? 30,
    });
    new SecretsmanagerSecretVersion(this, 'cache-auth-settings', {
      secretId: cacheSecret.id,
      secretString: Fn.jsonencode({
        mode: 'iam',
        username: this.cache.user.userName,
        replicationGroupId: this.cache.replicationGroupId,
        host: this.cache.configurationEndpoint,
        port: this.cache.port,
        tls: true,
      }),
    });
    this.redis = {
      configurationEndpoint: this.cache.configurationEndpoint,
      port: this.cache.port,
      authSecretArn: cacheSecret.arn,
      securityGroupId: this.cache.securityGroupId,
      replicationGroupId: this.cache.replicationGroupId,
      memberClusterIds: this.cache.memberClusterIds,
      nodeIds: this.cache.nodeIds,
      userName: this.cache.userName,
      userArn: this.cache.userArn,
      slowLogGroupName: this.cache.slowLogGroupName,
    };

    this.storage = new DataBuckets(this, 'buckets', {
      namePrefix: prefix,
      scope: aws,
      names: props.bucketNames,
      dataKeyArn: this.keys.dataKeyArn,
      uploadsCorsOrigins: [`https://${props.siteDomain}`, ...(props.extraCorsOrigins ?? [])],
      noncurrentVersionExpirationDays: props.s3?.noncurrentVersionExpirationDays,
      logExpirationDays: props.s3?.logExpirationDays,
      legacyElbAccountLogDelivery: props.s3?.legacyElbAccountLogDelivery,
    });
    this.buckets = { assets: this.storage.assets, uploads: this.storage.uploads, logs: this.storage.logs };
    this.assetsBucketPolicyStatements = this.storage.assetsBucketPolicyStatements;
    this.uploadsBucketPolicyStatements = this.storage.uploadsBucketPolicyStatements;

    this.appSecretArns = [cacheSecret.arn];

    // ---- what the service may do with all of it -----------------------------------------------------------
    const readSecrets = (sid: string, arns: string[]): DataAwsIamPolicyDocumentStatement[] => [
      { sid: `Read${sid}`, actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: arns },
      {
        sid: `Decrypt${sid}`,
        actions: ['kms:Decrypt'],
        resources: [this.keys.secretsKeyArn],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${aws.region}.amazonaws.com`] }],
      },
    ];
    const access = new DataAwsIamPolicyDocument(this, 'service-access', {
      statement: [
        ...readSecrets('AppSecrets', this.appSecretArns),
        { sid: 'ConnectToCacheWithIam', actions: ['elasticache:Connect'], resources: [this.cache.replicationGroupArn, this.cache.userArn] },
        {
          sid: 'ConnectToDatabaseWithIam',
          actions: ['rds-db:connect'],
          resources: pg.resourceIds.map((rid) => `arn:${aws.partition}:rds-db:${aws.region}:${aws.accountId}:dbuser:${rid}/${iamDbUser}`),
        },
        { sid: 'ListUploads', actions: ['s3:ListBucket'], resources: [this.storage.uploads.arn] },
        { sid: 'ReadWriteUploads', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], resources: [`${this.storage.uploads.arn}/*`] },
        {
          sid: 'UseDataKeyForUploads',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.keys.dataKeyArn],
          condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${aws.region}.amazonaws.com`] }],
        },
      ],
    });
    const policy = new IamPolicy(this, 'service-access-policy', {
      name: `${prefix}-${service}-data-access`,
      description: `${prefix}: what the ${service} service may do in the data layer`,
      policy: access.json,
    });
    this.serviceAccessPolicyArn = policy.arn;

    // The migration Job is the database owner's only client: it reads the master secret, runs the migrations and
    // creates the service's IAM-authenticated role. The service's pod role cannot read that secret.
    const migration = new IamPolicy(this, 'migration-access-policy', {
      name: `${prefix}-${service}-migration-access`,
      description: `${prefix}: what the ${service} migration Job may do (read the database master secret)`,
      policy: new DataAwsIamPolicyDocument(this, 'migration-access', { statement: readSecrets('MasterSecret', [pg.masterSecretArn]) }).json,
    });
    this.migrationAccessPolicyArn = migration.arn;
  }

  /**
   * Attaches the service access policy to a role, in `scope` (any stack: the policy ARN crosses by reference).
   * For the service's pod identity role, e.g. `data.grantServiceAccess(clusterStack, 'api-data', role.name)`.
   */
  grantServiceAccess(scope: Construct, id: string, roleName: string): IamRolePolicyAttachment {
    return new IamRolePolicyAttachment(scope, id, { role: roleName, policyArn: this.serviceAccessPolicyArn });
  }

  /** Attaches the migration access policy (the master secret) to the migration Job's role, in `scope`. */
  grantMigrationAccess(scope: Construct, id: string, roleName: string): IamRolePolicyAttachment {
    return new IamRolePolicyAttachment(scope, id, { role: roleName, policyArn: this.migrationAccessPolicyArn });
  }
}
