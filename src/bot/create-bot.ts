/**
 * Builds the grammY bot: a registration middleware (every update with a sender gets its user row and
 * texts), then menus, payments, keys, admin commands and the button router. Building does no I/O, so
 * tests feed updates with `bot.handleUpdate` against a fake Bot API.
 */
import { sequentialize } from '@grammyjs/runner';
import { Bot, BotError } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { findUser, upsertTelegramUser } from '../db/index.ts';
import { assertNever } from '../domain/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import { createApiRetry, type RetryBudgets } from './api-retry.ts';
import { parseCallbackData, type CallbackAction } from './callback-data.ts';
import type { BotContext, BotDeps, KeywardenFlavor } from './context.ts';
import { adminHandlers, adminRefusals, confirmHeld } from './handlers/admin.ts';
import { consoleHandlers } from './handlers/console.ts';
import { getKey, replaceUserKey, revokeUserKey, showKey, showKeys } from './handlers/keys.ts';
import { receiptContactHandlers, startCheckout, turnAutopayOff } from './handlers/checkout.ts';
import { menuHandlers, showMenu, takeTrial } from './handlers/menu.ts';
import {
  cancelStarsSubscription,
  paymentHandlers,
  sendStarsInvoice,
  sendStarsSubscription,
  showPlans,
} from './handlers/payments.ts';
import {
  askRotateSubscription,
  removeUserDevice,
  rotateSubscription,
  showDevices,
  showSubscription,
} from './handlers/subscription.ts';
import { messagesFor, pickLanguage } from './i18n/index.ts';

/** Options of the grammY client. */
export interface CreateBotOptions {
  /** Bot API root (KEYWARDEN_TELEGRAM_API_ROOT). */
  readonly apiRoot: string;
  /** The bot's own user; when given, `bot.init()` (getMe) is skipped. */
  readonly botInfo?: UserFromGetMe;
  /** Time budgets of handler calls retried after a 429 (tests shorten them). */
  readonly retryBudgets?: RetryBudgets;
}

/** Builds the bot with all handlers; nothing is sent until updates arrive. */
export function createBot(token: string, deps: BotDeps, options: CreateBotOptions): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, {
    // grammY's default timeout is 500 s; 60 s still outlasts the 30 s long poll of getUpdates and
    // keeps one hung call from stalling the outbox loop for minutes.
    client: { apiRoot: options.apiRoot.replace(/\/$/, ''), timeoutSeconds: 60 },
    ...(options.botInfo === undefined ? {} : { botInfo: options.botInfo }),
  });
  return installHandlers(bot, deps, options.retryBudgets);
}

/** Button actions that show or change keys: answered only in a private chat with the bot. */
const KEY_ACTIONS: ReadonlySet<CallbackAction['kind']> = new Set([
  'keys',
  'get-key',
  'show-key',
  'replace-key',
  'revoke-key',
]);

