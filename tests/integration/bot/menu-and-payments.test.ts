import type { Bot } from 'grammy';
import type { BotContext } from '../../../src/bot/index.ts';
import { describe, expect, it } from 'vitest';
import { grantPeriod, upsertPlan } from '../../../src/db/index.ts';
import { asUserId, encodeOrderReference } from '../../../src/domain/index.ts';
import {
  callbackUpdate,
  preCheckoutUpdate,
  refundedPaymentUpdate,
  successfulPaymentUpdate,
  textUpdate,
  type TgUser,
} from '../../fakes/telegram-updates.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  botConfig,
  buttonsOf,
  recordingObserver,
  testBot,
  textOf,
  tgUserFactory,
  upsertStarsPlan,
  useFakeBotApi,
  userIdByTelegramId,
} from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();

const newTgUser = tgUserFactory(100_000, 'Ann');
const userIdOf = (telegramId: number): Promise<string> => userIdByTelegramId(database().pool, telegramId);

/** A new user who has sent /start to `bot`, with our user id. */
async function startedUser(bot: Bot<BotContext>): Promise<{ user: TgUser; userId: string }> {
  const user = newTgUser();
  await bot.handleUpdate(textUpdate(user, '/start'));
  return { user, userId: await userIdOf(user.id) };
}

describe('registration and menu', () => {
  it('registers a user once when /start is sent twice, and answers both times', async () => {
    const bot = testBot(database().pool, fake());
    const user = newTgUser();
    await bot.handleUpdate(textUpdate(user, '/start'));
    await bot.handleUpdate(textUpdate(user, '/start'));
    const { rows } = await database().pool.query<{ count: number }>(
      'select count(*)::int as count from users where telegram_id = $1',
      [user.id],
    );
    expect(rows[0]?.count).toBe(1);
    const replies = fake().callsOf('sendMessage');
    expect(replies).toHaveLength(2);
    expect(replies.every((call) => Number(call.params['chat_id']) === user.id)).toBe(true);
  });

  it('shows a user without a subscription why, and leads to the plans and the trial instead of the keys', async () => {
    const bot = testBot(database().pool, fake());
    const user = newTgUser();
    await bot.handleUpdate(textUpdate(user, '/start'));
    const reply = fake().callsOf('sendMessage')[0];
    expect(textOf(reply)).toContain('no active subscription');
    expect(buttonsOf(reply)).toEqual(['plans', 'trial']);
  });

  it('shows the key actions to an entitled user', async () => {
    const bot = testBot(database().pool, fake());
    const user = newTgUser();
    await bot.handleUpdate(textUpdate(user, '/start'));
    await grantPeriod(database().pool, {
      userId: asUserId(await userIdOf(user.id)),
      source: 'admin',
      durationMs: 86_400_000,
    });
    fake().reset();
    await bot.handleUpdate(textUpdate(user, '/start'));
    const reply = fake().callsOf('sendMessage')[0];
    expect(textOf(reply)).toContain('active until');
    expect(buttonsOf(reply)).toEqual(['keys', 'getkey', 'plans']);
  });

  it('speaks Russian to a ru-RU user', async () => {
    const bot = testBot(database().pool, fake());
    await bot.handleUpdate(textUpdate(newTgUser({ language_code: 'ru-RU' }), '/start'));
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('нет активной подписки');
  });

  it('grants the trial once and refuses the second one', async () => {
    const bot = testBot(database().pool, fake());
    const user = newTgUser();
    await bot.handleUpdate(textUpdate(user, '/start'));
    await bot.handleUpdate(callbackUpdate(user, 'trial'));
    await bot.handleUpdate(callbackUpdate(user, 'trial'));
    const texts = fake().callsOf('sendMessage').map(textOf);
    expect(texts.some((text) => text.includes('free trial is active until'))).toBe(true);
    expect(texts.at(-1)).toContain('already used your free trial');
    const { rows } = await database().pool.query<{ count: number }>(
      `select count(*)::int as count from subscription_periods where user_id = $1 and source = 'trial'`,
      [await userIdOf(user.id)],
    );
    expect(rows[0]?.count).toBe(1);
  });
});

describe('callback data', () => {
  it.each(['show:abc', 'nonsense', 'buy:', 'revoke:-1', 'x'.repeat(65)])(
    'answers a malformed button payload %j gracefully and shows the menu again',
    async (data) => {
      const bot = testBot(database().pool, fake());
      const user = newTgUser();
      await bot.handleUpdate(callbackUpdate(user, data));
      const answer = fake().callsOf('answerCallbackQuery')[0];
      expect(answer?.params['text']).toContain('out of date');
      expect(fake().callsOf('sendMessage')).toHaveLength(1);
    },
  );

  it('does not show another user’s key', async () => {
    const bot = testBot(database().pool, fake());
    await bot.handleUpdate(callbackUpdate(newTgUser(), 'show:1'));
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('not yours');
  });
});

