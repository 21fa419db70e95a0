import type { Command } from './command.ts';
import { migrateCommand } from './commands/migrate.ts';
import { startCommand } from './commands/start.ts';
import { demoCommand } from './commands/demo.ts';
import { runCommand } from './commands/run.ts';
import { planCommand, reconcileCommand } from './commands/plan.ts';
import { statusCommand } from './commands/status.ts';
import { panelsCommand } from './commands/panels.ts';
import { grantCommand } from './commands/grant.ts';
import { keysCommand } from './commands/keys.ts';
import { paymentsCommand } from './commands/payments.ts';
import { subCommand } from './commands/sub.ts';
import { adoptCommand } from './commands/adopt.ts';
import { rekeyCommand } from './commands/rekey.ts';

/** Every `keywarden` command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  demoCommand,
  migrateCommand,
  runCommand,
  planCommand,
  reconcileCommand,
  statusCommand,
  panelsCommand,
  grantCommand,
  keysCommand,
  paymentsCommand,
  subCommand,
  adoptCommand,
  rekeyCommand,
];
