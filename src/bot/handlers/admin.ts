/**
 * Admin commands (KEYWARDEN_ADMIN_IDS): /stats, /user, /grant, /ban, /unban, /held and the confirm
 * button of held safety-valve plans. Everyone else is refused. Arguments are parsed, never trusted.
 */
import { Composer, InlineKeyboard } from 'grammy';
import { findUser, grantPeriod, setUserBanned, type UserRecord } from '../../db/index.ts';
import { asUserId } from '../../domain/index.ts';
import { parseDurationMs } from '../../shared/index.ts';
import { encodeCallbackData } from '../callback-data.ts';
import type { BotContext, BotDeps } from '../context.ts';
import type { KeyStatus } from '../key-status.ts';
import { formatInstant } from '../i18n/index.ts';
import { readStats, readUserHistory } from '../queries/admin.ts';
import { confirmHeldPlan, listOpenHeldPlans } from '../queries/held-plans.ts';

/** Whether the sender of this update is an admin. */
export function isAdmin(ctx: BotContext, deps: BotDeps): boolean {
  return ctx.from !== undefined && deps.config.adminTelegramIds.has(ctx.from.id);
}

/**
 * Finds a user by `@username`, Telegram id, or `#<user id>` (our id). A bare number is tried as a
 * Telegram id first, then as our id.
 */
export async function lookUpUser(deps: BotDeps, reference: string): Promise<UserRecord | null> {
  const ref = reference.trim();
  if (/^@[A-Za-z0-9_]{1,64}$/.test(ref)) {
    return findUser(deps.pool, { username: ref });
  }
  if (/^#\d{1,19}$/.test(ref)) {
    return findUser(deps.pool, { id: asUserId(ref.slice(1)) });
  }
  if (/^\d{1,16}$/.test(ref)) {
    return (
      (await findUser(deps.pool, { telegramId: Number(ref) })) ?? findUser(deps.pool, { id: asUserId(ref) })
    );
  }
  return null;
}

/** A key status for admins: the kind with the reason or the panel's error (users never see errors). */
function adminStatus(status: KeyStatus): string {
  switch (status.kind) {
    case 'active':
    case 'setting-up':
      return status.kind;
    case 'suspended':
      return `suspended (${status.reason})`;
    case 'problem':
      return status.error === null ? 'problem' : `problem (${status.error})`;
  }
}

const words = (text: string): string[] => text.split(/\s+/).filter((word) => word.length > 0);

/** Sends /stats. */
async function sendStats(ctx: BotContext, deps: BotDeps): Promise<void> {
  const t = ctx.t;
  const stats = await readStats(deps.pool, deps.config.graceMs);
  const held = await listOpenHeldPlans(deps.pool);
  const keys = Object.entries(stats.keys)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  await ctx.reply(
    t.adminStats([
      t.adminStatsUsers(stats.users, stats.entitled, stats.banned),
      t.adminStatsKeys(keys),
      t.adminStatsPanels(stats.panels.enabled, stats.panels.total, stats.panels.suspended),
      t.adminStatsInbounds(stats.panelsObservedRecently),
      t.adminStatsHeld(held.length),
    ]),
  );
}

/** Sends each open held plan with a button that confirms exactly that plan. */
async function sendHeldPlans(ctx: BotContext, deps: BotDeps): Promise<void> {
  const held = await listOpenHeldPlans(deps.pool);
  if (held.length === 0) {
    await ctx.reply(ctx.t.adminStatsHeld(0));
    return;
  }
  for (const plan of held) {
    await ctx.reply(ctx.t.adminHeldTitle(plan.panelName, plan.cause, plan.actionCount), {
      reply_markup: InlineKeyboard.from([
        [
          InlineKeyboard.text(
            ctx.t.adminHeldConfirm,
            encodeCallbackData({ kind: 'confirm-held', fingerprintPrefix: plan.fingerprint.slice(0, 48) }),
          ),
        ],
      ]),
    });
  }
}

/** The confirm button of a held plan (admins only; checked again here, buttons can be forwarded). */
export async function confirmHeld(ctx: BotContext, deps: BotDeps, fingerprintPrefix: string): Promise<void> {
  if (!isAdmin(ctx, deps)) {
    await ctx.reply(ctx.t.adminOnly);
    return;
  }
  const outcome = await confirmHeldPlan(
    deps.pool,
    fingerprintPrefix,
    `telegram:${ctx.from?.id ?? 'unknown'}`,
  );
  deps.logger.info({ fingerprintPrefix, outcome, adminId: ctx.from?.id }, 'held plan confirmation');
  switch (outcome) {
    case 'confirmed':
      await ctx.reply(ctx.t.adminHeldConfirmed);
      return;
    case 'not-open':
      await ctx.reply(ctx.t.adminHeldGone);
      return;
  }
}

