/**
 * Card and crypto payments the bot creates itself (issue 16), end to end against fake YooKassa and
 * Crypto Pay APIs (msw, HTTP level), the fake Bot API and the real webhook server on PostgreSQL:
 * order → payment → webhook → one period → confirmation in the chat.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { deliverOutboxOnce, runOrdersPass, type CheckoutDeps } from '../../../src/bot/index.ts';
import { createCryptoPayApi, createYooKassaApi } from '../../../src/payments/index.ts';
import { signCryptoPayUpdate } from '../../../src/webhooks/index.ts';
import { callbackUpdate, textUpdate, type TgUser } from '../../fakes/telegram-updates.ts';
import { installFakePaymentProviders } from '../../fakes/fake-payment-providers.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  post,
  recordingObserver as webhookObserver,
  useMockedApis,
  useWebhookServer,
} from '../../support/webhooks.ts';
import {
  botConfig,
  buttonsOf,
  silentLogger,
  testBot,
  textOf,
  tgUserFactory,
  upsertStarsPlan,
  useFakeBotApi,
  userIdByTelegramId,
} from './support.ts';
import { createBot } from '../../../src/bot/index.ts';
import { FAKE_BOT_INFO } from '../../fakes/fake-bot-api.ts';
import { upsertPlan } from '../../../src/db/index.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();
const api = useMockedApis();
const CRYPTO_TOKEN = '12345:AAtesttokencryptopay';
const observed = webhookObserver();
const webhooks = useWebhookServer(database, {
  observer: observed,
  env: {
    KEYWARDEN_YOOKASSA_ALLOWED_IPS: '127.0.0.1/32',
    KEYWARDEN_YOOKASSA_SHOP_ID: '506751',
    KEYWARDEN_YOOKASSA_SECRET_KEY: 'test_secret',
    KEYWARDEN_YOOKASSA_API_ROOT: 'https://api.yookassa.test/v3/',
    KEYWARDEN_CRYPTOPAY_TOKEN: CRYPTO_TOKEN,
  },
});

let providers: ReturnType<typeof installFakePaymentProviders>;
beforeEach(() => {
  providers = installFakePaymentProviders(api);
});

const newTgUser = tgUserFactory(300_000, 'Kim');

function checkout(receipt: 'off' | 'email' = 'off'): CheckoutDeps {
  return {
    yookassa: {
      api: createYooKassaApi({
        shopId: '506751',
        secretKey: 'test_secret',
        apiRoot: providers.yookassa.apiRoot,
        timeoutMs: 2_000,
      }),
      currency: 'RUB',
      returnUrl: null,
      receipt,
      vatCode: 1,
    },
    cryptoPay: {
      api: createCryptoPayApi({
        token: CRYPTO_TOKEN,
        apiRoot: providers.cryptoPay.apiRoot,
        timeoutMs: 2_000,
      }),
      currency: 'USD',
      assets: ['USDT', 'TON'],
    },
  };
}

function shopBot(receipt: 'off' | 'email' = 'off') {
  return createBot(
    '123456:TEST-TOKEN',
    { pool: database().pool, logger: silentLogger, config: botConfig(), checkout: checkout(receipt) },
    { apiRoot: fake().apiRoot, botInfo: FAKE_BOT_INFO },
  );
}

async function plan(code: string) {
  return upsertPlan(database().pool, {
    code,
    title: 'Month',
    durationDays: 30,
    price: '299',
    currency: 'RUB',
    prices: { XTR: '250', USD: '3.5' },
  });
}

async function periodsOf(telegramId: number): Promise<number> {
  const userId = await userIdByTelegramId(database().pool, telegramId);
  const { rows } = await database().pool.query<{ n: number }>(
    'select count(*)::int as n from subscription_periods where user_id = $1 and cancelled_at is null',
    [userId],
  );
  return rows[0]!.n;
}

async function orderOf(telegramId: number) {
  const userId = await userIdByTelegramId(database().pool, telegramId);
  const { rows } = await database().pool.query<{
    id: string;
    state: string;
    provider_payment_id: string | null;
    idempotence_key: string;
  }>(
    'select id, state, provider_payment_id, idempotence_key from orders where user_id = $1 order by created_at desc limit 1',
    [userId],
  );
  return rows[0]!;
}

const sendYooKassa = (body: string) => post(webhooks().url, '/webhooks/yookassa', body);
const sendCryptoPay = (update: Record<string, unknown>) => {
  const body = JSON.stringify(update);
  return post(webhooks().url, '/webhooks/cryptobot', body, {
    'crypto-pay-api-signature': signCryptoPayUpdate(CRYPTO_TOKEN, body),
  });
};

async function buyWithCard(user: TgUser, planId: string) {
  const bot = shopBot();
  await bot.handleUpdate(callbackUpdate(user, `pay:yk:${planId}`));
  return orderOf(user.id);
}

describe('card payments through YooKassa', () => {
  it('order → payment with the order key and reference → Pay button → webhook → one period → confirmation in the chat', async () => {
    const pool = database().pool;
    const p = await plan('card-e2e');
    const bot = shopBot();
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage')[0])).toEqual(
      expect.arrayContaining([`pay:yk:${p.id}`, `pay:cp:${p.id}`]),
    );
    await bot.handleUpdate(callbackUpdate(user, `pay:yk:${p.id}`));
    const order = await orderOf(user.id);
    expect(order.state).toBe('pending');
    const [request] = providers.yookassa.requests;
    expect(request?.headers['idempotence-key']).toBe(order.idempotence_key);
    expect(request?.headers['authorization']).toBe(
      `Basic ${Buffer.from('506751:test_secret').toString('base64')}`,
    );
    expect(request?.body).toMatchObject({
      amount: { value: '299.00', currency: 'RUB' },
      capture: true,
      confirmation: { type: 'redirect', return_url: `https://t.me/${FAKE_BOT_INFO.username}` },
      metadata: { kw_ref: `o:${order.id}` },
    });
    const reply = fake().callsOf('sendMessage').at(-1);
    expect(buttonsOf(reply)).toEqual([`https://yoomoney.test/checkout/${order.provider_payment_id}`]);

    const answer = await sendYooKassa(providers.yookassa.succeed(order.provider_payment_id!));
    expect(answer.body).toEqual({ ok: true, outcome: 'granted' });
    expect(await periodsOf(user.id)).toBe(1);
    expect((await orderOf(user.id)).state).toBe('paid');

    fake().reset();
    await deliverOutboxOnce(
      { api: bot.api, pool, logger: silentLogger, graceMs: 0, messagesPerSecond: 30, intervalMs: 1000 },
      undefined,
      false,
    );
    const confirmation = fake()
      .callsOf('sendMessage')
      .find((call) => call.params['chat_id'] === user.id);
    expect(textOf(confirmation)).toContain('Payment received');
  });

  it('turns the same notification delivered 100 times at once into one period', async () => {
    const p = await plan('card-100');
    const user = newTgUser();
    const order = await buyWithCard(user, p.id);
    const body = providers.yookassa.succeed(order.provider_payment_id!);
    const answers = await Promise.all(Array.from({ length: 100 }, () => sendYooKassa(body)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body.outcome === 'granted')).toHaveLength(1);
    expect(await periodsOf(user.id)).toBe(1);
  });

  it('repeats a create whose outcome is unknown with the same key: one payment at the provider', async () => {
    const p = await plan('card-retry');
    providers.yookassa.failNext(1, 500);
    const user = newTgUser();
    const order = await buyWithCard(user, p.id);
    expect(order.state).toBe('pending');
    const keys = providers.yookassa.requests.map((r) => r.headers['idempotence-key']);
    expect(keys).toEqual([order.idempotence_key, order.idempotence_key]);
    expect(providers.yookassa.created()).toBe(1);
  });

  it('ends the order failed when YooKassa refuses, and tells the customer', async () => {
    const p = await plan('card-refused');
    providers.yookassa.failNext(1, 400);
    const user = newTgUser();
    const order = await buyWithCard(user, p.id);
    expect(order.state).toBe('failed');
    expect(textOf(fake().callsOf('sendMessage').at(-1))).toContain('could not be created');
  });

  it('cancels the order when YooKassa cancels the payment, and still honours a later payment as late', async () => {
    const p = await plan('card-cancel');
    const user = newTgUser();
    const order = await buyWithCard(user, p.id);
    const canceled = await sendYooKassa(providers.yookassa.cancel(order.provider_payment_id!));
    expect(canceled.body).toEqual({ ok: true, outcome: 'ignored' });
    expect((await orderOf(user.id)).state).toBe('cancelled');
    // The provider later shows it succeeded after all (money received = access granted).
    const late = await sendYooKassa(providers.yookassa.succeed(order.provider_payment_id!));
    expect(late.body).toEqual({ ok: true, outcome: 'granted' });
    expect(await periodsOf(user.id)).toBe(1);
    expect(observed.payments.at(-1)).toEqual(['yookassa', 'late']);
  });

  it('expires an unpaid order after its lifetime, and a payment after that still grants one period, counted late', async () => {
    const pool = database().pool;
    const p = await plan('card-expire');
    const user = newTgUser();
    const order = await buyWithCard(user, p.id);
    await pool.query(`update orders set expires_at = now() - interval '1 second' where id = $1`, [order.id]);
    expect(await runOrdersPass({ pool, logger: silentLogger })).toBeGreaterThanOrEqual(1);
    expect((await orderOf(user.id)).state).toBe('expired');
    const late = await sendYooKassa(providers.yookassa.succeed(order.provider_payment_id!));
    expect(late.body.outcome).toBe('granted');
    expect(observed.payments.at(-1)).toEqual(['yookassa', 'late']);
    expect(await periodsOf(user.id)).toBe(1);
  });

  it('asks for a receipt e-mail when the shop needs receipts, then sends it in a 54-FZ receipt', async () => {
    const p = await plan('card-receipt');
    const bot = shopBot('email');
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, `pay:yk:${p.id}`));
    expect(providers.yookassa.requests).toHaveLength(0);
    expect(textOf(fake().callsOf('sendMessage').at(-1))).toContain('e-mail');
    await bot.handleUpdate(textUpdate(user, 'kim@example.org'));
    await bot.handleUpdate(callbackUpdate(user, `pay:yk:${p.id}`));
    expect(providers.yookassa.requests[0]?.body['receipt']).toEqual({
      customer: { email: 'kim@example.org' },
      items: [
        {
          description: expect.stringContaining('Month') as string,
          quantity: '1.00',
          amount: { value: '299.00', currency: 'RUB' },
          vat_code: 1,
          payment_mode: 'full_payment',
          payment_subject: 'service',
        },
      ],
    });
  });
});

describe('saving the card for automatic renewal', () => {
  it('asks YooKassa to save the card on the autopay button, and turns autopay on when the webhook says it was saved', async () => {
    const pool = database().pool;
    const p = await plan('card-save');
    const bot = shopBot();
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage').at(-1))).toContain(`pay:ya:${p.id}`);
    await bot.handleUpdate(callbackUpdate(user, `pay:ya:${p.id}`));
    expect(providers.yookassa.requests[0]?.body).toMatchObject({ save_payment_method: true });
    const order = await orderOf(user.id);
    const saved = await sendYooKassa(
      providers.yookassa.succeed(order.provider_payment_id!, { savedMethodId: 'pm-saved-1' }),
    );
    expect(saved.body.outcome).toBe('granted');
    const userId = await userIdByTelegramId(pool, user.id);
    const { rows } = await pool.query<{ payment_method_id: string; is_enabled: boolean; plan_id: string }>(
      'select payment_method_id, is_enabled, plan_id::text from autopay where user_id = $1',
      [userId],
    );
    expect(rows).toEqual([{ payment_method_id: 'pm-saved-1', is_enabled: true, plan_id: p.id }]);
    // The plans list now offers to turn it off, and the button does.
    fake().reset();
    await bot.handleUpdate(callbackUpdate(user, 'plans'));
    expect(buttonsOf(fake().callsOf('sendMessage').at(-1))).toContain('autopayoff');
    await bot.handleUpdate(callbackUpdate(user, 'autopayoff'));
    expect(textOf(fake().callsOf('sendMessage').at(-1))).toContain('Automatic renewal is off');
    const after = await pool.query<{ is_enabled: boolean }>(
      'select is_enabled from autopay where user_id = $1',
      [userId],
    );
    expect(after.rows).toEqual([{ is_enabled: false }]);
  });

  it('a one-off card payment saves nothing', async () => {
    const p = await plan('card-once');
    const user = newTgUser();
    const order = await buyWithCard(user, p.id);
    expect(providers.yookassa.requests[0]?.body['save_payment_method']).toBeUndefined();
    await sendYooKassa(providers.yookassa.succeed(order.provider_payment_id!, { savedMethodId: 'pm-x' }));
    const userId = await userIdByTelegramId(database().pool, user.id);
    const { rows } = await database().pool.query('select 1 from autopay where user_id = $1', [userId]);
    expect(rows).toHaveLength(0);
  });
});

describe('crypto payments through Crypto Pay', () => {
  it('creates a fiat invoice with the order reference as payload; the paid update grants one period', async () => {
    const p = await plan('crypto-e2e');
    const bot = shopBot();
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, `pay:cp:${p.id}`));
    const order = await orderOf(user.id);
    expect(order.state).toBe('pending');
    expect(providers.cryptoPay.requests[0]?.headers['crypto-pay-api-token']).toBe(CRYPTO_TOKEN);
    expect(providers.cryptoPay.requests[0]?.body).toMatchObject({
      currency_type: 'fiat',
      fiat: 'USD',
      accepted_assets: 'USDT,TON',
      amount: '3.5',
      payload: `o:${order.id}`,
    });
    expect(buttonsOf(fake().callsOf('sendMessage').at(-1))[0]).toMatch(/^https:\/\/t\.me\/CryptoTestBot/);
    const paid = await sendCryptoPay(providers.cryptoPay.paidUpdate(order.provider_payment_id!));
    expect(paid.body).toEqual({ ok: true, outcome: 'granted' });
    expect(await periodsOf(user.id)).toBe(1);
  });

  it('records an invoice paid in another amount or currency than the order as a mismatch, no period', async () => {
    const p = await plan('crypto-mismatch');
    const user = newTgUser();
    await shopBot().handleUpdate(callbackUpdate(user, `pay:cp:${p.id}`));
    const order = await orderOf(user.id);
    const cheaper = await sendCryptoPay(
      providers.cryptoPay.paidUpdate(order.provider_payment_id!, { amount: '0.35' }),
    );
    expect(cheaper.body).toEqual({ ok: true, outcome: 'mismatch' });
    const otherFiat = await sendCryptoPay(
      providers.cryptoPay.paidUpdate(order.provider_payment_id!, { invoice_id: 1, fiat: 'EUR' }),
    );
    expect(otherFiat.body).toEqual({ ok: true, outcome: 'mismatch' });
    expect(await periodsOf(user.id)).toBe(0);
    expect((await orderOf(user.id)).state).toBe('pending');
  });
});

describe('Telegram Stars next to card and crypto', () => {
  it('still sells Stars through an order when the plan has a Stars price', async () => {
    const p = await upsertStarsPlan(database().pool, 'stars-next');
    const bot = testBot(database().pool, fake());
    const user = newTgUser();
    await bot.handleUpdate(callbackUpdate(user, `buy:${p.id}`));
    expect(String(fake().callsOf('sendInvoice')[0]?.params['payload'])).toMatch(/^o:/);
  });
});
