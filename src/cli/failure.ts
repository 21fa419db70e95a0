/**
 * Turns the failures an operator meets on a first run into one line with a hint and the right exit
 * code, instead of a JSON log line with a stack: the database unreachable, unknown or refusing the
 * login, the schema not migrated (or newer than this code), a port in use, a setting that cannot
 * work. Anything else is left to the caller (logged with its stack, exit 1).
 */
import { ConfigError, formatConfigError, type Config } from '../config/index.ts';
import { SchemaNotMigratedError, SchemaTooNewError } from '../db/index.ts';

/** A failure explained: the line to print (ends with a newline) and the exit code. */
export interface ExplainedFailure {
  readonly text: string;
  readonly code: number;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The error and its causes (and an AggregateError's errors), outermost first. */
function chain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 10) {
    const next = queue.shift();
    if (next === undefined || next === null || seen.includes(next)) {
      continue;
    }
    seen.push(next);
    if (typeof next === 'object') {
      const record = next as { cause?: unknown; errors?: unknown };
      queue.push(record.cause);
      if (Array.isArray(record.errors)) {
        queue.push(...(record.errors as unknown[]));
      }
    }
  }
  return seen;
}

const field = (error: unknown, name: string): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;

/** Host, port and database of DATABASE_URL, never its password. */
function describeDatabase(url: string | undefined): { where: string; database: string; user: string } {
  try {
    const parsed = new URL(url ?? '');
    return {
      where: `${parsed.hostname}:${parsed.port || '5432'}`,
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)',
      user: decodeURIComponent(parsed.username) || '(default)',
    };
  } catch {
    // Unparseable URLs are refused by config parsing already; say nothing specific.
    return { where: 'DATABASE_URL', database: '(unknown)', user: '(unknown)' };
  }
}

/** The setting that chose `port`, for the hint of a port in use. */
function portSetting(port: number, config: Config): string {
  const candidates: Array<[string, number]> = [
    ['KEYWARDEN_HTTP_PORT', config.httpPort],
    ['KEYWARDEN_WEBHOOK_PORT', config.webhookPort],
    ['KEYWARDEN_TELEGRAM_WEBHOOK_PORT', config.telegramWebhookPort],
  ];
  return candidates.find(([, value]) => value === port)?.[0] ?? 'KEYWARDEN_HTTP_PORT';
}

/** Explains `error` when it is one of the known first-run failures; null otherwise. */
export function explainFailure(command: string, error: unknown, config: Config): ExplainedFailure | null {
  const line = (text: string, code: number): ExplainedFailure => ({
    text: `keywarden ${command}: ${text}\n`,
    code,
  });
  for (const cause of chain(error)) {
    if (cause instanceof ConfigError) {
      return { text: formatConfigError(cause), code: 2 };
    }
    if (cause instanceof SchemaNotMigratedError || cause instanceof SchemaTooNewError) {
      return line(cause.message, 1);
    }
    const code = field(cause, 'code');
    if (code === 'EADDRINUSE') {
      const port = Number(field(cause, 'port'));
      const rawAddress = field(cause, 'address');
      const address = typeof rawAddress === 'string' ? rawAddress : 'its address';
      const setting = portSetting(port, config);
      return line(
        `port ${port} on ${address} is in use: set ${setting}=0 (any free port) or another port`,
        2,
      );
    }
    const database = describeDatabase(config.databaseUrl);
    if (typeof code === 'string' && UNREACHABLE.has(code)) {
      return line(
        `cannot reach the database at ${database.where} (${code}): is PostgreSQL running, and is DATABASE_URL right?`,
        1,
      );
    }
    if (code === '3D000') {
      return line(
        `the database "${database.database}" does not exist on ${database.where}: create it (createdb ${database.database}) or fix DATABASE_URL`,
        2,
      );
    }
    if (code === '28P01' || code === '28000') {
      return line(
        `the database at ${database.where} refused the login of user "${database.user}": check the user and password in DATABASE_URL`,
        2,
      );
    }
    if (code === '42P01') {
      return line('the database is not migrated (a table is missing): run `keywarden migrate`', 1);
    }
  }
  return null;
}
