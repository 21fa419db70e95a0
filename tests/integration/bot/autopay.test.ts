/**
 * Automatic renewal with a saved YooKassa card (issue 16), against a fake YooKassa at the HTTP level
 * (msw) on a real PostgreSQL: one charge per attempt, one period per paid charge, never a second
 * charge under retries, crashes or two replicas, and never a charge when autopay is off.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { runAutopayPass, runOrdersPass, type AutopayOptions } from '../../../src/bot/index.ts';
import {
  findAutopay,
  grantPeriod,
  recordProviderPayment,
  saveAutopayMethod,
  setAutopayEnabled,
  upsertPlan,
  type PlanRecord,
} from '../../../src/db/index.ts';
import type { UserId } from '../../../src/domain/index.ts';
import { createYooKassaApi } from '../../../src/payments/index.ts';
import { installFakePaymentProviders } from '../../fakes/fake-payment-providers.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import { useMockedApis } from '../../support/webhooks.ts';
import { silentLogger } from './support.ts';

const database = useTestDatabase();
const api = useMockedApis();
let providers: ReturnType<typeof installFakePaymentProviders>;
beforeEach(() => {
  providers = installFakePaymentProviders(api);
});

const HOUR = 3_600_000;

function options(): AutopayOptions {
  return {
    pool: database().pool,
    api: createYooKassaApi({
      shopId: '1',
      secretKey: 's',
      apiRoot: providers.yookassa.apiRoot,
      timeoutMs: 2_000,
    }),
    schedule: {
      leadMs: 24 * HOUR,
      retryMs: HOUR,
      maxAttempts: 3,
      currency: 'RUB',
      orderLifetimeMs: 12 * HOUR,
    },
    logger: silentLogger,
  };
}

let plan: PlanRecord | undefined;

/** A customer whose coverage ends in `endsInMs`, with a saved card and autopay on. */
async function subscriber(endsInMs = 12 * HOUR): Promise<UserId> {
  const pool = database().pool;
  plan ??= await upsertPlan(pool, {
    code: 'auto-month',
    title: 'Month',
    durationDays: 30,
    price: '299',
    currency: 'RUB',
  });
  const userId = await insertUser(pool);
  await grantPeriod(pool, { userId, source: 'admin', planId: plan.id, durationMs: endsInMs });
  await saveAutopayMethod(pool, { userId, planId: plan.id, paymentMethodId: `pm-${userId}` });
  return userId;
}

async function stateOf(userId: UserId) {
  const { rows } = await database().pool.query<{
    payments: number;
    periods: number;
    orders: string[];
    outbox: string[];
  }>(
    `select (select count(*)::int from payments where user_id = $1) as payments,
            (select count(*)::int from subscription_periods where user_id = $1 and cancelled_at is null) as periods,
            (select coalesce(array_agg(state || ':' || attempt order by attempt), '{}') from orders where user_id = $1) as orders,
            (select coalesce(array_agg(kind order by id), '{}') from outbox where user_id = $1) as outbox`,
    [userId],
  );
  return rows[0]!;
}

const chargesOf = (userId: UserId) =>
  providers.yookassa.requests.filter(
    (r) => r.path === 'payments' && r.body['payment_method_id'] === `pm-${userId}`,
  );

