import type { Command } from './command.ts';
import { migrateCommand } from './commands/migrate.ts';
import { startCommand } from './commands/start.ts';

/** Every `keywarden` command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [startCommand, migrateCommand];
