import type pg from 'pg';
import { toError, type Logger } from '../shared/index.ts';
import type { WebhookObserver } from './observer.ts';
import { createWebhookServer, type WebhookConfig, type WebhookServer } from './server.ts';

/**
 * Starts the payment webhook server for `keywarden run`: builds it from the settings, binds it
 * (the bound URL is logged) and closes it when `signal` aborts. Resolves once listening; rejects
 * with ConfigError on unusable settings or with the bind error. The caller still owns `close()`
 * for an orderly shutdown (it is idempotent).
 */
export async function startWebhooks(options: {
  readonly config: WebhookConfig;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly observer?: WebhookObserver;
  readonly signal?: AbortSignal;
}): Promise<WebhookServer> {
  const server = createWebhookServer({
    pool: options.pool,
    config: options.config,
    logger: options.logger,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
  await server.listen();
  const { signal, logger } = options;
  if (signal) {
    const stop = (): void => {
      server.close().catch((thrown: unknown) => {
        logger.error({ err: toError(thrown) }, 'webhook server did not close cleanly');
      });
    };
    if (signal.aborted) {
      stop();
    } else {
      signal.addEventListener('abort', stop, { once: true });
    }
  }
  return server;
}
