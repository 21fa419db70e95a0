import {
  confirmHeldPlanByFingerprint,
  discardHeldPlan,
  listHeldPlans,
  recordAdminAction,
} from '../../db/index.ts';
import {
  AS_FLAG,
  AS_HELP,
  booleanFlag,
  cliAdmin,
  subcommand,
  UsageError,
  wantsJson,
  type Command,
} from '../command.ts';
import { formatTable, println, withPool } from '../pool.ts';
import { when } from '../show.ts';

/** `keywarden held list|confirm FINGERPRINT|discard FINGERPRINT`: the safety valve's held plans. */
export const heldCommand: Command = {
  name: 'held',
  summary: 'held disables of the safety valve: held list [--all] | confirm FINGERPRINT | discard FINGERPRINT',
  usage: 'list [--all] [--json] | confirm FINGERPRINT | discard FINGERPRINT',
  flags: { all: { type: 'boolean' }, json: { type: 'boolean' }, ...AS_FLAG },
  positionals: { min: 1, max: 2 },
  help: {
    description:
      'When a pass would disable more keys than the safety valve allows, those disables are held. list shows exactly which keys and why. confirm lets the reconciler apply exactly that set (same fingerprint); if the set has changed it is a new plan. discard closes the question: the keys stay enabled and the same set is not asked about again.',
    flags: {
      all: {
        description: 'list: also confirmed, applied, superseded and discarded plans',
        default: 'open only',
      },
      json: { description: 'list: print JSON for scripts', default: 'off' },
      ...AS_HELP,
    },
    examples: [
      'keywarden held list',
      'keywarden held confirm 3f9a…(the full fingerprint)',
      'keywarden held discard 3f9a… --as 5001',
    ],
  },
  run: async (context) => {
    const sub = subcommand(context, ['list', 'confirm', 'discard']);
    if (sub === 'list') {
      return withPool(context, async (pool) => {
        const plans = await listHeldPlans(pool, { includeResolved: booleanFlag(context, 'all') });
        if (wantsJson(context)) {
          println(context, JSON.stringify(plans, null, 2));
          return 0;
        }
        if (plans.length === 0) {
          println(context, 'no held plans');
          return 0;
        }
        for (const plan of plans) {
          const state =
            plan.resolution ??
            (plan.confirmedAt === null ? 'OPEN' : `confirmed by ${plan.confirmedBy ?? '?'}`);
          println(
            context,
            `${plan.fingerprint}  panel ${plan.panelName}  ${plan.cause}  ${String(plan.actionCount)} disables  since ${when(plan.firstSeenAt)}  ${state}`,
          );
          println(
            context,
            formatTable(
              ['  key', 'email', 'action', 'reason'],
              plan.actions.map((action) => [`  ${action.keyId}`, action.email, action.action, action.reason]),
            ),
          );
          println(context);
        }
        return 0;
      });
    }
    const fingerprint = context.positionals[1];
    if (fingerprint === undefined || !/^[A-Za-z0-9_-]{8,128}$/.test(fingerprint)) {
      throw new UsageError(`held ${sub} needs the full FINGERPRINT from \`keywarden held list\``);
    }
    const admin = cliAdmin(context);
    return withPool(context, async (pool) => {
      const by =
        admin.adminTelegramId === null
          ? `cli:${process.env['USER'] ?? 'operator'}`
          : `cli:${String(admin.adminTelegramId)}`;
      const outcome =
        sub === 'confirm'
          ? await confirmHeldPlanByFingerprint(pool, fingerprint, by)
          : await discardHeldPlan(pool, fingerprint, by);
      await recordAdminAction(pool, {
        ...admin,
        action: `held.${sub}`,
        detail: { fingerprint },
        outcome: outcome === 'not-open' ? 'not-open' : 'ok',
      });
      if (outcome === 'not-open') {
        context.stderr.write(
          `keywarden held: no open plan with fingerprint ${fingerprint} (already decided, superseded, or mistyped)\n`,
        );
        return 1;
      }
      println(
        context,
        sub === 'confirm'
          ? `confirmed ${fingerprint}: the reconciler applies exactly these disables within seconds`
          : `discarded ${fingerprint}: the disables stay held`,
      );
      return 0;
    });
  },
};