/** The admin commands. */
const ADMIN_COMMANDS = ['stats', 'user', 'grant', 'ban', 'unban', 'held'] as const;

/**
 * Refuses admin commands and the held-plan button to everyone who is not an admin. Installed before
 * the registration middleware, so an unknown sender's admin command reads and writes nothing
 * (no `users` row is created for it).
 */
export function adminRefusals(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const others = composer.filter((ctx) => !isAdmin(ctx, deps));
  others.command([...ADMIN_COMMANDS], async (ctx) => {
    deps.logger.warn({ telegramId: ctx.from?.id }, 'admin command refused');
    await ctx.reply(ctx.t.adminOnly);
  });
  others.callbackQuery(/^held:/, async (ctx) => {
    deps.logger.warn({ telegramId: ctx.from.id }, 'admin button refused');
    await ctx.answerCallbackQuery({ text: ctx.t.adminOnly });
  });
  return composer;
}

/** The admin commands of admins (others were refused by adminRefusals). */
export function adminHandlers(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const admin = composer.filter((ctx) => isAdmin(ctx, deps));

  admin.command('stats', (ctx) => sendStats(ctx, deps));
  admin.command('held', (ctx) => sendHeldPlans(ctx, deps));
  admin.command('user', async (ctx) => {
    const [reference] = words(ctx.match);
    const user = reference === undefined ? null : await lookUpUser(deps, reference);
    if (reference === undefined) {
      await ctx.reply(ctx.t.adminUserUsage);
      return;
    }
    if (user === null) {
      await ctx.reply(ctx.t.adminUserNotFound);
      return;
    }
    const t = ctx.t;
    const history = await readUserHistory(deps.pool, user.id);
    const lines = [
      t.adminUserHeader(
        user.id,
        user.telegramId,
        user.username,
        user.bannedAt === null ? null : formatInstant(user.bannedAt),
      ),
      t.adminPeriods(history.periods.length),
      ...history.periods.map((period) =>
        t.adminPeriodLine(
          period.id,
          period.source,
          period.planCode,
          formatInstant(period.startsAt),
          formatInstant(period.endsAt),
          period.cancelledAt === null ? null : formatInstant(period.cancelledAt),
        ),
      ),
      t.adminPayments(history.payments.length),
      ...history.payments.map((payment) =>
        t.adminPaymentLine(
          payment.id,
          payment.provider,
          payment.amount,
          payment.currency,
          payment.status,
          formatInstant(payment.createdAt),
        ),
      ),
      t.adminKeys(history.keys.length),
      ...history.keys.map((key) =>
        t.adminKeyLine(
          key.id,
          key.email,
          key.panelName,
          key.revokedAt === null ? adminStatus(key.status) : t.adminKeyRevoked(formatInstant(key.revokedAt)),
        ),
      ),
    ];
    await ctx.reply(lines.join('\n'));
  });
  admin.command('grant', async (ctx) => {
    const [reference, duration] = words(ctx.match);
    const durationMs = duration === undefined ? undefined : parseDurationMs(duration);
    if (reference === undefined || durationMs === undefined || durationMs <= 0) {
      await ctx.reply(ctx.t.adminGrantUsage);
      return;
    }
    const user = await lookUpUser(deps, reference);
    if (user === null) {
      await ctx.reply(ctx.t.adminUserNotFound);
      return;
    }
    const outcome = await grantPeriod(deps.pool, { userId: user.id, source: 'admin', durationMs });
    if (outcome.kind === 'granted') {
      deps.logger.info({ userId: user.id, durationMs, adminId: ctx.from?.id }, 'admin grant');
      await ctx.reply(ctx.t.adminGranted(formatInstant(outcome.period.endsAt)));
    }
  });
  for (const [command, banned] of [
    ['ban', true],
    ['unban', false],
  ] as const) {
    admin.command(command, async (ctx) => {
      const [reference] = words(ctx.match);
      if (reference === undefined) {
        await ctx.reply(ctx.t.adminBanUsage);
        return;
      }
      const user = await lookUpUser(deps, reference);
      if (user === null || !(await setUserBanned(deps.pool, user.id, banned))) {
        await ctx.reply(ctx.t.adminUserNotFound);
        return;
      }
      deps.logger.info({ userId: user.id, banned, adminId: ctx.from?.id }, 'admin ban change');
      await ctx.reply(banned ? ctx.t.adminBanned : ctx.t.adminUnbanned);
    });
  }
  return composer;
}
