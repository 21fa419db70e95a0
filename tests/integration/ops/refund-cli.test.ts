/**
 * `keywarden payments refund ORDER_ID` (issue 16): the money goes back through the provider's API
 * (fake YooKassa over msw, the fake Bot API for Stars), the period is cancelled through the refund
 * path, and the reconciler then disables the key on the (simulated) panel.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createOrder,
  findOrder,
  recordProviderPayment,
  upsertPlan,
  type PlanRecord,
} from '../../../src/db/index.ts';
import { asOrderId, asUserId, type OrderId, type UserId } from '../../../src/domain/index.ts';
import { startSimulatedPanel, type SimulatedPanel } from '../../../src/simulator/index.ts';
import { installFakePaymentProviders } from '../../fakes/fake-payment-providers.ts';
import { startFakeBotApi, type FakeBotApi } from '../../fakes/fake-bot-api.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { useTestDatabase } from '../../support/database.ts';
import { useMockedApis } from '../../support/webhooks.ts';

const database = useTestDatabase();
const api = useMockedApis();
let providers: ReturnType<typeof installFakePaymentProviders>;
beforeEach(() => {
  providers = installFakePaymentProviders(api);
});

let sim: SimulatedPanel;
let inboundId: number;
let botApi: FakeBotApi;
beforeAll(async () => {
  sim = await startSimulatedPanel({ generation: 'g2', token: 'refund-token', jobIntervalMs: 0 });
  inboundId = sim.addInbound({
    protocol: 'vless',
    port: 443,
    streamSettings: { network: 'tcp', security: 'reality' },
  });
  botApi = await startFakeBotApi();
});
afterAll(async () => {
  await sim.close();
  await botApi.close();
});

const cli = (args: string[]): ReturnType<typeof runCliAgainst> =>
  runCliAgainst(database().url, args, {
    KEYWARDEN_PANEL_TOKEN: 'refund-token',
    KEYWARDEN_YOOKASSA_SHOP_ID: '506751',
    KEYWARDEN_YOOKASSA_SECRET_KEY: 'test_secret',
    KEYWARDEN_YOOKASSA_API_ROOT: 'https://api.yookassa.test/v3/',
    TELEGRAM_BOT_TOKEN: '123456:TEST-TOKEN',
    KEYWARDEN_TELEGRAM_API_ROOT: botApi.apiRoot,
  });

let plan: PlanRecord | undefined;
let sequence = 0;

/** A customer with a paid order of `provider` and a key on the simulated panel. */
async function paidCustomer(
  provider: 'yookassa' | 'telegram_stars',
): Promise<{ userId: UserId; orderId: OrderId; email: string }> {
  const pool = database().pool;
  sequence += 1;
  plan ??= await upsertPlan(pool, {
    code: 'refund-month',
    title: 'Month',
    durationDays: 30,
    price: '299',
    currency: 'RUB',
    prices: { XTR: '250' },
  });
  const telegramId = 7_700_000 + sequence;
  const { rows } = await pool.query<{ id: string }>(
    'insert into users (telegram_id) values ($1) on conflict (telegram_id) do update set username = null returning id',
    [telegramId],
  );
  const userId = asUserId(rows[0]!.id);
  const created = await createOrder(pool, {
    userId,
    planId: plan.id,
    provider,
    currency: provider === 'yookassa' ? 'RUB' : 'XTR',
    lifetimeMs: 60_000,
  });
  if (created.kind !== 'created') {
    throw new Error('no order');
  }
  const orderId = created.order.id;
  let externalId = `stx-${orderId}`;
  if (provider === 'yookassa') {
    const made = await fetch(new URL('payments', providers.yookassa.apiRoot), {
      method: 'POST',
      headers: { 'idempotence-key': created.order.idempotenceKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        amount: { value: '299.00', currency: 'RUB' },
        confirmation: { type: 'redirect' },
      }),
    });
    externalId = ((await made.json()) as { id: string }).id;
    providers.yookassa.succeed(externalId);
  }
  const outcome = await recordProviderPayment(pool, {
    provider,
    externalId,
    reference: { kind: 'order', orderId: asOrderId(orderId) },
    amount: created.order.amount,
    currency: created.order.currency,
    payload: {},
  });
  expect(outcome.kind).toBe('granted');
  const issued = await cli([
    'keys',
    'issue',
    '--telegram-id',
    String(telegramId),
    '--panel',
    'edge',
    '--inbound',
    String(inboundId),
  ]);
  expect(issued.code).toBe(0);
  const [, email] = /email (\S+)$/m.exec(issued.out) ?? [];
  return { userId, orderId, email: email! };
}

describe('keywarden payments refund', () => {
  beforeAll(async () => {
    expect((await cli(['panels', 'add', '--name', 'edge', '--url', sim.url])).code).toBe(0);
  });

  it('refunds a YooKassa order through the refund API, cancels the period, and the reconciler disables the key', async () => {
    const { orderId, email, userId } = await paidCustomer('yookassa');
    expect((await cli(['reconcile', '--once'])).code).toBe(0);
    expect(sim.inspectClient(email)?.enable).toBe(true);

    const refunded = await cli(['payments', 'refund', orderId]);
    expect(refunded).toMatchObject({ code: 0 });
    expect(refunded.out).toContain('refunded');
    const refundCall = providers.yookassa.requests.find((r) => r.path === 'refunds');
    expect(refundCall?.headers['idempotence-key']).toBe(`refund:${orderId}`);
    expect(refundCall?.body).toMatchObject({ amount: { value: '299.00', currency: 'RUB' } });
    expect((await findOrder(database().pool, orderId))?.state).toBe('refunded');
    const live = await database().pool.query(
      'select 1 from subscription_periods where user_id = $1 and cancelled_at is null',
      [userId],
    );
    expect(live.rows).toHaveLength(0);

    expect((await cli(['reconcile', '--once'])).code).toBe(0);
    expect(sim.inspectClient(email)?.enable).toBe(false);

    // Again: nothing more is refunded.
    expect((await cli(['payments', 'refund', orderId])).out).toContain('already refunded');
    expect(providers.yookassa.requests.filter((r) => r.path === 'refunds')).toHaveLength(1);
  });

  it('refunds a Stars order with refundStarPayment, treating an earlier refund as done', async () => {
    const { orderId } = await paidCustomer('telegram_stars');
    botApi.respond((call) =>
      call.method === 'refundStarPayment'
        ? { errorCode: 400, description: 'Bad Request: CHARGE_ALREADY_REFUNDED' }
        : undefined,
    );
    const refunded = await cli(['payments', 'refund', orderId]);
    expect(refunded.code).toBe(0);
    const call = botApi.callsOf('refundStarPayment')[0];
    expect(call?.params).toMatchObject({ telegram_payment_charge_id: `stx-${orderId}` });
    expect((await findOrder(database().pool, orderId))?.state).toBe('refunded');
  });

  it('refuses an order that is not paid, and a malformed id', async () => {
    const pool = database().pool;
    const { rows } = await pool.query<{ id: string }>(
      'insert into users (telegram_id) values (7799999) returning id',
    );
    const created = await createOrder(pool, {
      userId: asUserId(rows[0]!.id),
      planId: plan!.id,
      provider: 'yookassa',
      currency: 'RUB',
      lifetimeMs: 60_000,
    });
    const id = created.kind === 'created' ? created.order.id : '';
    expect((await cli(['payments', 'refund', id])).code).toBe(2);
    expect((await cli(['payments', 'refund', 'not-an-id'])).code).toBe(2);
  });
});
