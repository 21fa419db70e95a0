/**
 * Orders and the one payment use case on a real PostgreSQL (issue 16): the database enforces the
 * same state machine as src/domain/order-state.ts, and recordProviderPayment turns a payment for an
 * order into exactly one period, whatever the replays, and nothing when the money is not the order's.
 */
import { describe, expect, it } from 'vitest';
import {
  cancelPayment,
  createOrder,
  endOrder,
  expireOrders,
  findOrder,
  markOrderPending,
  paymentMetricOutcome,
  recordProviderPayment,
  upsertPlan,
  type OrderRecord,
  type PlanRecord,
  type ProviderPayment,
} from '../../../src/db/index.ts';
import {
  canTransition,
  ORDER_STATES,
  parsePaymentReference,
  type OrderState,
  type PaymentReference,
  type UserId,
} from '../../../src/domain/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
let sequence = 0;

async function customer(): Promise<{ userId: UserId; plan: PlanRecord }> {
  const pool = database().pool;
  sequence += 1;
  const plan = await upsertPlan(pool, {
    code: `month-${sequence}-${Math.floor(Math.random() * 1e9)}`,
    title: '30 days',
    durationDays: 30,
    price: '299.00',
    currency: 'RUB',
    prices: { XTR: '250', USD: '3.5' },
  });
  return { userId: await insertUser(pool), plan };
}

async function order(
  provider = 'yookassa',
  currency = 'RUB',
): Promise<{ userId: UserId; plan: PlanRecord; order: OrderRecord }> {
  const { userId, plan } = await customer();
  const created = await createOrder(database().pool, {
    userId,
    planId: plan.id,
    provider,
    currency,
    lifetimeMs: 3_600_000,
  });
  if (created.kind !== 'created') {
    throw new Error('order not created');
  }
  return { userId, plan, order: created.order };
}

const referenceOf = (value: string): PaymentReference => {
  const parsed = parsePaymentReference(value);
  if (!parsed.ok) {
    throw new Error(parsed.error.expected);
  }
  return parsed.value;
};

const paymentFor = (o: OrderRecord, overrides: Partial<ProviderPayment> = {}): ProviderPayment => ({
  provider: o.provider,
  externalId: `pay-${o.id}`,
  reference: referenceOf(`o:${o.id}`),
  amount: o.amount,
  currency: o.currency,
  payload: {},
  ...overrides,
});

async function countsOf(userId: UserId): Promise<{ payments: number; periods: number; live: number }> {
  const { rows } = await database().pool.query<{ payments: number; periods: number; live: number }>(
    `select (select count(*)::int from payments where user_id = $1) as payments,
            (select count(*)::int from subscription_periods where user_id = $1) as periods,
            (select count(*)::int from subscription_periods where user_id = $1 and cancelled_at is null) as live`,
    [userId],
  );
  return rows[0]!;
}

