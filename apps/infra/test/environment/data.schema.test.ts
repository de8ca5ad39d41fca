import { readFileSync } from 'node:fs';
import path from 'node:path';
import { windowProblems } from '@awp/config';
import { validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const raw = (name: string) => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));

/** Validates a modified copy and returns the problems as "path: message" lines. */
function problems(env: unknown): string[] {
  return validateEnvironment(env, 'environments/x.json').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('data section of the environment schema', () => {
  it('fills production-safe data defaults', () => {
    const { config } = validateEnvironment(raw('prod'), 'prod.json');
    expect(config?.data.database.slowQueryMs).toBe(500);
    expect(config?.data.database.backupWindow).toBe('02:00-03:00');
    expect(config?.data.database.maintenanceWindow).toBe('sun:03:30-sun:04:30');
    expect(config?.data.cache.snapshotWindow).toBe('01:00-02:00');
    expect(config?.data.cache.maintenanceWindow).toBe('mon:03:30-mon:04:30');
    expect(config?.data.logRetentionDays).toBe(365);
    expect(config?.data.kmsDeletionWindowDays).toBe(30);
  });

  it('refuses a cache shard without a replica in every tier (cluster mode needs automatic failover), accepts one replica', () => {
    for (const name of ['dev', 'staging', 'prod']) {
      const env = raw(name);
      env.data.cache.shards = 1;
      env.data.cache.replicasPerShard = 0;
      expect(problems(env)).toContain('data.cache.replicasPerShard: expected at least 1 (cluster mode needs automatic failover, which needs a replica per shard; a small environment: 1 shard, 1 replica), got 0');
      env.data.cache.replicasPerShard = 1;
      expect(problems(env)).toEqual([]);
    }
  });

  it('refuses a malformed window, naming the field', () => {
    const env = raw('dev');
    env.data.database.backupWindow = '2am-3am';
    env.data.cache.maintenanceWindow = 'monday:03:00-monday:04:00';
    const p = problems(env);
    expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/^data\.database\.backupWindow: expected a daily window/), expect.stringMatching(/^data\.cache\.maintenanceWindow: expected a weekly window/)]));
  });

  it('refuses an RDS maintenance window that overlaps the backup window', () => {
    const env = raw('dev');
    env.data.database.backupWindow = '03:00-04:00';
    env.data.database.maintenanceWindow = 'sun:03:30-sun:04:30';
    expect(problems(env)).toEqual(['data.database.maintenanceWindow: expected no overlap with backupWindow ("03:00-04:00"), got "sun:03:30-sun:04:30"']);
  });

  it('refuses a cache maintenance window that overlaps the snapshot window, also across midnight', () => {
    const env = raw('dev');
    env.data.cache.snapshotWindow = '23:30-00:30';
    env.data.cache.maintenanceWindow = 'sun:00:00-sun:01:00';
    expect(problems(env)).toEqual(['data.cache.maintenanceWindow: expected no overlap with snapshotWindow ("23:30-00:30"), got "sun:00:00-sun:01:00"']);
  });

  it('refuses windows shorter than 30 minutes', () => {
    const env = raw('dev');
    env.data.database.backupWindow = '02:00-02:15';
    expect(problems(env)).toEqual(['data.database.backupWindow: expected a window of at least 30 minutes, got 15 ("02:00-02:15")']);
  });

  it('accepts adjacent windows and a weekly window that wraps past Sunday midnight', () => {
    expect(windowProblems({ field: 'backupWindow', value: '02:00-03:00' }, 'sun:03:00-sun:04:00')).toEqual([]);
    expect(windowProblems({ field: 'snapshotWindow', value: '05:00-06:00' }, 'sun:23:00-mon:01:00')).toEqual([]);
  });

  it('requires cache snapshots in prod', () => {
    const env = raw('prod');
    env.data.cache.snapshotRetentionDays = 0;
    expect(problems(env)).toEqual(['data.cache.snapshotRetentionDays: expected at least 1 in prod: the cache keeps daily snapshots']);
  });

  it('requires final snapshots of the database and the cache in prod (dev and staging say they skip them)', () => {
    const env = raw('prod');
    env.data.database.finalSnapshot = false;
    env.data.cache.finalSnapshot = false;
    expect(problems(env)).toEqual([
      'data.database.finalSnapshot: expected true: a deleted prod database leaves a final snapshot',
      'data.cache.finalSnapshot: expected true: a deleted prod cache leaves a final snapshot',
    ]);
    expect(problems(raw('dev'))).toEqual([]);
  });

  it('refuses an unknown data setting (strict objects)', () => {
    const env = raw('dev');
    env.data.database.masterPassword = 'x';
    expect(problems(env).join('\n')).toMatch(/data\.database/);
  });
});
