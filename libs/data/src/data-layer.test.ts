import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Testing, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { DataLayer, type DataLayerProps } from './index';

type Json = Record<string, any>;
const TAGS = { Environment: 'test', Layer: 'data', Owner: 'o', CostCenter: 'c', Repository: 'o/r', ManagedBy: 'cdktf' };
const BASE: DataLayerProps = {
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

function synth(props: Partial<DataLayerProps> = {}, tier = 'prod'): { json: Json; stack: TerraformStack; data: DataLayer } {
  const stack = new TerraformStack(Testing.app(), 'test');
  stack.node.setContext('awp:tier', tier);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', allowedAccountIds: ['111111111111'], defaultTags: [{ tags: TAGS }] });
  const data = new DataLayer(stack, 'data', { ...BASE, ...props });
  // Outputs make the construct's token fields visible in the JSON, as a consuming stack would see them.
  const fields: Record<string, unknown> = {
    reader: data.postgres.readerEndpoint,
    writer: data.postgres.endpoint,
    master_secret: data.postgres.masterSecretArn,
    cache_secret: data.redis.authSecretArn,
    data_key: data.kms.dataKeyArn,
    uploads_domain: data.buckets.uploads.regionalDomainName,
    access_policy: data.serviceAccessPolicyArn,
  };
  for (const [k, v] of Object.entries(fields)) new TerraformOutput(stack, k, { value: v });
  return { json: JSON.parse(Testing.synth(stack)), stack, data };
}
const all = (json: Json, type: string): Json[] => Object.values(json.resource[type] ?? {});
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
    expect(data.postgres.readerEndpoints).toHaveLength(1);
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
    expect(data.redis.nodeIds).toEqual(['test-cache-0001-001', 'test-cache-0001-002', 'test-cache-0002-001', 'test-cache-0002-002']);
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
    const policy = JSON.parse(JSON.stringify(json.data.aws_iam_policy_document));
    const access = Object.values<Json>(policy).find((d) => d.statement?.some((s: Json) => s.sid === 'ConnectToCacheWithIam'))!;
    expect(access.statement.find((s: Json) => s.sid === 'ConnectToCacheWithIam').actions).toEqual(['elasticache:Connect']);
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
    expect(data.assetsBucketPolicyStatements.map((s) => s.sid)).toEqual(['DenyInsecureTransport', 'DenyTlsBelow12']);
    expect(data.assetsBucketPolicyStatements[0]).toMatchObject({ effect: 'Deny', condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
    expect(data.uploadsBucketPolicyStatements.map((s) => s.sid)).toEqual(['DenyInsecureTransport', 'DenyTlsBelow12']);
    expect(data.uploadsBucketPolicyStatements[0]).toMatchObject({ effect: 'Deny', actions: ['s3:*'], condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
    expect(data.uploadsBucketPolicyStatements[1]).toMatchObject({ effect: 'Deny', condition: [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }] });
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
    expect(data.appSecretArns).toHaveLength(1);
    expect(out(json, 'master_secret')).toMatch(/master_user_secret\[0\]\.secret_arn\}$/);
    expect(out(json, 'cache_secret')).toMatch(/aws_secretsmanager_secret\..*\.arn\}$/);
    expect(out(json, 'data_key')).toMatch(/aws_kms_key\..*\.arn\}$/);
    expect(out(json, 'uploads_domain')).toMatch(/bucket_regional_domain_name\}$/);
    expect(data.postgres.port).toBe(5432);
    expect(data.redis.port).toBe(6379);
    expect(out(json, 'access_policy')).toMatch(/aws_iam_policy\..*\.arn\}$/);
  });

  it('lets the service connect to the database only as the IAM user "api", never read the master secret', () => {
    const docs = Object.values<Json>(json.data.aws_iam_policy_document);
    const service = docs.find((d) => d.statement?.some((st: Json) => st.sid === 'ConnectToDatabaseWithIam'))!;
    const connect = service.statement.find((st: Json) => st.sid === 'ConnectToDatabaseWithIam');
    expect(connect.actions).toEqual(['rds-db:connect']);
    expect(connect.resources).toHaveLength(2); // the primary and its replica
    for (const r of connect.resources) expect(r).toMatch(/^arn:\$\{data\.aws_partition\..*\}:rds-db:.*:dbuser:\$\{aws_db_instance\..*\.resource_id\}\/api$/);
    const reads = service.statement.filter((st: Json) => st.actions.includes('secretsmanager:GetSecretValue'));
    expect(reads.flatMap((st: Json) => st.resources)).toEqual([expect.stringMatching(/^\$\{aws_secretsmanager_secret\..*cache-auth-secret.*\.arn\}$/)]);
    expect(JSON.stringify(service)).not.toContain('master_user_secret');
    expect(data.postgres.appUser).toBe('api');
    expect(one(json, 'aws_db_instance', (d) => !d.replicate_source_db).iam_database_authentication_enabled).toBe(true);
  });

  it('lets only the migration policy read the RDS-managed master secret, decrypting through Secrets Manager', () => {
    const migration = one(json, 'aws_iam_policy', (p) => p.name === 'test-api-migration-access');
    const doc = json.data.aws_iam_policy_document[migration.policy.replace(/^\$\{data\.aws_iam_policy_document\.(.*)\.json\}$/, '$1')];
    expect(doc.statement).toEqual([
      { sid: 'ReadMasterSecret', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [expect.stringMatching(/master_user_secret\[0\]\.secret_arn\}$/)] },
      {
        sid: 'DecryptMasterSecret',
        actions: ['kms:Decrypt'],
        resources: [expect.stringMatching(/aws_kms_key\..*secrets-key.*\.arn\}$/)],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [expect.stringMatching(/^secretsmanager\.\$\{data\.aws_region\..*\.region\}\.amazonaws\.com$/)] }],
      },
    ]);
    expect(data.migrationAccessPolicyArn).toBeDefined();
  });

  it('refuses a database user name PostgreSQL would need quoting for', () => {
    expect(() => synth({ iamDatabaseUser: 'Api-User' })).toThrow(/iamDatabaseUser "Api-User" must be a lowercase PostgreSQL identifier/);
  });

  it('passes every guardrail of the platform', () => {
    expect(checkStack(stack, ALL_RULES).filter((f) => f.severity === 'error')).toEqual([]);
  });
});

