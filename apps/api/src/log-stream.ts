import pino from 'pino';

/** Lines are buffered up to this many bytes (~20 access-log lines) before one write(2)… */
export const LOG_BUFFER_BYTES = 4096;
/** …and never kept longer than this. */
export const LOG_FLUSH_MS = 100;
/** At most this much waits in memory (a stdout that stopped draining); lines beyond it are dropped. */
export const LOG_MAX_BUFFER_BYTES = 16 * 1024 * 1024;

let stream: ReturnType<typeof pino.destination> | undefined;

/**
 * Where the JSON logs go: stdout, written off the event loop in batches. A write per access-log line was the
 * costliest thing a cached read did after sending its response (README, "Where the time goes": ~14 µs of CPU a
 * request for the write alone, async or not). So (sonic-boom, pino's own destination) lines collect in memory
 * until LOG_BUFFER_BYTES, or for at most LOG_FLUSH_MS, and go out in one asynchronous write, the order kept; the
 * lines of writes, refusals and errors are written at once (flushLogs). pino flushes synchronously on exit, so a
 * clean exit, an uncaught exception or process.exit() loses nothing; a SIGKILL (the kubelet after
 * terminationGracePeriodSeconds, an OOM kill) or a native crash loses what is buffered: up to 4 KiB of successful
 * reads' lines, more only while stdout is not draining.
 */
export function logStream(): pino.DestinationStream {
  // maxLength: a stdout that stops draining must not grow the buffer without bound (sonic-boom drops beyond it).
  stream = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, maxLength: LOG_MAX_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS });
  return stream;
}

/**
 * Writes what is buffered now, without waiting for LOG_BUFFER_BYTES: for the lines an audit needs (writes, refusals,
 * errors; access-log.ts), which should not wait in memory for the next batch. Rare, so it costs little.
 */
export function flushLogs(): void {
  if (!stream || (stream as { destroyed?: boolean }).destroyed) return;
  try {
    stream.flush();
  } catch {
    // a closed stdout: nothing to do
  }
}

/** pino's level names: LOG_LEVEL must be one of them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The process' one logger: start-up, the commands (migrate, seed) and the server's requests (Fastify gets it as its
 * loggerInstance) all write pino JSON lines with numeric levels to one stream. A start-up failure is level 50 like
 * any other error, so the error-log metric filter (`$.log_processed.level >= 50`, libs/observability) counts it.
 */
export function createLogger(level: string): pino.Logger {
  return pino(
    {
      level: LOG_LEVELS.includes(level) ? level : 'info', // an unknown LOG_LEVEL is refused by loadConfig, through this logger
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-amz-security-token"]'],
    },
    logStream(),
  );
}
