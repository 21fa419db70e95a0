/**
 * Orders (issue 16, docs/payments.md): created with the plan's price in one currency fixed, then moved
 * through the state machine of src/domain/order-state.ts (the database refuses any other move). Only
 * the payment use case (record-provider-payment.ts) makes an order `paid`, in the transaction that
 * records the payment and its period.
 */
import type pg from 'pg';
import {
  asOrderId,
  asPlanId,
  asUserId,
  isOrderState,
  type OrderId,
  type OrderState,
  type PlanId,
  type UserId,
} from '../../domain/index.ts';

/** An order as stored. */
export interface OrderRecord {
  readonly id: OrderId;
  readonly userId: UserId;
  readonly planId: PlanId;
  /** Decimal string (never a float). */
  readonly amount: string;
  readonly currency: string;
  readonly provider: string;
  readonly purpose: 'purchase' | 'renewal';
  readonly renewalOf: OrderId | null;
  readonly state: OrderState;
  readonly idempotenceKey: string;
  readonly providerPaymentId: string | null;
  readonly confirmationUrl: string | null;
  readonly paymentId: string | null;
  readonly failureReason: string | null;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  /** A renewal charge: the coverage end it extends, else null. */
  readonly renewalFor: Date | null;
  /** Charge attempt for that coverage end (1 for everything else). */
  readonly attempt: number;
  /** The customer asked to save the card for automatic renewals. */
  readonly saveMethod: boolean;
  /** A Telegram Stars subscription (invoice link with subscription_period). */
  readonly isSubscription: boolean;
}

interface OrderRow {
  id: string;
  user_id: string;
  plan_id: string;
  amount: string;
  currency: string;
  provider: string;
  purpose: string;
  renewal_of: string | null;
  state: string;
  idempotence_key: string;
  provider_payment_id: string | null;
  confirmation_url: string | null;
  payment_id: string | null;
  failure_reason: string | null;
  expires_at: Date;
  created_at: Date;
  renewal_for: Date | null;
  attempt: number;
  save_method: boolean;
  is_subscription: boolean;
}

/** The columns every order query returns (amount as text: money never becomes a float). */
export const ORDER_COLUMNS = `id, user_id, plan_id, amount::text as amount, currency, provider, purpose, renewal_of,
  state, idempotence_key, provider_payment_id, confirmation_url, payment_id, failure_reason, expires_at, created_at,
  renewal_for, attempt, save_method, is_subscription`;

/** Maps an orders row (selected with ORDER_COLUMNS). */
export function toOrder(row: OrderRow): OrderRecord {
  if (!isOrderState(row.state)) {
    throw new Error(`order ${row.id} has an unknown state ${JSON.stringify(row.state)}`);
  }
  return {
    id: asOrderId(row.id),
    userId: asUserId(row.user_id),
    planId: asPlanId(row.plan_id),
    amount: row.amount,
    currency: row.currency,
    provider: row.provider,
    purpose: row.purpose === 'renewal' ? 'renewal' : 'purchase',
    renewalOf: row.renewal_of === null ? null : asOrderId(row.renewal_of),
    state: row.state,
    idempotenceKey: row.idempotence_key,
    providerPaymentId: row.provider_payment_id,
    confirmationUrl: row.confirmation_url,
    paymentId: row.payment_id,
    failureReason: row.failure_reason,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    renewalFor: row.renewal_for,
    attempt: row.attempt,
    saveMethod: row.save_method,
    isSubscription: row.is_subscription,
  };
}

/** What to order. */
export interface NewOrder {
  readonly userId: UserId;
  readonly planId: PlanId;
  /** `yookassa`, `cryptobot`, `telegram_stars`. */
  readonly provider: string;
  /** The plan price in this currency is fixed on the order (plans.price or plan_prices). */
  readonly currency: string;
  /** How long the customer has to pay, ms. */
  readonly lifetimeMs: number;
  readonly purpose?: 'purchase' | 'renewal';
  readonly renewalOf?: OrderId | null;
  /** Prefix of the idempotence key (`pay`, `renew`); the key is `<prefix>:<order id>`. */
  readonly keyPrefix?: string;
  /** Ask the provider to save the card for automatic renewals. */
  readonly saveMethod?: boolean;
  /** A Telegram Stars subscription. */
  readonly isSubscription?: boolean;
}

