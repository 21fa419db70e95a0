/** /start, the main menu and the trial: the VPN actions only for entitled users. */
import { Composer, InlineKeyboard } from 'grammy';
import { grantPeriod, upsertTelegramUser } from '../../db/index.ts';
import { encodeCallbackData } from '../callback-data.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { formatInstant, messagesFor, pickLanguage } from '../i18n/index.ts';
import { readEntitlement } from '../queries/entitlement.ts';
import { hasSubscriptionUrls, showSubscription } from './subscription.ts';

const button = (
  label: string,
  action: Parameters<typeof encodeCallbackData>[0],
): ReturnType<typeof InlineKeyboard.text> => InlineKeyboard.text(label, encodeCallbackData(action));

/** Sends the main menu: keys for entitled users, otherwise why not and the way to the plans. */
export async function showMenu(ctx: BotContext, deps: BotDeps): Promise<void> {
  const user = ctx.user;
  if (user === undefined) {
    return;
  }
  const t = ctx.t;
  const entitlement = await readEntitlement(deps.pool, user.id, deps.config.graceMs);
  const greeting = t.welcome(ctx.from?.first_name ?? user.username ?? '');
  if (entitlement.isBanned) {
    await ctx.reply(`${greeting}\n\n${t.menuBanned}`);
    return;
  }
  if (entitlement.isEntitled && entitlement.entitledUntil !== null) {
    const keyboard = InlineKeyboard.from([
      [button(t.buttonMyKeys, { kind: 'keys' }), button(t.buttonGetKey, { kind: 'get-key' })],
      ...(hasSubscriptionUrls(deps) ? [[button(t.buttonSubscription, { kind: 'subscription' })]] : []),
      [button(t.buttonPlans, { kind: 'plans' })],
    ]);
    await ctx.reply(`${greeting}\n\n${t.menuEntitled(formatInstant(entitlement.entitledUntil))}`, {
      reply_markup: keyboard,
    });
    return;
  }
  const rows = [[button(t.buttonPlans, { kind: 'plans' })]];
  if (deps.config.trialDurationMs !== undefined) {
    const { rows: used } = await deps.pool.query<{ used: boolean }>(
      `select exists (select 1 from subscription_periods where user_id = $1 and source = 'trial') as used`,
      [user.id],
    );
    if (used[0]?.used !== true) {
      rows.push([button(t.buttonTrial, { kind: 'trial' })]);
    }
  }
  await ctx.reply(`${greeting}\n\n${t.menuNoSubscription}`, { reply_markup: InlineKeyboard.from(rows) });
}

/** Grants the configured trial once per user (the database's unique index decides). */
export async function takeTrial(ctx: BotContext, deps: BotDeps): Promise<void> {
  const user = ctx.user;
  const durationMs = deps.config.trialDurationMs;
  if (user === undefined || durationMs === undefined) {
    await showMenu(ctx, deps);
    return;
  }
  const outcome = await grantPeriod(deps.pool, { userId: user.id, source: 'trial', durationMs });
  if (outcome.kind === 'trial-already-used') {
    await ctx.reply(ctx.t.trialUsed);
    return;
  }
  deps.logger.info({ userId: user.id, periodId: outcome.period.id }, 'trial granted');
  await ctx.reply(ctx.t.trialGranted(formatInstant(outcome.period.endsAt)));
  await showMenu(ctx, deps);
}

/** /start and /menu. /start (re-)registers the sender: idempotent, refreshes username and language. */
export function menuHandlers(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('start', async (ctx) => {
    if (ctx.from === undefined) {
      return;
    }
    const { user, created } = await upsertTelegramUser(deps.pool, {
      telegramId: ctx.from.id,
      username: ctx.from.username ?? null,
      language: ctx.from.language_code ?? null,
    });
    if (created) {
      deps.logger.info({ userId: user.id }, 'user registered');
    }
    ctx.user = user;
    ctx.language = pickLanguage(ctx.from.language_code ?? user.language);
    ctx.t = messagesFor(ctx.language);
    await showMenu(ctx, deps);
  });
  composer.command('menu', (ctx) => showMenu(ctx, deps));
  composer.command('subscription', (ctx) => showSubscription(ctx, deps));
  return composer;
}
