import { listAuditEntries } from '../../db/index.ts';
import { asUserId } from '../../domain/index.ts';
import { parseDurationMs } from '../../shared/index.ts';
import { stringFlag, UsageError, wantsJson, type Command } from '../command.ts';
import { formatTable, println, withPool } from '../pool.ts';
import { when } from '../show.ts';

/** `keywarden audit [--since 1h] [--source reconciler|admin] [--panel NAME] [--action A] [--outcome O] [--user ID]`. */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'the audit log: reconciler events and admin actions, newest first, with filters',
  usage:
    '[--since DURATION] [--source reconciler|admin] [--panel NAME] [--action A] [--outcome O] [--user ID] [--limit N] [--json]',
  flags: {
    since: { type: 'string' },
    source: { type: 'string' },
    panel: { type: 'string' },
    action: { type: 'string' },
    outcome: { type: 'string' },
    user: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: {
    description:
      'What the reconciler did or held (actions create, enable, disable, update; outcomes applied, failed, held, skipped) and what admins did (console, bot, CLI) with who did it.',
    flags: {
      since: { description: 'only entries newer than this (30m, 1h, 7d)', default: 'all time' },
      source: { description: 'reconciler or admin', default: 'both' },
      panel: { description: 'only this panel', default: 'all' },
      action: { description: 'only this action (disable, user.grant, held.confirm, ...)', default: 'all' },
      outcome: { description: 'only this outcome (applied, failed, held, ok, refused, ...)', default: 'all' },
      user: {
        description: "only this user's entries (our user id, as `users show` prints it)",
        default: 'all',
      },
      limit: { description: 'at most this many', default: '100' },
      json: { description: 'print JSON for scripts', default: 'off' },
    },
    examples: [
      'keywarden audit --since 1h --outcome failed',
      'keywarden audit --source admin --since 7d --json',
    ],
  },
  run: async (context) => {
    const sinceRaw = stringFlag(context, 'since');
    const sinceMs = sinceRaw === undefined ? undefined : parseDurationMs(sinceRaw);
    if (sinceRaw !== undefined && (sinceMs === undefined || sinceMs <= 0)) {
      throw new UsageError('--since must be a duration with a unit, like 30m, 1h or 7d');
    }
    const source = stringFlag(context, 'source');
    if (source !== undefined && source !== 'reconciler' && source !== 'admin') {
      throw new UsageError('--source must be reconciler or admin');
    }
    const user = stringFlag(context, 'user');
    if (user !== undefined && !/^\d{1,19}$/.test(user)) {
      throw new UsageError('--user must be a numeric user id');
    }
    const limitRaw = stringFlag(context, 'limit') ?? '100';
    if (!/^\d{1,6}$/.test(limitRaw) || Number(limitRaw) < 1) {
      throw new UsageError('--limit must be a whole number from 1');
    }
    const panel = stringFlag(context, 'panel');
    const action = stringFlag(context, 'action');
    const outcome = stringFlag(context, 'outcome');
    return withPool(context, async (pool) => {
      const entries = await listAuditEntries(pool, {
        ...(source === undefined ? {} : { source }),
        ...(user === undefined ? {} : { userId: asUserId(user) }),
        ...(panel === undefined ? {} : { panelName: panel }),
        ...(action === undefined ? {} : { action }),
        ...(outcome === undefined ? {} : { outcome }),
        ...(sinceMs === undefined ? {} : { since: new Date(Date.now() - sinceMs) }),
        limit: Number(limitRaw),
      });
      if (wantsJson(context)) {
        println(context, JSON.stringify(entries, null, 2));
        return 0;
      }
      println(
        context,
        entries.length === 0
          ? 'no entries'
          : formatTable(
              ['at', 'by', 'action', 'outcome', 'user', 'key', 'panel', 'detail'],
              entries.map((entry) => [
                when(entry.at),
                entry.adminTelegramId === null
                  ? entry.actor
                  : `${entry.actor} ${String(entry.adminTelegramId)}`,
                entry.action,
                entry.outcome,
                entry.userId ?? '-',
                entry.keyId ?? '-',
                entry.panelName ?? '-',
                entry.error === null ? entry.detail : `${entry.detail}: ${entry.error}`,
              ]),
            ),
      );
      return 0;
    });
  },
};
