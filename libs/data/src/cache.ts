import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { ElasticacheParameterGroup } from '@cdktf/provider-aws/lib/elasticache-parameter-group';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { ElasticacheUser } from '@cdktf/provider-aws/lib/elasticache-user';
import { ElasticacheUserGroup } from '@cdktf/provider-aws/lib/elasticache-user-group';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { clientOnlySecurityGroup } from './client-security-group';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { parseSettings, policyJson, replacementSuffix } from '@awp/config';
import { grantStatements, type Grantee } from './grants';
import type { AwsScope } from './keys';
import { cacheSettings, type CacheSettings, type ResolvedCacheSettings } from './settings';

export interface CacheProps {
  /** The cache's settings (`cacheSettings`, libs/data/src/settings.ts): documented there, with their defaults. */
  readonly settings: CacheSettings;
  readonly namePrefix: string;
  readonly scope: AwsScope;
  readonly vpcId: string;
  readonly subnetIds: string[];
  /** The only security group admitted on 6379. */
  readonly clientSecurityGroupId: string;
  readonly dataKeyArn: string;
  readonly logsKeyArn: string;
  /** Retention of the slow and engine log groups (the data section's `logRetentionDays`). */
  readonly logRetentionDays: number;
  /**
   * Name of the service's cache user (IAM authentication: user id = user name). Lowercase.
   * @default '<namePrefix>-app'
   */
  readonly userName?: string;
}

const PORT = 6379;
/** ACL of the mandatory "default" user: disabled, no commands, no keys, no channels. */
export const DISABLED_ACCESS_STRING = 'off -@all';
/** Create/update/delete of an ElastiCache user waits for every node (the provider's default: 5 min). */
const USER_TIMEOUTS = { create: '15m', update: '15m', delete: '15m' };

/**
 * ElastiCache for Valkey (or Redis OSS): a cluster-mode-enabled replication group, encrypted at rest with the data
 * key and in transit (TLS required), with RBAC: the service's user authenticates with IAM (short-lived SigV4 tokens),
 * beside the switched-off "default" user every user group must contain; slow and engine logs to encrypted CloudWatch log groups, daily snapshots.
 */
export class Cache extends Construct {
  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedCacheSettings;
  readonly replicationGroup: ElasticacheReplicationGroup;
  readonly user: ElasticacheUser;
  /** The switched-off "default" user the user group must contain. */
  readonly defaultUser: ElasticacheUser;
  readonly userGroup: ElasticacheUserGroup;
  readonly securityGroup: SecurityGroup;
  readonly configurationEndpoint: string;
  readonly port: number = PORT;
  readonly securityGroupId: string;
  readonly replicationGroupId: string;
  readonly replicationGroupArn: string;
  /** Node ids as the resource reports them (a token list). */
  readonly memberClusterIds: string[];
  /** Node ids by AWS's naming of cluster-mode-enabled groups (`<id>-<shard 4 digits>-<node 3 digits>`), known at synth time. */
  readonly nodeIds: string[];
  readonly userName: string;
  readonly userArn: string;
  readonly slowLogGroupName: string;
  readonly engineLogGroupName: string;
  private readonly scope: AwsScope;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    // Engine, version (IAM-capable) and replicas per shard (cluster mode needs failover) are checked by the settings.
    const c = (this.settings = parseSettings(cacheSettings, props.settings, `Cache ${this.node.path}`));
    this.scope = props.scope;
    const prefix = props.namePrefix;
    const groupId = `${prefix}-cache`;
    const { engine, engineVersion, shards, replicasPerShard: replicas } = c;
    const major = Number(engineVersion.split('.')[0]);
    const family = engine === 'valkey' ? `valkey${major}` : `redis${major}`;
    const { accountId, region, partition } = props.scope;
    const retentionInDays = props.logRetentionDays;

