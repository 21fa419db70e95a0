/**
 * Writing one verified payment event through the write path (src/db): `paid` records the payment and
 * grants a period, `refunded` cancels it, `ignored` writes nothing. The answer is chosen here; 2xx
 * only once the transaction committed.
 */
import type pg from 'pg';
import { cancelPayment, findPlan, findUser, recordPayment } from '../db/index.ts';
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
      log.info({ externalId: event.externalId, reason: event.reason }, 'payment event ignored');
      return { answer: { status: 200, body: { ok: true, outcome: 'ignored' } }, outcome: 'ignored' };
    case 'refunded': {
      const result = await cancelPayment(pool, {
        provider,
        externalId: event.externalId,
        refund: event.refund,
      });
      switch (result.kind) {
        case 'cancelled':
          log.info(
            { externalId: event.externalId, paymentId: result.paymentId, periodId: result.periodId },
            'payment refunded, period cancelled',
          );
          return { answer: { status: 200, body: { ok: true, outcome: 'refunded' } }, outcome: 'refunded' };
        case 'already-cancelled':
          log.info({ externalId: event.externalId, paymentId: result.paymentId }, 'refund already recorded');
          return {
            answer: { status: 200, body: { ok: true, outcome: 'duplicate' } },
            outcome: 'duplicate',
          };
        case 'unknown-payment':
          // Possibly the refund overtook the payment's own notification: 409 makes the provider
          // deliver it again later, when the payment is recorded.
          return {
            answer: failure(409, 'unknown-payment', `no ${provider} payment ${event.externalId} is recorded`),
            outcome: 'rejected',
          };
        default:
          return assertNever(result, 'cancel outcome');
      }
    }
    case 'paid': {
      const { reference } = event;
      const plan = await findPlan(pool, { code: reference.planCode });
      if (!plan) {
        return {
          answer: failure(422, 'unknown-plan', `no plan has the code ${JSON.stringify(reference.planCode)}`),
          outcome: 'rejected',
        };
      }
      const user = await findUser(pool, { id: reference.userId });
      if (!user) {
        return {
          answer: failure(422, 'unknown-user', `no user has the id ${reference.userId}`),
          outcome: 'rejected',
        };
      }
      const result = await recordPayment(pool, {
        provider,
        externalId: event.externalId,
        userId: user.id,
        planId: plan.id,
        amount: event.amount,
        currency: event.currency,
        payload: { ...event.payload, order_tag: reference.tag },
      });
      const fields = {
        externalId: event.externalId,
        userId: user.id,
        plan: plan.code,
        amount: event.amount,
        currency: event.currency,
      };
      switch (result.kind) {
        case 'granted':
          log.info(
            {
              ...fields,
              paymentId: result.paymentId,
              periodId: result.period.id,
              endsAt: result.period.endsAt,
            },
            'payment recorded, period granted',
          );
          return { answer: { status: 200, body: { ok: true, outcome: 'granted' } }, outcome: 'granted' };
        case 'duplicate':
          log.info(
            { ...fields, paymentId: result.paymentId, status: result.status },
            'payment already recorded',
          );
          return {
            answer: { status: 200, body: { ok: true, outcome: 'duplicate' } },
            outcome: 'duplicate',
          };
        case 'mismatch':
          // Recorded so that money is never lost; an admin decides (keywarden status lists it).
          log.warn(
            { ...fields, paymentId: result.paymentId, expected: result.expected },
            'payment does not match the plan price: recorded as mismatch, nothing granted',
          );
          return { answer: { status: 200, body: { ok: true, outcome: 'mismatch' } }, outcome: 'mismatch' };
        case 'unknown-plan':
        case 'unknown-user':
          // The plan or user vanished between the look-up and the transaction.
          return {
            answer: failure(
              422,
              result.kind,
              `the ${result.kind.slice('unknown-'.length)} of the payment is unknown`,
            ),
            outcome: 'rejected',
          };
        default:
          return assertNever(result, 'record outcome');
      }
    }
    default:
      return assertNever(event, 'payment event');
  }
}
