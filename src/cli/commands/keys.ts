import { asInboundId, asKeyId, asPanelId } from '../../domain/index.ts';
import { findUser, issueKey, revokeKey } from '../../db/index.ts';
import { requiredFlag, stringFlag, UsageError, type Command } from '../command.ts';
import { println, withPool } from '../pool.ts';
import { parseTelegramId } from './grant.ts';

/**
 * `keywarden keys issue --telegram-id ID [--panel NAME] [--inbound ID]` (prints the key id and client
 * email) and `keywarden keys revoke KEY_ID`. Rows only: the reconciler creates or disables the client.
 */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'keys issue --telegram-id ID [--panel NAME] [--inbound ID] | keys revoke KEY_ID',
  usage: 'issue --telegram-id ID [--panel NAME] [--inbound ID] | revoke KEY_ID',
  flags: { 'telegram-id': { type: 'string' }, panel: { type: 'string' }, inbound: { type: 'string' } },
  positionals: { min: 1, max: 2 },
  run: async (context) => {
    const [sub, argument] = context.positionals;
    if (sub === 'issue') {
      const telegramId = parseTelegramId(requiredFlag(context, 'telegram-id'));
      const panelName = stringFlag(context, 'panel');
      const inboundRaw = stringFlag(context, 'inbound');
      if (inboundRaw !== undefined && !/^\d{1,9}$/.test(inboundRaw)) {
        throw new UsageError('--inbound must be a numeric 3x-ui inbound id');
      }
      return withPool(context, async (pool) => {
        const user = await findUser(pool, { telegramId });
        if (user === null) {
          throw new UsageError(`no user with telegram id ${String(telegramId)} (grant them access first)`);
        }
        let panelId;
        if (panelName !== undefined) {
          const { rows } = await pool.query<{ id: string }>('select id::text from panels where name = $1', [
            panelName,
          ]);
          const row = rows[0];
          if (row === undefined) {
            throw new UsageError(`no panel named ${JSON.stringify(panelName)}`);
          }
          panelId = asPanelId(row.id);
        }
        const outcome = await issueKey(pool, {
          userId: user.id,
          enforceLimit: false,
          ...(panelId === undefined ? {} : { panelId }),
          ...(inboundRaw === undefined ? {} : { inboundId: asInboundId(Number(inboundRaw)) }),
        });
        if (outcome.kind === 'unknown-inbound') {
          // A refusal, not a usage mistake: one line, no usage text.
          context.stderr.write(
            outcome.missingSince === null
              ? `keywarden keys: panel ${panelName ?? '?'} has no inbound ${inboundRaw ?? '?'} (as of keywarden's last read of it); key not issued\n`
              : `keywarden keys: inbound ${inboundRaw ?? '?'} of panel ${panelName ?? '?'} is missing on the panel since ${outcome.missingSince.toISOString()}; key not issued\n`,
          );
          return 1;
        }
        if (outcome.kind !== 'issued') {
          context.logger.error({ outcome: outcome.kind }, 'key not issued');
          return 1;
        }
        println(context, `key ${outcome.key.id} email ${outcome.key.email}`);
        return 0;
      });
    }
    if (sub === 'revoke') {
      if (argument === undefined || !/^\d+$/.test(argument)) {
        throw new UsageError('keys revoke needs a numeric KEY_ID');
      }
      return withPool(context, async (pool) => {
        const outcome = await revokeKey(pool, asKeyId(argument));
        println(context, `key ${argument}: ${outcome}`);
        return outcome === 'not-found' ? 1 : 0;
      });
    }
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use issue or revoke`);
  },
};
