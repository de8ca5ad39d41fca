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
