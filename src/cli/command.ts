import type { Config } from '../config/index.ts';
import type { Logger } from '../shared/index.ts';

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

/** One `keywarden <name>` command. */
export interface Command {
  readonly name: string;
  /** One line for `keywarden --help`. */
  readonly summary: string;
  /** Usage line(s) after the command name, e.g. `--telegram-id ID --for DURATION`. */
  readonly usage: string;
  readonly flags: FlagSpec;
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
