import type { Command } from '../command.ts';
import { migrateCommand } from './migrate.ts';

/**
 * `keywarden start`: the README's main job. With DATABASE_URL it migrates that database; without,
 * it runs against a throw-away embedded PostgreSQL.
 */
export const startCommand: Command = {
  name: 'start',
  summary: 'the main job: DATABASE_URL, or an embedded PostgreSQL when it is unset',
  usage: '',
  flags: {},
  run: async (context) => migrateCommand.run(context),
};
