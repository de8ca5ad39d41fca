/**
 * Resource types that hold data or identity whose loss cannot be undone by re-applying: deleting or replacing one
 * is a high-risk change. Exact type names, plus prefixes for families (every `aws_rds_cluster*`).
 */
export const STATEFUL_TYPES: readonly string[] = [
  'aws_db_instance',
  'aws_db_cluster_snapshot',
  'aws_db_snapshot',
  'aws_docdb_cluster',
  'aws_docdb_cluster_instance',
  'aws_neptune_cluster',
  'aws_redshift_cluster',
  'aws_elasticache_cluster',
  'aws_elasticache_replication_group',
  'aws_elasticache_serverless_cache',
  'aws_memorydb_cluster',
  'aws_s3_bucket',
  'aws_eks_cluster',
  'aws_eks_node_group',
  'aws_kms_key',
  'aws_kms_alias',
  'aws_secretsmanager_secret',
  'aws_secretsmanager_secret_version',
  'aws_ebs_volume',
  'aws_efs_file_system',
  'aws_fsx_lustre_file_system',
  'aws_route53_zone',
  'aws_dynamodb_table',
  'aws_ecr_repository',
  'aws_cognito_user_pool',
  'aws_backup_vault',
  'aws_opensearch_domain',
  'aws_elasticsearch_domain',
  'aws_kinesis_stream',
  'aws_sqs_queue',
  'aws_msk_cluster',
  'aws_acm_certificate',
  'kubernetes_persistent_volume',
  'kubernetes_persistent_volume_claim',
  'kubernetes_persistent_volume_claim_v1',
  'kubernetes_persistent_volume_v1',
];

export const STATEFUL_PREFIXES: readonly string[] = ['aws_rds_cluster', 'aws_rds_global_cluster', 'aws_elasticache_', 'aws_dynamodb_table'];

export function isStatefulType(type: string): boolean {
  return STATEFUL_TYPES.includes(type) || STATEFUL_PREFIXES.some((p) => type.startsWith(p));
}

/** none: nothing changes; low: creates/updates only; medium: something is deleted or replaced; high: a stateful one is. */
export type Risk = 'none' | 'low' | 'medium' | 'high';

export const RISK_ORDER: readonly Risk[] = ['none', 'low', 'medium', 'high'];

export function maxRisk(risks: Iterable<Risk>): Risk {
  let best: Risk = 'none';
  for (const r of risks) if (RISK_ORDER.indexOf(r) > RISK_ORDER.indexOf(best)) best = r;
  return best;
}