describe('DataLayer (dev-like settings)', () => {
  const { json, data } = synth(
    {
      postgres: { multiAz: false, readReplicas: 0, deletionProtection: false, skipFinalSnapshot: true, backupRetentionDays: 3, instanceClass: 'db.t4g.medium' },
      cache: { shards: 1, replicasPerShard: 1, snapshotRetentionDays: 0, finalSnapshot: false },
    },
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
    expect(data.postgres.readerEndpoints).toEqual([]);
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
    expect(() => synth({ cache: { shards: 1, replicasPerShard: 0 } }, 'dev')).toThrow(/expected shards >= 1 and 1\.\.5 replicas per shard \(cluster mode needs automatic failover\), got 1\/0/);
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
    expect(() => synth({ cache: { engine: 'valkey', engineVersion: '7.0' } })).toThrow(/engineVersion 7.0 of valkey cannot authenticate with IAM/);
  });

  it('refuses more read replicas than RDS allows', () => {
    expect(() => synth({ postgres: { readReplicas: 6 } })).toThrow(/readReplicas must be an integer 0..5/);
  });

  it('spreads three replicas over the zones after the first, wrapping around', () => {
    const { json } = synth({ postgres: { readReplicas: 3 } });
    const zones = all(json, 'aws_db_instance').filter((r) => r.replicate_source_db).map((r) => r.availability_zone);
    expect(zones).toEqual(['eu-west-1b', 'eu-west-1c', 'eu-west-1a']);
  });

  it('attaches the service access policy to a role in another stack by reference', () => {
    const app = Testing.app();
    const dataStack = new TerraformStack(app, 'data');
    new AwsProvider(dataStack, 'aws', { region: 'eu-west-1' });
    const data = new DataLayer(dataStack, 'data', BASE);
    const other = new TerraformStack(app, 'cluster');
    new AwsProvider(other, 'aws', { region: 'eu-west-1' });
    data.grantServiceAccess(other, 'api-data', 'prod-api');
    app.synth(); // cross-stack references resolve only when the whole app is synthesized
    const json = JSON.parse(readFileSync(path.join(app.outdir, 'stacks', 'cluster', 'cdk.tf.json'), 'utf8'));
    expect(one(json, 'aws_iam_role_policy_attachment')).toMatchObject({ role: 'prod-api', policy_arn: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-data\.outputs\./) });
  });

  it('derives the parameter group family from a pinned minor version', () => {
    const { json } = synth({ postgres: { engineVersion: '16.4' } });
    expect(one(json, 'aws_db_parameter_group').family).toBe('postgres16');
    expect(one(json, 'aws_db_instance', (r) => !r.replicate_source_db).engine_version).toBe('16.4');
  });
});
