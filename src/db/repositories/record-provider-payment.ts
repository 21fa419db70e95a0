/**
 * The one use case that records a payment (issue 16): the webhook server, the bot's
 * successful_payment handler and the Stars sweep all call `recordProviderPayment` with what the
 * provider confirmed, and map its one outcome type to the `keywarden_payments_total` labels with
 * `paymentMetricOutcome` (payment-outcome.ts).
 *
 * In one transaction:
 * 1. resolve the reference: `o:<order id>` → the order (row-locked, so concurrent deliveries of one
 *    payment queue up behind each other); legacy `kw:<user>:<plan>` → the user and plan;
 * 2. check the money: for an order, provider, currency and amount (as decimals) must be the order's;
 *    for a legacy reference, the amount must be one of the plan's prices;
 * 3. write through the one write path: the `payments` row (idempotent on provider + external id) and,
 *    when the money matches, exactly one period (appendPeriod) and the order `paid`.
 *
 * A payment for an order that expired, was cancelled or failed is still honoured (money received =
 * access granted) and reported as late. A second, different payment for an order that is already
 * paid is recorded as a mismatch for a human (refund it or grant by hand): an order grants one period.
 */
import type pg from 'pg';
import {
  asPlanId,
  assertNever,
  isLatePaymentState,
  type OrderId,
  type PaymentReference,
  type UserId,
} from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';
import { saveAutopayMethod } from './autopay.ts';
import { appendPeriod, type PeriodRecord } from './grant-period.ts';
import { ORDER_COLUMNS, toOrder } from './orders.ts';
import { recordPlanPayment } from './record-payment.ts';

/** A payment as a provider confirmed it. */
export interface ProviderPayment {
  /** `telegram_stars`, `yookassa`, `cryptobot`, `generic`. */
  readonly provider: string;
  /** The provider's id of the payment: the idempotency key. */
  readonly externalId: string;
  /** What the payment's reference names. */
  readonly reference: PaymentReference;
  /** Decimal string as the provider sent it. */
  readonly amount: string;
  readonly currency: string;
  /** What the provider said, for the audit trail (no secrets). */
  readonly payload: Readonly<Record<string, unknown>>;
  /**
   * The card the provider saved with this payment (YooKassa `payment_method.saved`): stored for
   * automatic renewals when the order asked to save it.
   */
  readonly savedMethodId?: string | null;
  /**
   * A recurring payment of a subscription (Telegram Stars `is_recurring` and not the first): it
   * carries the reference of the order that started the subscription, and pays a new renewal order
   * of the same plan and price, made in the same transaction.
   */
  readonly recurring?: boolean;
  /**
   * Queue a `payment-received` outbox message for the bot to confirm in the customer's chat, in the
   * same transaction (webhooks and the sweep; the bot's own handler answers in the chat itself).
   */
  readonly notify?: boolean;
}

/** The outbox kind that tells a customer their payment was received. */
export const PAYMENT_RECEIVED_KIND = 'payment-received';

/** Why a recorded payment grants nothing. */
export type MismatchReason = 'amount' | 'currency' | 'provider' | 'order-already-paid' | 'plan-price';

/** What recording a payment did: the one outcome type every caller handles. */
export type PaymentRecordOutcome =
  | {
      readonly kind: 'granted';
      readonly paymentId: string;
      readonly userId: UserId;
      readonly orderId: OrderId | null;
      readonly period: PeriodRecord;
      /** The order had expired, been cancelled or failed before the money came. */
      readonly late: boolean;
    }
  | {
      readonly kind: 'duplicate';
      readonly paymentId: string;
      readonly userId: UserId | null;
      readonly orderId: OrderId | null;
      /** The stored payment's status (`succeeded`, `mismatch`, `refunded`). */
      readonly status: string;
    }
  | {
      readonly kind: 'mismatch';
      readonly paymentId: string;
      readonly userId: UserId;
      readonly orderId: OrderId | null;
      readonly reason: MismatchReason;
      /** What would have matched. */
      readonly expected: ReadonlyArray<{ readonly amount: string; readonly currency: string }>;
    }
  | { readonly kind: 'unknown-order'; readonly orderId: OrderId }
  | { readonly kind: 'unknown-plan' }
  | { readonly kind: 'unknown-user' };

/** Resolves, checks and records one confirmed payment (see the module comment). */
export async function recordProviderPayment(
  pool: pg.Pool,
  payment: ProviderPayment,
): Promise<PaymentRecordOutcome> {
  return withTransaction(pool, async (client) => {
    const { reference } = payment;
    let outcome: PaymentRecordOutcome;
    switch (reference.kind) {
      case 'order':
        outcome = await recordOrderPayment(client, payment, reference.orderId);
        break;
      case 'legacy':
        outcome = await recordLegacyPayment(client, payment, reference.reference);
        break;
      default:
        return assertNever(reference, 'payment reference');
    }
    if (payment.notify === true && outcome.kind === 'granted') {
      await client.query(
        `insert into outbox (user_id, kind, dedupe_key, payload) values ($1, $2, $3, $4)
         on conflict (dedupe_key) do nothing`,
        [
          outcome.userId,
          PAYMENT_RECEIVED_KIND,
          `${PAYMENT_RECEIVED_KIND}:${outcome.paymentId}`,
          JSON.stringify({ endsAt: outcome.period.endsAt.toISOString(), orderId: outcome.orderId }),
        ],
      );
    }
    return outcome;
  });
}

