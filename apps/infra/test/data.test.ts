import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { loadEnvironment } from '../src/environment';
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { buildEnvironment } from '../src/platform';
import { synthesize } from '../src/synth';
import { editEnv, REPO, readStack, tempWorkspace } from './helpers';
import { all } from '@awp/guardrails/testing';

// The data stacks of all three environments, synthesized from the real environment files.
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-data-')), 'cdktf.out');
const result = synthesize({ dir: path.join(REPO, 'environments'), outdir, layers: ['network', 'data'] });
const stack = (name: string) => readStack(outdir, name);
const named = (json: Record<string, any>, type: string): [string, Record<string, any>][] => Object.entries(json.resource?.[type] ?? {});
const REMOTE = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-(\w+)-network\.outputs\./;

describe('<env>-data stacks', () => {
  it('are synthesized for dev, staging and prod, after their network, without guardrail errors', () => {
    const data = result.stacks.filter((s) => s.layer === 'data');
    expect(data.map((s) => s.name)).toEqual(['dev-data', 'staging-data', 'prod-data']);
    for (const s of data) expect(s.dependencies).toEqual([`${s.env}-network`]);
    expect(result.findings.filter((f) => f.ruleId.startsWith('AWP-DATA') && f.severity === 'error' && !f.suppressedBecause)).toEqual([]);
  });
});

describe('prod-data (must show)', () => {
  const json = stack('prod-data');
  const instances = all(json, 'aws_db_instance');
  const primary = instances.find((i) => !i.replicate_source_db)!;
  const replicas = instances.filter((i) => i.replicate_source_db);

  it('has a Multi-AZ, encrypted, deletion-protected primary whose password RDS manages', () => {
    expect(primary).toMatchObject({ multi_az: true, storage_encrypted: true, deletion_protection: true, manage_master_user_password: true, engine: 'postgres', engine_version: '17' });
    expect(primary.password).toBeUndefined();
    expect(primary.master_user_secret_kms_key_id).toMatch(/^\$\{aws_kms_key\.data_keys_secrets-key_\w+\.arn\}$/);
    expect(primary).toMatchObject({ instance_class: 'db.r7g.large', allocated_storage: 100, max_allocated_storage: 1000, backup_retention_period: 30, skip_final_snapshot: false, final_snapshot_identifier: 'prod-postgres-final' });
  });

  it('has the read replicas of environments/prod.json (2), each replicating the primary', () => {
    expect(replicas).toHaveLength(2);
    const primaryAddress = named(json, 'aws_db_instance').find(([, i]) => !i.replicate_source_db)![0];
    for (const r of replicas) expect(r).toMatchObject({ replicate_source_db: `\${aws_db_instance.${primaryAddress}.identifier}` });
    // Same region: RDS encrypts them with the primary's key and refuses KmsKeyId (AWP-DATA-010).
    expect(primary.kms_key_id).toBeDefined();
    expect(replicas.every((r) => r.kms_key_id === undefined && r.storage_encrypted === undefined)).toBe(true);
    // Spread over the zones of environments/prod.json (the Multi-AZ primary is placed by RDS).
    expect(replicas.map((r) => r.availability_zone)).toEqual(['eu-west-1b', 'eu-west-1c']);
  });

  it('has a cache encrypted at rest and in transit with automatic failover', () => {
    const [rg] = all(json, 'aws_elasticache_replication_group');
    expect(rg).toMatchObject({ at_rest_encryption_enabled: 'true', transit_encryption_enabled: true, automatic_failover_enabled: true, multi_az_enabled: true, cluster_mode: 'enabled', num_node_groups: 2, replicas_per_node_group: 1, snapshot_retention_limit: 7 });
  });

  it('has buckets each with a public access block, SSE configuration and versioning', () => {
    const buckets = named(json, 'aws_s3_bucket');
    expect(buckets.map(([, b]) => b.bucket).sort()).toEqual(['prod-assets-333333333333', 'prod-logs-333333333333', 'prod-uploads-333333333333']);
    for (const [name] of buckets) {
      const ref = `\${aws_s3_bucket.${name}.id}`;
      expect(all(json, 'aws_s3_bucket_public_access_block').filter((p) => p.bucket === ref)).toHaveLength(1);
      expect(all(json, 'aws_s3_bucket_server_side_encryption_configuration').filter((p) => p.bucket === ref)).toHaveLength(1);
      expect(all(json, 'aws_s3_bucket_versioning').filter((p) => p.bucket === ref && p.versioning_configuration.status === 'Enabled')).toHaveLength(1);
    }
    expect(all(json, 'aws_s3_bucket_cors_configuration')[0].cors_rule[0].allowed_origins).toEqual(['https://shop.example.com']);
  });

  it('has aws_secretsmanager_secret resources under the secrets CMK', () => {
    const secrets = all(json, 'aws_secretsmanager_secret');
    expect(secrets.length).toBeGreaterThanOrEqual(1);
    for (const s of secrets) expect(s.kms_key_id).toMatch(/^\$\{aws_kms_key\.data_keys_secrets-key_\w+\.arn\}$/);
  });

  it("takes the VPC, isolated subnets, workload group and logs key from prod-network's state, never by hand", () => {
    expect(all(json, 'aws_db_subnet_group')[0].subnet_ids).toHaveLength(3);
    for (const id of all(json, 'aws_db_subnet_group')[0].subnet_ids) expect(id).toMatch(REMOTE);
    expect(all(json, 'aws_elasticache_subnet_group')[0].subnet_ids.every((id: string) => REMOTE.test(id))).toBe(true);
    for (const sg of all(json, 'aws_security_group')) expect(sg.vpc_id).toMatch(REMOTE);
    const ingress = all(json, 'aws_vpc_security_group_ingress_rule');
    expect(ingress.map((r) => r.from_port).sort()).toEqual([5432, 6379]);
    for (const r of ingress) {
      expect(r.referenced_security_group_id).toMatch(/workload-sg/);
      expect(r.referenced_security_group_id).toMatch(REMOTE);
      expect(r.cidr_ipv4).toBeUndefined();
    }
    for (const g of all(json, 'aws_cloudwatch_log_group')) expect(g.kms_key_id).toMatch(/logs-key/);
    expect(json.data.terraform_remote_state['cross-stack-reference-input-prod-network'].config.key).toBe('platform/prod/network.tfstate');
  });

  it('runs Performance Insights, enhanced monitoring, IAM auth and log exports on every instance', () => {
    for (const i of instances) {
      expect(i).toMatchObject({ performance_insights_enabled: true, monitoring_interval: 60, iam_database_authentication_enabled: true, enabled_cloudwatch_logs_exports: ['postgresql', 'upgrade'], auto_minor_version_upgrade: true, copy_tags_to_snapshot: true });
      expect(i.performance_insights_kms_key_id).toMatch(/data-key/);
    }
  });

  it('lets the delivery apply role administer the keys', () => {
    for (const k of all(json, 'aws_kms_key')) expect(k.policy).toContain('arn:aws:iam::333333333333:role/delivery/aws-web-platform-prod-apply');
  });
});

