import { findPlan, grantPeriod, recordAdminAction, upsertTelegramUser } from '../../db/index.ts';
import { parseDurationMs } from '../../shared/index.ts';
import { AS_FLAG, cliAdmin, requiredFlag, stringFlag, UsageError, type Command } from '../command.ts';
import { println, withPool } from '../pool.ts';

/** Parses `--telegram-id`. */
export function parseTelegramId(raw: string): number {
  if (!/^\d{1,16}$/.test(raw)) {
    throw new UsageError('--telegram-id must be a numeric Telegram user id');
  }
  return Number(raw);
}

/** `keywarden grant --telegram-id ID --for DURATION [--plan CODE]`: an admin period, user created if needed. */
export const grantCommand: Command = {
  name: 'grant',
  summary:
    'grant access: --telegram-id ID --for DURATION (30d, 12h, 90s) [--plan CODE]; creates the user if needed',
  usage: '--telegram-id ID --for DURATION [--plan CODE]',
  flags: {
    'telegram-id': { type: 'string' },
    for: { type: 'string' },
    plan: { type: 'string' },
    ...AS_FLAG,
  },
  run: async (context) => {
    const telegramId = parseTelegramId(requiredFlag(context, 'telegram-id'));
    const durationMs = parseDurationMs(requiredFlag(context, 'for'));
    if (durationMs === undefined || durationMs <= 0) {
      throw new UsageError('--for must be a positive duration with a unit, like 30d, 12h or 90s');
    }
    const planCode = stringFlag(context, 'plan');
    const by = cliAdmin(context);
    return withPool(context, async (pool) => {
      const plan = planCode === undefined ? null : await findPlan(pool, { code: planCode });
      if (planCode !== undefined && plan === null) {
        throw new UsageError(`no plan with code ${JSON.stringify(planCode)}`);
      }
      const { user } = await upsertTelegramUser(pool, { telegramId });
      const outcome = await grantPeriod(pool, {
        userId: user.id,
        source: 'admin',
        planId: plan?.id ?? null,
        durationMs,
      });
      await recordAdminAction(pool, {
        ...by,
        action: 'user.grant',
        userId: user.id,
        detail: { telegramId, durationMs, plan: planCode ?? null },
        outcome: outcome.kind === 'granted' ? 'ok' : outcome.kind,
      });
      if (outcome.kind !== 'granted') {
        context.logger.error({ outcome: outcome.kind }, 'grant refused');
        return 1;
      }
      println(
        context,
        `granted user ${user.id} (telegram ${String(telegramId)}) ${outcome.period.startsAt.toISOString()} → ${outcome.period.endsAt.toISOString()}`,
      );
      return 0;
    });
  },
};
