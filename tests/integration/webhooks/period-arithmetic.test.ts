/**
 * Property test of the period arithmetic through the real write path (recordPayment, cancelPayment,
 * grantPeriod) on PostgreSQL: any sequence of payments, replays, mismatches, refunds and grants
 * keeps the live periods non-overlapping, makes the covered time equal to the sum of the live
 * periods laid end to end, and appends each new period at max(now, end of live coverage).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cancelPayment,
  grantPeriod,
  recordPayment,
  upsertPlan,
  type PeriodRecord,
  type PlanRecord,
} from '../../../src/db/index.ts';
import type { UserId } from '../../../src/domain/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
const HOUR = 3_600_000;
// Clock skew allowed between this process and PostgreSQL when a period starts "now".
const SKEW_MS = 50;

type Command =
  | { readonly kind: 'pay'; readonly plan: number }
  | { readonly kind: 'pay-wrong-amount'; readonly plan: number }
  | { readonly kind: 'replay'; readonly which: number }
  | { readonly kind: 'refund'; readonly which: number }
  | { readonly kind: 'grant'; readonly source: 'admin' | 'promo' | 'trial'; readonly hours: number };

const commands: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('pay' as const), plan: fc.nat(2) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('pay-wrong-amount' as const), plan: fc.nat(2) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), which: fc.nat(20) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('refund' as const), which: fc.nat(20) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('grant' as const),
        source: fc.constantFrom('admin' as const, 'promo' as const, 'trial' as const),
        hours: fc.integer({ min: 1, max: 24 * 40 }),
      }),
    },
  ),
  { minLength: 1, maxLength: 14 },
);

let plans: PlanRecord[] = [];
let sequence = 0;

beforeAll(async () => {
  const { pool } = database();
  plans = await Promise.all(
    [1, 7, 30].map((days) =>
      upsertPlan(pool, {
        code: `prop-${days}d`,
        title: `${days} days`,
        durationDays: days,
        price: `${days}.00`,
        currency: 'RUB',
      }),
    ),
  );
});

interface LivePeriod {
  readonly id: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly paymentExternalId: string | null;
}

async function livePeriods(userId: UserId): Promise<LivePeriod[]> {
  const { rows } = await database().pool.query<{
    id: string;
    starts_at: Date;
    ends_at: Date;
    external_id: string | null;
  }>(
    `select sp.id, sp.starts_at, sp.ends_at, p.external_id from subscription_periods sp
     left join payments p on p.id = sp.payment_id
     where sp.user_id = $1 and sp.cancelled_at is null order by sp.starts_at, sp.id`,
    [userId],
  );
  return rows.map((row) => ({
    id: row.id,
    startsAt: row.starts_at.getTime(),
    endsAt: row.ends_at.getTime(),
    paymentExternalId: row.external_id,
  }));
}

/** Measure of the union of [start, end) intervals, computed independently of any ordering claim. */
function unionMs(periods: readonly LivePeriod[]): number {
  const sorted = [...periods].sort((a, b) => a.startsAt - b.startsAt);
  let total = 0;
  let cursor = -Infinity;
  for (const period of sorted) {
    const from = Math.max(cursor, period.startsAt);
    if (period.endsAt > from) {
      total += period.endsAt - from;
    }
    cursor = Math.max(cursor, period.endsAt);
  }
  return total;
}

/** Checks where a freshly appended period starts and how long it is, against the live periods before it. */
function expectAppended(
  period: PeriodRecord,
  before: readonly LivePeriod[],
  durationMs: number,
  window: { readonly from: number; readonly to: number },
): void {
  const coverageEnd = Math.max(...before.map((live) => live.endsAt), -Infinity);
  const startsAt = period.startsAt.getTime();
  if (coverageEnd > window.to + SKEW_MS) {
    expect(startsAt).toBe(coverageEnd);
  } else {
    expect(startsAt).toBeGreaterThanOrEqual(window.from - SKEW_MS);
    expect(startsAt).toBeLessThanOrEqual(window.to + SKEW_MS);
  }
  expect(period.endsAt.getTime() - startsAt).toBe(durationMs);
}

describe('period arithmetic through the write path', () => {
  it('keeps live periods non-overlapping and coverage equal to their sum, for any sequence', async () => {
    const { pool } = database();
    await fc.assert(
      fc.asyncProperty(commands, async (script) => {
        const userId = await insertUser(pool);
        const paid: string[] = [];
        let trialUsed = false;
        for (const command of script) {
          const before = await livePeriods(userId);
          const window = { from: Date.now(), to: 0 };
          switch (command.kind) {
            case 'pay':
            case 'pay-wrong-amount': {
              const plan = plans[command.plan]!;
              const externalId = `prop-${(sequence += 1)}`;
              const outcome = await recordPayment(pool, {
                provider: 'generic',
                externalId,
                userId,
                planId: plan.id,
                amount: command.kind === 'pay' ? plan.price : '0.01',
                currency: 'RUB',
                payload: {},
              });
              window.to = Date.now();
              if (command.kind === 'pay-wrong-amount') {
                expect(outcome.kind).toBe('mismatch');
                break;
              }
              expect(outcome.kind).toBe('granted');
              if (outcome.kind === 'granted') {
                expectAppended(outcome.period, before, plan.durationDays * 24 * HOUR, window);
              }
              paid.push(externalId);
              break;
            }
            case 'replay': {
              const externalId = paid[command.which % Math.max(paid.length, 1)];
              if (externalId === undefined) {
                break;
              }
              const outcome = await recordPayment(pool, {
                provider: 'generic',
                externalId,
                userId,
                planId: plans[0]!.id,
                amount: plans[0]!.price,
                currency: 'RUB',
                payload: {},
              });
              expect(outcome.kind).toBe('duplicate');
              break;
            }
            case 'refund': {
              const externalId = paid[command.which % Math.max(paid.length, 1)];
              const outcome = await cancelPayment(pool, {
                provider: 'generic',
                externalId: externalId ?? `never-paid-${(sequence += 1)}`,
                refund: {},
              });
              const wasLive = before.some((live) => live.paymentExternalId === externalId);
              expect(outcome.kind).toBe(
                externalId === undefined ? 'unknown-payment' : wasLive ? 'cancelled' : 'already-cancelled',
              );
              break;
            }
            case 'grant': {
              const outcome = await grantPeriod(pool, {
                userId,
                source: command.source,
                durationMs: command.hours * HOUR,
              });
              window.to = Date.now();
              if (command.source === 'trial' && trialUsed) {
                expect(outcome.kind).toBe('trial-already-used');
                break;
              }
              trialUsed ||= command.source === 'trial';
              expect(outcome.kind).toBe('granted');
              if (outcome.kind === 'granted') {
                expectAppended(outcome.period, before, command.hours * HOUR, window);
              }
              break;
            }
          }
          const after = await livePeriods(userId);
          for (let i = 1; i < after.length; i += 1) {
            expect(after[i]!.startsAt).toBeGreaterThanOrEqual(after[i - 1]!.endsAt);
          }
          const laidEndToEnd = after.reduce((sum, live) => sum + (live.endsAt - live.startsAt), 0);
          expect(unionMs(after)).toBe(laidEndToEnd);
        }
      }),
      { numRuns: 60 },
    );
  });
});
