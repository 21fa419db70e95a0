/**
 * The money path (DESIGN.md §6, issue 5): a confirmed payment becomes one `payments` row and, when
 * its amount matches the plan, one period, in one transaction. Idempotent by constraint: the unique
 * (provider, external_id) key makes a replay, or a hundred concurrent deliveries, a no-op.
 */
import type pg from 'pg';
import type { PlanId, UserId } from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';
import { appendPeriod, type PeriodRecord } from './grant-period.ts';

/** A payment confirmed by a provider. */
export interface ConfirmedPayment {
  /** `telegram_stars`, `yookassa`, `cryptobot`, `generic`, ... */
  readonly provider: string;
  /** The provider's id of the payment: the idempotency key. */
  readonly externalId: string;
  readonly userId: UserId;
  readonly planId: PlanId;
  /** Decimal string as the provider sent it (`"299.00"`, `"3.5"`, `"250"`). */
  readonly amount: string;
  readonly currency: string;
  /** What the provider said, for the audit trail (no secrets). */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** What recording did. */
export type RecordPaymentOutcome =
  | { readonly kind: 'granted'; readonly paymentId: string; readonly period: PeriodRecord }
  | { readonly kind: 'duplicate'; readonly paymentId: string; readonly status: string }
  | {
      readonly kind: 'mismatch';
      readonly paymentId: string;
      readonly expected: ReadonlyArray<{ readonly amount: string; readonly currency: string }>;
    }
  | { readonly kind: 'unknown-plan' }
  | { readonly kind: 'unknown-user' };

/**
 * Records a confirmed payment and grants the plan's period. An amount or currency that matches none
 * of the plan's prices is stored with status `mismatch` and grants nothing.
 */
export async function recordPayment(pool: pg.Pool, payment: ConfirmedPayment): Promise<RecordPaymentOutcome> {
  return withTransaction(pool, (client) => recordPlanPayment(client, payment));
}

/**
 * recordPayment inside the caller's transaction: the legacy (`kw:<user>:<plan>`) branch of
 * recordProviderPayment uses it, so both forms of reference go through the same statements.
 */
export async function recordPlanPayment(
  client: pg.ClientBase,
  payment: ConfirmedPayment,
): Promise<RecordPaymentOutcome> {
  const plan = await client.query<{
    duration_days: number;
    prices: Array<{ amount: string; currency: string }>;
  }>(
    `select p.duration_days,
            jsonb_build_array(jsonb_build_object('amount', p.price::text, 'currency', p.currency))
            || coalesce((select jsonb_agg(jsonb_build_object('amount', pp.amount::text, 'currency', pp.currency))
                         from plan_prices pp where pp.plan_id = p.id), '[]'::jsonb) as prices
     from plans p where p.id = $1`,
    [payment.planId],
  );
  const planRow = plan.rows[0];
  if (!planRow) {
    return { kind: 'unknown-plan' };
  }
  const user = await client.query('select 1 from users where id = $1', [payment.userId]);
  if (user.rowCount !== 1) {
    return { kind: 'unknown-user' };
  }
  // Compare as numerics in SQL: "299.00" equals "299", and no float ever touches money.
  const match = await client.query<{ matches: boolean }>(
    `select exists (select 1 from jsonb_to_recordset($1::jsonb) as e(amount numeric, currency text)
                    where e.amount = $2::numeric and e.currency = $3) as matches`,
    [JSON.stringify(planRow.prices), payment.amount, payment.currency],
  );
  const matches = match.rows[0]?.matches === true;
  const inserted = await client.query<{ id: string }>(
    `insert into payments (provider, external_id, user_id, plan_id, amount, currency, status, payload)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (provider, external_id) do nothing
     returning id`,
    [
      payment.provider,
      payment.externalId,
      payment.userId,
      payment.planId,
      payment.amount,
      payment.currency,
      matches ? 'succeeded' : 'mismatch',
      JSON.stringify(payment.payload),
    ],
  );
  const paymentId = inserted.rows[0]?.id;
  if (paymentId === undefined) {
    const existing = await client.query<{ id: string; status: string }>(
      'select id, status from payments where provider = $1 and external_id = $2',
      [payment.provider, payment.externalId],
    );
    const row = existing.rows[0];
    if (!row) {
      throw new Error(`payment ${payment.provider}/${payment.externalId} conflicted but cannot be read`);
    }
    return { kind: 'duplicate', paymentId: row.id, status: row.status };
  }
  if (!matches) {
    return { kind: 'mismatch', paymentId, expected: planRow.prices };
  }
  const period = await appendPeriod(client, {
    userId: payment.userId,
    planId: payment.planId,
    source: 'payment',
    paymentId,
    durationMs: planRow.duration_days * 86_400_000,
  });
  if (!period) {
    throw new Error(`payment ${paymentId} was recorded but no period could be written`);
  }
  return { kind: 'granted', paymentId, period };
}
