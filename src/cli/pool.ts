import { assertMigrated, createPool, type Pool } from '../db/index.ts';
import { UsageError, type CommandContext } from './command.ts';

/**
 * Runs `work` with a pool on DATABASE_URL; the pool is closed afterwards. Commands that read or
 * change your data need your database: without DATABASE_URL they stop with a usage error (a
 * throw-away embedded database would silently lose what they write; `keywarden demo` has one). The
 * schema must be at this code's version (SchemaNotMigratedError / SchemaTooNewError otherwise).
 */
export async function withPool(
  context: CommandContext,
  work: (pool: Pool, url: string) => Promise<number>,
  max = 4,
): Promise<number> {
  const url = context.config.databaseUrl;
  if (url === undefined) {
    throw new UsageError(
      'DATABASE_URL is not set: this command works on your database (try `keywarden demo` for a throw-away one)',
    );
  }
  const pool = createPool({ connectionString: url, max }, (error) => {
    context.logger.error({ err: error }, 'database connection error');
  });
  try {
    // A database that is not migrated (or newer than this code) stops here with one line.
    await assertMigrated(pool);
    return await work(pool, url);
  } finally {
    await pool.end();
  }
}

/** Writes one line of output (not a log line). */
export function println(context: CommandContext, text = ''): void {
  context.stdout.write(`${text}\n`);
}

/** Formats rows as an aligned text table. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
