/**
 * Runs the bot part of `keywarden run`: long polling (default) or a webhook server (when
 * KEYWARDEN_TELEGRAM_WEBHOOK_URL is set; Telegram's secret token is checked on every request), plus
 * the outbox delivery loop and the Star transactions sweep. Without TELEGRAM_BOT_TOKEN the bot is off and says so once.
 */
import { createServer, type Server } from 'node:http';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { webhookCallback, type Api } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import { closeServer, httpServerOptions, listenOn, toError, type Logger } from '../shared/index.ts';
import { createBot, isBotError, logHandlerFailure } from './create-bot.ts';
import { messagesFor } from './i18n/index.ts';
import type { BotObserver } from './observer.ts';
import { runOutboxLoop } from './outbox.ts';
import { runStarsSweepLoop } from './stars-sweep.ts';
import { runOrdersLoop } from './orders-loop.ts';
import { runAutopayLoop } from './autopay.ts';
import type { RenewalSchedule } from '../db/index.ts';
import { createCryptoPayApi, createYooKassaApi } from '../payments/index.ts';
import type { CheckoutDeps } from './context.ts';

/** How often unpaid orders are looked at (expiry). */
const ORDERS_INTERVAL_MS = 30_000;

/** The settings `startBot` reads. */
export type StartBotConfig = Pick<
  Config,
  | 'telegramBotToken'
  | 'telegramApiRoot'
  | 'telegramWebhookUrl'
  | 'telegramWebhookSecret'
  | 'telegramWebhookHost'
  | 'telegramWebhookPort'
  | 'botMessagesPerSecond'
  | 'outboxIntervalMs'
  | 'starsSweepIntervalMs'
  | 'graceMs'
  | 'adminTelegramIds'
  | 'trialDurationMs'
  | 'checkoutLinks'
  | 'orderLifetimeMs'
  | 'yookassaShopId'
  | 'yookassaSecretKey'
  | 'yookassaApiRoot'
  | 'yookassaCurrency'
  | 'yookassaReturnUrl'
  | 'yookassaReceipt'
  | 'yookassaVatCode'
  | 'cryptoPayToken'
  | 'cryptoPayApiRoot'
  | 'cryptoPayCurrency'
  | 'cryptoPayAssets'
  | 'paymentApiTimeoutMs'
  | 'autorenewLeadMs'
  | 'autorenewRetryMs'
  | 'autorenewAttempts'
  | 'reminderDays'
  | 'subPublicUrl'
  | 'subTokenSecret'
  | 'subTitle'
>;

/** When and how often autopay charges (KEYWARDEN_AUTORENEW_*; renewal orders live 12 h). */
export function renewalScheduleFrom(config: StartBotConfig): RenewalSchedule {
  return {
    leadMs: config.autorenewLeadMs,
    retryMs: config.autorenewRetryMs,
    maxAttempts: config.autorenewAttempts,
    currency: config.yookassaCurrency,
    orderLifetimeMs: 12 * 3_600_000,
  };
}

/** The provider APIs the bot creates payments with: YooKassa with shop credentials, Crypto Pay with a token. */
export function checkoutDepsFrom(config: StartBotConfig): CheckoutDeps {
  const timeoutMs = config.paymentApiTimeoutMs;
  return {
    ...(config.yookassaShopId !== undefined && config.yookassaSecretKey !== undefined
      ? {
          yookassa: {
            api: createYooKassaApi({
              shopId: config.yookassaShopId,
              secretKey: config.yookassaSecretKey,
              apiRoot: config.yookassaApiRoot,
              timeoutMs,
            }),
            currency: config.yookassaCurrency,
            returnUrl: config.yookassaReturnUrl ?? null,
            receipt: config.yookassaReceipt,
            vatCode: config.yookassaVatCode,
          },
        }
      : {}),
    ...(config.cryptoPayToken !== undefined
      ? {
          cryptoPay: {
            api: createCryptoPayApi({
              token: config.cryptoPayToken,
              apiRoot: config.cryptoPayApiRoot,
              timeoutMs,
            }),
            currency: config.cryptoPayCurrency,
            assets: config.cryptoPayAssets,
          },
        }
      : {}),
  };
}

