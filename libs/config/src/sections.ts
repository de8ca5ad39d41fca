import { z } from 'zod';
import { dailyWindow, logRetentionDays, positiveInt, weeklyWindow } from './fields';

/**
 * Layer sections that still live here until their layer takes them into libs/<layer>/src/settings.ts (docs/architecture.md
 * → Settings: where a knob lives). Each holds its fields, their defaults and the rules that need only its own fields;
 * the environment schema is assembled from the sections in apps/infra/src/environment.
 */

/** The site's domain (dns and edge layers). */
export const domainSection = z.strictObject({
  name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a DNS name like dev.example.com').describe('The site name, served by CloudFront'),
  hostedZone: z
    .discriminatedUnion('mode', [
      z.strictObject({ mode: z.literal('create') }),
      z.strictObject({ mode: z.literal('lookup'), name: z.string().min(3).describe('Existing public zone to look up') }),
    ])
    .prefault({ mode: 'create' })
    .describe('create: the dns stack creates the zone (delegate it from the parent before the edge stack plans); lookup: an existing, delegated zone'),
  delegationResolverUrl: z
    .string()
    .regex(/^https:\/\/[^\s?#]+$/, 'expected an https URL without a query, like https://dns.google/resolve')
    .default('https://dns.google/resolve')
    .describe("DNS JSON API (Google's ?name=&type=NS format) the edge stack asks whether a created zone is delegated"),
})
  .superRefine((domain, ctx) => {
    // The edge writes the site's records and certificate validation records into the looked-up zone.
    const zone = domain.hostedZone.mode === 'lookup' ? domain.hostedZone.name.replace(/\.$/, '') : undefined;
    if (zone !== undefined && domain.name !== zone && !domain.name.endsWith(`.${zone}`)) {
      ctx.addIssue({ code: 'custom', path: ['hostedZone', 'name'], message: `expected a zone containing "${domain.name}" (its parent domain or the name itself), got "${zone}"` });
    }
  });

/** The data layer. */
export const dataSection = z
  .strictObject({
    database: z
      .strictObject({
        engineVersion: z.string().regex(/^\d+(\.\d+)?$/, 'expected a PostgreSQL version like 17 or 17.6').default('17').describe('Major ("17": AWS applies minor upgrades, Terraform does not fight them) or major.minor (pinned)'),
        instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an RDS class like db.r7g.large').default('db.r7g.large'),
        allocatedStorageGb: z.number().int().min(20).default(100),
        maxAllocatedStorageGb: z.number().int().min(20).default(500),
        multiAz: z.boolean().default(true),
        readReplicas: z.number().int().min(0).max(5).default(1),
        backupRetentionDays: z.number().int().min(0).max(35).default(14),
        deletionProtection: z.boolean().default(true),
        performanceInsightsRetentionDays: z.number().int().min(7).default(7),
        monitoringIntervalSeconds: z.union([z.literal(0), z.literal(1), z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)]).default(60),
        databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).default('catalogue'),
        slowQueryMs: z.number().int().min(-1).max(3_600_000).default(500).describe('log_min_duration_statement: statements slower than this are logged (-1 turns it off)'),
        backupWindow: dailyWindow.default('02:00-03:00').describe('Daily automated backup window (UTC), hh24:mi-hh24:mi'),
        maintenanceWindow: weeklyWindow.default('sun:03:30-sun:04:30').describe('Weekly maintenance window (UTC), ddd:hh24:mi-ddd:hh24:mi; must not overlap the backup window'),
      })
      .prefault({}),
    cache: z
      .strictObject({
        engine: z.enum(['valkey', 'redis']).default('valkey'),
        engineVersion: z.string().default('8.0'),
        nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'expected a node type like cache.r7g.large').default('cache.r7g.large'),
        shards: z.number().int().min(1).max(500).default(2),
        replicasPerShard: z.number().int().min(0).max(5).default(1),
        snapshotRetentionDays: z.number().int().min(0).max(35).default(7),
        snapshotWindow: dailyWindow.default('01:00-02:00').describe('Daily snapshot window (UTC), hh24:mi-hh24:mi'),
        maintenanceWindow: weeklyWindow.default('mon:03:30-mon:04:30').describe('Weekly maintenance window (UTC); must not overlap the snapshot window'),
      })
      .prefault({}),
    buckets: z
      .strictObject({
        noncurrentVersionExpirationDays: positiveInt.default(90),
        logExpirationDays: positiveInt.default(365),
      })
      .prefault({}),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of the data layer\'s CloudWatch log groups (RDS exports, cache slow log)'),
    kmsDeletionWindowDays: z.number().int().min(7).max(30).default(30).describe('Days before a deleted data/secrets KMS key is gone for good'),
  })
  .superRefine((d, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    // The cache always runs in cluster mode, which requires automatic failover; a shard without a replica breaks: the
    // provider refuses a single node with failover (hashicorp/terraform-provider-aws#43233) and ElastiCache refuses
    // later updates ("must have at least one read replica to enable autofailover"). Every tier.
    if (d.cache.replicasPerShard < 1) {
      issue(['cache', 'replicasPerShard'], `expected at least 1 (cluster mode needs automatic failover, which needs a replica per shard; a small environment: 1 shard, 1 replica), got ${d.cache.replicasPerShard}`);
    }
    const pg = d.database;
    if (pg.allocatedStorageGb > pg.maxAllocatedStorageGb) {
      issue(['database', 'maxAllocatedStorageGb'], `expected >= allocatedStorageGb (${pg.allocatedStorageGb}), got ${pg.maxAllocatedStorageGb}`);
    }
    // Windows long enough and not overlapping (RDS and ElastiCache refuse both at apply time).
    dataWindowProblems(d).forEach(([p, message]) => issue(p, message));
  })
  .prefault({});

