/**
 * Automatic renewal with a saved YooKassa card (docs/payments.md "Automatic renewal").
 *
 * The renewal state machine is the order state machine: each charge attempt is its own `renewal`
 * order, created here in one statement before YooKassa is called, with its own idempotence key
 * (`renew:<order id>`). (user, coverage end, attempt) is unique, so a second replica or a restart
 * cannot create a second charge for the same attempt, and a charge whose outcome was lost is repeated
 * with the same key (YooKassa answers with the original payment). Only the payment use case makes a
 * renewal order paid, with its one period, so a renewal is never paid-but-not-recorded nor
 * recorded-but-not-paid.
 */
import type pg from 'pg';
import { asPlanId, type PlanId, type UserId } from '../../domain/index.ts';
import { ORDER_COLUMNS, toOrder, type OrderRecord } from './orders.ts';

/** A customer's autopay. */
export interface AutopayRecord {
  readonly userId: UserId;
  readonly paymentMethodId: string;
  readonly planId: PlanId;
  readonly isEnabled: boolean;
  readonly methodRevokedAt: Date | null;
}

/** Reads a customer's autopay; null when they never saved a card. */
export async function findAutopay(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
): Promise<AutopayRecord | null> {
  const { rows } = await db.query<{
    payment_method_id: string;
    plan_id: string;
    is_enabled: boolean;
    method_revoked_at: Date | null;
  }>('select payment_method_id, plan_id, is_enabled, method_revoked_at from autopay where user_id = $1', [
    userId,
  ]);
  const row = rows[0];
  return row
    ? {
        userId,
        paymentMethodId: row.payment_method_id,
        planId: asPlanId(row.plan_id),
        isEnabled: row.is_enabled,
        methodRevokedAt: row.method_revoked_at,
      }
    : null;
}

/** Stores the card YooKassa saved for the customer and turns autopay on for `planId`. */
export async function saveAutopayMethod(
  db: pg.Pool | pg.ClientBase,
  method: { readonly userId: UserId; readonly planId: PlanId; readonly paymentMethodId: string },
): Promise<void> {
  await db.query(
    `insert into autopay (user_id, provider, payment_method_id, plan_id) values ($1, 'yookassa', $2, $3)
     on conflict (user_id) do update set payment_method_id = excluded.payment_method_id, plan_id = excluded.plan_id,
       is_enabled = true, method_revoked_at = null, updated_at = now()`,
    [method.userId, method.paymentMethodId, method.planId],
  );
}

/** Turns autopay on or off; resolves to whether the customer has a saved card at all. */
export async function setAutopayEnabled(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  isEnabled: boolean,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'update autopay set is_enabled = $2, updated_at = now() where user_id = $1',
    [userId, isEnabled],
  );
  return rowCount === 1;
}

/** The customer withdrew the card's permission at YooKassa: it is never charged again. */
export async function revokeAutopayMethod(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  paymentMethodId: string,
): Promise<void> {
  await db.query(
    `update autopay set method_revoked_at = now(), is_enabled = false, updated_at = now()
     where user_id = $1 and payment_method_id = $2`,
    [userId, paymentMethodId],
  );
}

/** A renewal order to charge, with the card to charge it to. */
export interface RenewalCharge {
  readonly order: OrderRecord;
  readonly paymentMethodId: string;
}

/** When and how often to charge. */
export interface RenewalSchedule {
  /** Charge this long before the coverage ends. */
  readonly leadMs: number;
  /** After a declined attempt, wait this long before the next one. */
  readonly retryMs: number;
  /** Attempts per coverage end. */
  readonly maxAttempts: number;
  /** The currency of the charge (the plan's price in it). */
  readonly currency: string;
  /** Lifetime of a renewal order (its key stays valid at YooKassa for 24 h). */
  readonly orderLifetimeMs: number;
}

/**
 * Creates the renewal orders that are due (coverage ends within the lead, autopay on, card not
 * revoked, user not banned, no attempt for this coverage end yet or the last one declined at least
 * `retryMs` ago, attempts left). Only a definite "no" (failed, cancelled) is retried: an attempt that
 * expired without a final answer may still be charged at YooKassa, so a new one could charge twice;
 * its late payment is honoured instead, and the customer has the reminders and returns them with every renewal order still `created` (a charge
 * whose outcome was lost: repeated with the same key). Safe to run from several replicas at once.
 */
export async function claimRenewalCharges(
  db: pg.Pool | pg.ClientBase,
  schedule: RenewalSchedule,
): Promise<readonly RenewalCharge[]> {
  const ms = (value: number): string => `${value}`;
  await db.query(
    `with coverage as (
       select a.user_id, a.plan_id,
              (select max(sp.ends_at) from subscription_periods sp
               where sp.user_id = a.user_id and sp.cancelled_at is null) as ends_at
       from autopay a join users u on u.id = a.user_id
       where a.is_enabled and a.method_revoked_at is null and u.banned_at is null),
     due as (
       select c.user_id, c.plan_id, c.ends_at, last.attempt as last_attempt, last.state as last_state,
              last.updated_at as last_at
       from coverage c
       left join lateral (
         select o.attempt, o.state, o.updated_at from orders o
         where o.user_id = c.user_id and o.purpose = 'renewal' and o.renewal_for = c.ends_at
         order by o.attempt desc limit 1) last on true
       where c.ends_at is not null
         and c.ends_at <= now() + $1::double precision * interval '1 millisecond'
         and c.ends_at > now() - ($2::double precision * $3) * interval '1 millisecond'
         and (last.attempt is null
              or (last.state in ('failed', 'cancelled') and last.attempt < $3
                  and last.updated_at <= now() - $2::double precision * interval '1 millisecond'))),
     priced as (
       select d.*, coalesce(pp.amount, case when p.currency = $4 then p.price end) as amount
       from due d join plans p on p.id = d.plan_id
       left join plan_prices pp on pp.plan_id = p.id and pp.currency = $4),
     new_ids as (select priced.*, gen_random_uuid() as id from priced where amount > 0)
     insert into orders (id, user_id, plan_id, amount, currency, provider, purpose, idempotence_key, expires_at,
                         renewal_for, attempt)
     select id, user_id, plan_id, amount, $4, 'yookassa', 'renewal', 'renew:' || id,
            now() + $5::double precision * interval '1 millisecond', ends_at, coalesce(last_attempt, 0) + 1
     from new_ids
     on conflict do nothing`,
    [
      ms(schedule.leadMs),
      ms(schedule.retryMs),
      schedule.maxAttempts,
      schedule.currency,
      ms(schedule.orderLifetimeMs),
    ],
  );
  const { rows } = await db.query<Parameters<typeof toOrder>[0] & { payment_method_id: string }>(
    `select ${ORDER_COLUMNS.replaceAll(/(^|,\s*)(\w+)/g, '$1o.$2')}, a.payment_method_id
     from orders o join autopay a on a.user_id = o.user_id
     where o.purpose = 'renewal' and o.renewal_for is not null and o.state = 'created' and o.expires_at > now()
       and a.is_enabled and a.method_revoked_at is null
     order by o.created_at`,
  );
  return rows.map((row) => ({ order: toOrder(row), paymentMethodId: row.payment_method_id }));
}
