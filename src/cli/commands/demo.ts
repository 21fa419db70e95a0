import { ConfigError, formatConfigError, loadConfig, secretValues } from '../../config/index.ts';
import { DEMO_ENVIRONMENT, startDemo } from '../../demo/index.ts';
import { createLogger, waitForAbort } from '../../shared/index.ts';
import type { Command, CommandContext } from '../command.ts';

/**
 * `keywarden demo`: embedded PostgreSQL, two simulated panels, seeded data and the whole daemon,
 * with a narrated script (src/demo). Runs until SIGINT/SIGTERM, then removes everything it made.
 * DATABASE_URL is ignored: the demo never touches a real database.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'a first look: embedded PostgreSQL, two simulated 3x-ui panels, seeded users, the whole daemon',
  usage: '',
  flags: {},
  run: async (context) => runDemo(context),
};

/** Runs the demo in the given command context (also `keywarden start` without DATABASE_URL). */
export async function runDemo(context: CommandContext): Promise<number> {
  // The demo's defaults apply only where the environment says nothing.
  const env = { ...DEMO_ENVIRONMENT, ...withoutEmpty(context.env) };
  delete env['DATABASE_URL'];
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      context.stderr.write(formatConfigError(error));
      return 2;
    }
    throw error;
  }
  const logger = createLogger({
    level: config.logLevel,
    pretty: config.logFormat === 'pretty',
    destination: context.stderr,
    secrets: secretValues(config),
  });
  if (config.telegramBotToken === undefined) {
    logger.info('TELEGRAM_BOT_TOKEN is not set: the demo runs without the Telegram bot');
  }
  const demo = await startDemo({ config, logger });
  await waitForAbort(context.signal);
  logger.info('stopping the demo and removing its data');
  await demo.close();
  return 0;
}

function withoutEmpty(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') {
      result[key] = value;
    }
  }
  return result;
}