/** What `startBot` needs. */
export interface StartBotOptions {
  readonly pool: pg.Pool;
  readonly config: StartBotConfig;
  /** The bot component's logger (e.g. `root.child({ component: 'bot' })`). */
  readonly logger: Logger;
  /** Aborting it stops the bot like `close()`. */
  readonly signal?: AbortSignal;
  /** Skips getMe (tests). */
  readonly botInfo?: UserFromGetMe;
  /** Metrics sink (outbox deliveries, Stars payments); default records nothing. */
  readonly observer?: BotObserver;
}

/** A running bot: `done` settles when it has stopped (rejects on a fatal error); `close` is idempotent. */
export interface BotHandle {
  /** false when the bot is off (no token). */
  readonly isRunning: boolean;
  /** The bound webhook server URL in webhook mode, else null. */
  readonly webhookListenUrl: string | null;
  readonly done: Promise<void>;
  readonly close: () => Promise<void>;
}

/** The updates the bot handles (refunded_payment and successful_payment arrive as messages). */
const ALLOWED_UPDATES = ['message', 'callback_query', 'pre_checkout_query'] as const;

/** Sets the command list Telegram shows, in English and Russian; a failure only costs the hint. */
async function publishCommands(api: Api, logger: Logger): Promise<void> {
  try {
    for (const language of ['en', 'ru'] as const) {
      const t = messagesFor(language);
      const commands = [
        { command: 'start', description: t.commandStart },
        { command: 'menu', description: t.commandMenu },
      ];
      await api.setMyCommands(commands, language === 'en' ? {} : { language_code: language });
    }
  } catch (thrown: unknown) {
    logger.warn({ err: toError(thrown) }, 'could not publish the bot command list');
  }
}

/**
 * Starts the bot and its outbox loop. Resolves once it runs (webhook set and server listening, or
 * polling started). In webhook mode a missing KEYWARDEN_TELEGRAM_WEBHOOK_SECRET is an error.
 */
