/**
 * Automatic renewal with a saved YooKassa card (docs/payments.md "Automatic renewal"). Each pass:
 *
 * 1. `claimRenewalCharges` creates the renewal orders that are due (one per charge attempt, each with
 *    its own idempotence key) and returns them with any renewal order still `created` (a charge whose
 *    outcome was lost to a crash or a timeout);
 * 2. each is charged with `POST payments` + `payment_method_id` and the order's key: a repeat returns
 *    the original payment, so no retry or crash ever charges twice;
 * 3. succeeded → recorded through the payment use case (one period; the webhook that follows is a
 *    duplicate); pending → the order waits for the webhook; canceled or refused → the order fails, the
 *    customer gets an `autopay-failed` message with a one-tap "pay now", and the next attempt follows
 *    after KEYWARDEN_AUTORENEW_RETRY; `permission_revoked` → the card is never charged again; unknown
 *    (network, 5xx) → the order stays `created` and the next pass repeats it with the same key.
 *
 * The card is re-checked just before each charge: autopay turned off or a revoked card is not charged.
 */
import type pg from 'pg';
import {
  claimRenewalCharges,
  endOrder,
  findAutopay,
  markOrderPending,
  paymentMetricOutcome,
  recordProviderPayment,
  revokeAutopayMethod,
  type RenewalCharge,
  type RenewalSchedule,
} from '../db/index.ts';
import { encodeOrderId } from '../domain/index.ts';
import type { YooKassaApi } from '../payments/index.ts';
import { sleep, toError, type Logger } from '../shared/index.ts';
import { NO_BOT_OBSERVER, type BotObserver } from './observer.ts';

/** The outbox kind telling a customer an automatic charge failed. */
export const AUTOPAY_FAILED_KIND = 'autopay-failed';

/** What the autopay pass needs. */
export interface AutopayOptions {
  readonly pool: pg.Pool;
  readonly api: YooKassaApi;
  readonly schedule: RenewalSchedule;
  readonly logger: Logger;
  readonly observer?: BotObserver;
}

/** What one pass did. */
export interface AutopayPassResult {
  readonly charged: number;
  readonly pending: number;
  readonly failed: number;
  readonly unknown: number;
  readonly skipped: number;
}

async function tellFailed(pool: pg.Pool, charge: RenewalCharge, reason: string): Promise<void> {
  await pool.query(
    `insert into outbox (user_id, kind, dedupe_key, payload) values ($1, $2, $3, $4)
     on conflict (dedupe_key) do nothing`,
    [
      charge.order.userId,
      AUTOPAY_FAILED_KIND,
      `${AUTOPAY_FAILED_KIND}:${charge.order.id}`,
      JSON.stringify({
        planId: charge.order.planId,
        amount: charge.order.amount,
        currency: charge.order.currency,
        endsAt: charge.order.renewalFor?.toISOString() ?? null,
        reason,
      }),
    ],
  );
}

async function chargeOne(options: AutopayOptions, charge: RenewalCharge): Promise<keyof AutopayPassResult> {
  const { pool, api } = options;
  const order = charge.order;
  const log = options.logger.child({ orderId: order.id, userId: order.userId, attempt: order.attempt });
  // Turned off, or the card revoked, since the order was made: never charge it.
  const autopay = await findAutopay(pool, order.userId);
  if (
    autopay === null ||
    !autopay.isEnabled ||
    autopay.methodRevokedAt !== null ||
    autopay.paymentMethodId !== charge.paymentMethodId
  ) {
    await endOrder(pool, order.id, 'cancelled', 'autopay turned off before the charge');
    log.info('autopay turned off before the charge; order cancelled');
    return 'skipped';
  }
  const result = await api.createPayment({
    idempotenceKey: order.idempotenceKey,
    amount: order.amount,
    currency: order.currency,
    description: 'VPN renewal',
    metadata: { kw_ref: encodeOrderId(order.id), renewal_for: order.renewalFor?.toISOString() ?? '' },
    paymentMethodId: charge.paymentMethodId,
  });
  switch (result.kind) {
    case 'unavailable':
      log.warn(
        { reason: result.reason },
        'automatic charge outcome unknown; repeating with the same key next pass',
      );
      return 'unknown';
    case 'refused':
      await endOrder(pool, order.id, 'failed', result.reason);
      await tellFailed(pool, charge, 'refused');
      log.warn({ reason: result.reason }, 'automatic charge refused');
      return 'failed';
    case 'created':
      break;
    default:
      return result satisfies never;
  }
  const payment = result.payment;
  await markOrderPending(pool, order.id, { providerPaymentId: payment.id, confirmationUrl: null });
  switch (payment.status) {
    case 'succeeded': {
      const outcome = await recordProviderPayment(pool, {
        provider: 'yookassa',
        externalId: payment.id,
        reference: { kind: 'order', orderId: order.id },
        // What YooKassa says it charged, checked against the order like any payment.
        amount: payment.amount?.value ?? '0',
        currency: payment.amount?.currency ?? '',
        payload: { autopay: true, payment_method: { id: charge.paymentMethodId }, attempt: order.attempt },
        notify: true,
      });
      (options.observer ?? NO_BOT_OBSERVER).onPayment('yookassa', paymentMetricOutcome(outcome));
      log.info({ outcome: outcome.kind, providerPaymentId: payment.id }, 'automatic charge succeeded');
      return 'charged';
    }
    case 'pending':
    case 'waiting_for_capture':
      log.info({ providerPaymentId: payment.id }, 'automatic charge pending; the webhook finishes it');
      return 'pending';
    case 'canceled': {
      const reason = payment.cancellationReason ?? 'canceled';
      await endOrder(pool, order.id, 'failed', reason);
      if (reason === 'permission_revoked') {
        await revokeAutopayMethod(pool, order.userId, charge.paymentMethodId);
      }
      await tellFailed(pool, charge, reason);
      log.warn({ reason, providerPaymentId: payment.id }, 'automatic charge declined');
      return 'failed';
    }
    default:
      return payment.status satisfies never;
  }
}

/** One pass over the due renewals; a failure of one charge does not stop the others. */
export async function runAutopayPass(options: AutopayOptions): Promise<AutopayPassResult> {
  const counts = { charged: 0, pending: 0, failed: 0, unknown: 0, skipped: 0 };
  const charges = await claimRenewalCharges(options.pool, options.schedule);
  for (const charge of charges) {
    try {
      counts[await chargeOne(options, charge)] += 1;
    } catch (thrown: unknown) {
      counts.unknown += 1;
      options.logger.error(
        { err: toError(thrown), orderId: charge.order.id },
        'automatic charge failed to run',
      );
    }
  }
  return counts;
}

/** Runs passes every `intervalMs` until `signal` aborts. */
export async function runAutopayLoop(
  options: AutopayOptions & { readonly intervalMs: number },
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await runAutopayPass(options);
    } catch (thrown: unknown) {
      options.logger.error({ err: toError(thrown), retryInMs: options.intervalMs }, 'autopay pass failed');
    }
    await sleep(options.intervalMs, signal);
  }
}
