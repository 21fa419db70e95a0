import { startApp } from '../../app/index.ts';
import { waitForAbort } from '../../shared/index.ts';
import type { Command } from '../command.ts';
import { withPool } from '../pool.ts';

/**
 * `keywarden run`: the daemon. Starts the parts named in KEYWARDEN_COMPONENTS (reconciler, payment
 * webhooks, Telegram bot) on DATABASE_URL, runs until SIGINT/SIGTERM, then shuts down gracefully.
 */
export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon (reconciler, webhooks, bot; chosen by KEYWARDEN_COMPONENTS) until SIGINT/SIGTERM',
  usage: '',
  flags: {},
  run: async (context) =>
    withPool(
      context,
      async (pool, url) => {
        const app = await startApp({
          pool,
          databaseUrl: url,
          config: context.config,
          logger: context.logger,
          signal: context.signal,
        });
        context.logger.info(
          { components: [...context.config.components], metrics: app.httpUrl, webhooks: app.webhookUrl },
          'keywarden is running',
        );
        await waitForAbort(context.signal);
        context.logger.info('shutting down');
        await app.close();
        return 0;
      },
      context.config.databasePoolSize,
    ),
};
