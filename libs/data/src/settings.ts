import { z } from 'zod';
import { dailyWindow, kmsDeletionWindowDays, logRetentionDays, positiveInt, weeklyWindow, windowProblems } from '@awp/config';

/**
 * The data layer's settings: the `data` section of an environment file and the `settings` prop of `DataLayer`; its
 * parts (`Postgres`, `Cache`, `DataBuckets`, `DataKeys`) take their own sub-section. The one place each default is
 * written (docs/architecture.md → Settings: where a knob lives). Rules that depend on the tier (prod needs Multi-AZ,
 * replicas, deletion protection, final snapshots…) are the assembly's (apps/infra/src/environment).
 */

type Issue = (path: (string | number)[], message: string) => void;
const issues = (ctx: z.RefinementCtx): Issue => (path, message) => ctx.addIssue({ code: 'custom', path, message });

/** RDS PostgreSQL: the primary and its read replicas (`data.database`, `Postgres`). */
export const databaseSettings = z
  .strictObject({
    engineVersion: z.string().regex(/^\d+(\.\d+)?$/, 'expected a PostgreSQL version like 17 or 17.6').default('17').describe('Major ("17": AWS applies minor upgrades, Terraform does not fight them) or major.minor (pinned)'),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an RDS class like db.r7g.large').default('db.r7g.large'),
    replicaInstanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an RDS class like db.r7g.large').optional().describe("Class of the read replicas (default: the primary's instanceClass)"),
    allocatedStorageGb: z.number().int().min(20).default(100),
    maxAllocatedStorageGb: z.number().int().min(20).default(500).describe('Storage autoscaling ceiling (gp3 grows by itself up to this size)'),
    multiAz: z.boolean().default(true),
    readReplicas: z.number().int().min(0).max(5).default(1).describe('Read replicas (RDS allows 5 for PostgreSQL)'),
    backupRetentionDays: z.number().int().min(0).max(35).default(14),
    deletionProtection: z.boolean().default(true),
    finalSnapshot: z.boolean().default(true).describe('Take a final snapshot when the primary is deleted (prod requires it; environments rebuilt at will may turn it off)'),
    performanceInsightsRetentionDays: z.number().int().min(7).default(7),
    monitoringIntervalSeconds: z.union([z.literal(0), z.literal(1), z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)]).default(60).describe('Enhanced monitoring interval; 0 turns it off'),
    databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).default('catalogue'),
    masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'expected a lowercase PostgreSQL identifier').default('app_admin').describe('Master user; RDS generates, keeps and rotates its password in Secrets Manager'),
    slowQueryMs: z.number().int().min(-1).max(3_600_000).default(500).describe('log_min_duration_statement: statements slower than this are logged (-1 turns it off)'),
    backupWindow: dailyWindow.default('02:00-03:00').describe('Daily automated backup window (UTC), hh24:mi-hh24:mi'),
    maintenanceWindow: weeklyWindow.default('sun:03:30-sun:04:30').describe('Weekly maintenance window (UTC), ddd:hh24:mi-ddd:hh24:mi; must not overlap the backup window'),
    caCertIdentifier: z.string().min(1).default('rds-ca-rsa2048-g1').describe('Server certificate authority'),
  })
  .superRefine((d, ctx) => {
    const issue = issues(ctx);
    if (d.allocatedStorageGb > d.maxAllocatedStorageGb) issue(['maxAllocatedStorageGb'], `expected >= allocatedStorageGb (${d.allocatedStorageGb}), got ${d.maxAllocatedStorageGb}`);
    // Windows long enough and not overlapping (RDS refuses both at apply time).
    windowProblems({ field: 'backupWindow', value: d.backupWindow }, d.maintenanceWindow).forEach(([p, m]) => issue(p, m));
  });

/** Whether an engine version can authenticate users with IAM: Valkey 7.2+, Redis OSS 7.0+ (ElastiCache RBAC). */
export function cacheEngineSupportsIam(engine: 'valkey' | 'redis', engineVersion: string): boolean {
  const [major, minor = 0] = engineVersion.split('.').map(Number);
  return engine === 'valkey' ? major > 7 || (major === 7 && minor >= 2) : major >= 7;
}

/**
 * The service's user: every command but the @dangerous ones, plus INFO — @dangerous, but it only reports server
 * state (counters, memory, replication; no data), and clients run it as their ready check (ioredis, also in its
 * cluster subscriber): without it every connection warns NOPERM, and none waits while a restarted node loads its data.
 */
export const CACHE_ACCESS_STRING = 'on ~* &* +@all -@dangerous +info';

