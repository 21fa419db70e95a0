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
import { plansCommand } from './commands/plans.ts';
import { usersCommand } from './commands/users.ts';
import { heldCommand } from './commands/held.ts';
import { paymentsCommand } from './commands/payments-list.ts';
import { compensateCommand } from './commands/compensate.ts';
import { consoleCommand } from './commands/console.ts';
import { versionCommand } from './commands/version.ts';
import { auditCommand } from './commands/audit.ts';
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
  plansCommand,
  usersCommand,
  heldCommand,
  paymentsCommand,
  compensateCommand,
  consoleCommand,
  auditCommand,
  versionCommand,
  subCommand,
  adoptCommand,
  rekeyCommand,
];
