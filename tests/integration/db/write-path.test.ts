import { describe, expect, it } from 'vitest';
import {
  cancelPayment,
  grantPeriod,
  recordPayment,
  upsertPlan,
  upsertTelegramUser,
  type PlanRecord,
} from '../../../src/db/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
const DAY = 86_400_000;

async function monthPlan(code = `month-${Math.floor(Math.random() * 1e9)}`): Promise<PlanRecord> {
  return upsertPlan(database().pool, {
    code,
    title: '30 days',
    durationDays: 30,
    price: '299.00',
    currency: 'RUB',
    prices: { XTR: '250' },
  });
}

async function periodsOf(
  userId: string,
): Promise<Array<{ starts_at: Date; ends_at: Date; cancelled_at: Date | null; source: string }>> {
  const { rows } = await database().pool.query<{
    starts_at: Date;
    ends_at: Date;
    cancelled_at: Date | null;
    source: string;
  }>(
    'select starts_at, ends_at, cancelled_at, source from subscription_periods where user_id = $1 order by id',
    [userId],
  );
  return rows;
}

describe('users', () => {
  it('registers a Telegram user once and refreshes the username on the second call', async () => {
    const { pool } = database();
    const first = await upsertTelegramUser(pool, { telegramId: 555_001, username: 'ann', language: 'en' });
    const second = await upsertTelegramUser(pool, {
      telegramId: 555_001,
      username: 'ann_new',
      language: null,
    });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.user.id).toBe(first.user.id);
    expect(second.user.username).toBe('ann_new');
    expect(second.user.language).toBe('en');
  });
});

describe('grantPeriod', () => {
  it('appends a renewal at the end of the current coverage, not at now', async () => {
    const { pool } = database();
    const userId = await insertUser(pool);
    const first = await grantPeriod(pool, { userId, source: 'admin', durationMs: 10 * DAY });
    const second = await grantPeriod(pool, { userId, source: 'promo', durationMs: 5 * DAY });
    expect(first.kind).toBe('granted');
    expect(second.kind).toBe('granted');
    if (first.kind !== 'granted' || second.kind !== 'granted') {
      return;
    }
    expect(second.period.startsAt.getTime()).toBe(first.period.endsAt.getTime());
    expect(second.period.endsAt.getTime() - second.period.startsAt.getTime()).toBe(5 * DAY);
  });

  it('gives a trial only once per user', async () => {
    const { pool } = database();
    const userId = await insertUser(pool);
    expect((await grantPeriod(pool, { userId, source: 'trial', durationMs: DAY })).kind).toBe('granted');
    expect(await grantPeriod(pool, { userId, source: 'trial', durationMs: DAY })).toEqual({
      kind: 'trial-already-used',
    });
    expect(await periodsOf(userId)).toHaveLength(1);
  });

  it('starts at now when the previous coverage has ended', async () => {
    const { pool } = database();
    const userId = await insertUser(pool);
    await pool.query(
      `insert into subscription_periods (user_id, source, starts_at, ends_at) values ($1, 'admin', now() - interval '10 days', now() - interval '1 day')`,
      [userId],
    );
    const { rows } = await pool.query<{ now: Date }>('select now() as now');
    const granted = await grantPeriod(pool, { userId, source: 'admin', durationMs: DAY });
    expect(granted.kind).toBe('granted');
    if (granted.kind === 'granted') {
      expect(Math.abs(granted.period.startsAt.getTime() - rows[0]!.now.getTime())).toBeLessThan(5_000);
    }
  });
});

