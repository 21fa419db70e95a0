/**
 * The application: the parts of `keywarden run` (reconciler, payment webhooks, subscription URLs,
 * Telegram bot) started on one pool and one metrics registry, as KEYWARDEN_COMPONENTS chooses.
 * `keywarden run` and `keywarden demo` both start it; it owns nothing it was given (the pool stays
 * open).
 *
 * Shutdown order is the reverse of start: bot, subscription server, webhooks, then the reconciler
 * (which drains its queue up to the shutdown timeout). Every part is closed even when one fails;
 * the first error is reported.
 */
import type pg from 'pg';
import { startBot, type BotHandle, type BotObserver } from '../bot/index.ts';
import type { Config } from '../config/index.ts';
import { startConsole, type ConsoleServer } from '../console/index.ts';
import { LOCK_CLASS } from '../store/index.ts';
import { countUnsealedPanels, secretBoxFrom } from '../db/index.ts';
import { createMetrics, startHealthServer, type HealthServer, type Metrics } from '../metrics/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import { startSubServer, type SubObserver, type SubServer } from '../sub/index.ts';
import { startWebhooks, type WebhookObserver, type WebhookServer } from '../webhooks/index.ts';
import { createReadiness } from './readiness.ts';
import { startReconcilerDaemon, type ReconcilerDaemon } from './reconciler-daemon.ts';

/** A running application. */
export interface App {
  readonly metrics: Metrics;
  /** Base URL of /metrics, /healthz and /readyz (ends in `/`), when serving. */
  readonly httpUrl: string | undefined;
  /** Base URL of the payment webhooks (ends in `/`), when running. */
  readonly webhookUrl: string | undefined;
  /** Base URL of the subscription server as bound (ends in `/`), when running. */
  readonly subUrl: string | undefined;
  readonly reconciler: ReconcilerDaemon | undefined;
  readonly bot: BotHandle | undefined;
  /** Base URL of the web console (ends in `/`), when running. */
  readonly consoleUrl: string | undefined;
  /** Graceful stop of every part (idempotent). */
  close(): Promise<void>;
}

/** Feeds the webhook server's observations into the catalog metrics. */
function webhookObserver(metrics: Metrics): WebhookObserver {
  return {
    onRequest: (provider, status) => {
      metrics.get('webhookRequests').inc({ provider, status });
    },
    onPayment: (provider, outcome) => {
      metrics.get('payments').inc({ provider, outcome });
    },
  };
}

/** Feeds the bot's observations into the catalog metrics. */
function botObserver(metrics: Metrics): BotObserver {
  return {
    onOutbox: (kind, outcome) => {
      metrics.get('outboxMessages').inc({ kind, outcome });
    },
    onPayment: (provider, outcome) => {
      metrics.get('payments').inc({ provider, outcome });
    },
  };
}

/**
 * Warns at start-up when panel credentials are not (all) encrypted at rest: KEYWARDEN_SECRET_KEY
 * unset, or panels still in plain text or under a previous key (`keywarden rekey` fixes those).
 */
export async function warnAboutStoredSecrets(
  pool: pg.Pool,
  config: Pick<Config, 'secretKey' | 'secretKeyPrevious'>,
  logger: Logger,
): Promise<void> {
  const secrets = secretBoxFrom(config);
  if (secrets === undefined) {
    logger.warn(
      { setting: 'KEYWARDEN_SECRET_KEY' },
      'KEYWARDEN_SECRET_KEY is not set: panel passwords and tokens are stored in plain text',
    );
    return;
  }
  try {
    const { plain, otherKey } = await countUnsealedPanels(pool, secrets);
    if (plain + otherKey > 0) {
      logger.warn(
        { plainPanels: plain, otherKeyPanels: otherKey, keyId: secrets.keyId },
        'some panel credentials are not encrypted with KEYWARDEN_SECRET_KEY: run `keywarden rekey`',
      );
    }
  } catch (thrown) {
    logger.warn({ err: toError(thrown) }, 'could not check how panel credentials are stored');
  }
}

/** Feeds the subscription server's observations into the catalog metrics. */
function subObserver(metrics: Metrics): SubObserver {
  return {
    onFetch: (format, outcome) => {
      metrics.get('subscriptionFetches').inc({ format, outcome });
    },
  };
}

/** Starts the configured parts. On a start-up failure, whatever started is closed again. */
export async function startApp(options: {
  readonly pool: pg.Pool;
  readonly databaseUrl: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}): Promise<App> {
  const { pool, config, logger, signal } = options;
  const metrics = createMetrics();
  const closers: Array<() => Promise<void>> = [];
  let reconciler: ReconcilerDaemon | undefined;
  let webhooks: WebhookServer | undefined;
  let bot: BotHandle | undefined;
  let sub: SubServer | undefined;
  let health: HealthServer | undefined;
  let consoleServer: ConsoleServer | undefined;
  let closed = false;

  const close = async (): Promise<void> => {
    if (closed) {
      return;
    }
    closed = true;
    let first: unknown;
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) => {
        logger.error({ err: toError(error) }, 'a part did not stop cleanly');
        first ??= error;
      });
    }
    if (first !== undefined) {
      throw toError(first);
    }
  };

  try {
    await warnAboutStoredSecrets(pool, config, logger);
    if (config.components.has('reconciler')) {
      reconciler = await startReconcilerDaemon({
        pool,
        databaseUrl: options.databaseUrl,
        config,
        logger,
        metrics,
      });
      const running = reconciler;
      closers.push(() => running.close());
    } else {
      // Without the reconciler there is still /metrics and /healthz for the other parts.
      health = await startHealthServer({
        host: config.httpHost,
        port: config.httpPort,
        registry: metrics.registry,
        metricsToken: config.metricsToken,
        logger: logger.child({ component: 'http' }),
        readiness: createReadiness(pool),
      });
      const server = health;
      closers.push(() => server.close());
    }
    if (config.components.has('webhooks')) {
      webhooks = await startWebhooks({
        config,
        pool,
        logger,
        observer: webhookObserver(metrics),
        signal,
      });
      const server = webhooks;
      closers.push(() => server.close());
    }
    if (config.components.has('sub')) {
      sub = await startSubServer({
        pool,
        config,
        logger: logger.child({ component: 'sub' }),
        observer: subObserver(metrics),
        signal,
      });
      const server = sub;
      closers.push(() => server.close());
    }
    if (config.components.has('bot')) {
      bot = await startBot({
        pool,
        config,
        logger: logger.child({ component: 'bot' }),
        signal,
        observer: botObserver(metrics),
      });
      const handle = bot;
      closers.push(() => handle.close());
    }
    if (config.components.has('console')) {
      consoleServer = await startConsole({
        pool,
        config,
        lockClass: LOCK_CLASS,
        logger: logger.child({ component: 'console' }),
      });
      const server = consoleServer;
      closers.push(() => server.close());
    }
  } catch (error) {
    await close().catch(() => {
      // The start-up error is the one worth reporting.
    });
    throw error;
  }

  const httpUrl = reconciler?.httpUrl ?? health?.url;
  return {
    metrics,
    httpUrl: httpUrl === undefined ? undefined : httpUrl.endsWith('/') ? httpUrl : `${httpUrl}/`,
    webhookUrl: webhooks?.url?.href,
    subUrl: sub?.url?.href,
    reconciler,
    bot,
    consoleUrl: consoleServer?.url,
    close,
  };
}
