import { migrateDatabase } from '../../db/index.ts';
import type { Command } from '../command.ts';
import { withDatabase } from '../database.ts';

/** `keywarden migrate`: applies pending migrations to DATABASE_URL (or the embedded default). */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations (safe to run from several processes at once)',
  usage: '',
  flags: {},
  run: async (context) =>
    withDatabase(context, async (url) => {
      const report = await migrateDatabase(url);
      for (const step of report.applied) {
        context.logger.info({ version: step.version, migration: step.name }, 'migration applied');
      }
      context.logger.info(
        { version: report.currentVersion, applied: report.applied.length },
        'schema up to date',
      );
      return 0;
    }),
};