describe('Telegram Stars purchase', () => {
  it('sends an XTR invoice with one price, an empty provider token and the opaque reference of a new order', async () => {
    const pool = database().pool;
    const plan = await upsertStarsPlan(pool, 'month-inv');
    const bot = testBot(pool, fake());
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage')[0])).toContain(`buy:${plan.id}`);
    await bot.handleUpdate(callbackUpdate(user, `buy:${plan.id}`));
    const invoice = fake().callsOf('sendInvoice')[0];
    expect(invoice?.params).toMatchObject({
      currency: 'XTR',
      provider_token: '',
      prices: [{ label: 'Month', amount: 250 }],
    });
    const payload = String(invoice?.params['payload']);
    expect(payload).toMatch(/^o:[0-9a-f-]{36}$/);
    const { rows } = await pool.query<Record<string, unknown>>(
      `select user_id::text, plan_id::text, amount::int as amount, currency, provider, state from orders where id = $1`,
      [payload.slice(2)],
    );
    expect(rows).toEqual([
      {
        user_id: await userIdOf(user.id),
        plan_id: plan.id,
        amount: 250,
        currency: 'XTR',
        provider: 'telegram_stars',
        state: 'pending',
      },
    ]);
  });

  it('buys through an order: pre-checkout checks the order, the payment pays it, a second payment for it grants nothing', async () => {
    const pool = database().pool;
    const plan = await upsertStarsPlan(pool, 'month-ord');
    const observer = recordingObserver();
    const bot = testBot(pool, fake(), botConfig(), observer);
    const { user, userId } = await startedUser(bot);
    await bot.handleUpdate(callbackUpdate(user, `buy:${plan.id}`));
    const payload = String(fake().callsOf('sendInvoice')[0]?.params['payload']);
    await bot.handleUpdate(preCheckoutUpdate(user, payload, 250));
    await bot.handleUpdate(preCheckoutUpdate(user, payload, 249));
    await bot.handleUpdate(preCheckoutUpdate(newTgUser(), payload, 250));
    const answers = fake()
      .callsOf('answerPreCheckoutQuery')
      .map((call) => call.params['ok']);
    expect(answers).toEqual([true, false, false]);
    await bot.handleUpdate(successfulPaymentUpdate(user, payload, 250, 'stxOrder1'));
    await bot.handleUpdate(successfulPaymentUpdate(user, payload, 250, 'stxOrder2'));
    const order = await pool.query<{ state: string; payments: number; periods: number }>(
      `select o.state, (select count(*)::int from payments where order_id = o.id) as payments,
              (select count(*)::int from subscription_periods where user_id = $2) as periods
       from orders o where o.id = $1`,
      [payload.slice(2), userId],
    );
    expect(order.rows).toEqual([{ state: 'paid', payments: 2, periods: 1 }]);
    // A paid order no longer passes pre-checkout.
    await bot.handleUpdate(preCheckoutUpdate(user, payload, 250));
    expect(fake().callsOf('answerPreCheckoutQuery').at(-1)?.params['ok']).toBe(false);
    expect(observer.events).toEqual([
      ['payment', 'telegram_stars', 'granted'],
      ['payment', 'telegram_stars', 'mismatch'],
    ]);
  });

  it('adds the configured checkout links to each plan with our user id and the plan code', async () => {
    const pool = database().pool;
    await upsertPlan(pool, {
      code: 'month-link',
      title: 'Month',
      durationDays: 30,
      price: '299',
      currency: 'RUB',
    });
    const bot = testBot(
      pool,
      fake(),
      botConfig({
        checkoutLinks: [{ label: 'Card', url: 'https://shop.example.net/pay?u={user}&p={plan}' }],
      }),
    );
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage')[0])).toContain(
      `https://shop.example.net/pay?u=${await userIdOf(user.id)}&p=month-link`,
    );
  });

  it('approves a pre-checkout at the plan price and rejects a changed price, within the handler', async () => {
    const pool = database().pool;
    await upsertStarsPlan(pool, 'month-pcq');
    const bot = testBot(pool, fake());
    const { user, userId } = await startedUser(bot);
    const payload = encodeOrderReference({ userId, planCode: 'month-pcq' });
    await bot.handleUpdate(preCheckoutUpdate(user, payload, 250));
    await bot.handleUpdate(preCheckoutUpdate(user, payload, 1));
    await bot.handleUpdate(preCheckoutUpdate(newTgUser(), payload, 250));
    const answers = fake()
      .callsOf('answerPreCheckoutQuery')
      .map((call) => call.params);
    expect(answers[0]).toMatchObject({ ok: true });
    expect(answers[1]).toMatchObject({ ok: false });
    expect(String(answers[1]?.['error_message'])).not.toHaveLength(0);
    expect(answers[2]).toMatchObject({ ok: false });
  });

  it('answers a pre-checkout after a 429 within Telegram’s 10 s, and retries a reply and an invoice (issue 12)', async () => {
    const pool = database().pool;
    await upsertStarsPlan(pool, 'month-429');
    const bot = testBot(pool, fake());
    const { user, userId } = await startedUser(bot);
    const payload = encodeOrderReference({ userId, planCode: 'month-429' });
    fake().reset();
    const limited = new Set<string>();
    fake().respond((call) => {
      // The first call of each of these methods is rate limited for one second.
      if (
        ['answerPreCheckoutQuery', 'sendMessage', 'sendInvoice'].includes(call.method) &&
        !limited.has(call.method)
      ) {
        limited.add(call.method);
        return { errorCode: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 };
      }
      return undefined;
    });
    const started = Date.now();
    await bot.handleUpdate(preCheckoutUpdate(user, payload, 250));
    expect(Date.now() - started).toBeLessThan(10_000);
    const answers = fake().callsOf('answerPreCheckoutQuery');
    expect(answers).toHaveLength(2);
    expect(answers[1]?.params).toMatchObject({ ok: true });
    const { rows } = await pool.query<{ id: string }>(`select id::text from plans where code = 'month-429'`);
    await bot.handleUpdate(callbackUpdate(user, `buy:${rows[0]!.id}`));
    expect(fake().callsOf('sendInvoice')).toHaveLength(2);
    await bot.handleUpdate(textUpdate(user, '/menu'));
    // The rate-limited attempt is recorded too: two calls for the one menu message.
    expect(
      fake()
        .callsOf('sendMessage')
        .map((call) => call.method),
    ).toEqual(['sendMessage', 'sendMessage']);
  });

  it('does not wait past the pre-checkout budget for a long flood wait', async () => {
    const pool = database().pool;
    await upsertStarsPlan(pool, 'month-flood');
    const bot = testBot(pool, fake());
    const { user, userId } = await startedUser(bot);
    const payload = encodeOrderReference({ userId, planCode: 'month-flood' });
    fake().respond((call) =>
      call.method === 'answerPreCheckoutQuery'
        ? { errorCode: 429, description: 'Too Many Requests: retry after 30', retryAfter: 30 }
        : undefined,
    );
    const started = Date.now();
    await expect(bot.handleUpdate(preCheckoutUpdate(user, payload, 250))).rejects.toThrow(/429/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fake().callsOf('answerPreCheckoutQuery')).toHaveLength(1);
  });

  it('grants one period for a successful payment, and none more when the same payment arrives again; a refund cancels it', async () => {
    const pool = database().pool;
    await upsertStarsPlan(pool, 'month-pay');
    const observer = recordingObserver();
    const bot = testBot(pool, fake(), botConfig(), observer);
    const { user, userId } = await startedUser(bot);
    const payload = encodeOrderReference({ userId, planCode: 'month-pay' });
    fake().reset();
    await bot.handleUpdate(successfulPaymentUpdate(user, payload, 250, 'stxCharge1'));
    await bot.handleUpdate(successfulPaymentUpdate(user, payload, 250, 'stxCharge1'));
    const periods = await pool.query<{ source: string; ends_minus_starts: number; cancelled: boolean }>(
      `select source, extract(epoch from ends_at - starts_at)::int as ends_minus_starts, cancelled_at is not null as cancelled
       from subscription_periods where user_id = $1`,
      [userId],
    );
    expect(periods.rows).toEqual([{ source: 'payment', ends_minus_starts: 30 * 86_400, cancelled: false }]);
    const payments = await pool.query<{
      provider: string;
      external_id: string;
      amount: string;
      currency: string;
      status: string;
    }>(
      'select provider, external_id, amount::int::text as amount, currency, status from payments where user_id = $1',
      [userId],
    );
    expect(payments.rows).toEqual([
      {
        provider: 'telegram_stars',
        external_id: 'stxCharge1',
        amount: '250',
        currency: 'XTR',
        status: 'succeeded',
      },
    ]);
    const texts = fake().callsOf('sendMessage').map(textOf);
    expect(texts[0]).toContain('Payment received');
    expect(texts[1]).toContain('already recorded');

    await bot.handleUpdate(refundedPaymentUpdate(user, payload, 250, 'stxCharge1'));
    const after = await pool.query<{ cancelled: boolean }>(
      'select cancelled_at is not null as cancelled from subscription_periods where user_id = $1',
      [userId],
    );
    expect(after.rows).toEqual([{ cancelled: true }]);
    expect(observer.events).toEqual([
      ['payment', 'telegram_stars', 'granted'],
      ['payment', 'telegram_stars', 'duplicate'],
      ['payment', 'telegram_stars', 'refunded'],
    ]);
  });

  it('records a payment whose amount matches no price as a mismatch and grants nothing', async () => {
    const pool = database().pool;
    await upsertStarsPlan(pool, 'month-mis');
    const bot = testBot(pool, fake());
    const { user, userId } = await startedUser(bot);
    await bot.handleUpdate(
      successfulPaymentUpdate(user, encodeOrderReference({ userId, planCode: 'month-mis' }), 5, 'stxCheap'),
    );
    const { rows } = await pool.query<{ status: string; periods: number }>(
      `select p.status, (select count(*)::int from subscription_periods where user_id = $1) as periods
       from payments p where p.user_id = $1`,
      [userId],
    );
    expect(rows).toEqual([{ status: 'mismatch', periods: 0 }]);
  });
});