/**
 * The @dangerous commands (`ACL CAT dangerous`, Redis 7.0 / Valkey 8), `command` or `command|subcommand`. INFO is
 * left out on purpose (see CACHE_ACCESS_STRING).
 */
const DANGEROUS_COMMANDS = new Set(
  ('replicaof debug monitor role failover lastsave flushdb migrate sort_ro sort module slaveof bgrewriteaof replconf sync ' +
    'pfselftest restore shutdown latency psync bgsave cluster|bumpepoch cluster|replicate cluster|failover cluster|reset ' +
    'cluster|delslots cluster|forget cluster|replicas cluster|delslotsrange cluster|setslot cluster|flushslots ' +
    'cluster|count-failure-reports cluster|saveconfig cluster|meet cluster|addslots cluster|addslotsrange cluster|slaves ' +
    'cluster|set-config-epoch config flushall save client|pause client|unpause client|list client|no-evict client|unblock ' +
    'client|kill slowlog acl swapdb pfdebug restore-asking keys').split(' '),
);
/** Commands with a @dangerous subcommand: `+client` grants `client|kill`. */
const WITH_DANGEROUS_SUBCOMMANDS = new Set([...DANGEROUS_COMMANDS].filter((c) => c.includes('|')).map((c) => c.split('|')[0]!));
const isDangerous = (command: string) => {
  const base = command.split('|')[0]!;
  return DANGEROUS_COMMANDS.has(command) || DANGEROUS_COMMANDS.has(base) || (command === base && WITH_DANGEROUS_SUBCOMMANDS.has(base));
};
/** Categories with no @dangerous command in them (Redis 7.0: @list/@set/@sortedset hold SORT, @fast ROLE): granting one needs no later `-@dangerous`. */
const SAFE_CATEGORIES = new Set(['hash', 'string', 'bitmap', 'geo', 'stream', 'pubsub', 'blocking', 'transaction', 'scripting']);

/**
 * What an access string for the service's user must not say: rules that grant @dangerous commands (FLUSHALL, KEYS,
 * CONFIG, CLIENT KILL, MONITOR, DEBUG…) — a command of that list, or a category holding one (`+@all`, `+@admin`,
 * `+@keyspace`, `+@read`…) without a later `-@dangerous` —, selectors (not checked here), rules ElastiCache sets
 * through its API instead (reset, passwords), and a user left off. Rules apply left to right. A password in the
 * string is never repeated in the message.
 */
