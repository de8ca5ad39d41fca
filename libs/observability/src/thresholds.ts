import { alarmThresholdsSchema } from '@awp/config';

/** Alarm thresholds; the defaults are the scaling plan's (80 % of capacity, p99 100 ms). */
export interface AlarmThresholds {
  /** Node CPU, pod CPU against its limit, RDS CPU, ElastiCache CPU and engine CPU (percent). @default 80 */
  readonly cpuPercent: number;
  /** Node memory, pod memory against its limit, ElastiCache memory usage; RDS freeable memory below 100 - x % (percent). @default 80 */
  readonly memoryPercent: number;
  /** RDS free storage below this share of the allocated storage (percent). @default 20 */
  readonly storageFreePercent: number;
  /** RDS connections above this share of max_connections (percent). @default 80 */
  readonly connectionsPercent: number;
  /** RDS ReplicaLag and ElastiCache ReplicationLag (seconds). @default 30 */
  readonly replicaLagSeconds: number;
  /** The latency SLO on the ALB's TargetResponseTime p99 (seconds). @default 0.1 */
  readonly latencyP99Seconds: number;
  /** The error SLO: ALB 5xx (target and load balancer) per request (percent). @default 1 */
  readonly errorRatePercent: number;
  /** CloudFront 5xxErrorRate (percent). @default 5 */
  readonly cdnErrorRatePercent: number;
  /** ElastiCache evictions per period per node. @default 1000 */
  readonly cacheEvictions: number;
  /** Alarm when more targets than this are unhealthy. @default 0 */
  readonly unhealthyHosts: number;
  /** ALB rejected connections per period. @default 0 */
  readonly rejectedConnections: number;
  /** WAF blocked requests per period. @default 1000 */
  readonly wafBlockedRequests: number;
  /** The service's error log lines per period. @default 10 */
  readonly errorLogs: number;
  /** Minutes the deployment may run at the HPA's maximum before alarming. @default 15 */
  readonly hpaAtMaxMinutes: number;
  /** Minutes the node groups may run at their maximum size (all nodes the cluster may have) before alarming. @default 15 */
  readonly nodeGroupAtMaxMinutes: number;
  /** Periods that must breach (all of them) before an alarm fires. @default 3 */
  readonly evaluationPeriods: number;
  /** Alarm period in seconds. @default 60 */
  readonly periodSeconds: number;
}

/**
 * The defaults, read from the environment schema's `observability.thresholds` section (`@awp/config`), where each
 * one is written once; the `@default` tags above are checked against them by thresholds.test.ts.
 */
export const DEFAULT_THRESHOLDS: AlarmThresholds = Object.freeze(alarmThresholdsSchema.parse({}));

/** The thresholds in force: `given` over the defaults, validated (throws naming `where`). */
export function resolveThresholds(given: Partial<AlarmThresholds> | undefined, where: string): AlarmThresholds {
  const t: AlarmThresholds = { ...DEFAULT_THRESHOLDS, ...given };
  validateThresholds(t, where);
  return t;
}

function validateThresholds(t: AlarmThresholds, where: string): void {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(t)) if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${k} must be a non-negative number, got ${String(v)}`);
  if (![10, 30, 60].includes(t.periodSeconds) && t.periodSeconds % 60 !== 0) problems.push(`periodSeconds must be 10, 30 or a multiple of 60, got ${t.periodSeconds}`);
  for (const k of ['hpaAtMaxMinutes', 'nodeGroupAtMaxMinutes'] as const) {
    if ((t[k] * 60) % t.periodSeconds !== 0 || t[k] * 60 < t.periodSeconds) problems.push(`${k} (${t[k]} min) must be a whole number of periods (${t.periodSeconds} s)`);
  }
  if (t.evaluationPeriods < 1 || !Number.isInteger(t.evaluationPeriods)) problems.push(`evaluationPeriods must be a positive integer, got ${t.evaluationPeriods}`);
  if (problems.length) throw new Error(`Observability ${where}: invalid thresholds: ${problems.join('; ')}`);
}