describe('autopay with a saved YooKassa card', () => {
  it('charges before the coverage ends: one order, one payment, one new period; the next pass charges nothing', async () => {
    const userId = await subscriber();
    expect(await runAutopayPass(options())).toMatchObject({ charged: 1 });
    const [charge] = chargesOf(userId);
    expect(charge?.body).toMatchObject({ amount: { value: '299.00', currency: 'RUB' }, capture: true });
    expect(charge?.body['confirmation']).toBeUndefined();
    expect(charge?.headers['idempotence-key']).toMatch(/^renew:[0-9a-f-]{36}$/);
    expect(await stateOf(userId)).toEqual({
      payments: 1,
      periods: 2,
      orders: ['paid:1'],
      outbox: ['payment-received'],
    });
    await runAutopayPass(options());
    expect(chargesOf(userId)).toHaveLength(1);
    // YooKassa's own notification of that charge is a duplicate.
    const paymentId = [...providers.yookassa.payments.keys()][0]!;
    const { rows } = await database().pool.query<{ id: string }>('select id from orders where user_id = $1', [
      userId,
    ]);
    expect(
      await recordProviderPayment(database().pool, {
        provider: 'yookassa',
        externalId: paymentId,
        reference: { kind: 'order', orderId: rows[0]!.id as never },
        amount: '299.00',
        currency: 'RUB',
        payload: {},
      }),
    ).toMatchObject({ kind: 'duplicate' });
  });

  it('does nothing while the coverage ends later than the lead', async () => {
    const userId = await subscriber(5 * 24 * HOUR);
    await runAutopayPass(options());
    expect(chargesOf(userId)).toHaveLength(0);
    expect((await stateOf(userId)).orders).toEqual([]);
  });

  it('a declined charge grants nothing, tells the customer, and is retried as a new order after the wait', async () => {
    const pool = database().pool;
    const userId = await subscriber();
    providers.yookassa.declineNext('insufficient_funds');
    expect(await runAutopayPass(options())).toMatchObject({ failed: 1 });
    expect(await stateOf(userId)).toMatchObject({
      payments: 0,
      periods: 1,
      orders: ['failed:1'],
      outbox: ['autopay-failed'],
    });
    await runAutopayPass(options());
    expect(chargesOf(userId)).toHaveLength(1);
    await pool.query(`update orders set updated_at = now() - interval '2 hours' where user_id = $1`, [
      userId,
    ]);
    expect(await runAutopayPass(options())).toMatchObject({ charged: 1 });
    const keys = chargesOf(userId).map((c) => c.headers['idempotence-key']);
    expect(new Set(keys).size).toBe(2);
    expect(await stateOf(userId)).toMatchObject({ payments: 1, periods: 2, orders: ['failed:1', 'paid:2'] });
  });

  it('repeats a charge whose answer was lost with the same key: charged once, recorded once', async () => {
    const userId = await subscriber();
    providers.yookassa.loseNextResponse();
    expect(await runAutopayPass(options())).toMatchObject({ unknown: 1 });
    expect(await stateOf(userId)).toMatchObject({ payments: 0, orders: ['created:1'] });
    expect(await runAutopayPass(options())).toMatchObject({ charged: 1 });
    const keys = chargesOf(userId).map((c) => c.headers['idempotence-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(providers.yookassa.created()).toBe(1);
    expect(await stateOf(userId)).toMatchObject({ payments: 1, periods: 2, orders: ['paid:1'] });
  });

  it('two replicas running the pass at once charge once', async () => {
    const userId = await subscriber();
    await Promise.all([runAutopayPass(options()), runAutopayPass(options()), runAutopayPass(options())]);
    expect(providers.yookassa.created()).toBe(1);
    expect(await stateOf(userId)).toMatchObject({ payments: 1, periods: 2, orders: ['paid:1'] });
  });

  it('never charges a customer who turned autopay off', async () => {
    const userId = await subscriber();
    expect(await setAutopayEnabled(database().pool, userId, false)).toBe(true);
    await runAutopayPass(options());
    expect(chargesOf(userId)).toHaveLength(0);
    expect(await stateOf(userId)).toMatchObject({ payments: 0, periods: 1, orders: [] });
  });

  it('never charges a card whose permission was revoked again', async () => {
    const pool = database().pool;
    const userId = await subscriber();
    providers.yookassa.declineNext('permission_revoked');
    await runAutopayPass(options());
    expect(await findAutopay(pool, userId)).toMatchObject({ isEnabled: false });
    await pool.query(`update orders set updated_at = now() - interval '2 hours' where user_id = $1`, [
      userId,
    ]);
    await runAutopayPass(options());
    expect(chargesOf(userId)).toHaveLength(1);
  });
});

describe('autopay never risks a second charge', () => {
  it('does not retry an attempt that expired without a final answer (it may still be charged)', async () => {
    const pool = database().pool;
    const userId = await subscriber();
    providers.yookassa.loseNextResponse();
    await runAutopayPass(options());
    await pool.query(`update orders set expires_at = now() - interval '1 second' where user_id = $1`, [
      userId,
    ]);
    await runOrdersPass({ pool, logger: silentLogger });
    // Long past the retry wait: only the state decides.
    await pool.query(`update orders set updated_at = now() - interval '2 hours' where user_id = $1`, [
      userId,
    ]);
    await runAutopayPass(options());
    expect(chargesOf(userId)).toHaveLength(1);
    expect((await stateOf(userId)).orders).toEqual(['expired:1']);
  });
});
