import { readUserDetail, recordAdminAction, setUserBanned } from '../../db/index.ts';
import { keyLink } from '../../console/index.ts';
import { AS_FLAG, AS_HELP, cliAdmin, requiredFlag, subcommand, wantsJson, type Command } from '../command.ts';
import { println, withPool } from '../pool.ts';
import { userText } from '../show.ts';
import { parseTelegramId } from './grant.ts';

/** `keywarden users show|ban|unban --telegram-id ID [--json]`. */
export const usersCommand: Command = {
  name: 'users',
  summary:
    'users show --telegram-id ID [--json] (periods, payments, keys with reason and link) | ban | unban',
  usage: 'show --telegram-id ID [--json] | ban --telegram-id ID | unban --telegram-id ID',
  flags: { 'telegram-id': { type: 'string' }, json: { type: 'boolean' }, ...AS_FLAG },
  positionals: { min: 1, max: 1 },
  help: {
    description:
      'show: the user, their status (active, expiring, suspended, banned, none), periods, every payment (mismatched and refunded too) and keys with desired vs observed state, reason, last error and connection link. ban/unban: the reconciler disables or re-enables their keys.',
    flags: {
      'telegram-id': { description: "the user's numeric Telegram id" },
      json: { description: 'print JSON for scripts', default: 'off' },
      ...AS_HELP,
    },
    examples: [
      'keywarden users show --telegram-id 123456789',
      'keywarden users ban --telegram-id 123456789 --as 5001',
    ],
  },
  run: async (context) => {
    const sub = subcommand(context, ['show', 'ban', 'unban']);
    const telegramId = parseTelegramId(requiredFlag(context, 'telegram-id'));
    const by = cliAdmin(context);
    return withPool(context, async (pool) => {
      const detail = await readUserDetail(pool, context.config.graceMs, { telegramId });
      if (detail === null) {
        context.stderr.write(`keywarden users: no user with telegram id ${String(telegramId)}\n`);
        return 1;
      }
      if (sub !== 'show') {
        await setUserBanned(pool, detail.user.id, sub === 'ban');
        await recordAdminAction(pool, {
          ...by,
          action: `user.${sub}`,
          userId: detail.user.id,
          detail: { telegramId },
          outcome: 'ok',
        });
        println(
          context,
          `user ${detail.user.id} (telegram ${String(telegramId)}) ${sub === 'ban' ? 'banned' : 'unbanned'}`,
        );
        return 0;
      }
      const links = new Map(
        detail.keys
          .filter((key) => key.revokedAt === null)
          .map((key) => [key.id as string, keyLink(key)] as const)
          .filter((entry): entry is readonly [string, string] => entry[1] !== null),
      );
      if (wantsJson(context)) {
        println(
          context,
          JSON.stringify(
            {
              ...detail,
              keys: detail.keys.map((key) => ({
                ...key,
                link: undefined,
                connectionLink: links.get(key.id) ?? null,
              })),
            },
            null,
            2,
          ),
        );
        return 0;
      }
      println(context, userText(detail, links));
      return 0;
    });
  },
};