/** What creating an order did. */
export type CreateOrderOutcome =
  | { readonly kind: 'created'; readonly order: OrderRecord }
  /** The plan is not on sale, or has no price in that currency. */
  | { readonly kind: 'not-for-sale' };

/** Creates an order in state `created` at the plan's current price in `currency`. */
export async function createOrder(db: pg.Pool | pg.ClientBase, order: NewOrder): Promise<CreateOrderOutcome> {
  if (!Number.isFinite(order.lifetimeMs) || order.lifetimeMs <= 0) {
    throw new RangeError(`order lifetime must be positive, got ${order.lifetimeMs} ms`);
  }
  const { rows } = await db.query<OrderRow>(
    `with price as (
       select p.id as plan_id, coalesce(pp.amount, case when p.currency = $3 then p.price end) as amount
       from plans p left join plan_prices pp on pp.plan_id = p.id and pp.currency = $3
       where p.id = $2 and ($7 = 'renewal' or p.is_active)),
     new_id as (select gen_random_uuid() as id)
     insert into orders (id, user_id, plan_id, amount, currency, provider, purpose, renewal_of, idempotence_key, expires_at, save_method, is_subscription)
     select new_id.id, $1, price.plan_id, price.amount, $3, $4, $7, $8, $6 || ':' || new_id.id,
            now() + $5::double precision * interval '1 millisecond', $9, $10
     from price, new_id where price.amount > 0
     returning ${ORDER_COLUMNS}`,
    [
      order.userId,
      order.planId,
      order.currency,
      order.provider,
      order.lifetimeMs,
      order.keyPrefix ?? 'pay',
      order.purpose ?? 'purchase',
      order.renewalOf ?? null,
      order.saveMethod ?? false,
      order.isSubscription ?? false,
    ],
  );
  const row = rows[0];
  return row ? { kind: 'created', order: toOrder(row) } : { kind: 'not-for-sale' };
}

/** Reads one order; null when there is none with that id. */
export async function findOrder(db: pg.Pool | pg.ClientBase, id: OrderId): Promise<OrderRecord | null> {
  const { rows } = await db.query<OrderRow>(`select ${ORDER_COLUMNS} from orders where id = $1`, [id]);
  const row = rows[0];
  return row ? toOrder(row) : null;
}

/**
 * Records that the provider accepted the order (created → pending) with its payment id and the URL
 * the customer pays at. Resolves to the order as it is afterwards; an order that moved on meanwhile
 * (a fast webhook already paid it) is left as it is.
 */
export async function markOrderPending(
  db: pg.Pool | pg.ClientBase,
  id: OrderId,
  provider: { readonly providerPaymentId: string | null; readonly confirmationUrl: string | null },
): Promise<OrderRecord | null> {
  await db.query(
    `update orders set state = case when state = 'created' then 'pending' else state end,
       provider_payment_id = coalesce(provider_payment_id, $2), confirmation_url = coalesce(confirmation_url, $3)
     where id = $1`,
    [id, provider.providerPaymentId, provider.confirmationUrl],
  );
  return findOrder(db, id);
}

/**
 * Ends an open order without payment: `cancelled` (the provider or the customer cancelled it) or
 * `failed` (the provider refused it). An order already paid or ended is left as it is; resolves to
 * whether this call ended it.
 */