async function recordLegacyPayment(
  client: pg.ClientBase,
  payment: ProviderPayment,
  reference: { readonly userId: UserId; readonly planCode: string; readonly tag: string | null },
): Promise<PaymentRecordOutcome> {
  const plan = await client.query<{ id: string }>('select id from plans where code = $1', [
    reference.planCode,
  ]);
  const planId = plan.rows[0]?.id;
  if (planId === undefined) {
    return { kind: 'unknown-plan' };
  }
  const result = await recordPlanPayment(client, {
    provider: payment.provider,
    externalId: payment.externalId,
    userId: reference.userId,
    planId: asPlanId(planId),
    amount: payment.amount,
    currency: payment.currency,
    payload: { ...payment.payload, order_tag: reference.tag },
  });
  switch (result.kind) {
    case 'granted':
      return { ...result, userId: reference.userId, orderId: null, late: false };
    case 'duplicate':
      return { ...result, userId: reference.userId, orderId: null };
    case 'mismatch':
      return { ...result, userId: reference.userId, orderId: null, reason: 'plan-price' };
    case 'unknown-plan':
    case 'unknown-user':
      return result;
    default:
      return assertNever(result, 'record outcome');
  }
}

async function recordOrderPayment(
  client: pg.ClientBase,
  payment: ProviderPayment,
  orderId: OrderId,
): Promise<PaymentRecordOutcome> {
  const found = await client.query<Parameters<typeof toOrder>[0]>(
    `select ${ORDER_COLUMNS} from orders where id = $1 for update`,
    [orderId],
  );
  const row = found.rows[0];
  if (!row) {
    return { kind: 'unknown-order', orderId };
  }
  let order = toOrder(row);
  // The order lock serialises deliveries of one payment, so this read sees any earlier commit.
  const existing = await client.query<{ id: string; status: string }>(
    'select id, status from payments where provider = $1 and external_id = $2',
    [payment.provider, payment.externalId],
  );
  const known = existing.rows[0];
  if (known) {
    return { kind: 'duplicate', paymentId: known.id, status: known.status, userId: order.userId, orderId };
  }
  const money = await client.query<{ same_amount: boolean }>(
    'select $1::numeric = $2::numeric as same_amount',
    [payment.amount, order.amount],
  );
  let reason: MismatchReason | null =
    payment.provider !== order.provider
      ? 'provider'
      : payment.currency !== order.currency
        ? 'currency'
        : money.rows[0]?.same_amount !== true
          ? 'amount'
          : order.paymentId !== null
            ? 'order-already-paid'
            : null;
  if (reason === 'order-already-paid' && payment.recurring === true && order.isSubscription) {
    // The next period of a subscription: a renewal order of the same plan and price, paid below.
    const renewal = await client.query<Parameters<typeof toOrder>[0]>(
      `insert into orders (user_id, plan_id, amount, currency, provider, purpose, renewal_of, idempotence_key, expires_at)
       values ($1, $2, $3, $4, $5, 'renewal', $6, $7, now())
       returning ${ORDER_COLUMNS}`,
      [
        order.userId,
        order.planId,
        order.amount,
        order.currency,
        order.provider,
        orderId,
        `recurring:${payment.externalId}`.slice(0, 64),
      ],
    );
    const created = renewal.rows[0];
    if (!created) {
      throw new Error(`could not make the renewal order of ${orderId}`);
    }
    order = toOrder(created);
    reason = null;
  }
  const inserted = await client.query<{ id: string }>(
    `insert into payments (provider, external_id, user_id, plan_id, amount, currency, status, payload, order_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (provider, external_id) do nothing
     returning id`,
    [
      payment.provider,
      payment.externalId,
      order.userId,
      order.planId,
      payment.amount,
      payment.currency,
      reason === null ? 'succeeded' : 'mismatch',
      JSON.stringify({ ...payment.payload, ...(reason === null ? {} : { mismatch: reason }) }),
      order.id,
    ],
  );
  const paymentId = inserted.rows[0]?.id;
  if (paymentId === undefined) {
    throw new Error(`payment ${payment.provider}/${payment.externalId} conflicted under its order lock`);
  }
  if (reason !== null) {
    return {
      kind: 'mismatch',
      paymentId,
      userId: order.userId,
      orderId: order.id,
      reason,
      expected: [{ amount: order.amount, currency: order.currency }],
    };
  }
  const plan = await client.query<{ duration_days: number }>(
    'select duration_days from plans where id = $1',
    [order.planId],
  );
  const durationDays = plan.rows[0]?.duration_days;
  if (durationDays === undefined) {
    throw new Error(`order ${orderId} names plan ${order.planId}, which cannot be read`);
  }
  const period = await appendPeriod(client, {
    userId: order.userId,
    planId: order.planId,
    source: 'payment',
    paymentId,
    durationMs: durationDays * 86_400_000,
  });
  if (!period) {
    throw new Error(`payment ${paymentId} was recorded but no period could be written`);
  }
  await client.query(`update orders set state = 'paid', payment_id = $2 where id = $1`, [
    order.id,
    paymentId,
  ]);
  if (order.saveMethod && payment.savedMethodId) {
    await saveAutopayMethod(client, {
      userId: order.userId,
      planId: order.planId,
      paymentMethodId: payment.savedMethodId,
    });
  }
  return {
    kind: 'granted',
    paymentId,
    userId: order.userId,
    orderId: order.id,
    period,
    late: isLatePaymentState(order.state),
  };
}
