import { applyCompensation, countCompensationTargets, recordAdminAction } from '../../db/index.ts';
import {
  AS_FLAG,
  AS_HELP,
  booleanFlag,
  cliAdmin,
  positiveInteger,
  requiredFlag,
  wantsJson,
  type Command,
} from '../command.ts';
import { println, withPool } from '../pool.ts';

/** `keywarden compensate --days N [--active-only] [--dry-run]`. */
export const compensateCommand: Command = {
  name: 'compensate',
  summary: 'compensation days: compensate --days N [--active-only] [--dry-run]',
  usage: '--days N [--active-only] [--dry-run]',
  flags: {
    days: { type: 'string' },
    'active-only': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    ...AS_FLAG,
  },
  help: {
    description:
      'Gives N days to many users at once (after an outage, say): an admin period of N days after each user’s current coverage, for every non-banned user who ever had a subscription, or only those active now. All users get it or none (one transaction). --dry-run prints how many users it would reach.',
    flags: {
      days: { description: 'days to give, 1 to 3650' },
      'active-only': {
        description: 'only users whose access is active now',
        default: 'every non-banned customer',
      },
      'dry-run': { description: 'print the count and change nothing', default: 'off' },
      json: { description: 'print JSON for scripts: {"days", "users", "dryRun"}', default: 'off' },
      ...AS_HELP,
    },
    examples: [
      'keywarden compensate --days 3 --active-only --dry-run',
      'keywarden compensate --days 3 --active-only --as 5001',
    ],
  },
  run: async (context) => {
    const days = positiveInteger(requiredFlag(context, 'days'), 'days', 3650);
    const by = cliAdmin(context);
    const target = { activeOnly: booleanFlag(context, 'active-only'), graceMs: context.config.graceMs };
    return withPool(context, async (pool) => {
      if (booleanFlag(context, 'dry-run')) {
        const count = await countCompensationTargets(pool, target);
        println(
          context,
          wantsJson(context)
            ? JSON.stringify({ days, users: count, dryRun: true })
            : `would give ${String(days)} days to ${String(count)} users (dry run: nothing changed)`,
        );
        return 0;
      }
      const granted = await applyCompensation(pool, { ...target, days });
      await recordAdminAction(pool, {
        ...by,
        action: 'compensate',
        detail: { days, activeOnly: target.activeOnly, users: granted },
        outcome: 'ok',
      });
      println(
        context,
        wantsJson(context)
          ? JSON.stringify({ days, users: granted, dryRun: false })
          : `gave ${String(days)} days to ${String(granted)} users`,
      );
      return 0;
    });
  },
};