describe('the orders table', () => {
  it('fixes the price in the chosen currency and the idempotence key at creation', async () => {
    const { order: o, plan } = await order('cryptobot', 'USD');
    expect(o).toMatchObject({
      planId: plan.id,
      amount: '3.50000000',
      currency: 'USD',
      state: 'created',
      idempotenceKey: `pay:${o.id}`,
    });
    const { userId } = await customer();
    expect(
      await createOrder(database().pool, {
        userId,
        planId: plan.id,
        provider: 'cryptobot',
        currency: 'EUR',
        lifetimeMs: 1000,
      }),
    ).toEqual({ kind: 'not-for-sale' });
  });

  const PAIRS = ORDER_STATES.flatMap((from) =>
    ORDER_STATES.filter((to) => to !== from).map((to) => [from, to] as const),
  );

  it.each(PAIRS)('the database allows %s → %s exactly when the domain table does', async (from, to) => {
    const pool = database().pool;
    const { order: o, userId } = await order();
    const needsPayment = (state: OrderState): boolean => state === 'paid' || state === 'refunded';
    const payment = await pool.query<{ id: string }>(
      `insert into payments (provider, external_id, user_id, amount, currency, status)
       values ('yookassa', $1, $2, 299, 'RUB', 'succeeded') returning id`,
      [`matrix-${o.id}`, userId],
    );
    const paymentId = payment.rows[0]!.id;
    // Put the order in the starting state with the checks off (a fixture, not a move under test).
    if (from !== 'created') {
      const client = await pool.connect();
      try {
        await client.query(`set session_replication_role = replica`);
        await client.query(`update orders set state = $2, payment_id = $3 where id = $1`, [
          o.id,
          from,
          needsPayment(from) ? paymentId : null,
        ]);
      } finally {
        await client.query(`set session_replication_role = origin`);
        client.release();
      }
    }
    const move = pool.query(`update orders set state = $2, payment_id = $3 where id = $1`, [
      o.id,
      to,
      needsPayment(to) ? paymentId : null,
    ]);
    if (canTransition(from, to)) {
      await expect(move).resolves.toMatchObject({ rowCount: 1 });
    } else {
      await expect(move).rejects.toThrow(/cannot go from|already paid|violates check/);
    }
  });

  it('refuses paid without a payment, and changing the price, user, plan or key of an order', async () => {
    const pool = database().pool;
    const { order: o } = await order();
    await expect(pool.query(`update orders set state = 'paid' where id = $1`, [o.id])).rejects.toThrow(
      /check/,
    );
    await expect(pool.query(`update orders set amount = 1 where id = $1`, [o.id])).rejects.toThrow(
      /fixed at creation/,
    );
    await expect(
      pool.query(`update orders set idempotence_key = 'other' where id = $1`, [o.id]),
    ).rejects.toThrow(/fixed at creation/);
  });

  it('moves created → pending with the provider id, and expires open orders past their lifetime only', async () => {
    const pool = database().pool;
    const { order: o } = await order();
    const pending = await markOrderPending(pool, o.id, {
      providerPaymentId: 'yk-1',
      confirmationUrl: 'https://pay/1',
    });
    expect(pending).toMatchObject({
      state: 'pending',
      providerPaymentId: 'yk-1',
      confirmationUrl: 'https://pay/1',
    });
    const { order: fresh } = await order();
    await pool.query(`update orders set expires_at = now() - interval '1 second' where id = $1`, [o.id]);
    const expired = await expireOrders(pool);
    expect(expired.map((row) => row.id)).toContain(o.id);
    expect(expired.map((row) => row.id)).not.toContain(fresh.id);
    expect((await findOrder(pool, fresh.id))?.state).toBe('created');
    expect(await endOrder(pool, o.id, 'cancelled', 'too late')).toBe(false);
  });
});

