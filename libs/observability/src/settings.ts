import { z } from 'zod';
import { kmsDeletionWindowDays, logRetentionDays, positiveInt, SettingsError, settingsProblems } from '@awp/config';

/**
 * The alarm thresholds: the `observability.thresholds` section of an environment file, the `settings.thresholds` of
 * `Observability` and the `thresholds` prop of every alarm set. The one place each default is written (the scaling
 * plan's: 80 % of capacity, p99 100 ms); the rules CloudWatch enforces at apply time are checked here.
 */
export const alarmThresholdsSettings = z
  .strictObject({
    cpuPercent: z.number().min(1).max(100).default(80).describe('CPU alarms: nodes, pods against limits, RDS, ElastiCache'),
    memoryPercent: z.number().min(1).max(100).default(80).describe('Memory alarms: nodes, pods against limits, RDS (freeable below 100-x %), ElastiCache'),
    storageFreePercent: z.number().min(1).max(100).default(20).describe('RDS free storage below this share of the allocated storage'),
    connectionsPercent: z.number().min(1).max(100).default(80).describe('RDS connections above this share of max_connections'),
    replicaLagSeconds: z.number().positive().default(30).describe('RDS ReplicaLag and ElastiCache ReplicationLag'),
    latencyP99Seconds: z.number().positive().default(0.1).describe('The latency SLO: ALB TargetResponseTime p99'),
    errorRatePercent: z.number().positive().max(100).default(1).describe('The error SLO: ALB 5xx (target + load balancer) per request'),
    cdnErrorRatePercent: z.number().positive().max(100).default(5).describe('CloudFront 5xxErrorRate'),
    cacheEvictions: z.number().int().min(0).default(1000).describe('ElastiCache evictions per period per node'),
    unhealthyHosts: z.number().int().min(0).default(0).describe('Alarm when more targets than this are unhealthy'),
    rejectedConnections: z.number().int().min(0).default(0).describe('ALB RejectedConnectionCount per period'),
    wafBlockedRequests: positiveInt.default(1000).describe('WAF blocked requests per period: a spike above this alarms'),
    errorLogs: positiveInt.default(10).describe("The service's error log lines (pino level >= 50) per period"),
    hpaAtMaxMinutes: positiveInt.default(15).describe('The HPA at its maximum replicas for this long alarms'),
    nodeGroupAtMaxMinutes: positiveInt.default(15).describe('The cluster at its node ceiling (the sum of every node group maxSize) for this long alarms'),
    evaluationPeriods: positiveInt.default(3),
    periodSeconds: z.union([z.literal(60), z.literal(300)]).default(60),
  })
  .superRefine((t, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    // CloudWatch refuses alarms whose evaluation range (periods x period) exceeds one day.
    if (t.evaluationPeriods * t.periodSeconds > 86400) {
      issue(['evaluationPeriods'], `expected evaluationPeriods x periodSeconds <= 86400 (one day, CloudWatch's limit), got ${t.evaluationPeriods} x ${t.periodSeconds}`);
    }
    // The at-max alarms evaluate minutes / period periods: a whole number of them, within the day.
    for (const key of ['hpaAtMaxMinutes', 'nodeGroupAtMaxMinutes'] as const) {
      const seconds = t[key] * 60;
      if (seconds % t.periodSeconds !== 0) issue([key], `expected a multiple of periodSeconds (${t.periodSeconds / 60} min), got ${t[key]}`);
      else if (seconds > 86400) issue([key], `expected at most 1440 (one day, CloudWatch's limit), got ${t[key]}`);
    }
  })
  .prefault({});

/** Thresholds a caller may pass (each one optional). */
export type AlarmThresholdsSettings = z.input<typeof alarmThresholdsSettings>;
/** The thresholds in force (defaults filled in). */
export type AlarmThresholds = z.output<typeof alarmThresholdsSettings>;

/** The defaults: the section parsed empty. */
export const DEFAULT_THRESHOLDS: Readonly<AlarmThresholds> = Object.freeze(alarmThresholdsSettings.parse({}));

/**
 * The thresholds in force for a construct that takes a `thresholds` prop: parsed through the section (defaults filled,
 * rules checked); a `SettingsError` names the construct (`construct`, e.g. `RdsAlarms prod-observability/rds`) and field.
 */
export function resolveThresholds(given: AlarmThresholdsSettings | undefined, construct: string): AlarmThresholds {
  const result = alarmThresholdsSettings.safeParse(given ?? {});
  if (!result.success) throw new SettingsError(construct, settingsProblems(result.error.issues, ['thresholds']));
  return result.data;
}

/**
 * The observability layer's settings: the `observability` section of an environment file and the `settings` prop of
 * `Observability`. The one place each default is written (docs/architecture.md → Settings: where a knob lives).
 */
export const observabilitySettings = z
  .strictObject({
    logRetentionDays: logRetentionDays.default(365).describe("Retention of a service log group the Observability construct creates itself; the platform uses the cluster stack's Container Insights group instead (retention: compute.logRetentionDays)"),
    alarmEmails: z.array(z.email()).default([]).describe('Email addresses subscribed to the alarm topics (each confirms once per topic)'),
    chatbot: z
      .strictObject({
        slackTeamId: z.string().regex(/^[A-Z0-9]{9,12}$/, 'expected a Slack workspace id like T0123ABCDE'),
        slackChannelId: z.string().regex(/^[CG][A-Z0-9]{8,12}$/, 'expected a Slack channel id like C0123ABCDE'),
      })
      .optional()
      .describe('AWS Chatbot (Amazon Q Developer in chat) Slack channel for alarms; the workspace must be authorized once in the console'),
    databaseMaxConnections: positiveInt
      .optional()
      .describe("The database's max_connections, when not RDS's default for its instance class (LEAST(memory/9531392, 5000))"),
    kmsDeletionWindowDays: kmsDeletionWindowDays.default(30).describe('Days before a deleted alarm topic key is gone for good'),
    thresholds: alarmThresholdsSettings,
  })
  .superRefine((o, ctx) => {
    o.alarmEmails.forEach((e, i) => {
      if (o.alarmEmails.indexOf(e) !== i) ctx.addIssue({ code: 'custom', path: ['alarmEmails', i], message: `expected unique addresses, "${e}" appears twice` });
    });
  })
  .prefault({});

/** What a caller may pass (defaults optional). */
export type ObservabilitySettings = z.input<typeof observabilitySettings>;
/** What the construct uses (defaults filled in). */
export type ResolvedObservabilitySettings = z.output<typeof observabilitySettings>;