describe('dev-data follows environments/dev.json', () => {
  const json = stack('dev-data');
  const instances = all(json, 'aws_db_instance');

  it('has a single-AZ primary without replicas, deletion protection or final snapshot', () => {
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({ multi_az: false, deletion_protection: false, skip_final_snapshot: true, instance_class: 'db.t4g.medium', backup_retention_period: 3, storage_encrypted: true, manage_master_user_password: true });
  });

  it('has a one-shard cache with one replica (cluster mode needs automatic failover) that still encrypts, without snapshots', () => {
    const [rg] = all(json, 'aws_elasticache_replication_group');
    expect(rg).toMatchObject({ num_node_groups: 1, replicas_per_node_group: 1, automatic_failover_enabled: true, multi_az_enabled: true, snapshot_retention_limit: 0, at_rest_encryption_enabled: 'true', transit_encryption_enabled: true, node_type: 'cache.t4g.small' });
    expect(rg.final_snapshot_identifier).toBeUndefined();
  });

  it('expires noncurrent versions and logs as dev.json says', () => {
    const lifecycle = all(json, 'aws_s3_bucket_lifecycle_configuration');
    for (const l of lifecycle) expect(l.rule.find((r: any) => r.id === 'expire-noncurrent-versions').noncurrent_version_expiration).toEqual([{ noncurrent_days: 30 }]);
    expect(lifecycle.flatMap((l) => l.rule).find((r: any) => r.id === 'expire-logs').expiration).toEqual([{ days: 90 }]);
  });
});

describe('the data guardrails on the real prod-data stack', () => {
  it('are part of every synth and fire when the stack is tampered with', () => {
    expect(ALL_RULES.map((r) => r.id)).toEqual(expect.arrayContaining(['AWP-DATA-001', 'AWP-DATA-002', 'AWP-DATA-003', 'AWP-DATA-004', 'AWP-DATA-005']));
    const env = loadEnvironment('prod', { dir: path.join(REPO, 'environments') });
    const dataStack = buildEnvironment(Testing.app(), env).get('data')!;
    expect(checkStack(dataStack, ALL_RULES).filter((f) => f.severity === 'error')).toEqual([]);
    const primary = dataStack.node.findAll().find((c): c is DbInstance => c instanceof DbInstance && !c.replicateSourceDbInput)!;
    primary.addOverride('storage_encrypted', false);
    primary.addOverride('deletion_protection', false);
    primary.addOverride('password', 'not-a-real-password');
    const ids = checkStack(dataStack, ALL_RULES).filter((f) => f.severity === 'error').map((f) => f.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['AWP-DATA-001', 'AWP-DATA-004', 'AWP-DATA-005']));
  });
});

describe('a change in one environment file', () => {
  it("changes only that environment's data stack", () => {
    const ws = tempWorkspace();
    editEnv(ws, 'dev', (raw) => {
      raw.data.database.readReplicas = 1;
    });
    const out2 = path.join(ws, 'cdktf.out');
    synthesize({ dir: path.join(ws, 'environments'), outdir: out2, layers: ['network', 'data'] });
    const changed = readStack(out2, 'dev-data');
    expect(all(changed, 'aws_db_instance').filter((i) => i.replicate_source_db)).toHaveLength(1);
    expect(readStack(out2, 'prod-data')).toEqual(stack('prod-data'));
    expect(readStack(out2, 'staging-data')).toEqual(stack('staging-data'));
  });
});
