import { z } from 'zod';

/**
 * zod field types every layer's settings may share (libs/<layer>/src/settings.ts). A field type carries its format
 * check and its description; it never carries a default: the section that uses it writes the default, once.
 */

export const cidrField = z.string().describe('An IPv4 CIDR block, e.g. 10.20.0.0/16');
export const positiveInt = z.number().int().positive();
/** A CloudWatch Logs retention period in days (one of the values CloudWatch accepts). */
export const logRetentionDays = z
  .union([
    z.literal(1), z.literal(3), z.literal(5), z.literal(7), z.literal(14), z.literal(30), z.literal(60),
    z.literal(90), z.literal(120), z.literal(150), z.literal(180), z.literal(365), z.literal(400),
    z.literal(545), z.literal(731), z.literal(1096), z.literal(1827), z.literal(2192), z.literal(2557),
    z.literal(2922), z.literal(3288), z.literal(3653),
  ])
  .describe('A CloudWatch Logs retention period in days (one of the values CloudWatch accepts)');
/** Days before a deleted KMS key is gone for good (AWS: 7-30). */
export const kmsDeletionWindowDays = z.number().int().min(7).max(30);
export const k8sQuantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi)?$/, 'expected a Kubernetes quantity such as 500m or 512Mi');
export const addonVersion = z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, 'expected an EKS add-on version like v1.20.0-eksbuild.1');
export const exactSemver = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected an exact chart version like 3.13.0 (no ranges)');
/** AWS maintenance windows (UTC). */
export const dailyWindow = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'expected a daily window like 02:00-03:00 (UTC)');
export const weeklyWindow = z
  .string()
  .regex(/^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/, 'expected a weekly window like sun:03:30-sun:04:30 (UTC)');
/** A content digest of an image manifest. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
export const imageDigest = z.string().regex(DIGEST_PATTERN, 'expected an image digest like sha256:<64 hex digits>');
export const githubId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const awsRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN');
export const awsAccountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');

/** A Kubernetes CPU quantity in millicores ("500m" → 500, "1" → 1000). */
export function quantityMilli(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

/** A Kubernetes memory quantity in MiB ("512Mi" → 512, "1Gi" → 1024). */
export function quantityMi(q: string): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'Gi' ? n * 1024 : m[2] === 'Ki' ? n / 1024 : m[2] === 'Mi' ? n : n / (1024 * 1024);
}

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

/**
 * A data store's daily window (backups, snapshots) and weekly maintenance window, both already well-formed
 * (`dailyWindow`, `weeklyWindow`): each at least 30 minutes (the RDS and ElastiCache minimum) and not overlapping
 * (both refuse it at apply time). Paths are the field names given.
 */
export function windowProblems(daily: { field: string; value: string }, maintenanceWindow: string): [string[], string][] {
  const out: [string[], string][] = [];
  for (const [field, value] of [[daily.field, daily.value], ['maintenanceWindow', maintenanceWindow]]) {
    const minutes = windowMinutes(value);
    if (minutes < 30) out.push([[field], `expected a window of at least 30 minutes, got ${minutes} ("${value}")`]);
  }
  const a = windowIntervals(daily.value);
  const b = windowIntervals(maintenanceWindow);
  if (a.some(([s1, e1]) => b.some(([s2, e2]) => s1 < e2 && s2 < e1))) {
    out.push([['maintenanceWindow'], `expected no overlap with ${daily.field} ("${daily.value}"), got "${maintenanceWindow}"`]);
  }
  return out;
}
