/**
 * The command line: parses argv, loads the config, dispatches to a command, maps failures to exit
 * codes (0 done, 1 failed, 2 usage or configuration error) and owns the process signals.
 */
import { parseArgs } from 'node:util';
import { ConfigError, formatConfigError, loadConfig, secretValues } from '../config/index.ts';
import { createLogger, toError } from '../shared/index.ts';
import { CommandFailure, UsageError, type Command } from './command.ts';
import { explainFailure } from './failure.ts';
import { COMMANDS } from './registry.ts';
import { helpOf } from './help.ts';
import { suggest } from './suggest.ts';
import { VERSION } from './version.ts';

export { VERSION } from './version.ts';

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

/** The long help: usage, description, every flag with its default, and examples. */
export function commandHelp(command: Command): string {
  const lines = [commandUsage(command)];
  const help = helpOf(command);
  if (help?.description !== undefined) {
    lines.push('', help.description);
  }
  const names = Object.keys(command.flags);
  if (names.length > 0) {
    const labels = names.map((name) => `--${name}${command.flags[name]?.type === 'string' ? ' VALUE' : ''}`);
    const width = Math.max(...labels.map((label) => label.length));
    lines.push('', 'flags:');
    names.forEach((name, index) => {
      const flag = help?.flags[name];
      const text = flag === undefined ? '' : flag.description;
      const fallback = flag?.default === undefined ? '' : ` (default: ${flag.default})`;
      lines.push(`  ${(labels[index] ?? '').padEnd(width)}  ${text}${fallback}`);
    });
  }
  lines.push(`  ${'--help'.padEnd(Math.max(6, ...names.map((name) => name.length + 2)))}  show this help`);
  if (help !== undefined && help.examples.length > 0) {
    lines.push('', 'examples:', ...help.examples.map((example) => `  ${example}`));
  }
  return lines.join('\n');
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
  if (first === '--version' || first === '-v' || first === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === first);
  if (!command) {
    const guess = suggest(
      first,
      commands.map((candidate) => candidate.name),
    );
    io.stderr.write(
      `keywarden: unknown command ${JSON.stringify(first)}${guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`}\n\n${usage(commands)}\n`,
    );
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
    io.stdout.write(`${commandHelp(command)}\n`);
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
