/**
 * Writing one verified payment event through the write path (src/db): `paid` goes through the one
 * payment use case (recordProviderPayment: resolve the order, check the money, record, grant), `refunded` cancels it, `ignored` writes nothing. The answer is chosen here; 2xx
 * only once the transaction committed.
 */
import type pg from 'pg';
import {
  cancelPayment,
  endOrderOfProviderPayment,
  paymentMetricOutcome,
  recordProviderPayment,
  refundMetricOutcome,
} from '../db/index.ts';
import { assertNever } from '../domain/index.ts';
import type { Logger } from '../shared/index.ts';
import { failure, type Answer } from './http-io.ts';
import type { PaymentOutcome } from './observer.ts';
import type { PaymentEvent, ProviderName } from './provider.ts';

/** Writes the payment event through the write path; throws only when the database fails. */
export async function applyPaymentEvent(
  pool: pg.Pool,
  provider: ProviderName,
  event: PaymentEvent,
  log: Logger,
): Promise<{ readonly answer: Answer; readonly outcome: PaymentOutcome }> {
  switch (event.kind) {
    case 'ignored':
      if (event.cancellation !== undefined && event.externalId !== null) {
        const ended = await endOrderOfProviderPayment(
          pool,
          provider,
          event.externalId,
          event.cancellation.reason,
        );
        log.info(
          {
            externalId: event.externalId,
            reason: event.cancellation.reason,
            orderId: ended?.id,
            state: ended?.state,
          },
          'payment canceled by the provider',
        );
        return { answer: { status: 200, body: { ok: true, outcome: 'ignored' } }, outcome: 'ignored' };
      }
      log.info({ externalId: event.externalId, reason: event.reason }, 'payment event ignored');
      return { answer: { status: 200, body: { ok: true, outcome: 'ignored' } }, outcome: 'ignored' };
    case 'refunded': {
      const result = await cancelPayment(pool, {
        provider,
        externalId: event.externalId,
        refund: event.refund,
      });
      const outcome = refundMetricOutcome(result);
      switch (result.kind) {
        case 'cancelled':
          log.info(
            { externalId: event.externalId, paymentId: result.paymentId, periodId: result.periodId },
            'payment refunded, period cancelled',
          );
          return { answer: { status: 200, body: { ok: true, outcome: 'refunded' } }, outcome };
        case 'already-cancelled':
          log.info({ externalId: event.externalId, paymentId: result.paymentId }, 'refund already recorded');
          return { answer: { status: 200, body: { ok: true, outcome: 'duplicate' } }, outcome };
        case 'unknown-payment':
          // Possibly the refund overtook the payment's own notification: 409 makes the provider
          // deliver it again later, when the payment is recorded.
          return {
            answer: failure(409, 'unknown-payment', `no ${provider} payment ${event.externalId} is recorded`),
            outcome,
          };
        default:
          return assertNever(result, 'cancel outcome');
      }
    }
    case 'paid': {
      const result = await recordProviderPayment(pool, {
        provider,
        externalId: event.externalId,
        reference: event.reference,
        amount: event.amount,
        currency: event.currency,
        payload: event.payload,
        savedMethodId: event.savedMethodId ?? null,
        notify: true,
      });
      const outcome = paymentMetricOutcome(result);
      const fields = { externalId: event.externalId, amount: event.amount, currency: event.currency };
      switch (result.kind) {
        case 'granted':
          log.info(
            {
              ...fields,
              userId: result.userId,
              orderId: result.orderId,
              paymentId: result.paymentId,
              periodId: result.period.id,
              endsAt: result.period.endsAt,
              late: result.late,
            },
            result.late
              ? 'late payment for an ended order recorded, period granted'
              : 'payment recorded, period granted',
          );
          return { answer: { status: 200, body: { ok: true, outcome: 'granted' } }, outcome };
        case 'duplicate':
          log.info(
            { ...fields, paymentId: result.paymentId, status: result.status },
            'payment already recorded',
          );
          return { answer: { status: 200, body: { ok: true, outcome: 'duplicate' } }, outcome };
        case 'mismatch':
          // Recorded so that money is never lost; an admin decides (`keywarden status` counts it,
          // `keywarden payments list --mismatched` and the console's Payments page list it).
          log.warn(
            {
              ...fields,
              userId: result.userId,
              orderId: result.orderId,
              paymentId: result.paymentId,
              reason: result.reason,
              expected: result.expected,
            },
            'payment does not match its order or plan: recorded as mismatch, nothing granted',
          );
          return { answer: { status: 200, body: { ok: true, outcome: 'mismatch' } }, outcome };
        case 'unknown-order':
          return {
            answer: failure(422, 'unknown-order', `no order has the id ${result.orderId}`),
            outcome,
          };
        case 'unknown-plan':
        case 'unknown-user':
          return {
            answer: failure(
              422,
              result.kind,
              `the ${result.kind.slice('unknown-'.length)} the payment names does not exist`,
            ),
            outcome,
          };
        default:
          return assertNever(result, 'record outcome');
      }
    }
    default:
      return assertNever(event, 'payment event');
  }
}
