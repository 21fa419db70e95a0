import type { Config } from '../config/index.ts';
import type { Logger } from '../shared/index.ts';
import { suggest } from './suggest.ts';

/** Flag definitions, in node:util parseArgs form. */
export type FlagSpec = Readonly<
  Record<
    string,
    { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean }
  >
>;

/** What a command receives. */
export interface CommandContext {
  readonly config: Config;
  /** The environment the config was parsed from (commands that layer defaults reparse it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly flags: Readonly<Record<string, string | boolean | ReadonlyArray<string | boolean> | undefined>>;
  readonly positionals: readonly string[];
  /** Aborted on SIGINT/SIGTERM; long-running commands stop when it fires. */
  readonly signal: AbortSignal;
  /** Where command output for people (tables, JSON) goes. Logs go to the logger. */
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** What `keywarden <command> --help` says about one flag. */
export interface FlagHelp {
  readonly description: string;
  /** The default, as a person would type it (`24h`, `off`); omitted when the flag is required. */
  readonly default?: string;
}

/** The long help of a command: a description, every flag, and examples. */
export interface CommandHelp {
  readonly description?: string;
  /** One entry per flag in `flags` (a unit test checks that none is missing). */
  readonly flags: Readonly<Record<string, FlagHelp>>;
  readonly examples: readonly string[];
}

/** One `keywarden <name>` command. */
export interface Command {
  readonly name: string;
  /** One line for `keywarden --help`. */
  readonly summary: string;
  /** Usage line(s) after the command name, e.g. `--telegram-id ID --for DURATION`. */
  readonly usage: string;
  readonly flags: FlagSpec;
  /** `--help` text beyond the usage line. */
  readonly help?: CommandHelp;
  /** Number of positional arguments allowed. */
  readonly positionals?: { readonly min: number; readonly max: number };
  /** Resolves to the process exit code. */
  readonly run: (context: CommandContext) => Promise<number>;
}

/** A wrong command line: printed with the usage (unless `showUsage` is false: one line), exit code 2. */
export class UsageError extends Error {
  readonly showUsage: boolean;
  constructor(message: string, options: { readonly showUsage?: boolean } = {}) {
    super(message);
    this.name = 'UsageError';
    this.showUsage = options.showUsage ?? true;
  }
}

/**
 * A command that could not do its job for a reason the operator can act on: printed as one line
 * (`keywarden <command>: <message>`, no stack, no log record), exit code 1. The message must not
 * carry secrets.
 */
export class CommandFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** Reads a string flag, or undefined. */
export function stringFlag(context: CommandContext, name: string): string | undefined {
  const value = context.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a string flag that must be present. */
export function requiredFlag(context: CommandContext, name: string): string {
  const value = stringFlag(context, name);
  if (value === undefined || value === '') {
    throw new UsageError(`--${name} is required`);
  }
  return value;
}

/** Reads a boolean flag. */
export function booleanFlag(context: CommandContext, name: string): boolean {
  return context.flags[name] === true;
}

/**
 * Reads the subcommand (first positional) and checks it is one of `names`; a typo gets a
 * "did you mean" in the usage error.
 */
export function subcommand<const T extends string>(context: CommandContext, names: readonly T[]): T {
  const given = context.positionals[0];
  const found = names.find((name) => name === given);
  if (found !== undefined) {
    return found;
  }
  const guess = given === undefined ? undefined : suggest(given, names);
  throw new UsageError(
    given === undefined
      ? `a subcommand is required: ${names.join(', ')}`
      : `unknown subcommand ${JSON.stringify(given)}${guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`}: use ${names.join(', ')}`,
  );
}

/** Reads `--json`. */
export function wantsJson(context: CommandContext): boolean {
  return booleanFlag(context, 'json');
}

/** Parses a positive whole number flag value. */
export function positiveInteger(raw: string, flag: string, max = 1_000_000): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`--${flag} must be a whole number from 1 to ${String(max)}`);
  }
  return Number(raw);
}

/** `--as TELEGRAM_ID` on every command that writes, so the audit log says which admin ran it. */
export const AS_FLAG = { as: { type: 'string' } } as const satisfies FlagSpec;

/** The `--help` entry of `--as`. */
export const AS_HELP: Readonly<Record<'as', FlagHelp>> = {
  as: {
    description:
      'your Telegram id, recorded as the admin in the audit log (`keywarden audit` shows "cli ID"); checked against KEYWARDEN_ADMIN_IDS when that is set',
    default: 'none: the audit log says "cli"',
  },
};

/** Who a CLI write is recorded as in `admin_audit`. */
export interface CliAdmin {
  readonly actor: 'cli';
  /** From `--as`; null when not given. */
  readonly adminTelegramId: number | null;
}

/**
 * Reads `--as TELEGRAM_ID` (call it before writing anything): a numeric Telegram id, one of
 * KEYWARDEN_ADMIN_IDS when that list is set; without the flag, the audit log records only "cli".
 */
export function cliAdmin(context: CommandContext): CliAdmin {
  const raw = stringFlag(context, 'as');
  if (raw === undefined) {
    return { actor: 'cli', adminTelegramId: null };
  }
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) === 0) {
    throw new UsageError('--as must be your numeric Telegram id', { showUsage: false });
  }
  const id = Number(raw);
  const admins = context.config.adminTelegramIds;
  if (admins.size > 0 && !admins.has(id)) {
    throw new UsageError(`--as ${raw} is not one of KEYWARDEN_ADMIN_IDS`, { showUsage: false });
  }
  return { actor: 'cli', adminTelegramId: id };
}
