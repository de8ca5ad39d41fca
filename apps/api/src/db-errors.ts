/**
 * What a database failure means for the client. Three cases, told apart by where the call failed:
 *   - nothing was sent (connect refused or timed out, pool exhausted), or the server answered with an error
 *     (SQLSTATE: shutdown, statement timeout, failover, auth): the statement did not take effect → "not applied";
 *   - a write was sent and no answer came (client-side read timeout, connection reset or closed): it may commit
 *     when the server wakes up (a hung primary, a partition, a Multi-AZ failover) → "unknown";
 *   - reads: neither; a retry is always safe.
 * Every case is a 503/504 with Retry-After for the client, never a 500 (see dependencyProblem).
 */

/** The database can't serve the request now: 503 + Retry-After. `outcome` is set for writes. */
export class DbUnavailableError extends Error {
  outcome: 'not-applied' | 'unknown' | undefined;
  constructor(cause: unknown, outcome?: 'not-applied' | 'unknown') {
    super(outcome === 'unknown' ? 'database did not answer a write' : 'database unavailable', { cause });
    this.name = 'DbUnavailableError';
    this.outcome = outcome;
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  '57P01', '57P02', '57P03', // admin/crash shutdown, cannot connect now
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '53300', // too many connections
  '57014', // statement timeout: the database is too slow to answer in our budget
  '25006', // read-only transaction: a failover is in progress
  '40P01', '55P03', // deadlock, lock not available: transient, the retry decides
  '28P01', '28000', // authentication failed: the secret was just rotated; the next connection re-reads it
]);

/** Transport failures after which we can't know what the server did: no SQLSTATE came back. */
const NO_ANSWER = /Query read timeout|Connection terminated|Connection ended unexpectedly|Client has encountered a connection error|ECONNRESET|EPIPE|socket hang up/i;
const CONNECT_FAILED = /timeout exceeded when trying to connect|connect ECONNREFUSED|Connection terminated due to connection timeout/i;

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function isDbUnavailable(err: unknown): boolean {
  if (err instanceof DbUnavailableError) return true;
  if (!err || typeof err !== 'object') return false;
  const code = codeOf(err);
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  const m = (err as { message?: string }).message ?? '';
  return NO_ANSWER.test(m) || CONNECT_FAILED.test(m);
}

/** A SQLSTATE came back: the server answered, so the statement did not take effect. */
function serverAnswered(err: unknown): boolean {
  const code = codeOf(err);
  return !!code && /^[0-9A-Z]{5}$/.test(code);
}

const WRITE_SQL = /^\s*(insert|update|delete|merge|with\b[\s\S]*\b(insert|update|delete)\b|commit)\b/i;

export function isWriteSql(sql: string): boolean {
  return WRITE_SQL.test(sql);
}

/**
 * Classifies an error of one statement. `phase`: `connect` (nothing sent), `statement` (sent outside a
 * transaction: a write commits on its own), `in-transaction` (never committed: we roll back or drop the
 * connection), `commit`. Errors that are not about availability (constraint violations, bad input) pass through.
 */
export function classifyDbError(err: unknown, phase: 'connect' | 'in-transaction' | 'commit' | { sql: string }): unknown {
  if (err instanceof DbUnavailableError) return err;
  if (!isDbUnavailable(err)) return err;
  if (phase === 'connect' || phase === 'in-transaction') return new DbUnavailableError(err, 'not-applied');
  const write = phase === 'commit' || isWriteSql(phase.sql);
  if (!write) return new DbUnavailableError(err);
  const m = (err as { message?: string }).message ?? '';
  const sent = !CONNECT_FAILED.test(m);
  return new DbUnavailableError(err, sent && !serverAnswered(err) ? 'unknown' : 'not-applied');
}

export interface DependencyProblem {
  status: 503 | 504;
  title: string;
  detail: string;
  extra: Record<string, unknown>;
}

/** A write that was sent but not answered: it may still take effect. 504, and how to learn the outcome. */
export function outcomeUnknownProblem(why: string): DependencyProblem {
  return {
    status: 504,
    title: 'Gateway Timeout',
    detail:
      `${why}; the change may or may not have been applied. Retry with the same Idempotency-Key (POST) or the same ` +
      'If-Match (PATCH, DELETE): the retry returns the one true result',
    extra: { type: 'urn:awp:problem:outcome-unknown', outcome: 'unknown' },
  };
}

/** The problem+json answer for a dependency failure, or undefined when `err` is not one. */
export function dependencyProblem(err: unknown, method: string): DependencyProblem | undefined {
  if (!isDbUnavailable(err)) return undefined;
  const outcome = err instanceof DbUnavailableError ? err.outcome : undefined;
  const write = method !== 'GET' && method !== 'HEAD';
  if (write && outcome === 'unknown') return outcomeUnknownProblem('the database did not answer');
  return {
    status: 503,
    title: 'Service Unavailable',
    detail: write ? 'the database is unavailable; nothing was changed, retry later' : 'the database is unavailable; retry later',
    extra: { type: 'urn:awp:problem:dependency-unavailable', ...(write ? { outcome: 'not-applied' } : {}) },
  };
}

/**
 * pg pool timeouts. The server-side statement timeout cancels a slow statement (57014: not applied); the
 * client-side read timeout covers a server that can't answer at all (stopped, partitioned). Connect + read stay
 * under the default 5 s request deadline, so the database layer answers, and says what happened, first.
 */
export function dbTimeouts(cfg: { dbStatementTimeoutMs: number }) {
  return {
    connectionTimeoutMillis: 1500,
    statement_timeout: cfg.dbStatementTimeoutMs,
    query_timeout: cfg.dbStatementTimeoutMs + 1000,
  };
}