    this.securityGroup = clientOnlySecurityGroup(this, {
      vpcId: props.vpcId,
      namePrefix: `${groupId}-`,
      name: groupId,
      description: `${prefix}: cache, 6379 from the workloads only`,
      clientSecurityGroupId: props.clientSecurityGroupId,
      port: PORT,
      ruleDescription: 'Valkey/Redis (TLS) from the workload security group',
    });
    const subnets = new ElasticacheSubnetGroup(this, 'subnets', { name: groupId, description: `${prefix}: isolated subnets for the cache`, subnetIds: props.subnetIds });
    // No name_prefix on this type (provider 6.25): the name ends in a hash of what forces a replacement (family,
    // description), so a create-before-destroy replacement never collides with the old group's name.
    const paramsDescription = `${prefix}: cluster mode, slow log, eviction`;
    const params = new ElasticacheParameterGroup(this, 'params', {
      name: `${groupId}-${family}-${replacementSuffix([family, paramsDescription])}`,
      family,
      description: paramsDescription,
      parameter: [
        { name: 'cluster-enabled', value: 'yes' }, // cluster mode enabled needs a cluster-enabled parameter group
        { name: 'slowlog-log-slower-than', value: String(c.slowLogMicroseconds) },
        { name: 'slowlog-max-len', value: '256' },
        { name: 'maxmemory-policy', value: c.maxmemoryPolicy },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    // ---- RBAC: an IAM-authenticated user, nothing with a password ---------------------------------------
    this.userName = props.userName ?? `${prefix}-app`;
    if (!/^[a-z][a-z0-9-]*$/.test(this.userName)) throw new Error(`Cache ${this.node.path}: userName "${this.userName}" must be lowercase letters, digits and '-' (IAM auth needs user id = user name)`);
    this.user = new ElasticacheUser(this, 'app-user', {
      userId: this.userName,
      userName: this.userName,
      engine,
      accessString: c.accessString,
      authenticationMode: { type: 'iam' },
      // ModifyUser waits for 'active' across every node; the provider's 5 min default is often too short
      // (hashicorp/terraform-provider-aws#20729): a red deploy halfway through a promotion while AWS finishes.
      timeouts: USER_TIMEOUTS,
    });
    // CreateUserGroup refuses a group without a user named "default" (DefaultUserRequired), for Valkey as for Redis OSS,
    // and AWS's own "default" user (id "default") is enabled for every command without a password. This one is
    // switched off with no rights ("off -@all"): nobody can authenticate as it. A VALKEY user group holds only users
    // that authenticate with a password or IAM (ElastiCache RBAC rules), and IAM needs user id = user name, which
    // the reserved id "default" rules out: so it has a password, random (Terraform's uuid(), 122 random bits),
    // generated once at create and never read again (ignore_changes), for a user that is off.
    this.defaultUser = new ElasticacheUser(this, 'default-user', {
      userId: `${prefix}-default-off`,
      userName: 'default',
      engine,
      accessString: DISABLED_ACCESS_STRING,
      authenticationMode: { type: 'password', passwords: [Fn.uuid()] },
      lifecycle: { ignoreChanges: ['authentication_mode', 'passwords'] },
      timeouts: USER_TIMEOUTS,
    });
    const members = [this.user.userId, this.defaultUser.userId];
    this.userGroup = new ElasticacheUserGroup(this, 'user-group', { userGroupId: groupId, engine, userIds: members });

    // ---- logs -------------------------------------------------------------------------------------------
    const logGroup = (kind: string) =>
      new CloudwatchLogGroup(this, `${kind}-logs`, { name: `/aws/vendedlogs/elasticache/${groupId}/${kind}`, retentionInDays, kmsKeyId: props.logsKeyArn });
    const slowLog = logGroup('slow-log');
    const engineLog = logGroup('engine-log');
    const deliveryPolicy = policyJson([
      {
        Sid: 'ElastiCacheLogDelivery',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`${slowLog.arn}:*`, `${engineLog.arn}:*`],
        Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': `arn:${partition}:logs:${region}:${accountId}:*` } },
      },
    ]);
    const resourcePolicy = new CloudwatchLogResourcePolicy(this, 'log-delivery', { policyName: `${groupId}-log-delivery`, policyDocument: deliveryPolicy });

    const nodes = shards * (1 + replicas);
    this.replicationGroup = new ElasticacheReplicationGroup(this, 'group', {
      replicationGroupId: groupId,
      description: `${prefix}: service cache (${engine} ${engineVersion}, ${shards} shard(s) x ${1 + replicas} node(s))`,
      engine,
      engineVersion,
      nodeType: c.nodeType,
      port: PORT,
      clusterMode: 'enabled',
      numNodeGroups: shards,
      replicasPerNodeGroup: replicas,
      // AWS requires automatic failover for cluster mode enabled; it acts once a shard has a replica.
      automaticFailoverEnabled: true,
      multiAzEnabled: replicas > 0 && nodes > 1,
      subnetGroupName: subnets.name,
      securityGroupIds: [this.securityGroup.id],
      parameterGroupName: params.name,
      atRestEncryptionEnabled: 'true',
      kmsKeyId: props.dataKeyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      userGroupIds: [this.userGroup.userGroupId],
      maintenanceWindow: c.maintenanceWindow,
      snapshotWindow: c.snapshotWindow,
      snapshotRetentionLimit: c.snapshotRetentionDays,
      finalSnapshotIdentifier: c.finalSnapshot ? `${groupId}-final` : undefined,
      autoMinorVersionUpgrade: 'true',
      applyImmediately: false,
      logDeliveryConfiguration: [
        { destination: slowLog.name, destinationType: 'cloudwatch-logs', logFormat: 'json', logType: 'slow-log' },
        { destination: engineLog.name, destinationType: 'cloudwatch-logs', logFormat: 'json', logType: 'engine-log' },
      ],
      dependsOn: [resourcePolicy],
    });

    this.configurationEndpoint = this.replicationGroup.configurationEndpointAddress;
    this.securityGroupId = this.securityGroup.id;
    this.replicationGroupId = this.replicationGroup.id;
    this.replicationGroupArn = this.replicationGroup.arn;
    this.memberClusterIds = Fn.sort(Fn.tolist(this.replicationGroup.memberClusters));
    this.nodeIds = [...Array(shards).keys()].flatMap((s) => [...Array(1 + replicas).keys()].map((n) => `${groupId}-${String(s + 1).padStart(4, '0')}-${String(n + 1).padStart(3, '0')}`));
    this.userArn = this.user.arn;
    this.slowLogGroupName = slowLog.name;
    this.engineLogGroupName = engineLog.name;
  }

  /**
   * IAM authentication to the cache as `userId` (`elasticache:Connect` on the replication group and that user; ElastiCache
   * User Guide → "Authenticating with IAM"): the role signs a short-lived token per connection, no password exists.
   * @param userId default: the service's user this construct creates (`userName`)
   */
  grantConnect(grantee: Grantee, userId?: string): IamRolePolicy {
    const { partition, region, accountId } = this.scope;
    const user = userId === undefined ? this.userArn : `arn:${partition}:elasticache:${region}:${accountId}:user:${userId}`;
    return grantStatements(grantee, 'cache-connect', [{ sid: 'ConnectToCacheWithIam', actions: ['elasticache:Connect'], resources: [this.replicationGroupArn, user] }]);
  }
}
