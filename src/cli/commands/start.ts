import { migrateDatabase } from '../../db/index.ts';
import type { Command } from '../command.ts';
import { runDemo } from './demo.ts';
import { runCommand } from './run.ts';

/**
 * `keywarden start` (what `npm start` runs): with DATABASE_URL, migrate it and run the daemon; without,
 * the demo on an embedded PostgreSQL and simulated panels.
 */
export const startCommand: Command = {
  name: 'start',
  summary: 'the main job: migrate and run on DATABASE_URL, or the demo when it is unset',
  usage: '',
  flags: {},
  run: async (context) => {
    const url = context.config.databaseUrl;
    if (url === undefined) {
      context.logger.info(
        'DATABASE_URL is not set: starting the demo (embedded PostgreSQL, simulated panels)',
      );
      return runDemo(context);
    }
    const report = await migrateDatabase(url);
    context.logger.info(
      { version: report.currentVersion, applied: report.applied.length },
      'schema up to date',
    );
    return runCommand.run(context);
  },
};
