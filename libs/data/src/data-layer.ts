import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { parseSettings } from '@awp/config';
import { DataBuckets } from './buckets';
import { Cache } from './cache';
import { SecretRef } from './grants';
import { DataKeys, type AwsScope } from './keys';
import { Postgres } from './postgres';
import { dataSettings, type DataSettings, type ResolvedDataSettings } from './settings';

export interface DataLayerProps {
  /** The layer's settings (`dataSettings`, libs/data/src/settings.ts): documented there, with their defaults. */
  readonly settings: DataSettings;
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
  /** Roles that administer (not use) the KMS keys, e.g. the delivery apply role. @default [] */
  readonly keyAdministratorArns?: string[];
  /** The service whose cache user and secret this layer creates. @default 'api' */
  readonly serviceName?: string;
  /**
   * Database user the service logs in as with IAM database authentication (`database.grantConnect(role, iamDatabaseUser)`).
   * The migration Job, which alone reads the master secret, creates it (`CREATE ROLE <name> LOGIN; GRANT rds_iam TO <name>`)
   * with only the rights the service needs: the service never connects as the master user (`rds_superuser`).
   * @default 'api'
   */
  readonly iamDatabaseUser?: string;
}

/**
 * The data layer: KMS keys, RDS PostgreSQL with read replicas, ElastiCache (Valkey, cluster mode, IAM auth), the
 * assets/uploads/logs buckets and the secret that tells the service how to reach the cache. Access is granted the
 * aws-cdk-lib way, by the part that owns the resource: `database.grantConnect(role, user)`, `cache.grantConnect(role)`,
 * `cacheAuthSecret.grantRead(role)`, `buckets.uploads.grantReadWrite(role)`, `database.masterSecret.grantRead(role)`.
 */
export class DataLayer extends Construct {
  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedDataSettings;
  /** The data key (RDS, ElastiCache, S3) and the secrets key (Secrets Manager). */
  readonly keys: DataKeys;
  readonly database: Postgres;
  readonly cache: Cache;
  readonly buckets: DataBuckets;
  /** Secret with the IAM-auth connection settings `{mode:'iam', username, replicationGroupId, host, port, tls}` (no password exists). */
  readonly cacheAuthSecret: SecretRef;
  /** The database user the service connects as with an IAM token (`DATABASE_USER`). */
  readonly iamDatabaseUser: string;

  constructor(scope: Construct, id: string, props: DataLayerProps) {
    super(scope, id);
    const s = (this.settings = parseSettings(dataSettings, props.settings, `DataLayer ${this.node.path}`));
    const prefix = props.namePrefix;
    const service = props.serviceName ?? 'api';
    const caller = new DataAwsCallerIdentity(this, 'caller');
    const region = new DataAwsRegion(this, 'region');
    const partition = new DataAwsPartition(this, 'partition');
    const aws: AwsScope = { accountId: caller.accountId, region: region.region, partition: partition.partition };
    this.iamDatabaseUser = props.iamDatabaseUser ?? 'api';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.iamDatabaseUser)) throw new Error(`DataLayer ${this.node.path}: iamDatabaseUser "${this.iamDatabaseUser}" must be a lowercase PostgreSQL identifier`);

    this.keys = new DataKeys(this, 'keys', { settings: { kmsDeletionWindowDays: s.kmsDeletionWindowDays }, namePrefix: prefix, scope: aws, keyAdministratorArns: props.keyAdministratorArns });

    this.database = new Postgres(this, 'postgres', {
      settings: s.database,
      namePrefix: prefix,
      scope: aws,
      vpcId: props.vpcId,
      subnetIds: props.isolatedSubnetIds,
      clientSecurityGroupId: props.workloadSecurityGroupId,
      dataKeyArn: this.keys.dataKeyArn,
      secretsKeyArn: this.keys.secretsKeyArn,
      logsKeyArn: props.logsKeyArn,
      logRetentionDays: s.logRetentionDays,
      availabilityZones: props.availabilityZones,
    });

    this.cache = new Cache(this, 'cache', {
      settings: s.cache,
      namePrefix: prefix,
      scope: aws,
      vpcId: props.vpcId,
      subnetIds: props.isolatedSubnetIds,
      clientSecurityGroupId: props.workloadSecurityGroupId,
      dataKeyArn: this.keys.dataKeyArn,
      logsKeyArn: props.logsKeyArn,
      logRetentionDays: s.logRetentionDays,
      userName: `${prefix}-${service}`,
    });

    // The cache has no password: the secret tells the service how to authenticate (IAM, as which user, where).
    // Its value is built from resource attributes only, so nothing sensitive is in the JSON or the state.
    const cacheSecret = new SecretsmanagerSecret(this, 'cache-auth-secret', {
      name: `${prefix}/${service}/cache-auth`,
      description: `${prefix}: how the ${service} service authenticates to the cache (IAM auth; tokens are signed per connection, no password exists)`,
      kmsKeyId: this.keys.secretsKeyArn,
      recoveryWindowInDays: s.secretRecoveryWindowDays,
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
    this.cacheAuthSecret = new SecretRef(cacheSecret.arn, { name: 'cache-auth-secret', secretsKeyArn: this.keys.secretsKeyArn, region: aws.region });

    this.buckets = new DataBuckets(this, 'buckets', {
      settings: s.buckets,
      namePrefix: prefix,
      scope: aws,
      names: props.bucketNames,
      dataKeyArn: this.keys.dataKeyArn,
      siteOrigin: `https://${props.siteDomain}`,
    });
  }
}
