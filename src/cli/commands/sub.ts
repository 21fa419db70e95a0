import { findUser, recordAdminAction, rotateSubscriptionToken, subscriptionTokenOf } from '../../db/index.ts';
import { AS_FLAG, cliAdmin, requiredFlag, UsageError, wantsJson, type Command } from '../command.ts';
import { println, withPool } from '../pool.ts';
import { parseTelegramId } from './grant.ts';

/**
 * `keywarden sub url --telegram-id ID` prints the customer's subscription URL;
 * `keywarden sub rotate --telegram-id ID` gives them a new one (the old one answers 404 at once)
 * and prints it. Both need KEYWARDEN_SUB_PUBLIC_URL and KEYWARDEN_SUB_TOKEN_SECRET.
 */
export const subCommand: Command = {
  name: 'sub',
  summary: "sub url|rotate --telegram-id ID: print a customer's subscription URL, or replace it",
  usage: 'url|rotate --telegram-id ID',
  flags: { 'telegram-id': { type: 'string' }, json: { type: 'boolean' }, ...AS_FLAG },
  positionals: { min: 1, max: 1 },
  run: async (context) => {
    const [action] = context.positionals;
    if (action !== 'url' && action !== 'rotate') {
      throw new UsageError('sub needs url or rotate');
    }
    const telegramId = parseTelegramId(requiredFlag(context, 'telegram-id'));
    const by = cliAdmin(context);
    const { subPublicUrl, subTokenSecret } = context.config;
    if (subPublicUrl === undefined || subTokenSecret === undefined) {
      throw new UsageError(
        'set KEYWARDEN_SUB_PUBLIC_URL and KEYWARDEN_SUB_TOKEN_SECRET to show subscription URLs',
      );
    }
    return withPool(context, async (pool) => {
      const user = await findUser(pool, { telegramId });
      if (user === null) {
        throw new UsageError(`no user with telegram id ${String(telegramId)}`);
      }
      const token =
        action === 'rotate'
          ? await rotateSubscriptionToken(pool, user.id, subTokenSecret)
          : await subscriptionTokenOf(pool, user.id, subTokenSecret);
      if (action === 'rotate') {
        context.logger.info({ userId: user.id }, 'subscription URL rotated by an admin');
        await recordAdminAction(pool, { ...by, action: 'sub.rotate', userId: user.id, outcome: 'ok' });
      }
      const url = `${subPublicUrl}sub/${token}`;
      println(context, wantsJson(context) ? JSON.stringify({ url }) : url);
      return 0;
    });
  },
};
