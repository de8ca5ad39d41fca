import type { Cache } from './cache';
import { DbUnavailableError, isDbUnavailable } from './db-errors';
import type { Metrics } from './metrics';

/**
 * stale-if-error (RFC 5861) for cache-aside reads: when the database can't answer a cache miss, the last value
 * the cache still holds (Redis, else this pod's expired L1 copy) is served instead of a 503. Freshness bounds
 * staleness while things work; during an outage the last known state beats no answer for a catalogue read.
 * Rethrows `err` when it is not an outage or nothing is cached.
 */
export async function staleIfError(cache: Cache, key: string, err: unknown, metrics: Metrics): Promise<string> {
  if (!isDbUnavailable(err)) throw err;
  const stale = await cache.getStale(key);
  if (stale === undefined) throw err;
  metrics.countCacheRequest('stale');
  return stale;
}

/**
 * A write whose outcome is unknown (sent, never answered) may commit later: the cached copy can no longer be
 * trusted, so it is dropped (or its deletion queued while Redis is away) before the error goes on to the client.
 */
export async function forgetIfOutcomeUnknown(cache: Cache, key: string, err: unknown): Promise<never> {
  if (err instanceof DbUnavailableError && err.outcome === 'unknown') await cache.del(key);
  throw err;
}
