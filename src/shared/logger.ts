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

/**
 * Error fields never logged. grammY's BotError carries the whole context (`ctx`: the update with
 * names and messages, and `ctx.api.token`, the bot token); GrammyError carries the call's `payload`
 * (message texts, chat ids). The message, name, stack and the kind/method fields stay.
 */
const DROPPED_ERROR_FIELDS: ReadonlySet<string> = new Set(['ctx', 'payload']);

/**
 * Tables whose rows hold credentials (panel passwords and tokens, web base paths). A PostgreSQL
 * error's `detail` can quote a row ("Failing row contains (...)", "Key (...)=(...)"), so it is
 * dropped for these tables.
 */
export const CREDENTIAL_TABLES: ReadonlySet<string> = new Set(['panels']);

/** Removes what must not be logged from a serialised error, its causes and aggregated errors. */
function scrubError(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 5) {
    return value;
  }
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(record)) {
    if (DROPPED_ERROR_FIELDS.has(key)) {
      continue;
    }
    if (key === 'detail' && typeof record['table'] === 'string' && CREDENTIAL_TABLES.has(record['table'])) {
      continue;
    }
    out[key] =
      key === 'cause' || key === 'aggregateErrors' || key === 'errors'
        ? Array.isArray(field)
          ? field.map((item) => scrubError(item, depth + 1))
          : scrubError(field, depth + 1)
        : field;
  }
  return out;
}

/** pino's error serialiser, then scrubbed (see DROPPED_ERROR_FIELDS and CREDENTIAL_TABLES). */
export function serializeError(error: unknown): unknown {
  return scrubError(error instanceof Error ? pino.stdSerializers.err(error) : error);
}

/**
 * The forms in which a secret value can appear in a JSON log line: as is, JSON-escaped and
 * URL-encoded (a bot token inside a Bot API URL). Values shorter than 8 characters are not
 * scrubbed: they would censor ordinary words.
 */
function secretForms(secrets: readonly string[]): readonly string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 8) {
      continue;
    }
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret containing another is censored whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Options for the root logger. */
export interface RootLoggerOptions {
  readonly level: string;
  /**
   * Secret values (the bot token, API keys, webhook secrets) censored wherever they appear in a
   * line, whatever the field is called: the last line of defence behind `redact` paths.
   */
  readonly secrets?: readonly string[];
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
  const forms = secretForms(options.secrets ?? []);
  const config: LoggerOptions = {
    level: options.level,
    base: { service: 'keywarden' },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    ...(forms.length === 0
      ? {}
      : {
          hooks: {
            streamWrite: (line: string): string =>
              forms.reduce((text, form) => text.replaceAll(form, '[redacted]'), line),
          },
        }),
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
