import pino from 'pino';

/**
 * Where the JSON logs go: stdout, in batches. A write(2) per access-log line was the costliest thing a cached
 * read did after writing the response itself (README, "Where the time goes"); lines are now written together
 * once 4 KiB are buffered, at the latest every 250 ms, and synchronously on exit (pino registers that for
 * its destinations), so order holds and a clean exit or process.exit() loses nothing. A SIGKILL can lose the
 * last 250 ms.
 */
export function logStream(flushMs = 250): pino.DestinationStream {
  const dest = pino.destination({ dest: 1, minLength: 4096, sync: false });
  const timer = setInterval(() => {
    try {
      dest.flush();
    } catch {
      clearInterval(timer); // the destination was closed (shutdown): nothing left to flush
    }
  }, flushMs);
  timer.unref();
  return dest;
}