/** The edge and dns layers. */
export const edgeSection = z
  .strictObject({
    wafRateLimit: z.number().int().min(10).max(2_000_000_000).default(2000).describe('Requests per 5 minutes per client IP'),
    botControl: z.boolean().default(false),
    // WAF inspects at most 64 KB of a CloudFront request body: a larger limit could not be enforced.
    maxRequestBodyBytes: positiveInt
      .max(65536, 'expected at most 65536: WAF inspects at most 64 KB of a CloudFront request body')
      .default(65536)
      .describe('Largest request body on API paths; WAF blocks larger ones'),
    priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100'),
    deletionProtection: z.boolean().default(true).describe('ALB deletion protection (guardrail AWP-EDGE-008 requires it in prod)'),
    dnssec: z.boolean().default(true).describe('Sign a created hosted zone with DNSSEC (dns stack; add the DS record to the parent zone once delegated)'),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of the WAF (edge) and Route 53 query (dns) log groups in us-east-1'),
  })
  .prefault({});

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEK = 7 * 1440;
/** Minutes of the week a window covers, as [start, end) intervals (a window past Sunday midnight wraps). */
function windowIntervals(window: string): [number, number][] {
  const minute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const weekly = /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(window);
  const spans: [number, number][] = [];
  if (weekly) {
    spans.push([DAYS.indexOf(weekly[1]) * 1440 + minute(weekly[2]), DAYS.indexOf(weekly[3]) * 1440 + minute(weekly[4])]);
  } else {
    const [from, to] = window.split('-');
    for (let d = 0; d < 7; d++) spans.push([d * 1440 + minute(from), d * 1440 + minute(to)]);
  }
  return spans.flatMap(([s, e]): [number, number][] => (e > s ? [[s, e]] : [[s, WEEK], [0, e]]));
}

function windowMinutes(window: string): number {
  const total = windowIntervals(window).reduce((n, [s, e]) => n + e - s, 0);
  return /^[a-z]{3}:/.test(window) ? total : total / 7; // a daily window repeats on each of the 7 days
}

/** Data layer window checks: each at least 30 minutes (RDS, ElastiCache minimum), and no overlap within an engine. */
export function dataWindowProblems(data: { database: { backupWindow: string; maintenanceWindow: string }; cache: { snapshotWindow: string; maintenanceWindow: string } }): [string[], string][] {
  const out: [string[], string][] = [];
  const pairs = [
    { engine: 'database', daily: 'backupWindow', dailyValue: data.database.backupWindow, weekly: data.database.maintenanceWindow },
    { engine: 'cache', daily: 'snapshotWindow', dailyValue: data.cache.snapshotWindow, weekly: data.cache.maintenanceWindow },
  ];
  for (const p of pairs) {
    for (const [field, value] of [[p.daily, p.dailyValue], ['maintenanceWindow', p.weekly]]) {
      const minutes = windowMinutes(value);
      if (minutes < 30) out.push([[p.engine, field], `expected a window of at least 30 minutes, got ${minutes} ("${value}")`]);
    }
    const a = windowIntervals(p.dailyValue);
    const b = windowIntervals(p.weekly);
    if (a.some(([s1, e1]) => b.some(([s2, e2]) => s1 < e2 && s2 < e1))) {
      out.push([[p.engine, 'maintenanceWindow'], `expected no overlap with ${p.daily} ("${p.dailyValue}"), got "${p.weekly}"`]);
    }
  }
  return out;
}
