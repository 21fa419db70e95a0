export { toError } from './to-error.ts';
export { parseDurationMs, formatDurationMs } from './duration.ts';
export { sleep, waitForAbort, MAX_TIMER_DELAY_MS } from './sleep.ts';
export { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
export {
  createLogger,
  CREDENTIAL_TABLES,
  REDACT_PATHS,
  serializeError,
  type Logger,
  type RootLoggerOptions,
} from './logger.ts';
export {
  closeServer,
  httpServerOptions,
  listenOn,
  HTTP_SERVER_TIMEOUTS,
  type CloseOptions,
  type HttpServerTimeouts,
} from './http-server.ts';
