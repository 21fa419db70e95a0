/**
 * Refunds and chargebacks: the payment is marked `refunded` and the period it created gets
 * `cancelled_at` (never deleted). The NOTIFY trigger wakes the reconciler, which disables the key
 * unless other periods still cover the user. Idempotent: a repeated refund changes nothing.
 */
import type pg from 'pg';
import { withTransaction } from '../pool.ts';

/** What cancelling did. */
export type CancelPaymentOutcome =
  | { readonly kind: 'cancelled'; readonly paymentId: string; readonly periodId: string | null }
  | { readonly kind: 'already-cancelled'; readonly paymentId: string }
  | { readonly kind: 'unknown-payment' };

/** Cancels the payment (provider, externalId); `refund` details are kept in the payment's payload. */
export async function cancelPayment(
  pool: pg.Pool,
  payment: {
    readonly provider: string;
    readonly externalId: string;
    readonly refund: Readonly<Record<string, unknown>>;
  },
): Promise<CancelPaymentOutcome> {
  return withTransaction(pool, async (client) => {
    const found = await client.query<{ id: string; status: string }>(
      'select id, status from payments where provider = $1 and external_id = $2 for update',
      [payment.provider, payment.externalId],
    );
    const row = found.rows[0];
    if (!row) {
      return { kind: 'unknown-payment' };
    }
    if (row.status === 'refunded') {
      return { kind: 'already-cancelled', paymentId: row.id };
    }
    await client.query(
      `update payments set status = 'refunded', payload = payload || jsonb_build_object('refund', $2::jsonb)
       where id = $1`,
      [row.id, JSON.stringify(payment.refund)],
    );
    // An order paid by this payment ends refunded (the only move out of paid, docs/payments.md).
    await client.query(`update orders set state = 'refunded' where payment_id = $1 and state = 'paid'`, [
      row.id,
    ]);
    const period = await client.query<{ id: string }>(
      'update subscription_periods set cancelled_at = now() where payment_id = $1 and cancelled_at is null returning id',
      [row.id],
    );
    return { kind: 'cancelled', paymentId: row.id, periodId: period.rows[0]?.id ?? null };
  });
}
