import path from 'node:path';
import { all, guardrailErrors, only, runExample } from '@awp/guardrails/testing';

// examples/basic/main.ts runs as a team would run it: a stale example (a renamed setting or output) fails here.
describe('examples/basic', () => {
  const stacks = runExample(path.join(__dirname, '../examples/basic/main.ts'));
  const json = stacks['team-data'];

  it('synthesizes the database, the cache and the three buckets, wired to the network through Terraform variables', () => {
    expect(Object.keys(stacks)).toEqual(['team-data']);
    expect(all(json, 'aws_db_instance').length).toBeGreaterThanOrEqual(1);
    expect(only(json, 'aws_db_subnet_group')).toMatchObject({ subnet_ids: '${var.isolated_subnet_ids}' });
    expect(all(json, 'aws_elasticache_replication_group')).toHaveLength(1);
    expect(all(json, 'aws_s3_bucket').map((b) => b.bucket).sort()).toEqual(['sandbox-assets-123456789012', 'sandbox-logs-123456789012', 'sandbox-uploads-123456789012']);
    expect(Object.keys(json.variable).sort()).toEqual(['isolated_subnet_ids', 'logs_key_arn', 'vpc_id', 'workload_security_group_id']);
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining(['database_endpoint', 'cache_endpoint', 'uploads_bucket']));
  });

  it('keeps the sandbox settings it was given and passes the guardrails', () => {
    expect(all(json, 'aws_db_instance').every((db) => db.deletion_protection === false)).toBe(true);
    expect(guardrailErrors('team-data', json)).toEqual([]);
  });
});
