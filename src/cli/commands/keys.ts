import { asInboundId, asKeyId, asPanelId } from '../../domain/index.ts';
import {
  findUser,
  issueKey,
  KEY_STATES,
  readKey,
  readKeys,
  recordAdminAction,
  replaceKeyAsAdmin,
  revokeKey,
  type KeyDetail,
  type KeyState,
} from '../../db/index.ts';
import { keyLink } from '../../console/index.ts';
import {
  AS_FLAG,
  AS_HELP,
  cliAdmin,
  requiredFlag,
  stringFlag,
  subcommand,
  UsageError,
  wantsJson,
  type Command,
} from '../command.ts';
import { println, withPool } from '../pool.ts';
import { keysTable, keyText } from '../show.ts';
import { parseTelegramId } from './grant.ts';

/** A key for JSON output: the link rendered, the inbound's raw settings (other clients) left out. */
function keyJson(key: KeyDetail): unknown {
  return { ...key, link: undefined, connectionLink: keyLink(key) };
}

/**
 * `keywarden keys list|show`, `keywarden keys issue --telegram-id ID [--panel NAME] [--inbound ID]` (prints the key id and client
 * email) and `keywarden keys revoke KEY_ID`. Rows only: the reconciler creates or disables the client.
 */
export const keysCommand: Command = {
  name: 'keys',
  summary:
    'keys list [--telegram-id ID] [--panel NAME] [--state S] | show KEY_ID | issue --telegram-id ID | revoke KEY_ID | replace KEY_ID',
  usage:
    'list [--telegram-id ID] [--panel NAME] [--state STATE] [--json] | show KEY_ID [--json] | issue --telegram-id ID [--panel NAME] [--inbound ID] | revoke KEY_ID | replace KEY_ID',
  flags: {
    'telegram-id': { type: 'string' },
    panel: { type: 'string' },
    inbound: { type: 'string' },
    state: { type: 'string' },
    json: { type: 'boolean' },
    ...AS_FLAG,
  },
  positionals: { min: 1, max: 2 },
  help: {
    description:
      'list: live keys (revoked too with --state revoked) with desired vs observed state, last action and error. show: one key, its reason, history and connection link. issue/revoke/replace write rows only: the reconciler creates, disables or replaces the client on the panel. replace revokes a key and issues a new one (new UUID) on the same inbound, e.g. after a leaked link.',
    flags: {
      'telegram-id': {
        description: "list: only this user's keys; issue: the user (required)",
        default: 'all users',
      },
      panel: {
        description: 'list: only keys on this panel; issue: put the key there',
        default: 'all panels / least loaded',
      },
      inbound: { description: 'issue: the 3x-ui inbound id on that panel', default: 'least loaded' },
      state: {
        description: `list: only keys in this state (${KEY_STATES.join(', ')})`,
        default: 'any live key',
      },
      json: { description: 'list/show: print JSON for scripts', default: 'off' },
      ...AS_HELP,
    },
    examples: [
      'keywarden keys list --state suspended --panel de-1',
      'keywarden keys show 42',
      'keywarden keys issue --telegram-id 123456789 --panel de-1',
      'keywarden keys replace 42 --as 5001',
    ],
  },
  run: async (context) => {
    const sub = subcommand(context, ['list', 'show', 'issue', 'revoke', 'replace']);
    const argument = context.positionals[1];
    const by = cliAdmin(context);
    if (sub === 'list') {
      const state = stringFlag(context, 'state');
      if (state !== undefined && !(KEY_STATES as readonly string[]).includes(state)) {
        throw new UsageError(`--state must be one of ${KEY_STATES.join(', ')}`);
      }
      const telegramRaw = stringFlag(context, 'telegram-id');
      const panelName = stringFlag(context, 'panel');
      return withPool(context, async (pool) => {
        const keys = await readKeys(pool, {
          ...(telegramRaw === undefined ? {} : { telegramId: parseTelegramId(telegramRaw) }),
          ...(panelName === undefined ? {} : { panelName }),
          ...(state === undefined ? {} : { state: state as KeyState }),
          limit: 10_000,
          eventsPerKey: 0,
        });
        println(context, wantsJson(context) ? JSON.stringify(keys.map(keyJson), null, 2) : keysTable(keys));
        return 0;
      });
    }
    if (sub === 'show') {
      if (argument === undefined || !/^\d{1,19}$/.test(argument)) {
        throw new UsageError('keys show needs a numeric KEY_ID');
      }
      return withPool(context, async (pool) => {
        const key = await readKey(pool, asKeyId(argument));
        if (key === null) {
          context.stderr.write(`keywarden keys: no key ${argument}\n`);
          return 1;
        }
        println(
          context,
          wantsJson(context) ? JSON.stringify(keyJson(key), null, 2) : keyText(key, keyLink(key)),
        );
        return 0;
      });
    }
    if (sub === 'replace') {
      if (argument === undefined || !/^\d{1,19}$/.test(argument)) {
        throw new UsageError('keys replace needs a numeric KEY_ID');
      }
      return withPool(context, async (pool) => {
        const outcome = await replaceKeyAsAdmin(pool, asKeyId(argument));
        await recordAdminAction(pool, {
          ...by,
          action: 'key.replace',
          keyId: outcome.kind === 'not-found' ? null : argument,
          userId: outcome.kind === 'replaced' ? outcome.userId : null,
          detail: outcome.kind === 'replaced' ? { newKeyId: outcome.key.id } : {},
          outcome: outcome.kind === 'replaced' ? 'ok' : outcome.kind,
        });
        if (outcome.kind !== 'replaced') {
          context.stderr.write(`keywarden keys: key ${argument} not replaced: ${outcome.kind}\n`);
          return 1;
        }
        println(context, `key ${argument} revoked; new key ${outcome.key.id} email ${outcome.key.email}`);
        return 0;
      });
    }
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
        await recordAdminAction(pool, {
          ...by,
          action: 'key.issue',
          userId: user.id,
          keyId: outcome.kind === 'issued' ? outcome.key.id : null,
          detail: { panel: panelName ?? null, inbound: inboundRaw ?? null },
          outcome: outcome.kind === 'issued' ? 'ok' : outcome.kind,
        });
        if (outcome.kind !== 'issued') {
          context.logger.error({ outcome: outcome.kind }, 'key not issued');
          return 1;
        }
        println(context, `key ${outcome.key.id} email ${outcome.key.email}`);
        return 0;
      });
    }
    // revoke
    {
      if (argument === undefined || !/^\d+$/.test(argument)) {
        throw new UsageError('keys revoke needs a numeric KEY_ID');
      }
      return await withPool(context, async (pool) => {
        const outcome = await revokeKey(pool, asKeyId(argument));
        await recordAdminAction(pool, {
          ...by,
          action: 'key.revoke',
          keyId: outcome === 'not-found' ? null : argument,
          detail: { keyId: argument },
          outcome: outcome === 'revoked' ? 'ok' : outcome,
        });
        println(context, `key ${argument}: ${outcome}`);
        return outcome === 'not-found' ? 1 : 0;
      });
    }
  },
};