export async function startBot(options: StartBotOptions): Promise<BotHandle> {
  const { config, logger } = options;
  const token = config.telegramBotToken;
  if (token === undefined) {
    logger.info('TELEGRAM_BOT_TOKEN is not set: the bot is off');
    return {
      isRunning: false,
      webhookListenUrl: null,
      done: Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  if (config.telegramWebhookUrl !== undefined && config.telegramWebhookSecret === undefined) {
    throw new Error(
      'KEYWARDEN_TELEGRAM_WEBHOOK_SECRET must be set when KEYWARDEN_TELEGRAM_WEBHOOK_URL is (Telegram signs updates with it)',
    );
  }
  const checkout = checkoutDepsFrom(config);
  const bot = createBot(
    token,
    {
      pool: options.pool,
      logger,
      config,
      checkout,
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    },
    {
      apiRoot: config.telegramApiRoot,
      ...(options.botInfo === undefined ? {} : { botInfo: options.botInfo }),
    },
  );
  await bot.init();
  await publishCommands(bot.api, logger);
  const controller = new AbortController();
  let closing: Promise<void> | undefined;
  const onAbort = (): void => {
    close().catch((thrown: unknown) => {
      logger.error({ err: toError(thrown) }, 'bot did not stop cleanly');
    });
  };

  const outbox = runOutboxLoop(
    {
      api: bot.api,
      pool: options.pool,
      logger: logger.child({ part: 'outbox' }),
      graceMs: config.graceMs,
      messagesPerSecond: config.botMessagesPerSecond,
      intervalMs: config.outboxIntervalMs,
      reminders: {
        days: config.reminderDays,
        autopay:
          checkout.yookassa === undefined
            ? undefined
            : { currency: config.yookassaCurrency, leadMs: config.autorenewLeadMs },
      },
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    },
    controller.signal,
  );

  const sweep =
    config.starsSweepIntervalMs > 0
      ? runStarsSweepLoop(
          {
            api: bot.api,
            pool: options.pool,
            logger: logger.child({ part: 'stars-sweep' }),
            intervalMs: config.starsSweepIntervalMs,
            ...(options.observer === undefined ? {} : { observer: options.observer }),
          },
          controller.signal,
        )
      : Promise.resolve();

  const orders = runOrdersLoop(
    { pool: options.pool, logger: logger.child({ part: 'orders' }), intervalMs: ORDERS_INTERVAL_MS },
    controller.signal,
  );
  const cardApi = checkout.yookassa?.api;
  const autopay =
    cardApi === undefined
      ? Promise.resolve()
      : runAutopayLoop(
          {
            pool: options.pool,
            api: cardApi,
            schedule: renewalScheduleFrom(config),
            logger: logger.child({ part: 'autopay' }),
            intervalMs: ORDERS_INTERVAL_MS,
            ...(options.observer === undefined ? {} : { observer: options.observer }),
          },
          controller.signal,
        );

  let server: Server | null = null;
  let runner: RunnerHandle | null = null;
  let updates: Promise<void>;
  let webhookListenUrl: string | null = null;
  if (config.telegramWebhookUrl !== undefined && config.telegramWebhookSecret !== undefined) {
    const secret = config.telegramWebhookSecret;
    const handle = webhookCallback(bot, 'http', { secretToken: secret });
    const listening = createServer(httpServerOptions(), (request, response) => {
      handle(request, response).catch((thrown: unknown) => {
        // A handler failed: logged like in polling mode, without the update or the token. The 500
        // makes Telegram deliver it again (a payment whose write failed gets another chance).
        if (isBotError(thrown)) {
          logHandlerFailure(logger, thrown);
        } else {
          logger.error({ err: toError(thrown) }, 'webhook update failed');
        }
        if (!response.headersSent) {
          response.writeHead(500).end();
        }
      });
    });
    server = listening;
    // The URL without its trailing slash, as logged and returned before.
    webhookListenUrl = (
      await listenOn(listening, config.telegramWebhookPort, config.telegramWebhookHost)
    ).href.slice(0, -1);
    await bot.api.setWebhook(config.telegramWebhookUrl, {
      secret_token: secret,
      allowed_updates: ALLOWED_UPDATES,
    });
    logger.info({ listenUrl: webhookListenUrl, username: bot.botInfo.username }, 'bot started (webhook)');
    updates = new Promise<void>((resolve) => {
      listening.once('close', () => {
        resolve();
      });
    });
  } else {
    // @grammyjs/runner handles updates concurrently (one slow update, say a QR upload on a slow
    // network, must not hold up a pre-checkout answer that Telegram needs within 10 s), while
    // sequentialize() in createBot keeps each chat's updates in order. Unlike bot.start(), the
    // runner does not remove a webhook left from webhook mode, and getUpdates fails while one is set.
    await bot.api.deleteWebhook();
    const polling = run(bot, {
      runner: { fetch: { allowed_updates: ALLOWED_UPDATES }, retryInterval: 'exponential', silent: true },
    });
    runner = polling;
    logger.info({ username: bot.botInfo.username }, 'bot started (long polling)');
    updates = polling.task() ?? Promise.resolve();
  }

  async function close(): Promise<void> {
    closing ??= (async () => {
      controller.abort();
      options.signal?.removeEventListener('abort', onAbort);
      const stopping: Array<Promise<unknown>> = [outbox, sweep, orders, autopay];
      if (server !== null) {
        stopping.push(closeServer(server, { graceMs: 0 }));
      } else {
        const polling = runner;
        if (polling?.isRunning() === true) {
          // Resolves once the updates in flight are handled.
          stopping.push(polling.stop());
        }
      }
      const results = await Promise.allSettled(stopping);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) {
        throw toError(failed.reason);
      }
      logger.info('bot stopped');
    })();
    return closing;
  }

  // Listen only now: an abort during start-up must find the runner or server it has to stop.
  if (options.signal?.aborted === true) {
    onAbort();
  } else {
    options.signal?.addEventListener('abort', onAbort, { once: true });
  }

  // After a close, done also waits for close to finish, so "done" means everything has stopped.
  const done = Promise.all([updates, outbox, sweep, orders, autopay]).then(() => closing);
  return { isRunning: true, webhookListenUrl, done, close };
}