describe('recordProviderPayment', () => {
  it('pays an order: one payment row, one period of the plan, the order paid', async () => {
    const pool = database().pool;
    const { order: o, userId } = await order();
    const outcome = await recordProviderPayment(pool, paymentFor(o, { amount: '299' }));
    expect(outcome).toMatchObject({ kind: 'granted', userId, orderId: o.id, late: false });
    expect(paymentMetricOutcome(outcome)).toBe('granted');
    expect(await countsOf(userId)).toEqual({ payments: 1, periods: 1, live: 1 });
    const paid = await findOrder(pool, o.id);
    expect(paid).toMatchObject({ state: 'paid' });
    expect(paid?.paymentId).toBe(outcome.kind === 'granted' ? outcome.paymentId : null);
  });

  it('turns the same payment delivered 100 times at once into one period', async () => {
    const pool = database().pool;
    const { order: o, userId } = await order();
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () => recordProviderPayment(pool, paymentFor(o))),
    );
    expect(outcomes.filter((x) => x.kind === 'granted')).toHaveLength(1);
    expect(outcomes.filter((x) => x.kind === 'duplicate')).toHaveLength(99);
    expect(await countsOf(userId)).toEqual({ payments: 1, periods: 1, live: 1 });
  });

  it.each([
    ['amount', { amount: '298.99' }],
    ['currency', { currency: 'USD' }],
    ['provider', { provider: 'cryptobot' }],
  ] as const)(
    'records a payment whose %s is not the order’s as a mismatch and grants nothing',
    async (reason, change) => {
      const pool = database().pool;
      const { order: o, userId } = await order();
      const outcome = await recordProviderPayment(pool, paymentFor(o, change));
      expect(outcome).toMatchObject({ kind: 'mismatch', reason, orderId: o.id });
      expect(paymentMetricOutcome(outcome)).toBe('mismatch');
      expect(await countsOf(userId)).toEqual({ payments: 1, periods: 0, live: 0 });
      expect((await findOrder(pool, o.id))?.state).toBe('created');
    },
  );

  it.each(['expired', 'cancelled', 'failed'] as const)(
    'honours a late payment for an %s order and counts it as late',
    async (ended) => {
      const pool = database().pool;
      const { order: o, userId } = await order();
      if (ended === 'expired') {
        await pool.query(`update orders set expires_at = now() where id = $1`, [o.id]);
        await expireOrders(pool);
      } else {
        await endOrder(pool, o.id, ended, 'test');
      }
      expect((await findOrder(pool, o.id))?.state).toBe(ended);
      const outcome = await recordProviderPayment(pool, paymentFor(o));
      expect(outcome).toMatchObject({ kind: 'granted', late: true });
      expect(paymentMetricOutcome(outcome)).toBe('late');
      expect(await countsOf(userId)).toEqual({ payments: 1, periods: 1, live: 1 });
      expect((await findOrder(pool, o.id))?.state).toBe('paid');
    },
  );

  it('records a second, different payment for a paid order as a mismatch: one order, one period', async () => {
    const pool = database().pool;
    const { order: o, userId } = await order();
    await recordProviderPayment(pool, paymentFor(o));
    const second = await recordProviderPayment(pool, paymentFor(o, { externalId: 'another-payment' }));
    expect(second).toMatchObject({ kind: 'mismatch', reason: 'order-already-paid' });
    expect(await countsOf(userId)).toEqual({ payments: 2, periods: 1, live: 1 });
  });

  it('refuses an unknown order and writes nothing', async () => {
    const pool = database().pool;
    const outcome = await recordProviderPayment(pool, {
      provider: 'yookassa',
      externalId: 'orphan',
      reference: referenceOf('o:00000000-0000-4000-8000-000000000000'),
      amount: '299',
      currency: 'RUB',
      payload: {},
    });
    expect(outcome).toEqual({ kind: 'unknown-order', orderId: '00000000-0000-4000-8000-000000000000' });
    expect(paymentMetricOutcome(outcome)).toBe('rejected');
    const { rows } = await pool.query(`select 1 from payments where external_id = 'orphan'`);
    expect(rows).toHaveLength(0);
  });

  it('still records a legacy kw:<user>:<plan> payment against the plan prices', async () => {
    const pool = database().pool;
    const { userId, plan } = await customer();
    const legacy = (externalId: string, amount: string): ProviderPayment => ({
      provider: 'cryptobot',
      externalId,
      reference: referenceOf(`kw:${userId}:${plan.code}`),
      amount,
      currency: 'USD',
      payload: {},
    });
    expect(await recordProviderPayment(pool, legacy('legacy-1', '3.50'))).toMatchObject({
      kind: 'granted',
      orderId: null,
      userId,
    });
    expect(await recordProviderPayment(pool, legacy('legacy-2', '3'))).toMatchObject({
      kind: 'mismatch',
      reason: 'plan-price',
    });
    expect(await countsOf(userId)).toEqual({ payments: 2, periods: 1, live: 1 });
  });

  it('queues one payment-received message for the bot when asked to, in the same transaction', async () => {
    const pool = database().pool;
    const { order: o, userId } = await order();
    await recordProviderPayment(pool, { ...paymentFor(o), notify: true });
    await recordProviderPayment(pool, { ...paymentFor(o), notify: true });
    const { rows } = await pool.query<{ kind: string }>('select kind from outbox where user_id = $1', [
      userId,
    ]);
    expect(rows).toEqual([{ kind: 'payment-received' }]);
  });

  it('a refund cancels the period and moves the order to refunded', async () => {
    const pool = database().pool;
    const { order: o, userId } = await order();
    await recordProviderPayment(pool, paymentFor(o));
    const refund = await cancelPayment(pool, { provider: 'yookassa', externalId: `pay-${o.id}`, refund: {} });
    expect(refund.kind).toBe('cancelled');
    expect(await countsOf(userId)).toEqual({ payments: 1, periods: 1, live: 0 });
    expect((await findOrder(pool, o.id))?.state).toBe('refunded');
  });
});
