import { pino, type Logger, type LoggerOptions } from 'pino';
import PinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Paths redacted from every log line. Any field named like a credential is censored wherever it
 * appears, one or two levels deep (pino's redact does not support recursive wildcards).
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'token',
  'secret',
  'cookie',
  'authorization',
  'apiToken',
  'botToken',
  'webhookSecret',
  '*.password',
  '*.token',
  '*.secret',
  '*.cookie',
  '*.authorization',
  '*.apiToken',
  '*.botToken',
  '*.webhookSecret',
  '*.*.password',
  '*.*.token',
  '*.*.secret',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  'headers["crypto-pay-api-token"]',
  'headers["x-telegram-bot-api-secret-token"]',
];

/** Options for the root logger. */
export interface RootLoggerOptions {
  readonly level: string;
  /** Human-readable single-line output instead of JSON (the demo uses it). */
  readonly pretty?: boolean;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * Creates the one root logger of the process; components take `.child({ component })` of it. JSON
 * by default; `pretty` renders one readable line an event through pino-pretty (same redaction).
 */
export function createLogger(options: RootLoggerOptions): Logger {
  const config: LoggerOptions = {
    level: options.level,
    base: { service: 'keywarden' },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // pino-pretty reads numeric levels; JSON output carries the label for log shippers.
    ...(options.pretty === true ? {} : { formatters: { level: (label: string) => ({ level: label }) } }),
  };
  if (options.pretty === true) {
    const destination = options.destination ?? process.stdout;
    return pino(
      config,
      PinoPretty({
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        singleLine: true,
        colorize: 'isTTY' in destination && destination.isTTY,
        destination,
      }),
    );
  }
  return options.destination ? pino(config, options.destination) : pino(config);
}
