/**
 * The command line: parses argv, loads the config, dispatches to a command, maps failures to exit
 * codes (0 done, 1 failed, 2 usage or configuration error) and owns the process signals.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, formatConfigError, loadConfig, secretValues } from '../config/index.ts';
import { createLogger, toError } from '../shared/index.ts';
import { CommandFailure, UsageError, type Command } from './command.ts';
import { explainFailure } from './failure.ts';
import { COMMANDS } from './registry.ts';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The program's version, from package.json. */
export const VERSION = PACKAGE.version;

function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'usage: keywarden <command> [flags]',
    '',
    'commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'keywarden <command> --help shows the flags of one command.',
    'Settings come from the environment (see .env.example); --version prints the version.',
  ].join('\n');
}

function commandUsage(command: Command): string {
  return `usage: keywarden ${command.name}${command.usage ? ` ${command.usage}` : ''}\n\n${command.summary}`;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(
  argv: readonly string[],
  io: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WritableStream;
    readonly signal: AbortSignal;
  },
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.stderr : io.stdout).write(`${usage(commands)}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === first);
  if (!command) {
    io.stderr.write(`keywarden: unknown command ${JSON.stringify(first)}\n\n${usage(commands)}\n`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...command.flags, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    const count = parsed.positionals.length;
    const allowed = command.positionals ?? { min: 0, max: 0 };
    if (parsed.values['help'] !== true && (count < allowed.min || count > allowed.max)) {
      throw new UsageError(
        count > allowed.max
          ? `unexpected argument ${JSON.stringify(parsed.positionals[allowed.max])}`
          : 'missing argument',
      );
    }
  } catch (error) {
    io.stderr.write(`keywarden ${command.name}: ${toError(error).message}\n\n${commandUsage(command)}\n`);
    return 2;
  }
  if (parsed.values['help'] === true) {
    io.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }

  let config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(formatConfigError(error));
      return 2;
    }
    throw error;
  }
  const logger = createLogger({
    level: config.logLevel,
    pretty: config.logFormat === 'pretty',
    destination: io.stderr,
    secrets: secretValues(config),
  });
  try {
    return await command.run({
      config,
      env: io.env,
      logger,
      flags: parsed.values,
      positionals: parsed.positionals,
      signal: io.signal,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        error.showUsage
          ? `keywarden ${command.name}: ${error.message}\n\n${commandUsage(command)}\n`
          : `keywarden ${command.name}: ${error.message}\n`,
      );
      return 2;
    }
    if (error instanceof CommandFailure) {
      io.stderr.write(`keywarden ${command.name}: ${error.message}\n`);
      return 1;
    }
    const explained = explainFailure(command.name, error, config);
    if (explained !== null) {
      // One line with a hint; the full error only at debug level.
      io.stderr.write(explained.text);
      logger.debug({ err: toError(error), command: command.name }, 'command failed');
      return explained.code;
    }
    logger.error({ err: toError(error), command: command.name }, 'command failed');
    return 1;
  }
}