export function accessStringProblems(accessString: string): string[] {
  const rules = accessString.trim().split(/\s+/).map((r) => r.toLowerCase().replace(/^allcommands$/, '+@all').replace(/^nocommands$/, '-@all'));
  const out: string[] = [];
  const lastDenyAll = Math.max(rules.lastIndexOf('-@all'), rules.lastIndexOf('-@dangerous'));
  rules.forEach((r, i) => {
    const later = i < lastDenyAll; // a later -@dangerous or -@all takes it back
    if (r === 'reset' || r === 'nopass' || r === 'resetpass') out.push(`"${r}" (passwords and reset are set through the ElastiCache API, not the access string)`);
    else if (/^[><#!]/.test(r)) out.push('a password rule (passwords are set through the ElastiCache API, not the access string)');
    else if (r.startsWith('(')) out.push(`"${r}…" (selectors are not checked here: write the rules without one)`);
    else if (r.startsWith('+@') && !later && !SAFE_CATEGORIES.has(r.slice(2))) out.push(`"${r}" without a later "-@dangerous" (the category holds @dangerous commands; rules apply left to right)`);
    else if (r.startsWith('+') && !r.startsWith('+@') && isDangerous(r.slice(1))) out.push(`"${r}" (a @dangerous command)`);
  });
  const onOff = rules.filter((r) => r === 'on' || r === 'off').pop();
  if (onOff !== 'on') out.push(onOff === 'off' ? '"off" last (the user would be switched off)' : 'no "on" (the user would be switched off)');
  return out;
}

/** ElastiCache, cluster mode, IAM authentication (`data.cache`, `Cache`). */
export const cacheSettings = z
  .strictObject({
    engine: z.enum(['valkey', 'redis']).default('valkey'),
    engineVersion: z.string().regex(/^\d+(\.\d+)?$/, 'expected an engine version like 8.0').default('8.0').describe('Valkey 7.2+ or Redis OSS 7.0+ (IAM authentication needs them)'),
    nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'expected a node type like cache.r7g.large').default('cache.r7g.large'),
    shards: z.number().int().min(1).max(500).default(2).describe('Shards (node groups) of the cluster-mode group'),
    replicasPerShard: z.number().int().min(0).max(5).default(1),
    snapshotRetentionDays: z.number().int().min(0).max(35).default(7).describe('Days of daily snapshots kept; 0 turns snapshots off'),
    snapshotWindow: dailyWindow.default('01:00-02:00').describe('Daily snapshot window (UTC), hh24:mi-hh24:mi'),
    maintenanceWindow: weeklyWindow.default('mon:03:30-mon:04:30').describe('Weekly maintenance window (UTC); must not overlap the snapshot window'),
    finalSnapshot: z.boolean().default(true).describe('Take a final snapshot when the group is deleted'),
    slowLogMicroseconds: z.number().int().min(0).default(10000).describe('Commands slower than this (microseconds) go to the slow log'),
    maxmemoryPolicy: z
      .enum(['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'noeviction'])
      .default('allkeys-lru')
      .describe('Eviction policy when memory is full (a cache-aside cache may drop any key)'),
    accessString: z.string().min(1).default(CACHE_ACCESS_STRING).describe("ACL of the service's user: no @dangerous command (a category holding one needs a later -@dangerous), no selectors, passwords or reset, and 'on'"),
  })
  .superRefine((c, ctx) => {
    const issue = issues(ctx);
    // The cache always runs in cluster mode, which requires automatic failover; a shard without a replica breaks: the
    // provider refuses a single node with failover (hashicorp/terraform-provider-aws#43233) and ElastiCache refuses
    // later updates ("must have at least one read replica to enable autofailover"). Every tier.
    if (c.replicasPerShard < 1) {
      issue(['replicasPerShard'], `expected at least 1 (cluster mode needs automatic failover, which needs a replica per shard; a small environment: 1 shard, 1 replica), got ${c.replicasPerShard}`);
    }
    if (!cacheEngineSupportsIam(c.engine, c.engineVersion)) issue(['engineVersion'], `expected a version that can authenticate with IAM (Valkey 7.2+ or Redis OSS 7.0+), got ${c.engine} ${c.engineVersion}`);
    windowProblems({ field: 'snapshotWindow', value: c.snapshotWindow }, c.maintenanceWindow).forEach(([p, m]) => issue(p, m));
    const acl = accessStringProblems(c.accessString);
    if (acl.length) issue(['accessString'], `expected the service's least-privilege ACL (default ${JSON.stringify(CACHE_ACCESS_STRING)}), got ${acl.join('; ')}`);
  });

/** The assets, uploads and logs buckets (`data.buckets`, `DataBuckets`). */
export const bucketsSettings = z.strictObject({
  noncurrentVersionExpirationDays: positiveInt.default(90),
  logExpirationDays: positiveInt.default(365),
  abortIncompleteMultipartDays: positiveInt.default(7),
  legacyElbAccountLogDelivery: z
    .boolean()
    .default(true)
    .describe("Grant the region's Elastic Load Balancing account write access for ALB logs (regions launched before August 2022; the log delivery service principal is always granted)"),
  extraCorsOrigins: z
    .array(z.string().regex(/^https?:\/\/[^\s/]+$/, 'expected an origin like https://localhost:5173'))
    .default([])
    .describe('Further origins for the uploads CORS rule (e.g. a local dev server); the site itself is always allowed'),
});

/** The data and secrets keys (`DataKeys`; the section's top-level `kmsDeletionWindowDays`). */
export const keysSettings = z.strictObject({
  kmsDeletionWindowDays: kmsDeletionWindowDays.default(30).describe('Days before a deleted data/secrets KMS key is gone for good'),
});

/** The whole layer (`data`, `DataLayer`). */
export const dataSettings = z.strictObject({
  database: databaseSettings.prefault({}),
  cache: cacheSettings.prefault({}),
  buckets: bucketsSettings.prefault({}),
  logRetentionDays: logRetentionDays.default(365).describe("Retention of the data layer's CloudWatch log groups (RDS exports, cache slow log)"),
  ...keysSettings.shape,
  secretRecoveryWindowDays: z.number().int().min(7).max(30).default(30).describe('Days a deleted secret of the layer can be restored'),
});

/** What a caller may pass (defaults optional). */
export type DataSettings = z.input<typeof dataSettings>;
/** What the construct uses (defaults filled in). */
export type ResolvedDataSettings = z.output<typeof dataSettings>;
export type DatabaseSettings = z.input<typeof databaseSettings>;
export type ResolvedDatabaseSettings = z.output<typeof databaseSettings>;
export type CacheSettings = z.input<typeof cacheSettings>;
export type ResolvedCacheSettings = z.output<typeof cacheSettings>;
export type BucketsSettings = z.input<typeof bucketsSettings>;
export type ResolvedBucketsSettings = z.output<typeof bucketsSettings>;
export type KeysSettings = z.input<typeof keysSettings>;
