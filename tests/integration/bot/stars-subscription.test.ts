/**
 * Telegram Stars subscriptions (issue 16): createInvoiceLink with subscription_period 2592000 for a
 * 30-day plan, each recurring successful_payment extends by exactly one period, and the customer can
 * cancel with editUserStarSubscription. Against the fake Bot API on a real PostgreSQL.
 */
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { callbackUpdate, successfulPaymentUpdate, type TgUser } from '../../fakes/telegram-updates.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  buttonsOf,
  recordingObserver,
  testBot,
  botConfig,
  tgUserFactory,
  upsertStarsPlan,
  useFakeBotApi,
  userIdByTelegramId,
} from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();
const newTgUser = tgUserFactory(500_000, 'Lea');

/** A subscription payment: the first one, or a renewal (is_recurring without is_first_recurring). */
function subscriptionPayment(user: TgUser, payload: string, chargeId: string, first: boolean): Update {
  const update = successfulPaymentUpdate(user, payload, 250, chargeId);
  const payment = update.message?.successful_payment;
  if (!payment) {
    throw new Error('no successful_payment');
  }
  Object.assign(payment, {
    is_recurring: true,
    ...(first ? { is_first_recurring: true } : {}),
    subscription_expiration_date: Math.floor(Date.now() / 1000) + 30 * 86_400,
  });
  return update;
}

describe('Telegram Stars subscription', () => {
  it('subscribes, renews by one period per recurring payment (once per charge), and cancels', async () => {
    const pool = database().pool;
    const plan = await upsertStarsPlan(pool, 'month-sub');
    const observer = recordingObserver();
    const bot = testBot(pool, fake(), botConfig(), observer);
    fake().respond((call) =>
      call.method === 'createInvoiceLink' ? { result: 'https://t.me/$stars-subscription-link' } : undefined,
    );
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage').at(-1))).toContain(`ssub:${plan.id}`);
    await bot.handleUpdate(callbackUpdate(user, `ssub:${plan.id}`));
    const link = fake().callsOf('createInvoiceLink')[0];
    expect(link?.params).toMatchObject({
      currency: 'XTR',
      provider_token: '',
      prices: [{ label: 'Month', amount: 250 }],
      subscription_period: 2_592_000,
    });
    const payload = String(link?.params['payload']);
    expect(payload).toMatch(/^o:[0-9a-f-]{36}$/);
    expect(buttonsOf(fake().callsOf('sendMessage').at(-1))).toEqual([
      'https://t.me/$stars-subscription-link',
    ]);

    await bot.handleUpdate(subscriptionPayment(user, payload, 'stxFirst', true));
    await bot.handleUpdate(subscriptionPayment(user, payload, 'stxRenew1', false));
    await bot.handleUpdate(subscriptionPayment(user, payload, 'stxRenew1', false));
    await bot.handleUpdate(subscriptionPayment(user, payload, 'stxRenew2', false));
    const userId = await userIdByTelegramId(pool, user.id);
    const periods = await pool.query<{ n: number; days: number }>(
      `select count(*)::int as n, round(extract(epoch from max(ends_at) - min(starts_at)) / 86400)::int as days
       from subscription_periods where user_id = $1 and cancelled_at is null`,
      [userId],
    );
    expect(periods.rows).toEqual([{ n: 3, days: 90 }]);
    const orders = await pool.query<{ purpose: string; state: string; renews_first: boolean }>(
      `select purpose, state, renewal_of = $2 as renews_first from orders where user_id = $1 order by created_at, purpose`,
      [userId, payload.slice(2)],
    );
    expect(orders.rows).toEqual([
      { purpose: 'purchase', state: 'paid', renews_first: null },
      { purpose: 'renewal', state: 'paid', renews_first: true },
      { purpose: 'renewal', state: 'paid', renews_first: true },
    ]);
    expect(observer.events.map(([, , outcome]) => outcome)).toEqual([
      'granted',
      'granted',
      'duplicate',
      'granted',
    ]);

    fake().reset();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage').at(-1))).toContain('starsuboff');
    await bot.handleUpdate(callbackUpdate(user, 'starsuboff'));
    expect(fake().callsOf('editUserStarSubscription')[0]?.params).toMatchObject({
      user_id: user.id,
      telegram_payment_charge_id: 'stxFirst',
      is_canceled: true,
    });
    fake().reset();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage').at(-1))).not.toContain('starsuboff');
  });

  it('a recurring payment for an order that is not a paid subscription pays that order, no more', async () => {
    const pool = database().pool;
    const plan = await upsertStarsPlan(pool, 'month-sub2');
    const bot = testBot(pool, fake());
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, `buy:${plan.id}`));
    const payload = String(fake().callsOf('sendInvoice')[0]?.params['payload']);
    await bot.handleUpdate(subscriptionPayment(user, payload, 'stxOnly', false));
    const userId = await userIdByTelegramId(pool, user.id);
    const { rows } = await pool.query<{ n: number }>(
      'select count(*)::int as n from subscription_periods where user_id = $1',
      [userId],
    );
    expect(rows).toEqual([{ n: 1 }]);
  });
});
