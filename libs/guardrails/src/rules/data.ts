import type { ElementView, GuardrailRule, StackView } from '../types';
import { at, blocks, isExpression, isTruthy } from '../util';

/** Elements of `type` whose attributes reference `element` (e.g. the versioning resource of a bucket). */
function companions(stack: StackView, element: ElementView, type: string): ElementView[] {
  return stack.referencing(element.address, type);
}

const isReplica = (e: ElementView) => Boolean(e.config.replicate_source_db);
/** A replica whose source is named by identifier, not ARN: RDS takes identifiers only for a source in the same region. */
const isSameRegionReplica = (e: ElementView) => e.type === 'aws_db_instance' && isReplica(e) && !String(e.config.replicate_source_db).startsWith('arn:');
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** Attribute names that hold a secret value in Terraform state when set (write-only `*_wo` variants excluded). */
export const SECRET_ATTRIBUTES = ['password', 'passwords', 'master_password', 'auth_token', 'admin_password', 'root_password', 'secret_string', 'secret_binary'] as const;
/** Attributes that are never acceptable at all: a managed or write-only alternative exists. */
const ALWAYS_IN_STATE = new Set(['password', 'passwords', 'master_password', 'auth_token', 'admin_password', 'root_password']);
/** References that carry a generated secret through Terraform state. */
const SECRET_SOURCES = /\$\{[^}]*\b(random_password|random_string|data\.aws_secretsmanager_random_password|data\.aws_secretsmanager_secret_version|data\.aws_ssm_parameter)\./;

/** Every (path, value) pair under a config object whose key is a secret attribute. */
function secretAttributes(value: unknown, path = ''): { path: string; key: string; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretAttributes(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const here = path ? `${path}.${k}` : k;
    const own = (SECRET_ATTRIBUTES as readonly string[]).includes(k) ? [{ path: here, key: k, value: v }] : [];
    // tags/labels are user maps: a tag named "password" is a name, not a value.
    return k === 'tags' || k === 'tags_all' || k === 'labels' ? own : [...own, ...secretAttributes(v, here)];
  });
}

/** A Redis/Valkey ACL that switches the user off and grants no command: `off` and `-@all`, never `on`. */
export function isDisabledAcl(acl: unknown): boolean {
  if (typeof acl !== 'string') return false;
  const tokens = acl.trim().split(/\s+/);
  return tokens.includes('off') && !tokens.includes('on') && tokens.includes('-@all') && !tokens.some((t) => t.startsWith('+') || t === 'allcommands' || t === 'nopass');
}

