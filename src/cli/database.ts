import { startEmbeddedPostgres } from '../db/index.ts';
import type { CommandContext } from './command.ts';

/**
 * Runs `work` with a database URL: DATABASE_URL when set; otherwise an embedded PostgreSQL that lives
 * for the duration of the call (its data is removed afterwards), with a log line saying so.
 */
export async function withDatabase(
  context: CommandContext,
  work: (url: string) => Promise<number>,
): Promise<number> {
  if (context.config.databaseUrl !== undefined) {
    return work(context.config.databaseUrl);
  }
  context.logger.warn('DATABASE_URL is not set: using a throw-away embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres((line) => {
    context.logger.debug({ component: 'embedded-postgres' }, line);
  });
  try {
    return await work(embedded.url);
  } finally {
    await embedded.stop();
  }
}
