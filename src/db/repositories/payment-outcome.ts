/**
 * The one mapping from what the money path did to the `outcome` label of keywarden_payments_total
 * (src/metrics/catalog.ts). The webhook server, the bot and the Stars sweep all report through it.
 */
import { assertNever } from '../../domain/index.ts';
import type { CancelPaymentOutcome } from './cancel-payment.ts';
import type { PaymentRecordOutcome } from './record-provider-payment.ts';

/**
 * The `outcome` label of keywarden_payments_total:
 * - `granted`: payment recorded, period appended;
 * - `late`: the same, for an order that had already expired, been cancelled or failed (money
 *   received = access granted, counted apart so an operator sees orders living too short);
 * - `duplicate`: a replay of a payment or refund already recorded, nothing changed;
 * - `mismatch`: payment recorded with status mismatch (amount, currency or provider not the order's
 *   or the plan's), no period;
 * - `refunded`: the payment's period was cancelled;
 * - `ignored`: a valid event that writes nothing (e.g. a canceled YooKassa payment);
 * - `rejected`: a verified, well-formed event refused and not written (unknown order, plan, user or
 *   payment, or the provider's API contradicting the notification).
 */
export type PaymentMetricOutcome =
  'granted' | 'late' | 'duplicate' | 'mismatch' | 'refunded' | 'ignored' | 'rejected';

/** Every value of PaymentMetricOutcome (for dashboards and tests). */
export const PAYMENT_METRIC_OUTCOMES: readonly PaymentMetricOutcome[] = [
  'granted',
  'late',
  'duplicate',
  'mismatch',
  'refunded',
  'ignored',
  'rejected',
];

/** The label for a recorded (or refused) payment. */
export function paymentMetricOutcome(outcome: PaymentRecordOutcome): PaymentMetricOutcome {
  switch (outcome.kind) {
    case 'granted':
      return outcome.late ? 'late' : 'granted';
    case 'duplicate':
      return 'duplicate';
    case 'mismatch':
      return 'mismatch';
    case 'unknown-order':
    case 'unknown-plan':
    case 'unknown-user':
      return 'rejected';
    default:
      return assertNever(outcome, 'payment outcome');
  }
}

/** The label for a refund. */
export function refundMetricOutcome(outcome: CancelPaymentOutcome): PaymentMetricOutcome {
  switch (outcome.kind) {
    case 'cancelled':
      return 'refunded';
    case 'already-cancelled':
      return 'duplicate';
    case 'unknown-payment':
      return 'rejected';
    default:
      return assertNever(outcome, 'refund outcome');
  }
}
