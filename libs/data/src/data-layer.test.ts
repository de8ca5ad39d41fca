import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Testing, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { SettingsError } from '@awp/config';
import { accessStringProblems, Cache, CACHE_ACCESS_STRING, DataBuckets, DataKeys, DataLayer, dataSettings, Postgres, type DataLayerProps, type DataSettings, type Grantee } from './index';
import { all } from '@awp/guardrails/testing';

type Json = Record<string, any>;
const TAGS = { Environment: 'test', Layer: 'data', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };
const BASE: DataLayerProps = {
  settings: {},
  namePrefix: 'test',
  vpcId: 'vpc-123',
  isolatedSubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
  workloadSecurityGroupId: 'sg-workload',
  logsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/logs',
  siteDomain: 'shop.example.com',
  bucketNames: { assets: 'test-assets-111111111111', uploads: 'test-uploads-111111111111', logs: 'test-logs-111111111111' },
  keyAdministratorArns: ['arn:aws:iam::111111111111:role/apply'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
};

/** A DataLayer with these settings (and wiring overrides) in a test stack. */
function synth(settings: DataSettings = {}, props: Partial<DataLayerProps> = {}, tier = 'prod'): { json: Json; stack: TerraformStack; data: DataLayer } {
  const stack = new TerraformStack(Testing.app(), 'test');
  stack.node.setContext('awp:tier', tier);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  const data = new DataLayer(stack, 'data', { ...BASE, ...props, settings });
  // Outputs make the construct's token fields visible in the JSON, as a consuming stack would see them.
  const fields: Record<string, unknown> = {
    reader: data.database.readerEndpoint,
    writer: data.database.endpoint,
    master_secret: data.database.masterSecret.arn,
    cache_secret: data.cacheAuthSecret.arn,
    data_key: data.keys.dataKeyArn,
    uploads_domain: data.buckets.uploads.regionalDomainName,
  };
  for (const [k, v] of Object.entries(fields)) new TerraformOutput(stack, k, { value: v });
  return { json: JSON.parse(Testing.synth(stack)), stack, data };
}
const entries = (json: Json, type: string): [string, Json][] => Object.entries(json.resource[type] ?? {});
const one = (json: Json, type: string, pred: (r: Json) => boolean = () => true): Json => {
  const found = all(json, type).filter(pred);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
const out = (json: Json, name: string): string => json.output[name].value;
const addressOf = (json: Json, type: string, pred: (r: Json) => boolean) => `${type}.${entries(json, type).find(([, r]) => pred(r))![0]}`;

describe('DataLayer (production defaults)', () => {
  const { json, stack, data } = synth();
  const primary = one(json, 'aws_db_instance', (r) => !r.replicate_source_db);
  const replicas = all(json, 'aws_db_instance').filter((r) => r.replicate_source_db);

  it('creates two rotating CMKs whose policies give kms:* only to the account root and name their users', () => {
    const keys = all(json, 'aws_kms_key');
    expect(keys).toHaveLength(2);
    for (const k of keys) {
      expect(k).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30 });
      const policy = JSON.parse(k.policy);
      for (const st of policy.Statement) {
        if ([st.Action].flat().includes('kms:*')) expect(st.Principal).toEqual({ AWS: expect.stringMatching(/^arn:\$\{data\.aws_partition\.[^}]+\}:iam::\$\{data\.aws_caller_identity\.[^}]+\}:root$/) });
        expect(st.Principal).not.toBe('*');
        expect(st.Principal).not.toEqual({ AWS: '*' });
      }
      expect(policy.Statement.map((s: Json) => s.Sid)).toEqual(expect.arrayContaining(['AccountRootAdministers']));
      expect(JSON.stringify(policy)).toContain('arn:aws:iam::111111111111:role/apply');
    }
    const dataPolicy = JSON.parse(keys.find((k) => k.description.includes('data at rest'))!.policy);
    const via = dataPolicy.Statement.find((s: Json) => s.Sid === 'DataStoresUseKeyThroughTheirService');
    expect(via.Condition.StringEquals['kms:ViaService']).toEqual([expect.stringMatching(/^rds\.\$\{data\.aws_region\.[^}]+\.region\}\.amazonaws\.com$/), expect.stringMatching(/^elasticache\./), expect.stringMatching(/^s3\./)]);
    // CloudFront OAC decrypts assets and uploads (SSE-KMS) for this account's distributions only, and only decrypts.
    const cloudfront = dataPolicy.Statement.filter((s: Json) => JSON.stringify(s.Principal).includes('cloudfront.amazonaws.com'));
    expect(cloudfront).toHaveLength(1);
    expect(cloudfront[0]).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 'kms:Decrypt' });
    expect(cloudfront[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\.[^}]+\.account_id\}$/) },
      ArnLike: { 'aws:SourceArn': expect.stringMatching(/^arn:\$\{data\.aws_partition\.[^}]+\}:cloudfront::\$\{data\.aws_caller_identity\.[^}]+\.account_id\}:distribution\/\*$/) },
    });
    expect(all(json, 'aws_kms_alias').map((a) => a.name).sort()).toEqual(['alias/test-data', 'alias/test-secrets']);
  });

  it('runs PostgreSQL 17 with an RDS-managed master password under the secrets key', () => {
    const secretsKey = addressOf(json, 'aws_kms_key', (k) => k.description.includes('Secrets Manager'));
    const dataKey = addressOf(json, 'aws_kms_key', (k) => k.description.includes('data at rest'));
    expect(primary).toMatchObject({
      engine: 'postgres',
      engine_version: '17',
      manage_master_user_password: true,
      master_user_secret_kms_key_id: `\${${secretsKey}.arn}`,
      storage_encrypted: true,
      kms_key_id: `\${${dataKey}.arn}`,
      storage_type: 'gp3',
      allocated_storage: 100,
      max_allocated_storage: 500,
      multi_az: true,
      deletion_protection: true,
      backup_retention_period: 14,
      backup_window: '02:00-03:00',
      maintenance_window: 'sun:03:30-sun:04:30',
      skip_final_snapshot: false,
      final_snapshot_identifier: 'test-postgres-final',
      copy_tags_to_snapshot: true,
      performance_insights_enabled: true,
      performance_insights_kms_key_id: `\${${dataKey}.arn}`,
      monitoring_interval: 60,
      iam_database_authentication_enabled: true,
      enabled_cloudwatch_logs_exports: ['postgresql', 'upgrade'],
      auto_minor_version_upgrade: true,
      publicly_accessible: false,
      db_name: 'catalogue',
    });
    expect(primary.password).toBeUndefined();
    expect(primary.monitoring_role_arn).toMatch(/^\$\{aws_iam_role\..*monitoring.*\.arn\}$/);
    const role = one(json, 'aws_iam_role_policy_attachment');
    expect(role.policy_arn).toMatch(/service-role\/AmazonRDSEnhancedMonitoringRole$/);
  });

  it('places the database in the isolated subnets behind a group open on 5432 to the workloads only', () => {
    expect(one(json, 'aws_db_subnet_group').subnet_ids).toEqual(['subnet-a', 'subnet-b', 'subnet-c']);
    const pgSg = addressOf(json, 'aws_security_group', (s) => s.name_prefix === 'test-postgres-');
    expect(one(json, 'aws_security_group', (s) => s.name_prefix === 'test-postgres-').ingress).toBeUndefined();
    const rules = all(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.security_group_id === `\${${pgSg}.id}`);
    expect(rules).toEqual([expect.objectContaining({ referenced_security_group_id: 'sg-workload', from_port: 5432, to_port: 5432, ip_protocol: 'tcp' })]);
    expect(all(json, 'aws_vpc_security_group_ingress_rule').every((r) => r.cidr_ipv4 === undefined && r.cidr_ipv6 === undefined)).toBe(true);
    expect(primary.vpc_security_group_ids).toEqual([`\${${pgSg}.id}`]);
  });

  it('forces TLS and logs slow statements through its parameter group', () => {
    const pg = one(json, 'aws_db_parameter_group');
    expect(pg.family).toBe('postgres17');
    const params = Object.fromEntries(pg.parameter.map((p: Json) => [p.name, p.value]));
    expect(params).toMatchObject({ 'rds.force_ssl': '1', log_min_duration_statement: '500', ssl_min_protocol_version: 'TLSv1.2' });
    expect(primary.parameter_group_name).toBe(`\${${addressOf(json, 'aws_db_parameter_group', () => true)}.name}`);
  });

  it('adds encrypted read replicas of the primary and exports each instance log to an encrypted group', () => {
    expect(replicas).toHaveLength(1);
    const primaryAddress = addressOf(json, 'aws_db_instance', (r) => !r.replicate_source_db);
    expect(primary).toMatchObject({ storage_encrypted: true, kms_key_id: expect.stringContaining('aws_kms_key.') });
    expect(replicas[0]).toMatchObject({ replicate_source_db: `\${${primaryAddress}.identifier}`, identifier: 'test-postgres-replica-1', performance_insights_enabled: true });
    // Same region: encrypted with the primary's key by RDS; KmsKeyId would be refused (InvalidParameterCombination).
    expect(replicas[0].kms_key_id).toBeUndefined();
    expect(replicas[0].storage_encrypted).toBeUndefined();
    expect(replicas[0].manage_master_user_password).toBeUndefined();
    // A Multi-AZ primary cannot be pinned; replicas go to the zones after the first.
    expect(primary.availability_zone).toBeUndefined();
    expect(replicas[0].availability_zone).toBe('eu-west-1b');
    expect(replicas[0].username).toBeUndefined();
    const groups = all(json, 'aws_cloudwatch_log_group').filter((g) => g.name.startsWith('/aws/rds/'));
    expect(groups.map((g) => g.name).sort()).toEqual([
      '/aws/rds/instance/test-postgres-replica-1/postgresql',
      '/aws/rds/instance/test-postgres-replica-1/upgrade',
      '/aws/rds/instance/test-postgres/postgresql',
      '/aws/rds/instance/test-postgres/upgrade',
    ]);
    expect(groups.every((g) => g.kms_key_id === BASE.logsKeyArn && g.retention_in_days === 365)).toBe(true);
    expect(data.database.readerEndpoints).toHaveLength(1);
    expect(out(json, 'reader')).toMatch(/replica-1.*\.address\}$/);
  });

  it('runs a cluster-mode Valkey group, encrypted at rest and in transit, failing over across AZs', () => {
    const dataKey = addressOf(json, 'aws_kms_key', (k) => k.description.includes('data at rest'));
    const rg = one(json, 'aws_elasticache_replication_group');
    expect(rg).toMatchObject({
      engine: 'valkey',
      cluster_mode: 'enabled',
      num_node_groups: 2,
      replicas_per_node_group: 1,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      at_rest_encryption_enabled: 'true',
      kms_key_id: `\${${dataKey}.arn}`,
      transit_encryption_enabled: true,
      transit_encryption_mode: 'required',
      snapshot_retention_limit: 7,
      snapshot_window: '01:00-02:00',
      maintenance_window: 'mon:03:30-mon:04:30',
      final_snapshot_identifier: 'test-cache-final',
    });
    expect(rg.auth_token).toBeUndefined();
    const params = one(json, 'aws_elasticache_parameter_group');
    expect(params.family).toBe('valkey8');
    expect(params.parameter).toEqual(expect.arrayContaining([{ name: 'cluster-enabled', value: 'yes' }]));
    expect(rg.parameter_group_name).toContain('aws_elasticache_parameter_group.');
    expect(data.cache.nodeIds).toEqual(['test-cache-0001-001', 'test-cache-0001-002', 'test-cache-0002-001', 'test-cache-0002-002']);
  });

  it('authenticates the service to the cache with IAM: no password exists', () => {
    const user = one(json, 'aws_elasticache_user', (u) => u.user_name !== 'default');
    expect(user).toMatchObject({ user_id: 'test-api', user_name: 'test-api', engine: 'valkey', authentication_mode: { type: 'iam' } });
    expect(user.passwords).toBeUndefined();
    const group = one(json, 'aws_elasticache_user_group');
    expect(group.user_ids).toEqual([
      `\${${addressOf(json, 'aws_elasticache_user', (u) => u.user_name === 'test-api')}.user_id}`,
      `\${${addressOf(json, 'aws_elasticache_user', (u) => u.user_name === 'default')}.user_id}`,
    ]);
    expect(one(json, 'aws_elasticache_replication_group').user_group_ids).toEqual([`\${${addressOf(json, 'aws_elasticache_user_group', () => true)}.user_group_id}`]);
    const secret = one(json, 'aws_secretsmanager_secret');
    expect(secret.kms_key_id).toMatch(/^\$\{aws_kms_key\..*secrets-key.*\.arn\}$/);
    const version = one(json, 'aws_secretsmanager_secret_version');
    expect(version.secret_string).toMatch(/^\$\{jsonencode\(\{"mode" = "iam", "username" = aws_elasticache_user\.data_cache_app-user_/);
    // Who may connect: cache.grantConnect (tested with the grant helpers below).
  });

  it('delivers the slow log and engine log to encrypted CloudWatch log groups', () => {
    const rg = one(json, 'aws_elasticache_replication_group');
    expect(rg.log_delivery_configuration.map((l: Json) => l.log_type).sort()).toEqual(['engine-log', 'slow-log']);
    const slow = rg.log_delivery_configuration.find((l: Json) => l.log_type === 'slow-log');
    expect(slow).toMatchObject({ destination_type: 'cloudwatch-logs', log_format: 'json' });
    const group = one(json, 'aws_cloudwatch_log_group', (g) => g.name.endsWith('/slow-log'));
    expect(group).toMatchObject({ kms_key_id: BASE.logsKeyArn, retention_in_days: 365 });
    expect(JSON.parse(one(json, 'aws_cloudwatch_log_resource_policy').policy_document).Statement[0].Principal).toEqual({ Service: 'delivery.logs.amazonaws.com' });
  });

  it('admits only the workloads on 6379', () => {
    const sg = addressOf(json, 'aws_security_group', (s) => s.name_prefix === 'test-cache-');
    const rules = all(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.security_group_id === `\${${sg}.id}`);
    expect(rules).toEqual([expect.objectContaining({ referenced_security_group_id: 'sg-workload', from_port: 6379, to_port: 6379 })]);
  });

  it('makes three private, versioned, encrypted buckets with lifecycle rules', () => {
    const buckets = entries(json, 'aws_s3_bucket');
    expect(buckets.map(([, b]) => b.bucket).sort()).toEqual(['test-assets-111111111111', 'test-logs-111111111111', 'test-uploads-111111111111']);
    for (const [name, b] of buckets) {
      const ref = `\${aws_s3_bucket.${name}.id}`;
      expect(all(json, 'aws_s3_bucket_public_access_block').find((p) => p.bucket === ref)).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
      expect(all(json, 'aws_s3_bucket_versioning').find((v) => v.bucket === ref)?.versioning_configuration.status).toBe('Enabled');
      const sse = all(json, 'aws_s3_bucket_server_side_encryption_configuration').find((s) => s.bucket === ref)!.rule[0].apply_server_side_encryption_by_default;
      const ownership = all(json, 'aws_s3_bucket_ownership_controls').find((o) => o.bucket === ref)!.rule.object_ownership;
      const rules = all(json, 'aws_s3_bucket_lifecycle_configuration').find((l) => l.bucket === ref)!.rule;
      expect(rules.map((r: Json) => r.id)).toEqual(expect.arrayContaining(['abort-incomplete-multipart-uploads', 'expire-noncurrent-versions']));
      expect(rules.find((r: Json) => r.id === 'expire-noncurrent-versions').noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
      expect(b.force_destroy).toBe(false);
      if (b.bucket.includes('logs')) {
        expect(sse).toEqual({ sse_algorithm: 'AES256' });
        expect(ownership).toBe('BucketOwnerPreferred');
        expect(rules.find((r: Json) => r.id === 'expire-logs').expiration).toEqual([{ days: 365 }]);
      } else {
        expect(sse).toEqual({ sse_algorithm: 'aws:kms', kms_master_key_id: expect.stringMatching(/data-key.*\.arn\}$/) });
        expect(ownership).toBe('BucketOwnerEnforced');
      }
    }
  });

  it('denies non-TLS on the logs bucket, and leaves the assets and uploads policies to the edge layer', () => {
    const policies = all(json, 'aws_s3_bucket_policy');
    // A bucket has one policy: the edge layer writes the CloudFront (OAC) ones, with the statements exposed here.
    expect(policies.map((p) => p.bucket)).toEqual([`\${${addressOf(json, 'aws_s3_bucket', (b) => b.bucket.includes('logs'))}.id}`]);
    for (const p of policies) {
      const doc = JSON.parse(p.policy);
      expect(doc.Statement).toEqual(expect.arrayContaining([expect.objectContaining({ Sid: 'DenyInsecureTransport', Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
    }
    expect(data.buckets.assetsBucketPolicyStatements.map((s) => s.sid)).toEqual(['DenyInsecureTransport', 'DenyTlsBelow12']);
    expect(data.buckets.assetsBucketPolicyStatements[0]).toMatchObject({ effect: 'Deny', condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
    expect(data.buckets.uploadsBucketPolicyStatements.map((s) => s.sid)).toEqual(['DenyInsecureTransport', 'DenyTlsBelow12']);
    expect(data.buckets.uploadsBucketPolicyStatements[0]).toMatchObject({ effect: 'Deny', actions: ['s3:*'], condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
    expect(data.buckets.uploadsBucketPolicyStatements[1]).toMatchObject({ effect: 'Deny', condition: [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }] });
  });

  it('logs access to assets and uploads into the logs bucket, which accepts ALB, S3 and CloudFront log delivery', () => {
    const logsBucket = addressOf(json, 'aws_s3_bucket', (b) => b.bucket.includes('logs'));
    const logging = all(json, 'aws_s3_bucket_logging');
    expect(logging.map((l) => l.target_prefix).sort()).toEqual(['s3-access/test-assets-111111111111/', 's3-access/test-uploads-111111111111/']);
    expect(logging.every((l) => l.target_bucket === `\${${logsBucket}.id}`)).toBe(true);
    const doc = JSON.parse(all(json, 'aws_s3_bucket_policy').find((p) => p.bucket === `\${${logsBucket}.id}`)!.policy);
    const principals = doc.Statement.map((s: Json) => JSON.stringify(s.Principal));
    expect(principals.join()).toContain('logging.s3.amazonaws.com');
    expect(principals.join()).toContain('logdelivery.elasticloadbalancing.amazonaws.com');
    expect(principals.join()).toContain('data.aws_elb_service_account');
    const acl = one(json, 'aws_s3_bucket_acl');
    expect(acl.access_control_policy.grant.map((g: Json) => g.grantee.id)).toContain('c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0');
  });

  it('lets the site PUT uploads from the browser (CORS)', () => {
    const cors = one(json, 'aws_s3_bucket_cors_configuration');
    expect(cors.cors_rule[0]).toMatchObject({ allowed_origins: ['https://shop.example.com'], allowed_methods: ['PUT', 'GET', 'HEAD'], expose_headers: ['ETag'] });
  });

  it('exposes ARNs and names per the contract, never secret values', () => {
    expect(out(json, 'master_secret')).toMatch(/master_user_secret\[0\]\.secret_arn\}$/);
    expect(out(json, 'cache_secret')).toMatch(/aws_secretsmanager_secret\..*\.arn\}$/);
    expect(out(json, 'data_key')).toMatch(/aws_kms_key\..*\.arn\}$/);
    expect(out(json, 'uploads_domain')).toMatch(/bucket_regional_domain_name\}$/);
    expect(data.database.port).toBe(5432);
    expect(data.cache.port).toBe(6379);
    expect(data.iamDatabaseUser).toBe('api');
    // Access is granted by the parts, to the roles that need it: the layer itself writes no IAM policy.
    expect(json.resource.aws_iam_policy).toBeUndefined();
    expect(one(json, 'aws_db_instance', (d) => !d.replicate_source_db).iam_database_authentication_enabled).toBe(true);
  });

  it('refuses a database user name PostgreSQL would need quoting for', () => {
    expect(() => synth({}, { iamDatabaseUser: 'Api-User' })).toThrow(/iamDatabaseUser "Api-User" must be a lowercase PostgreSQL identifier/);
  });

  it('passes every guardrail of the platform', () => {
    expect(checkStack(stack, ALL_RULES).filter((f) => f.severity === 'error')).toEqual([]);
  });
});

describe('DataLayer (dev-like settings)', () => {
  const { json, data } = synth(
    {
      database: { multiAz: false, readReplicas: 0, deletionProtection: false, finalSnapshot: false, backupRetentionDays: 3, instanceClass: 'db.t4g.medium' },
      cache: { shards: 1, replicasPerShard: 1, snapshotRetentionDays: 0, finalSnapshot: false },
    },
    {},
    'dev',
  );

  it('puts a switched-off "default" user in the user group, as CreateUserGroup requires (DefaultUserRequired), also for Valkey', () => {
    // A VALKEY user group only takes users that authenticate (password or IAM); IAM needs user id = name, and the id
    // "default" is AWS's own user: so a generated password (Terraform's uuid(), never in the JSON) on a user that is off.
    const off = one(json, 'aws_elasticache_user', (u) => u.user_name === 'default');
    expect(off).toEqual(
      expect.objectContaining({
        user_id: 'test-default-off',
        engine: 'valkey',
        access_string: 'off -@all',
        authentication_mode: { type: 'password', passwords: ['${uuid()}'] },
        lifecycle: { ignore_changes: ['authentication_mode', 'passwords'] },
      }),
    );
    expect(JSON.stringify(json)).not.toMatch(/"passwords":\["(?!\$\{uuid\(\)\})/);
  });

  it('has no replicas, and the reader endpoint falls back to the primary', () => {
    expect(all(json, 'aws_db_instance')).toHaveLength(1);
    expect(data.database.readerEndpoints).toEqual([]);
    expect(out(json, 'reader')).toBe(out(json, 'writer'));
    expect(out(json, 'writer')).toMatch(/aws_db_instance\..*primary.*\.address\}$/);
  });

  it('skips the final snapshot and the database\'s Multi-AZ, as configured; the cache keeps its one replica (cluster mode needs it)', () => {
    const db = one(json, 'aws_db_instance');
    expect(db.availability_zone).toBe('eu-west-1a');
    expect(db).toMatchObject({ multi_az: false, deletion_protection: false, skip_final_snapshot: true });
    expect(db.final_snapshot_identifier).toBeUndefined();
    const rg = one(json, 'aws_elasticache_replication_group');
    expect(rg).toMatchObject({ automatic_failover_enabled: true, multi_az_enabled: true, num_node_groups: 1, replicas_per_node_group: 1, snapshot_retention_limit: 0 });
    expect(rg.final_snapshot_identifier).toBeUndefined();
  });

  it('refuses a cache shard without a replica: cluster mode needs automatic failover, which the provider refuses for one node', () => {
    expect(() => synth({ cache: { shards: 1, replicasPerShard: 0 } }, {}, 'dev')).toThrow(/DataLayer test\/data: invalid settings \(1 problem\):\n {2}settings\.cache\.replicasPerShard: expected at least 1 \(cluster mode needs automatic failover/);
  });
});

describe("the service user's access string", () => {
  it('refuses rules that grant @dangerous commands or that ElastiCache refuses, naming each', () => {
    expect(accessStringProblems(CACHE_ACCESS_STRING)).toEqual([]);
    expect(accessStringProblems('on ~product:* &awp:cache:invalidations -@all +get +set +del +publish +subscribe +ping +info')).toEqual([]);
    expect(accessStringProblems('on allkeys allchannels allcommands -@dangerous +info')).toEqual([]);
    expect(accessStringProblems('on ~* -@all +@hash +@string +cluster|slots')).toEqual([]);
    expect(accessStringProblems('on ~* &* +@all')).toEqual(['"+@all" without a later "-@dangerous" (the category holds @dangerous commands; rules apply left to right)']);
    expect(accessStringProblems('on ~* &* -@dangerous +@all')).toHaveLength(1);
    // categories that hold dangerous commands (KEYS is @read, FLUSHALL @write, MONITOR @admin)
    for (const s of ['on ~* -@all +@read', 'on ~* -@all +@read +@write', 'on ~* +@all -@dangerous +@admin', 'on ~* +@all -@dangerous +@keyspace', 'on allcommands']) {
      expect([s, accessStringProblems(s)[0]]).toEqual([s, expect.stringMatching(/without a later "-@dangerous"/)]);
    }
    for (const c of ['+flushall', '+config|get', '+client', '+client|kill', '+sort', '+migrate', '+swapdb', '+acl', '+keys', '+monitor']) {
      expect([c, accessStringProblems(`on ~* +@all -@dangerous ${c}`)]).toEqual([c, [`"${c}" (a @dangerous command)`]]);
    }
    expect(accessStringProblems('on -@all +get (+@all ~*)')[0]).toMatch(/^"\(\+@all…" \(selectors are not checked here/);
    expect(accessStringProblems('on nopass ~* -@all +get')[0]).toMatch(/^"nopass" \(passwords and reset/);
    const withPassword = accessStringProblems('on >S3cretValue ~* -@all +get');
    expect(withPassword).toEqual(['a password rule (passwords are set through the ElastiCache API, not the access string)']);
    expect(withPassword.join(' ')).not.toMatch(/s3cret/i);
    expect(accessStringProblems('~* -@all +get')).toEqual(['no "on" (the user would be switched off)']);
    expect(accessStringProblems('on ~* -@all +get off')).toEqual(['"off" last (the user would be switched off)']);
  });

  it('both ElastiCache users wait 15 minutes for create/update/delete (ModifyUser often outlasts the provider default of 5)', () => {
    const { json } = synth();
    const users = all(json, 'aws_elasticache_user');
    expect(users).toHaveLength(2);
    for (const u of users) expect(u.timeouts).toEqual({ create: '15m', update: '15m', delete: '15m' });
  });

  it('an environment with such a string fails at synth with the field and what was expected', () => {
    expect(() => synth({ cache: { accessString: 'on ~* &* +@all' } }, {}, 'dev')).toThrow(
      /settings\.cache\.accessString: expected the service's least-privilege ACL \(default "on ~\* &\* \+@all -@dangerous \+info"\), got "\+@all" without a later "-@dangerous"/,
    );
  });
});

describe('DataLayer options and refusals', () => {
  it('adds the same switched-off "default" user for Redis OSS user groups', () => {
    const { json } = synth({ cache: { engine: 'redis', engineVersion: '7.1' } });
    const users = all(json, 'aws_elasticache_user');
    expect(users.find((u) => u.user_name === 'default')).toMatchObject({ engine: 'redis', access_string: 'off -@all', authentication_mode: { type: 'password' } });
    expect(one(json, 'aws_elasticache_parameter_group').family).toBe('redis7');
  });

  it('refuses an engine version that cannot authenticate with IAM', () => {
    expect(() => synth({ cache: { engine: 'valkey', engineVersion: '7.0' } })).toThrow(/settings\.cache\.engineVersion: expected a version that can authenticate with IAM \(Valkey 7\.2\+ or Redis OSS 7\.0\+\), got valkey 7\.0/);
  });

  it('refuses more read replicas than RDS allows', () => {
    expect(() => synth({ database: { readReplicas: 6 } })).toThrow(/settings\.database\.readReplicas: Too big: expected number to be <=5/);
  });

  it('spreads three replicas over the zones after the first, wrapping around', () => {
    const { json } = synth({ database: { readReplicas: 3 } });
    const zones = all(json, 'aws_db_instance').filter((r) => r.replicate_source_db).map((r) => r.availability_zone);
    expect(zones).toEqual(['eu-west-1b', 'eu-west-1c', 'eu-west-1a']);
  });

  it('derives the parameter group family from a pinned minor version', () => {
    const { json } = synth({ database: { engineVersion: '16.4' } });
    expect(one(json, 'aws_db_parameter_group').family).toBe('postgres16');
    expect(one(json, 'aws_db_instance', (r) => !r.replicate_source_db).engine_version).toBe('16.4');
  });
});

describe('DataLayer settings (libs/data/src/settings.ts, the data section of an environment file)', () => {
  const { data } = synth();

  it('takes its defaults from the section, the only place they are written, and exposes them per part', () => {
    expect(data.settings).toEqual(dataSettings.parse({}));
    expect(data.settings.database).toMatchObject({ engineVersion: '17', instanceClass: 'db.r7g.large', multiAz: true, readReplicas: 1, finalSnapshot: true, masterUsername: 'app_admin' });
    expect(data.settings.cache).toMatchObject({ engine: 'valkey', engineVersion: '8.0', shards: 2, replicasPerShard: 1, finalSnapshot: true, maxmemoryPolicy: 'allkeys-lru' });
    expect(data.settings.buckets).toEqual({ noncurrentVersionExpirationDays: 90, logExpirationDays: 365, abortIncompleteMultipartDays: 7, legacyElbAccountLogDelivery: true, extraCorsOrigins: [] });
    expect(data.database.settings).toEqual(data.settings.database);
    expect(data.cache.settings).toEqual(data.settings.cache);
    expect(data.buckets.settings).toEqual(data.settings.buckets);
  });

  it('refuses what the environment file refuses, naming the construct and the field', () => {
    const err = (() => {
      try {
        synth({ database: { allocatedStorageGb: 200, maxAllocatedStorageGb: 100 }, buckets: { logExpirationDays: 0 } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).message).toBe(
      'DataLayer test/data: invalid settings (2 problems):\n' +
        '  settings.database.maxAllocatedStorageGb: expected >= allocatedStorageGb (200), got 100\n' +
        '  settings.buckets.logExpirationDays: Too small: expected number to be >0',
    );
    expect(() => synth({ cache: { maintenanceWindow: 'mon:01:30-mon:02:30' } })).toThrow('settings.cache.maintenanceWindow: expected no overlap with snapshotWindow ("01:00-02:00"), got "mon:01:30-mon:02:30"');
    expect(() => synth({ database: { masterPassword: 'x' } as DataSettings['database'] })).toThrow('settings.database: unknown field "masterPassword"');
  });

  it('lets each part be used alone with the same section and messages', () => {
    const stack = new TerraformStack(Testing.app(), 'alone');
    const aws = { accountId: '111111111111', region: 'eu-west-1', partition: 'aws' };
    const wiring = { namePrefix: 'x', scope: aws, vpcId: 'vpc', subnetIds: ['s'], clientSecurityGroupId: 'sg', dataKeyArn: 'k', logsKeyArn: 'l', logRetentionDays: 30 };
    expect(new Postgres(stack, 'pg', { ...wiring, settings: {}, secretsKeyArn: 's' }).settings.readReplicas).toBe(1);
    expect(() => new Postgres(stack, 'pg2', { ...wiring, settings: { readReplicas: 9 }, secretsKeyArn: 's' })).toThrow(/^Postgres alone\/pg2: invalid settings \(1 problem\):\n {2}settings\.readReplicas: /);
    expect(() => new Cache(stack, 'c', { ...wiring, settings: { engine: 'redis', engineVersion: '6.2' } })).toThrow('Cache alone/c: invalid settings (1 problem):\n  settings.engineVersion: expected a version that can authenticate with IAM');
    expect(() => new DataBuckets(stack, 'b', { settings: { extraCorsOrigins: ['localhost'] }, namePrefix: 'x', scope: aws, names: { assets: 'a', uploads: 'u', logs: 'l' }, dataKeyArn: 'k', siteOrigin: 'https://x' })).toThrow(
      /^DataBuckets alone\/b: invalid settings \(1 problem\):\n {2}settings\.extraCorsOrigins\[0\]: expected an origin/,
    );
    expect(() => new DataKeys(stack, 'k', { settings: { kmsDeletionWindowDays: 3 }, namePrefix: 'x', scope: aws })).toThrow(/^DataKeys alone\/k: invalid settings \(1 problem\):\n {2}settings\.kmsDeletionWindowDays: /);
  });

  it('writes what the section says: final snapshots, extra CORS origins, secret recovery window', () => {
    const { json } = synth({ database: { finalSnapshot: false }, cache: { finalSnapshot: false }, buckets: { extraCorsOrigins: ['http://localhost:5173'] }, secretRecoveryWindowDays: 7 });
    expect(one(json, 'aws_db_instance', (r) => !r.replicate_source_db)).toMatchObject({ skip_final_snapshot: true });
    expect(one(json, 'aws_elasticache_replication_group').final_snapshot_identifier).toBeUndefined();
    expect(one(json, 'aws_s3_bucket_cors_configuration').cors_rule[0].allowed_origins).toEqual(['https://shop.example.com', 'http://localhost:5173']);
    expect(one(json, 'aws_secretsmanager_secret').recovery_window_in_days).toBe(7);
  });
});

describe('grant helpers: each part grants access to what it owns, to one role, as an inline policy', () => {
  /** The layer and two roles in one stack; `grant` gives them access. Returns each role's statements. */
  function granted(grant: (data: DataLayer, role: (name: string) => Grantee) => void): Record<string, Json[]> {
    const stack = new TerraformStack(Testing.app(), 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const data = new DataLayer(stack, 'data', BASE);
    grant(data, (name) => ({ scope: stack, id: `${name}-grant`, roleName: new IamRole(stack, name, { name, assumeRolePolicy: '{}' }).name }));
    const json = JSON.parse(Testing.synth(stack));
    const byRole: Record<string, Json[]> = {};
    for (const p of all(json, 'aws_iam_role_policy')) {
      const role = String(p.role).replace(/^\$\{aws_iam_role\.(\w+)\.name\}$/, '$1');
      const doc = json.data.aws_iam_policy_document[String(p.policy).replace(/^\$\{data\.aws_iam_policy_document\.(.*)\.json\}$/, '$1')];
      (byRole[role] ??= []).push(...doc.statement.map((st: Json) => ({ policy: p.name, ...st })));
    }
    return byRole;
  }

  it('database.grantConnect: rds-db:connect as that user only, on the primary and every replica', () => {
    const { svc } = granted((d, role) => d.database.grantConnect(role('svc'), 'reporting'));
    expect(svc).toEqual([{ policy: 'database-connect', sid: 'ConnectToDatabaseWithIam', actions: ['rds-db:connect'], resources: [expect.stringMatching(/dbuser:\$\{aws_db_instance\.data_postgres_primary_\w+\.resource_id\}\/reporting$/), expect.stringMatching(/dbuser:\$\{aws_db_instance\.data_postgres_replica-1_\w+\.resource_id\}\/reporting$/)] }]);
    expect(svc[0].resources[0]).toMatch(/^arn:\$\{data\.aws_partition\..*\}:rds-db:\$\{data\.aws_region\..*\}:\$\{data\.aws_caller_identity\..*\.account_id\}:dbuser:/);
    expect(() => granted((d, role) => d.database.grantConnect(role('svc'), 'Bad-User'))).toThrow(/grantConnect: dbUser "Bad-User" must be a lowercase PostgreSQL identifier/);
  });

  it("cache.grantConnect: elasticache:Connect on the group and the service's user (or a named user)", () => {
    const { svc, other } = granted((d, role) => {
      d.cache.grantConnect(role('svc'));
      d.cache.grantConnect(role('other'), 'reports');
    });
    expect(svc).toEqual([{ policy: 'cache-connect', sid: 'ConnectToCacheWithIam', actions: ['elasticache:Connect'], resources: [expect.stringMatching(/^\$\{aws_elasticache_replication_group\..*\.arn\}$/), expect.stringMatching(/^\$\{aws_elasticache_user\.data_cache_app-user_\w+\.arn\}$/)] }]);
    expect(other[0].resources[1]).toMatch(/:elasticache:\$\{data\.aws_region\..*\}:\$\{data\.aws_caller_identity\..*\}:user:reports$/);
  });

  it('buckets.<bucket>.grantReadWrite: its objects (under a prefix when given) and its key only through S3', () => {
    const { svc, scoped } = granted((d, role) => {
      d.buckets.uploads.grantReadWrite(role('svc'));
      d.buckets.uploads.grantReadWrite(role('scoped'), 'products/');
    });
    expect(svc).toEqual([
      { policy: 'uploads-read-write', sid: 'ListObjects', actions: ['s3:ListBucket'], resources: [expect.stringMatching(/^\$\{aws_s3_bucket\.data_buckets_uploads_\w+\.arn\}$/)] },
      { policy: 'uploads-read-write', sid: 'ReadWriteObjects', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], resources: [expect.stringMatching(/uploads_\w+\.arn\}\/\*$/)] },
      { policy: 'uploads-read-write', sid: 'UseBucketKeyThroughS3', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [expect.stringMatching(/data-key_\w+\.arn\}$/)], condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [expect.stringMatching(/^s3\..*\.amazonaws\.com$/)] }] },
    ]);
    expect(scoped[0].condition).toEqual([{ test: 'StringLike', variable: 's3:prefix', values: ['products/*'] }]);
    expect(scoped[1].resources).toEqual([expect.stringMatching(/\/products\/\*$/)]);
    // The logs bucket is SSE-S3: no key to grant.
    const { logs } = granted((d, role) => d.buckets.logs.grantReadWrite(role('logs')));
    expect(logs.map((st) => st.sid)).toEqual(['ListObjects', 'ReadWriteObjects']);
  });

  it('secret.grantRead: that secret only, decrypted with the secrets key only through Secrets Manager', () => {
    const { svc, migrate } = granted((d, role) => {
      d.cacheAuthSecret.grantRead(role('svc'));
      d.database.masterSecret.grantRead(role('migrate'));
    });
    const decrypt = { sid: 'DecryptSecret', actions: ['kms:Decrypt'], resources: [expect.stringMatching(/secrets-key_\w+\.arn\}$/)], condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [expect.stringMatching(/^secretsmanager\./)] }] };
    expect(svc).toEqual([
      { policy: 'cache-auth-secret-read', sid: 'ReadSecret', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [expect.stringMatching(/^\$\{aws_secretsmanager_secret\.data_cache-auth-secret_\w+\.arn\}$/)] },
      { policy: 'cache-auth-secret-read', ...decrypt },
    ]);
    expect(migrate).toEqual([
      { policy: 'database-master-secret-read', sid: 'ReadSecret', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [expect.stringMatching(/master_user_secret\[0\]\.secret_arn\}$/)] },
      { policy: 'database-master-secret-read', ...decrypt },
    ]);
  });

  it('a role granted only the buckets cannot connect to the database or the cache, nor read a secret (negative)', () => {
    const { svc, buckets } = granted((d, role) => {
      d.database.grantConnect(role('svc'), 'api');
      d.buckets.uploads.grantReadWrite(role('buckets'));
    });
    const actions = buckets.flatMap((st) => st.actions as string[]);
    expect(actions.filter((a) => /^(rds-db|rds|elasticache|secretsmanager):/.test(a))).toEqual([]);
    expect(buckets.flatMap((st) => st.resources as string[]).some((r) => /dbuser|aws_db_instance|elasticache|secretsmanager/.test(r))).toBe(false);
    expect(svc.map((st) => st.actions)).toEqual([['rds-db:connect']]);
  });

  it('grants to a role of another stack by reference (the cross-stack case the workloads stack uses)', () => {
    const app = Testing.app();
    const dataStack = new TerraformStack(app, 'data');
    new AwsProvider(dataStack, 'aws', { region: 'eu-west-1' });
    const data = new DataLayer(dataStack, 'data', BASE);
    const other = new TerraformStack(app, 'workloads');
    new AwsProvider(other, 'aws', { region: 'eu-west-1' });
    data.database.grantConnect({ scope: other, id: 'svc', roleName: 'prod-api' }, 'api');
    app.synth(); // cross-stack references resolve only when the whole app is synthesized
    const json = JSON.parse(readFileSync(path.join(app.outdir, 'stacks', 'workloads', 'cdk.tf.json'), 'utf8'));
    expect(one(json, 'aws_iam_role_policy')).toMatchObject({ role: 'prod-api', name: 'database-connect' });
    const [doc] = Object.values<Json>(json.data.aws_iam_policy_document);
    expect(doc.statement[0].resources[0]).toContain('${data.terraform_remote_state.cross-stack-reference-input-data.outputs.');
  });
});