describe('recordPayment', () => {
  it('records a matching payment and grants exactly one period of the plan length', async () => {
    const { pool } = database();
    const plan = await monthPlan();
    const userId = await insertUser(pool);
    const outcome = await recordPayment(pool, {
      provider: 'yookassa',
      externalId: 'pay-1',
      userId,
      planId: plan.id,
      amount: '299',
      currency: 'RUB',
      payload: { note: 'x' },
    });
    expect(outcome.kind).toBe('granted');
    const periods = await periodsOf(userId);
    expect(periods).toHaveLength(1);
    expect(periods[0]!.ends_at.getTime() - periods[0]!.starts_at.getTime()).toBe(30 * DAY);
  });

  it('accepts a second price of the plan in another currency (Stars)', async () => {
    const { pool } = database();
    const plan = await monthPlan();
    const userId = await insertUser(pool);
    const outcome = await recordPayment(pool, {
      provider: 'telegram_stars',
      externalId: 'stx-1',
      userId,
      planId: plan.id,
      amount: '250',
      currency: 'XTR',
      payload: {},
    });
    expect(outcome.kind).toBe('granted');
  });

  it('is a no-op on replay: same payment, no second period', async () => {
    const { pool } = database();
    const plan = await monthPlan();
    const userId = await insertUser(pool);
    const payment = {
      provider: 'cryptobot',
      externalId: '884211',
      userId,
      planId: plan.id,
      amount: '299.00',
      currency: 'RUB',
      payload: {},
    };
    const first = await recordPayment(pool, payment);
    const replay = await recordPayment(pool, payment);
    expect(first.kind).toBe('granted');
    expect(replay).toMatchObject({ kind: 'duplicate', status: 'succeeded' });
    expect(await periodsOf(userId)).toHaveLength(1);
  });

  it('turns 100 concurrent deliveries of one payment into one payment row and one period', async () => {
    const { pool } = database();
    const plan = await monthPlan();
    const userId = await insertUser(pool);
    const payment = {
      provider: 'generic',
      externalId: 'burst-1',
      userId,
      planId: plan.id,
      amount: '299.00',
      currency: 'RUB',
      payload: {},
    };
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => recordPayment(pool, payment)));
    expect(outcomes.filter((o) => o.kind === 'granted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'duplicate')).toHaveLength(99);
    const { rows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from payments where provider = 'generic' and external_id = 'burst-1'",
    );
    expect(rows[0]!.n).toBe(1);
    expect(await periodsOf(userId)).toHaveLength(1);
  });

  it('records a wrong amount as a mismatch and grants nothing', async () => {
    const { pool } = database();
    const plan = await monthPlan();
    const userId = await insertUser(pool);
    const outcome = await recordPayment(pool, {
      provider: 'yookassa',
      externalId: 'pay-cheap',
      userId,
      planId: plan.id,
      amount: '1.00',
      currency: 'RUB',
      payload: {},
    });
    expect(outcome.kind).toBe('mismatch');
    expect(await periodsOf(userId)).toHaveLength(0);
    const { rows } = await pool.query<{ status: string }>(
      "select status from payments where external_id = 'pay-cheap'",
    );
    expect(rows[0]!.status).toBe('mismatch');
  });

  it('rejects an unknown plan or user without writing', async () => {
    const { pool } = database();
    const plan = await monthPlan();
    const userId = await insertUser(pool);
    const base = {
      provider: 'yookassa',
      userId,
      planId: plan.id,
      amount: '299',
      currency: 'RUB',
      payload: {},
    };
    expect(
      await recordPayment(pool, { ...base, externalId: 'nope-1', planId: '999999' as typeof plan.id }),
    ).toEqual({ kind: 'unknown-plan' });
    expect(
      await recordPayment(pool, { ...base, externalId: 'nope-2', userId: '999999' as typeof userId }),
    ).toEqual({ kind: 'unknown-user' });
    const { rows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from payments where external_id like 'nope-%'",
    );
    expect(rows[0]!.n).toBe(0);
  });
});

describe('cancelPayment', () => {
  it('cancels the period of a refunded payment, once', async () => {
    const { pool } = database();
    const plan = await monthPlan();
    const userId = await insertUser(pool);
    await recordPayment(pool, {
      provider: 'yookassa',
      externalId: 'refund-me',
      userId,
      planId: plan.id,
      amount: '299',
      currency: 'RUB',
      payload: {},
    });
    const first = await cancelPayment(pool, {
      provider: 'yookassa',
      externalId: 'refund-me',
      refund: { id: 'r-1' },
    });
    const again = await cancelPayment(pool, {
      provider: 'yookassa',
      externalId: 'refund-me',
      refund: { id: 'r-1' },
    });
    expect(first.kind).toBe('cancelled');
    expect(again.kind).toBe('already-cancelled');
    const periods = await periodsOf(userId);
    expect(periods[0]!.cancelled_at).not.toBeNull();
    expect(await cancelPayment(pool, { provider: 'yookassa', externalId: 'never-paid', refund: {} })).toEqual(
      { kind: 'unknown-payment' },
    );
  });
});