/** The user ids an aws_elasticache_user_group lists, resolved to the users of the same stack where it references them. */
function groupMembers(stack: StackView, group: ElementView): { id: string; user?: ElementView }[] {
  const ids = (group.config.user_ids as unknown[] | undefined) ?? [];
  const users = stack.ofType('aws_elasticache_user');
  return ids.map((raw) => {
    const id = String(raw);
    const ref = /^\$\{aws_elasticache_user\.([^.}]+)\.(user_id|id)\}$/.exec(id);
    const user = ref ? users.find((u) => u.name === ref[1]) : users.find((u) => u.config.user_id === id);
    return { id, user };
  });
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** Rules for the data layer (they apply to these resource types in every stack). */
export const dataRules: GuardrailRule[] = [
  {
    id: 'AWP-DATA-001',
    severity: 'error',
    description: 'Data stores are encrypted at rest (RDS, Aurora, ElastiCache also in transit, S3, EBS, EFS), databases and caches with a KMS key.',
    fix: 'Set storage_encrypted + kms_key_id (RDS), at_rest/transit_encryption_enabled + kms_key_id (ElastiCache), an aws_s3_bucket_server_side_encryption_configuration (S3), encrypted (EBS/EFS).',
    appliesTo: ['aws_db_instance', 'aws_rds_cluster', 'aws_elasticache_replication_group', 'aws_s3_bucket', 'aws_ebs_volume', 'aws_efs_file_system'],
    check: ({ element, stack }) => {
      const c = element.config;
      const out: string[] = [];
      switch (element.type) {
        case 'aws_db_instance':
        case 'aws_rds_cluster':
          // A same-region replica inherits the source's encryption and key (AWP-DATA-010): the source is checked.
          if (isSameRegionReplica(element)) break;
          if (!isTruthy(c.storage_encrypted)) out.push('storage_encrypted is not true');
          else if (!c.kms_key_id) out.push('storage is encrypted with the AWS-managed key (kms_key_id unset), not a CMK');
          if (isTruthy(c.performance_insights_enabled) && !c.performance_insights_kms_key_id) out.push('Performance Insights without performance_insights_kms_key_id');
          break;
        case 'aws_elasticache_replication_group':
          if (!isTruthy(c.at_rest_encryption_enabled)) out.push('at_rest_encryption_enabled is not true');
          else if (!c.kms_key_id) out.push('encrypted at rest with the AWS-managed key (kms_key_id unset), not a CMK');
          if (!isTruthy(c.transit_encryption_enabled)) out.push('transit_encryption_enabled is not true (clients talk in plaintext)');
          break;
        case 'aws_s3_bucket':
          if (companions(stack, element, 'aws_s3_bucket_server_side_encryption_configuration').length === 0) out.push('bucket has no aws_s3_bucket_server_side_encryption_configuration');
          break;
        default:
          if (!isTruthy(c.encrypted)) out.push('encrypted is not true');
      }
      return out;
    },
  },
  {
    id: 'AWP-DATA-002',
    severity: 'error',
    description: 'S3 buckets are not public: a public access block with all four settings, no public ACLs, no Allow to "*" without a condition.',
    fix: 'Add an aws_s3_bucket_public_access_block with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets true; use CloudFront OAC instead of public reads.',
    appliesTo: ['aws_s3_bucket', 'aws_s3_bucket_public_access_block', 'aws_s3_bucket_acl', 'aws_s3_bucket_policy'],
    check: ({ element, stack }) => {
      const c = element.config;
      const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
      switch (element.type) {
        case 'aws_s3_bucket':
          return companions(stack, element, 'aws_s3_bucket_public_access_block').length === 0 ? 'bucket has no aws_s3_bucket_public_access_block' : undefined;
        case 'aws_s3_bucket_public_access_block': {
          const off = flags.filter((f) => !isTruthy(c[f]));
          return off.length ? `public access block leaves ${off.join(', ')} off` : undefined;
        }
        case 'aws_s3_bucket_acl': {
          const out: string[] = [];
          if (typeof c.acl === 'string' && ['public-read', 'public-read-write', 'authenticated-read'].includes(c.acl)) out.push(`canned ACL "${c.acl}" makes the bucket public`);
          for (const g of blocks(at(c, 'access_control_policy.grant'))) {
            const uri = String(at(g, 'grantee.uri') ?? '');
            if (/AllUsers|AuthenticatedUsers/.test(uri)) out.push(`ACL grant to ${uri}`);
          }
          return out;
        }
        default: {
          if (typeof c.policy !== 'string') return undefined;
          let doc: { Statement?: unknown };
          try {
            doc = JSON.parse(c.policy) as { Statement?: unknown };
          } catch {
            return undefined; // a reference to a policy document: checked where it is written
          }
          const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Record<string, unknown>[];
          return statements
            .filter((s) => s && s.Effect === 'Allow' && !s.Condition)
            .filter((s) => s.Principal === '*' || JSON.stringify(s.Principal ?? '').match(/"AWS":(\["\*"\]|"\*")/))
            .map((s) => `bucket policy statement ${s.Sid ? `"${String(s.Sid)}" ` : ''}allows "*" without a condition`);
        }
      }
    },
  },
  {
    id: 'AWP-DATA-003',
    severity: 'error',
    description: 'Data has backups: RDS primaries keep automated backups (>= 7 days in prod), prod caches keep snapshots, buckets are versioned.',
    fix: 'Set backup_retention_period (data.database.backupRetentionDays), snapshot_retention_limit (data.cache.snapshotRetentionDays) and an aws_s3_bucket_versioning with status Enabled.',
    appliesTo: ['aws_db_instance', 'aws_rds_cluster', 'aws_elasticache_replication_group', 'aws_s3_bucket'],
    check: ({ element, stack }) => {
      const c = element.config;
      const prod = stack.tier === 'prod';
      switch (element.type) {
        case 'aws_db_instance':
        case 'aws_rds_cluster': {
          if (isReplica(element) || isExpression(c.backup_retention_period)) return undefined;
          const days = num(c.backup_retention_period);
          if (days === undefined || days < 1) return 'automated backups are off (backup_retention_period unset or 0)';
          return prod && days < 7 ? `prod keeps backups only ${days} day(s) (< 7)` : undefined;
        }
        case 'aws_elasticache_replication_group': {
          if (!prod || isExpression(c.snapshot_retention_limit)) return undefined;
          const days = num(c.snapshot_retention_limit);
          return days === undefined || days < 1 ? 'prod cache keeps no snapshots (snapshot_retention_limit unset or 0)' : undefined;
        }
        default: {
          const versioning = companions(stack, element, 'aws_s3_bucket_versioning');
          return versioning.some((v) => at(v.config, 'versioning_configuration.status') === 'Enabled') ? undefined : 'bucket is not versioned (no aws_s3_bucket_versioning with status Enabled)';
        }
      }
    },
  },
  {
    id: 'AWP-DATA-004',
    severity: 'error',
    description: 'In prod, stateful data is protected from deletion: RDS deletion protection and a final snapshot, a final cache snapshot, no force_destroy on buckets.',
    fix: 'Set deletion_protection true and skip_final_snapshot false (data.database.deletionProtection, data.database.finalSnapshot), final_snapshot_identifier on the cache (data.cache.finalSnapshot), force_destroy false on buckets.',
    appliesTo: ['aws_db_instance', 'aws_rds_cluster', 'aws_elasticache_replication_group', 'aws_s3_bucket'],
    check: ({ element, stack }) => {
      if (stack.tier !== 'prod') return undefined;
      const c = element.config;
      const out: string[] = [];
      switch (element.type) {
        case 'aws_db_instance':
        case 'aws_rds_cluster':
          if (!isTruthy(c.deletion_protection)) out.push('deletion_protection is not true in prod');
          if (!isReplica(element) && (c.skip_final_snapshot === undefined || isTruthy(c.skip_final_snapshot))) out.push('no final snapshot on delete (skip_final_snapshot is not false)');
          break;
        case 'aws_elasticache_replication_group':
          if (!c.final_snapshot_identifier) out.push('no final snapshot on delete (final_snapshot_identifier unset)');
          break;
        default:
          if (isTruthy(c.force_destroy)) out.push('force_destroy deletes every object with the bucket');
      }
      return out;
    },
  },
  {
    id: 'AWP-DATA-005',
    severity: 'error',
    description: 'No password, token or secret value in a Terraform attribute: RDS manages its master password, caches use IAM auth, secrets are written with *_wo attributes.',
    fix: 'Use manage_master_user_password (RDS), an IAM-authenticated aws_elasticache_user, or secret_string_wo from an ephemeral generator; never a literal or a random_password result.',
    check: ({ element }) => {
      if (element.kind === 'provider') return undefined;
      // A switched-off ElastiCache user (the "default" user every user group must contain, AWP-DATA-009) cannot
      // authenticate at all: its generated password is no credential. A literal one is still refused.
      const disabledCacheUser = element.type === 'aws_elasticache_user' && isDisabledAcl(element.config.access_string);
      return secretAttributes(element.config)
        .filter((a) => !(disabledCacheUser && isExpression(JSON.stringify(a.value))))
        .filter((a) => !isEmpty(a.value))
        .flatMap((a) => {
          const text = JSON.stringify(a.value);
          if (ALWAYS_IN_STATE.has(a.key)) return [`${a.path} is set: the value is stored in plaintext in Terraform state${isExpression(a.value) || text.includes('${') ? '' : ' and in the synthesized JSON'}`];
          if (!text.includes('${')) return [`${a.path} holds a literal value (it is in the synthesized JSON and the state)`];
          if (SECRET_SOURCES.test(text)) return [`${a.path} takes a generated secret through Terraform state; write it with ${a.key}_wo from an ephemeral resource`];
          return [];
        });
    },
  },
  {
    id: 'AWP-DATA-006',
    severity: 'error',
    description: 'Databases are not publicly accessible.',
    fix: 'Set publicly_accessible false and place the instance in isolated subnets.',
    appliesTo: ['aws_db_instance', 'aws_rds_cluster_instance'],
    check: ({ element }) => (isTruthy(element.config.publicly_accessible) ? 'publicly_accessible is true' : undefined),
  },
  {
    id: 'AWP-DATA-007',
    severity: 'error',
    description: 'In prod, RDS primaries are Multi-AZ and caches fail over automatically across AZs.',
    fix: 'Set data.database.multiAz true; give the cache at least one replica per shard (automatic_failover_enabled and multi_az_enabled follow).',
    appliesTo: ['aws_db_instance', 'aws_elasticache_replication_group'],
    check: ({ element, stack }) => {
      if (stack.tier !== 'prod') return undefined;
      const c = element.config;
      if (element.type === 'aws_db_instance') return isReplica(element) || isTruthy(c.multi_az) ? undefined : 'prod primary is not Multi-AZ';
      const out: string[] = [];
      if (!isTruthy(c.automatic_failover_enabled)) out.push('automatic_failover_enabled is not true in prod');
      if (!isTruthy(c.multi_az_enabled)) out.push('multi_az_enabled is not true in prod');
      return out;
    },
  },
  {
    id: 'AWP-DATA-008',
    severity: 'warning',
    description: 'Secrets Manager secrets use a customer-managed KMS key (key policy names who may decrypt).',
    fix: "Set kms_key_id to the data layer's secrets key (DataLayer.keys.secretsKeyArn).",
    appliesTo: ['aws_secretsmanager_secret'],
    check: ({ element }) => (element.config.kms_key_id ? undefined : 'secret is encrypted with the AWS-managed aws/secretsmanager key'),
  },
  {
    id: 'AWP-DATA-009',
    severity: 'error',
    description: 'Every ElastiCache user group contains a user named "default" that is switched off ("off -@all"), defined in the same stack; never the AWS-created "default" user, which allows every command without a password.',
    fix: 'Add an aws_elasticache_user with user_name "default", a user_id of your own, access_string "off -@all" (password or IAM authentication: VALKEY groups accept no password-less user) and list it in user_ids.',
    appliesTo: ['aws_elasticache_user_group'],
    check: ({ element, stack }) => {
      // CreateUserGroup fails with DefaultUserRequired without a member named "default" (ElastiCache API).
      const members = groupMembers(stack, element);
      const out: string[] = [];
      if (members.some((m) => m.id === 'default')) out.push('lists user id "default": the AWS-created default user allows every command without a password');
      const defaults = members.filter((m) => m.user?.config.user_name === 'default');
      if (defaults.length === 0 && !members.some((m) => m.id === 'default')) {
        out.push('has no member named "default" (CreateUserGroup fails with DefaultUserRequired)');
      }
      for (const d of defaults) {
        const c = d.user!.config;
        if (!isDisabledAcl(c.access_string)) out.push(`its "default" user ${d.user!.address} is not switched off (access_string "${String(c.access_string)}", expected "off -@all")`);
        const engine = String(element.config.engine ?? '').toLowerCase();
        const mode = at(c, 'authentication_mode.type');
        if (engine === 'valkey' && (mode === 'no-password-required' || isTruthy(c.no_password_required))) {
          out.push(`its "default" user ${d.user!.address} requires no password, which a VALKEY user group refuses (password or IAM only)`);
        }
      }
      return out;
    },
  },
  {
    id: 'AWP-DATA-010',
    severity: 'error',
    description: 'A same-region RDS read replica sets neither kms_key_id nor storage_encrypted: it is always encrypted with the source\'s key.',
    fix: 'Leave kmsKeyId and storageEncrypted out of the replica (Postgres construct does); set kms_key_id only on a cross-region replica (source given as an ARN), with a key of the replica\'s region.',
    appliesTo: ['aws_db_instance'],
    check: ({ element }) => {
      if (!isSameRegionReplica(element)) return undefined;
      // CreateDBInstanceReadReplica, KmsKeyId: "If you create an encrypted read replica in the same AWS Region as the
      // source DB instance, don't specify a value for this parameter" (RDS API reference); the API answers
      // InvalidParameterCombination "Your request does not require the KMS key parameter" (cloudposse/terraform-aws-rds-replica#5).
      const set = ['kms_key_id', 'storage_encrypted'].filter((k) => element.config[k] !== undefined);
      return set.length ? `same-region replica of ${String(element.config.replicate_source_db)} sets ${set.join(' and ')}: RDS refuses KmsKeyId for it (InvalidParameterCombination); the source's key applies` : undefined;
    },
  },
  {
    id: 'AWP-DATA-011',
    // A warning, not an error, only because the platform's own staging and prod still have this shape (read
    // replicas of a primary whose password RDS manages): the fix is a design change (README → Known problems).
    severity: 'warning',
    description: "No RDS read replica of a source whose master password RDS manages in Secrets Manager: RDS cannot create it (RDS User Guide, \"Limitations for Secrets Manager integration with Amazon RDS\": creating a read replica when the source manages credentials with Secrets Manager, every engine but SQL Server).",
    fix: 'Use a Multi-AZ DB cluster (readable standbys, reader endpoint) or Aurora, which manage the master password with replicas; or give the primary a password of your own (password_wo from an ephemeral generator) — whose secret the plan role would then have to read on refresh.',
    appliesTo: ['aws_db_instance'],
    check: ({ element, stack }) => {
      if (!isSameRegionReplica(element)) return undefined;
      const src = String(element.config.replicate_source_db);
      const ref = /^\$\{aws_db_instance\.([^.}]+)\.(identifier|id)\}$/.exec(src);
      const sources = stack.ofType('aws_db_instance').filter((d) => (ref ? d.name === ref[1] : d.config.identifier === src));
      return sources.some((d) => isTruthy(d.config.manage_master_user_password))
        ? `replica of ${sources[0]!.address}, whose master password RDS manages (manage_master_user_password): RDS refuses to create it — the apply fails`
        : undefined;
    },
  },
];
