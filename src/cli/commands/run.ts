import { startReconcilerDaemon } from '../../daemon.ts';
import type { Command } from '../command.ts';
import { withPool } from '../pool.ts';

/**
 * `keywarden run`: the daemon. Starts the parts named in KEYWARDEN_COMPONENTS that this build has
 * (the reconciler), runs until SIGINT/SIGTERM, then shuts down gracefully.
 */
export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon (reconciler; parts chosen by KEYWARDEN_COMPONENTS) until SIGINT/SIGTERM',
  usage: '',
  flags: {},
  run: async (context) =>
    withPool(
      context,
      async (pool, url) => {
        if (!context.config.components.has('reconciler')) {
          context.logger.warn(
            { components: [...context.config.components] },
            'reconciler not in KEYWARDEN_COMPONENTS',
          );
          return 0;
        }
        const daemon = await startReconcilerDaemon({
          pool,
          databaseUrl: url,
          config: context.config,
          logger: context.logger,
        });
        await new Promise<void>((resolve) => {
          if (context.signal.aborted) {
            resolve();
            return;
          }
          context.signal.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true },
          );
        });
        await daemon.close();
        return 0;
      },
      context.config.databasePoolSize,
    ),
};