function installHandlers(
  bot: Bot<BotContext>,
  deps: BotDeps,
  retryBudgets: RetryBudgets | undefined,
): Bot<BotContext> {
  // Handler calls (replies, invoices, pre-checkout answers) survive a 429 within a time budget; the
  // outbox uses bot.api, which keeps its own retry.
  const retry = createApiRetry(deps.logger, retryBudgets);
  bot.use(async (ctx, next) => {
    ctx.api.config.use(retry);
    await next();
  });
  // Updates run concurrently (runner, webhook); one chat's updates still run one after another.
  bot.use(sequentialize((ctx) => (ctx.chat?.id ?? ctx.from?.id)?.toString()));
  bot.use(async (ctx, next) => {
    const flavor: KeywardenFlavor = ctx;
    flavor.language = pickLanguage(ctx.from?.language_code);
    flavor.t = messagesFor(flavor.language);
    flavor.user = undefined;
    await next();
  });
  // Before registration: an admin command from anyone else must read and write nothing.
  bot.use(adminRefusals(deps));
  bot.use(async (ctx, next) => {
    const flavor: KeywardenFlavor = ctx;
    if (ctx.from !== undefined && !ctx.from.is_bot) {
      flavor.user =
        (await findUser(deps.pool, { telegramId: ctx.from.id })) ??
        (
          await upsertTelegramUser(deps.pool, {
            telegramId: ctx.from.id,
            username: ctx.from.username ?? null,
            language: ctx.from.language_code ?? null,
          })
        ).user;
      if (ctx.from.language_code === undefined) {
        flavor.language = pickLanguage(flavor.user.language);
        flavor.t = messagesFor(flavor.language);
      }
    }
    await next();
  });

  bot.use(menuHandlers(deps));
  bot.use(consoleHandlers(deps));
  bot.use(adminHandlers(deps));
  bot.use(paymentHandlers(deps));
  bot.use(receiptContactHandlers(deps));

  bot.on('callback_query', async (ctx) => {
    const parsed = parseCallbackData(ctx.callbackQuery.data);
    if (!parsed.ok) {
      deps.logger.info({ error: parsed.error, telegramId: ctx.from.id }, 'malformed callback data');
      await ctx.answerCallbackQuery({ text: ctx.t.staleButton });
      await showMenu(ctx, deps);
      return;
    }
    const action = parsed.value;
    if (KEY_ACTIONS.has(action.kind) && ctx.chat?.type !== 'private') {
      // Keys are personal: links must not show in a group, and group chats would also bypass the
      // per-chat ordering of one user's presses.
      await ctx.answerCallbackQuery({ text: ctx.t.keysPrivateOnly, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    switch (action.kind) {
      case 'menu':
        return showMenu(ctx, deps);
      case 'plans':
        return showPlans(ctx, deps);
      case 'trial':
        return takeTrial(ctx, deps);
      case 'keys':
        return showKeys(ctx, deps);
      case 'get-key':
        return getKey(ctx, deps);
      case 'buy':
        return sendStarsInvoice(ctx, deps, action.planId);
      case 'show-key':
        return showKey(ctx, deps, action.keyId);
      case 'replace-key':
        return replaceUserKey(ctx, deps, action.keyId);
      case 'revoke-key':
        return revokeUserKey(ctx, deps, action.keyId);
      case 'confirm-held':
        return confirmHeld(ctx, deps, action.fingerprintPrefix);
      case 'checkout':
        return startCheckout(ctx, deps, action.provider, action.planId, action.autopay === true);
      case 'autopay-off':
        return turnAutopayOff(ctx, deps);
      case 'subscribe':
        return sendStarsSubscription(ctx, deps, action.planId);
      case 'stars-subscription-off':
        return cancelStarsSubscription(ctx, deps);
      case 'subscription':
        return showSubscription(ctx, deps);
      case 'rotate-subscription':
        return askRotateSubscription(ctx, deps);
      case 'confirm-rotate-subscription':
        return rotateSubscription(ctx, deps);
      case 'devices':
        return showDevices(ctx, deps);
      case 'remove-device':
        return removeUserDevice(ctx, deps, action.deviceId);
      default:
        return assertNever(action, 'callback action');
    }
  });

  bot.catch((error) => {
    logHandlerFailure(deps.logger, error);
  });
  return bot;
}

/**
 * Logs a failed update with the error's name and message, the update id and the update type only.
 * grammY's BotError carries the whole context (the update with names and texts, and `ctx.api` with
 * the bot token), and a GrammyError the call's payload: none of that is logged.
 */
export function logHandlerFailure(logger: Logger, error: BotError<BotContext>): void {
  const cause = toError(error.error);
  const update = error.ctx.update;
  logger.error(
    {
      err: { type: cause.name, message: cause.message },
      updateId: update.update_id,
      updateType: Object.keys(update).find((key) => key !== 'update_id') ?? 'unknown',
    },
    'bot handler failed',
  );
}

/** True when `thrown` is grammY's wrapper of an error thrown by a handler. */
export function isBotError(thrown: unknown): thrown is BotError<BotContext> {
  return thrown instanceof BotError;
}