export async function endOrder(
  db: pg.Pool | pg.ClientBase,
  id: OrderId,
  state: 'cancelled' | 'failed',
  reason: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update orders set state = $2, failure_reason = $3 where id = $1 and state in ('created', 'pending')`,
    [id, state, reason.slice(0, 500)],
  );
  return rowCount === 1;
}

/** Moves every open order whose lifetime has passed to `expired`; resolves to the orders expired. */
export async function expireOrders(db: pg.Pool | pg.ClientBase): Promise<readonly OrderRecord[]> {
  const { rows } = await db.query<OrderRow>(
    `update orders set state = 'expired' where state in ('created', 'pending') and expires_at <= now()
     returning ${ORDER_COLUMNS}`,
  );
  return rows.map(toOrder);
}

/**
 * Ends the open order whose provider payment the provider cancelled: `failed` for an automatic renewal
 * charge (the customer is reminded and the charge retried), `cancelled` otherwise. Resolves to the
 * order as it is afterwards, or null when no order has that provider payment id.
 */
export async function endOrderOfProviderPayment(
  db: pg.Pool | pg.ClientBase,
  provider: string,
  providerPaymentId: string,
  reason: string,
): Promise<OrderRecord | null> {
  const { rows } = await db.query<OrderRow>(
    `update orders set state = case when purpose = 'renewal' then 'failed' else 'cancelled' end,
       failure_reason = $3
     where provider = $1 and provider_payment_id = $2 and state in ('created', 'pending')
     returning ${ORDER_COLUMNS}`,
    [provider, providerPaymentId, reason.slice(0, 500)],
  );
  const row = rows[0];
  if (row) {
    const ended = toOrder(row);
    if (ended.purpose === 'renewal' && ended.renewalFor !== null) {
      // A declined automatic charge: the customer is told, with a one-tap "pay now" (the bot's
      // autopay-failed message); a withdrawn permission means the card is never charged again.
      await db.query(
        `insert into outbox (user_id, kind, dedupe_key, payload) values ($1, 'autopay-failed', $2, $3)
         on conflict (dedupe_key) do nothing`,
        [
          ended.userId,
          `autopay-failed:${ended.id}`,
          JSON.stringify({
            planId: ended.planId,
            amount: ended.amount,
            currency: ended.currency,
            endsAt: ended.renewalFor.toISOString(),
            reason,
          }),
        ],
      );
      if (reason === 'permission_revoked') {
        await db.query(
          `update autopay set method_revoked_at = now(), is_enabled = false, updated_at = now() where user_id = $1`,
          [ended.userId],
        );
      }
    }
    return ended;
  }
  const { rows: existing } = await db.query<OrderRow>(
    `select ${ORDER_COLUMNS} from orders where provider = $1 and provider_payment_id = $2`,
    [provider, providerPaymentId],
  );
  return existing[0] ? toOrder(existing[0]) : null;
}

/** An order with the payment that paid it, for refunds. */
export interface PaidOrder {
  readonly order: OrderRecord;
  /** The customer's Telegram id (Stars refunds name the user). */
  readonly telegramId: number;
  readonly payment: {
    readonly id: string;
    readonly externalId: string;
    /** Decimal string. */
    readonly amount: string;
    readonly currency: string;
    readonly status: string;
  } | null;
}

/** Reads an order with its payment; null when there is no such order. */
export async function findPaidOrder(db: pg.Pool | pg.ClientBase, id: OrderId): Promise<PaidOrder | null> {
  const order = await findOrder(db, id);
  if (order === null) {
    return null;
  }
  const { rows } = await db.query<{
    telegram_id: string;
    payment_id: string | null;
    external_id: string | null;
    amount: string | null;
    currency: string | null;
    status: string | null;
  }>(
    `select u.telegram_id, p.id as payment_id, p.external_id, p.amount::text as amount, p.currency, p.status
     from users u left join payments p on p.id = $2 where u.id = $1`,
    [order.userId, order.paymentId],
  );
  const row = rows[0];
  if (!row) {
    throw new Error(`order ${id} names user ${order.userId}, who cannot be read`);
  }
  return {
    order,
    telegramId: Number(row.telegram_id),
    payment:
      row.payment_id === null ||
      row.external_id === null ||
      row.amount === null ||
      row.currency === null ||
      row.status === null
        ? null
        : {
            id: row.payment_id,
            externalId: row.external_id,
            amount: row.amount,
            currency: row.currency,
            status: row.status,
          },
  };
}

/** A customer's live Stars subscription: the order that started it and the charge id that names it. */
export interface StarsSubscription {
  readonly orderId: OrderId;
  /** telegram_payment_charge_id of the first payment (what editUserStarSubscription takes). */
  readonly chargeId: string;
}

/** The customer's paid, not cancelled Stars subscriptions, newest first. */
export async function findStarsSubscriptions(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
): Promise<readonly StarsSubscription[]> {
  const { rows } = await db.query<{ id: string; external_id: string }>(
    `select o.id, p.external_id from orders o join payments p on p.id = o.payment_id
     where o.user_id = $1 and o.is_subscription and o.state = 'paid' and o.subscription_cancelled_at is null
     order by o.created_at desc`,
    [userId],
  );
  return rows.map((row) => ({ orderId: asOrderId(row.id), chargeId: row.external_id }));
}

/** Records that a Stars subscription will not renew again. */
export async function markSubscriptionCancelled(
  db: pg.Pool | pg.ClientBase,
  orderId: OrderId,
): Promise<void> {
  await db.query(
    'update orders set subscription_cancelled_at = now() where id = $1 and subscription_cancelled_at is null',
    [orderId],
  );
}
