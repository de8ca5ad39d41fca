import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DbInstance, type DbInstanceConfig } from '@cdktf/provider-aws/lib/db-instance';
import { ElasticacheReplicationGroup, type ElasticacheReplicationGroupConfig } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheUser } from '@cdktf/provider-aws/lib/elasticache-user';
import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketAcl } from '@cdktf/provider-aws/lib/s3-bucket-acl';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { checkStack } from '../aspect';
import { suppress } from '../engine';
import { dataRules } from './data';

function stackOf(tier: 'dev' | 'prod', build: (s: TerraformStack) => void): TerraformStack {
  const stack = new TerraformStack(Testing.app(), `t-${tier}`);
  stack.node.setContext('awp:tier', tier);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  build(stack);
  return stack;
}
const findings = (stack: TerraformStack, id: string) => checkStack(stack, dataRules).filter((f) => f.ruleId === id && !f.suppressedBecause).map((f) => f.message);

const KEY = 'arn:aws:kms:eu-west-1:111111111111:key/data';
const goodDb: DbInstanceConfig = {
  identifier: 'db',
  engine: 'postgres',
  instanceClass: 'db.t4g.medium',
  allocatedStorage: 20,
  username: 'admin_user',
  manageMasterUserPassword: true,
  storageEncrypted: true,
  kmsKeyId: KEY,
  backupRetentionPeriod: 14,
  deletionProtection: true,
  skipFinalSnapshot: false,
  finalSnapshotIdentifier: 'db-final',
  multiAz: true,
  publiclyAccessible: false,
};
const goodCache: ElasticacheReplicationGroupConfig = {
  replicationGroupId: 'cache',
  description: 'cache',
  engine: 'valkey',
  nodeType: 'cache.t4g.small',
  atRestEncryptionEnabled: 'true',
  kmsKeyId: KEY,
  transitEncryptionEnabled: true,
  automaticFailoverEnabled: true,
  multiAzEnabled: true,
  snapshotRetentionLimit: 7,
  finalSnapshotIdentifier: 'cache-final',
};

/** A bucket with everything the rules ask for; `omit` leaves pieces out. */
function bucket(s: TerraformStack, id: string, omit: { pab?: boolean; sse?: boolean; versioning?: boolean; pabFlags?: boolean } = {}, extra: { forceDestroy?: boolean } = {}): S3Bucket {
  const b = new S3Bucket(s, id, { bucket: `${id}-bucket`, ...extra });
  if (!omit.pab) new S3BucketPublicAccessBlock(s, `${id}-pab`, { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: !omit.pabFlags, ignorePublicAcls: true, restrictPublicBuckets: true });
  if (!omit.sse) new S3BucketServerSideEncryptionConfigurationA(s, `${id}-sse`, { bucket: b.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: KEY } }] });
  if (!omit.versioning) new S3BucketVersioningA(s, `${id}-v`, { bucket: b.id, versioningConfiguration: { status: 'Enabled' } });
  return b;
}

describe('data guardrails: the good constructs pass', () => {
  it('raises nothing for an encrypted, backed-up, protected database, cache and bucket in prod', () => {
    const stack = stackOf('prod', (s) => {
      new DbInstance(s, 'db', goodDb);
      new DbInstance(s, 'replica', { identifier: 'replica', instanceClass: 'db.t4g.medium', replicateSourceDb: 'db', storageEncrypted: true, kmsKeyId: KEY, deletionProtection: true, skipFinalSnapshot: true, backupRetentionPeriod: 0 });
      new ElasticacheReplicationGroup(s, 'cache', goodCache);
      new ElasticacheUser(s, 'user', { userId: 'app', userName: 'app', engine: 'valkey', accessString: 'on ~* +@all', authenticationMode: { type: 'iam' } });
      bucket(s, 'good');
      new SecretsmanagerSecret(s, 'secret', { name: 'x', kmsKeyId: KEY });
    });
    expect(checkStack(stack, dataRules)).toEqual([]);
  });
});

describe('AWP-DATA-001 unencrypted storage', () => {
  it('fires on an unencrypted database, a cache without TLS or CMK, a bucket without SSE and an unencrypted volume', () => {
    const stack = stackOf('dev', (s) => {
      new DbInstance(s, 'db', { ...goodDb, storageEncrypted: false });
      new DbInstance(s, 'db-aws-key', { ...goodDb, identifier: 'db2', kmsKeyId: undefined, performanceInsightsEnabled: true });
      new ElasticacheReplicationGroup(s, 'cache', { ...goodCache, transitEncryptionEnabled: false, kmsKeyId: undefined });
      new ElasticacheReplicationGroup(s, 'cache-plain', { ...goodCache, replicationGroupId: 'c2', atRestEncryptionEnabled: 'false' });
      bucket(s, 'nosse', { sse: true });
      new EbsVolume(s, 'vol', { availabilityZone: 'eu-west-1a', size: 10 });
    });
    expect(findings(stack, 'AWP-DATA-001').sort()).toEqual(
      [
        'storage_encrypted is not true',
        'storage is encrypted with the AWS-managed key (kms_key_id unset), not a CMK',
        'Performance Insights without performance_insights_kms_key_id',
        'encrypted at rest with the AWS-managed key (kms_key_id unset), not a CMK',
        'transit_encryption_enabled is not true (clients talk in plaintext)',
        'at_rest_encryption_enabled is not true',
        'bucket has no aws_s3_bucket_server_side_encryption_configuration',
        'encrypted is not true',
      ].sort(),
    );
  });
});

