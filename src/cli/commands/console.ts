import { CONSOLE_LINK_TTL_MS, consoleBaseUrl, consoleLoginUrl } from '../../config/index.ts';
import { createLoginToken, recordAdminAction } from '../../db/index.ts';
import { requiredFlag, subcommand, UsageError, type Command } from '../command.ts';
import { println, withPool } from '../pool.ts';
import { parseTelegramId } from './grant.ts';

/** `keywarden console link --telegram-id ID`: a one-time console login link for an admin. */
export const consoleCommand: Command = {
  name: 'console',
  summary: 'console link --telegram-id ID: a one-time login link to the web console (10 min, single use)',
  usage: 'link --telegram-id ID',
  flags: { 'telegram-id': { type: 'string' } },
  positionals: { min: 1, max: 1 },
  help: {
    description:
      'Prints a login link for the web console. It works once, for 10 minutes, and only for an admin listed in KEYWARDEN_ADMIN_IDS; the session it opens is that admin’s, and their actions are audited under their Telegram id. The link starts with KEYWARDEN_CONSOLE_PUBLIC_URL (or the console listener).',
    flags: { 'telegram-id': { description: 'the admin’s Telegram id (one of KEYWARDEN_ADMIN_IDS)' } },
    examples: ['keywarden console link --telegram-id 123456789'],
  },
  run: async (context) => {
    subcommand(context, ['link']);
    const telegramId = parseTelegramId(requiredFlag(context, 'telegram-id'));
    if (!context.config.adminTelegramIds.has(telegramId)) {
      throw new UsageError(
        `${String(telegramId)} is not in KEYWARDEN_ADMIN_IDS: only admins can log in to the console`,
      );
    }
    return withPool(context, async (pool) => {
      const { token, expiresAt } = await createLoginToken(pool, telegramId, CONSOLE_LINK_TTL_MS);
      await recordAdminAction(pool, {
        adminTelegramId: telegramId,
        actor: 'cli',
        action: 'console.link',
        detail: { expiresAt: expiresAt.toISOString() },
        outcome: 'ok',
      });
      println(context, consoleLoginUrl(consoleBaseUrl(context.config), token));
      context.stderr.write(`valid once, until ${expiresAt.toISOString()}\n`);
      return 0;
    });
  },
};
