import { migrateDatabase } from '../../db/index.ts';
import type { Command } from '../command.ts';

/**
 * `keywarden migrate`: applies pending migrations to DATABASE_URL. Without DATABASE_URL it stops with
 * exit code 2: migrating a throw-away database would let a deploy script that forgot the variable
 * report success.
 */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations to DATABASE_URL (safe to run from several processes at once)',
  usage: '',
  flags: {},
  run: async (context) => {
    const url = context.config.databaseUrl;
    if (url === undefined) {
      context.stderr.write('keywarden migrate: DATABASE_URL is not set: nothing to migrate\n');
      return 2;
    }
    const report = await migrateDatabase(url);
    for (const step of report.applied) {
      context.logger.info({ version: step.version, migration: step.name }, 'migration applied');
    }
    context.logger.info(
      { version: report.currentVersion, applied: report.applied.length },
      'schema up to date',
    );
    return 0;
  },
};