describe('AWP-DATA-002 public bucket', () => {
  it('fires on a bucket without a public access block, a block with a flag off, a public ACL and an unconditional Allow to *', () => {
    const stack = stackOf('dev', (s) => {
      bucket(s, 'nopab', { pab: true });
      bucket(s, 'halfpab', { pabFlags: true });
      const pub = bucket(s, 'acl');
      new S3BucketAcl(s, 'public-acl', { bucket: pub.id, acl: 'public-read' });
      new S3BucketAcl(s, 'grant-acl', {
        bucket: pub.id,
        accessControlPolicy: { owner: { id: 'owner' }, grant: [{ grantee: { type: 'Group', uri: 'http://acs.amazonaws.com/groups/global/AllUsers' }, permission: 'READ' }] },
      });
      new S3BucketPolicy(s, 'open-policy', {
        bucket: pub.id,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acl-bucket/*' }] }),
      });
    });
    expect(findings(stack, 'AWP-DATA-002')).toEqual([
      'bucket has no aws_s3_bucket_public_access_block',
      'public access block leaves block_public_policy off',
      'canned ACL "public-read" makes the bucket public',
      'ACL grant to http://acs.amazonaws.com/groups/global/AllUsers',
      'bucket policy statement "Everyone" allows "*" without a condition',
    ]);
  });

  it('accepts a conditional Allow (CloudFront OAC) and a Deny to *', () => {
    const stack = stackOf('dev', (s) => {
      const b = bucket(s, 'oac');
      new S3BucketPolicy(s, 'policy', {
        bucket: b.id,
        policy: JSON.stringify({
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'AWS:SourceArn': 'arn' } } },
            { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          ],
        }),
      });
    });
    expect(findings(stack, 'AWP-DATA-002')).toEqual([]);
  });
});

describe('AWP-DATA-003 missing backups', () => {
  it('fires on a primary without backups, short prod backups, a prod cache without snapshots and an unversioned bucket', () => {
    const prod = stackOf('prod', (s) => {
      new DbInstance(s, 'none', { ...goodDb, backupRetentionPeriod: 0 });
      new DbInstance(s, 'short', { ...goodDb, identifier: 'short', backupRetentionPeriod: 3 });
      new ElasticacheReplicationGroup(s, 'cache', { ...goodCache, snapshotRetentionLimit: 0 });
      bucket(s, 'unversioned', { versioning: true });
    });
    expect(findings(prod, 'AWP-DATA-003')).toEqual([
      'automated backups are off (backup_retention_period unset or 0)',
      'prod keeps backups only 3 day(s) (< 7)',
      'prod cache keeps no snapshots (snapshot_retention_limit unset or 0)',
      'bucket is not versioned (no aws_s3_bucket_versioning with status Enabled)',
    ]);
  });

  it('lets dev keep short backups and no cache snapshots, and replicas keep none', () => {
    const dev = stackOf('dev', (s) => {
      new DbInstance(s, 'short', { ...goodDb, backupRetentionPeriod: 3 });
      new DbInstance(s, 'replica', { identifier: 'r', instanceClass: 'db.t4g.medium', replicateSourceDb: 'short', storageEncrypted: true, kmsKeyId: KEY, backupRetentionPeriod: 0 });
      new ElasticacheReplicationGroup(s, 'cache', { ...goodCache, snapshotRetentionLimit: 0 });
    });
    expect(findings(dev, 'AWP-DATA-003')).toEqual([]);
  });
});

describe('AWP-DATA-004 missing deletion protection in prod', () => {
  const build = (s: TerraformStack) => {
    new DbInstance(s, 'db', { ...goodDb, deletionProtection: false, skipFinalSnapshot: true, finalSnapshotIdentifier: undefined });
    new ElasticacheReplicationGroup(s, 'cache', { ...goodCache, finalSnapshotIdentifier: undefined });
    bucket(s, 'doomed', {}, { forceDestroy: true });
  };

  it('fires in prod', () => {
    expect(findings(stackOf('prod', build), 'AWP-DATA-004')).toEqual([
      'deletion_protection is not true in prod',
      'no final snapshot on delete (skip_final_snapshot is not false)',
      'no final snapshot on delete (final_snapshot_identifier unset)',
      'force_destroy deletes every object with the bucket',
    ]);
  });

  it('stays quiet outside prod', () => {
    expect(findings(stackOf('dev', build), 'AWP-DATA-004')).toEqual([]);
  });
});

describe('AWP-DATA-005 plaintext password attributes', () => {
  it('fires on a literal master password, an auth token, user passwords, a literal secret_string and a random_password result', () => {
    const stack = stackOf('dev', (s) => {
      new DbInstance(s, 'db', { ...goodDb, manageMasterUserPassword: undefined, password: 'hunter2hunter2' });
      new ElasticacheReplicationGroup(s, 'cache', { ...goodCache, authToken: 'a-very-long-token-value-1234' });
      new ElasticacheUser(s, 'user', { userId: 'u', userName: 'u', engine: 'valkey', accessString: 'on ~* +@all', passwords: ['another-long-password-1'] });
      const secret = new SecretsmanagerSecret(s, 'secret', { name: 'x', kmsKeyId: KEY });
      new SecretsmanagerSecretVersion(s, 'literal', { secretId: secret.id, secretString: '{"password":"p4ss"}' });
      // As a random_password resource's result would be referenced (the random provider is not installed here).
      new SecretsmanagerSecretVersion(s, 'generated', { secretId: secret.id, secretString: '${random_password.db.result}' });
    });
    expect(findings(stack, 'AWP-DATA-005')).toEqual([
      'password is set: the value is stored in plaintext in Terraform state and in the synthesized JSON',
      'auth_token is set: the value is stored in plaintext in Terraform state and in the synthesized JSON',
      'passwords is set: the value is stored in plaintext in Terraform state and in the synthesized JSON',
      'secret_string holds a literal value (it is in the synthesized JSON and the state)',
      'secret_string takes a generated secret through Terraform state; write it with secret_string_wo from an ephemeral resource',
    ]);
  });

  it('accepts write-only values, references to non-secret attributes and tags named like secrets', () => {
    const stack = stackOf('dev', (s) => {
      const secret = new SecretsmanagerSecret(s, 'secret', { name: 'x', kmsKeyId: KEY, tags: { password: 'rotation-owner' } });
      new SecretsmanagerSecretVersion(s, 'wo', { secretId: secret.id, secretStringWo: '${ephemeral.aws_secretsmanager_random_password.r.random_password}', secretStringWoVersion: 1 });
      new SecretsmanagerSecretVersion(s, 'settings', { secretId: secret.id, secretString: `\${jsonencode({"host" = ${'aws_db_instance.db.address'}})}` });
    });
    expect(findings(stack, 'AWP-DATA-005')).toEqual([]);
  });

  it('can be suppressed with a reason, and the finding says so', () => {
    const stack = stackOf('dev', (s) => {
      const db = new DbInstance(s, 'db', { ...goodDb, password: 'imported-legacy-password' });
      suppress(db, 'AWP-DATA-005', 'legacy import, password rotated out of band on first apply');
    });
    const all = checkStack(stack, dataRules).filter((f) => f.ruleId === 'AWP-DATA-005');
    expect(all).toHaveLength(1);
    expect(all[0].suppressedBecause).toMatch(/legacy import/);
  });
});

describe('AWP-DATA-006 publicly accessible database', () => {
  it('fires on publicly_accessible', () => {
    expect(findings(stackOf('dev', (s) => new DbInstance(s, 'db', { ...goodDb, publiclyAccessible: true })), 'AWP-DATA-006')).toEqual(['publicly_accessible is true']);
  });
});

describe('AWP-DATA-007 prod high availability', () => {
  it('fires on a single-AZ prod primary and a prod cache without failover', () => {
    const stack = stackOf('prod', (s) => {
      new DbInstance(s, 'db', { ...goodDb, multiAz: false });
      new ElasticacheReplicationGroup(s, 'cache', { ...goodCache, automaticFailoverEnabled: false, multiAzEnabled: false });
    });
    expect(findings(stack, 'AWP-DATA-007')).toEqual(['prod primary is not Multi-AZ', 'automatic_failover_enabled is not true in prod', 'multi_az_enabled is not true in prod']);
  });
});

describe('AWP-DATA-008 secrets with a customer-managed key', () => {
  it('warns on a secret under the AWS-managed key', () => {
    const stack = stackOf('dev', (s) => new SecretsmanagerSecret(s, 'secret', { name: 'x' }));
    const f = checkStack(stack, dataRules).filter((x) => x.ruleId === 'AWP-DATA-008');
    expect(f.map((x) => [x.severity, x.message])).toEqual([['warning', 'secret is encrypted with the AWS-managed aws/secretsmanager key']]);
  });
});
