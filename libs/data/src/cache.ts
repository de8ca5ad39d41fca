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
import { policyJson, replacementSuffix } from '@awp/config';
import type { AwsScope } from './keys';

/** Settings of the cache (the environment file's `data.redis`). */
export interface CacheSettings {
  /** @default 'valkey' */
  readonly engine?: 'valkey' | 'redis';
  /**
   * Valkey 7.2+ or Redis OSS 7.0+ (IAM authentication needs them).
   * @default '8.0'
   */
  readonly engineVersion?: string;
  /** @default 'cache.r7g.large' */
  readonly nodeType?: string;
  /** Shards (node groups) of the cluster-mode-enabled group. @default 2 */
  readonly shards?: number;
  /** Replicas per shard; 0 means no Multi-AZ. @default 1 */
  readonly replicasPerShard?: number;
  /** Days of daily snapshots kept; 0 turns snapshots off. @default 7 */
  readonly snapshotRetentionDays?: number;
  /** @default '01:00-02:00' */
  readonly snapshotWindow?: string;
  /** @default 'mon:03:30-mon:04:30' */
  readonly maintenanceWindow?: string;
  /**
   * Take a final snapshot when the group is deleted.
   * @default true
   */
  readonly finalSnapshot?: boolean;
  /**
   * Commands slower than this (microseconds) go to the slow log.
   * @default 10000
   */
  readonly slowLogMicroseconds?: number;
  /**
   * Eviction policy when memory is full (a cache-aside cache may drop any key).
   * @default 'allkeys-lru'
   */
  readonly maxmemoryPolicy?: string;
  /**
   * ACL of the service's user.
   * @default 'on ~* &* +@all -@dangerous'
   */
  readonly accessString?: string;
}

export interface CacheProps extends CacheSettings {
  readonly namePrefix: string;
  readonly scope: AwsScope;
  readonly vpcId: string;
  readonly subnetIds: string[];
  /** The only security group admitted on 6379. */
  readonly clientSecurityGroupId: string;
  readonly dataKeyArn: string;
  readonly logsKeyArn: string;
  /** @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Name of the service's cache user (IAM authentication: user id = user name). Lowercase.
   * @default '<namePrefix>-app'
   */
  readonly userName?: string;
}

const PORT = 6379;
/** ACL of the mandatory "default" user: disabled, no commands, no keys, no channels. */
export const DISABLED_ACCESS_STRING = 'off -@all';

/**
 * ElastiCache for Valkey (or Redis OSS): a cluster-mode-enabled replication group, encrypted at rest with the data
 * key and in transit (TLS required), with RBAC: the service's user authenticates with IAM (short-lived SigV4 tokens),
 * beside the switched-off "default" user every user group must contain; slow and engine logs to encrypted CloudWatch log groups, daily snapshots.
 */
export class Cache extends Construct {
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

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const prefix = props.namePrefix;
    const groupId = `${prefix}-cache`;
    const engine = props.engine ?? 'valkey';
    const engineVersion = props.engineVersion ?? '8.0';
    const shards = props.shards ?? 2;
    const replicas = props.replicasPerShard ?? 1;
    const major = Number(engineVersion.split('.')[0]);
    const minor = Number(engineVersion.split('.')[1] ?? 0);
    const iamCapable = engine === 'valkey' ? major > 7 || (major === 7 && minor >= 2) : major >= 7;
    if (!iamCapable) throw new Error(`Cache ${this.node.path}: engineVersion ${engineVersion} of ${engine} cannot authenticate with IAM (needs Valkey 7.2+ or Redis OSS 7.0+)`);
    // Cluster mode requires automatic failover, which needs a replica in every shard: with none, the provider refuses
    // the group (hashicorp/terraform-provider-aws#43233) and ElastiCache refuses later updates.
    if (shards < 1 || replicas < 1 || replicas > 5) throw new Error(`Cache ${this.node.path}: expected shards >= 1 and 1..5 replicas per shard (cluster mode needs automatic failover), got ${shards}/${replicas}`);
    const family = engine === 'valkey' ? `valkey${major}` : `redis${major}`;
    const { accountId, region, partition } = props.scope;
    const retentionInDays = props.logRetentionDays ?? 365;

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
        { name: 'slowlog-log-slower-than', value: String(props.slowLogMicroseconds ?? 10000) },
        { name: 'slowlog-max-len', value: '256' },
        { name: 'maxmemory-policy', value: props.maxmemoryPolicy ?? 'allkeys-lru' },
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
      accessString: props.accessString ?? 'on ~* &* +@all -@dangerous',
      authenticationMode: { type: 'iam' },
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
      nodeType: props.nodeType ?? 'cache.r7g.large',
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
      maintenanceWindow: props.maintenanceWindow ?? 'mon:03:30-mon:04:30',
      snapshotWindow: props.snapshotWindow ?? '01:00-02:00',
      snapshotRetentionLimit: props.snapshotRetentionDays ?? 7,
      finalSnapshotIdentifier: props.finalSnapshot ?? true ? `${groupId}-final` : undefined,
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
}
