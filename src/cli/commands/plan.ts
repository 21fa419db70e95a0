import { booleanFlag, UsageError, type Command } from '../command.ts';
import { reportJson, reportText, runOnePass } from '../one-pass.ts';
import { println, withPool } from '../pool.ts';

/** `keywarden plan [--json]`: a dry run — per panel, what would change and why, and what is held. */
export const planCommand: Command = {
  name: 'plan',
  summary: 'dry run: per panel, what would change and why, and what the safety valve holds',
  usage: '[--json]',
  flags: { json: { type: 'boolean' } },
  run: async (context) =>
    withPool(context, async (pool) => {
      const report = await runOnePass(context, pool, true);
      println(
        context,
        booleanFlag(context, 'json') ? JSON.stringify(reportJson(report), null, 2) : reportText(report),
      );
      return report.plans.some((plan) => plan.kind === 'unknown') ? 1 : 0;
    }),
};

/** `keywarden reconcile --once [--json]`: one pass that applies changes, then exits. */
export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'run one reconcile pass now and exit (exit 1 if a panel was unreadable or an action failed)',
  usage: '--once [--json]',
  flags: { once: { type: 'boolean' }, json: { type: 'boolean' } },
  run: async (context) => {
    if (!booleanFlag(context, 'once')) {
      throw new UsageError('--once is required (the daemon is `keywarden run`)');
    }
    return withPool(context, async (pool) => {
      const report = await runOnePass(context, pool, false);
      println(
        context,
        booleanFlag(context, 'json') ? JSON.stringify(reportJson(report), null, 2) : reportText(report),
      );
      return report.outcome === 'ok' ? 0 : 1;
    });
  },
};
