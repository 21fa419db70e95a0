/**
 * /console: an admin gets a one-time login link to the web console (issue 14), valid 10 minutes and
 * stored hashed. Everyone else gets the admin refusal and nothing is written.
 */
import { Composer } from 'grammy';
import { CONSOLE_LINK_TTL_MS, consoleBaseUrl, consoleLoginUrl } from '../../config/index.ts';
import { createLoginToken, recordAdminAction } from '../../db/index.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { isAdmin } from './admin.ts';

/** The /console command. */
export function consoleHandlers(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('console', async (ctx) => {
    const adminId = ctx.from?.id;
    if (adminId === undefined || !isAdmin(ctx, deps)) {
      deps.logger.warn({ telegramId: adminId }, 'console link refused: not an admin');
      await ctx.reply(ctx.t.adminOnly);
      return;
    }
    const { token } = await createLoginToken(deps.pool, adminId, CONSOLE_LINK_TTL_MS);
    await recordAdminAction(deps.pool, {
      adminTelegramId: adminId,
      actor: 'bot',
      action: 'console.link',
      outcome: 'ok',
    });
    const base = consoleBaseUrl({
      consolePublicUrl: deps.config.consolePublicUrl,
      consoleHost: deps.config.consoleHost ?? '127.0.0.1',
      consolePort: deps.config.consolePort ?? 9470,
    });
    // No link preview: Telegram's preview fetch must not be what opens the login page.
    await ctx.reply(`${ctx.t.consoleLink}\n${consoleLoginUrl(base, token)}`, {
      link_preview_options: { is_disabled: true },
    });
  });
  return composer;
}
