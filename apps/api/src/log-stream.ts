import pino from 'pino';

/**
 * Where the JSON logs go: stdout, written off the event loop. A synchronous write(2) per access-log line was the
 * costliest thing a cached read did after writing the response itself (README, "Where the time goes"). Async
 * (sonic-boom): a line goes out at once when no write is in flight, and the lines that arrive meanwhile go out
 * together in the next one — one write per request when idle, batches under load, the order kept. pino flushes
 * synchronously on exit, so a clean exit or process.exit() loses nothing; a SIGKILL can lose what was in flight.
 */
export function logStream(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}
