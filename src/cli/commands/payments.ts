import { Api, GrammyError } from 'grammy';
import { cancelPayment, findPaidOrder, recordAdminAction, type PaidOrder } from '../../db/index.ts';
import { asOrderId, parsePaymentReference } from '../../domain/index.ts';
import { createYooKassaApi } from '../../payments/index.ts';
import { toError } from '../../shared/index.ts';
import { AS_FLAG, booleanFlag, cliAdmin, UsageError, type Command, type CommandContext } from '../command.ts';
import { println, withPool } from '../pool.ts';

/** The Bot API error Telegram gives for a charge refunded before (reference/payments.md §1.4). */
const ALREADY_REFUNDED = /CHARGE_ALREADY_REFUNDED/i;

/** What asking the provider for the refund came to. */
type ProviderRefund =
  | { readonly kind: 'refunded'; readonly details: Readonly<Record<string, unknown>> }
  | { readonly kind: 'pending'; readonly refundId: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** Asks the order's provider to give the money back. */
async function refundAtProvider(context: CommandContext, paid: PaidOrder): Promise<ProviderRefund> {
  const { config } = context;
  const payment = paid.payment;
  if (payment === null) {
    return { kind: 'failed', reason: 'the order has no payment' };
  }
  switch (paid.order.provider) {
    case 'yookassa': {
      if (config.yookassaShopId === undefined || config.yookassaSecretKey === undefined) {
        return {
          kind: 'failed',
          reason: 'KEYWARDEN_YOOKASSA_SHOP_ID and KEYWARDEN_YOOKASSA_SECRET_KEY are needed',
        };
      }
      const api = createYooKassaApi({
        shopId: config.yookassaShopId,
        secretKey: config.yookassaSecretKey,
        apiRoot: config.yookassaApiRoot,
        timeoutMs: config.paymentApiTimeoutMs,
      });
      // One key per order: repeating the command after a timeout cannot refund twice.
      const result = await api.createRefund(
        {
          idempotenceKey: `refund:${paid.order.id}`,
          paymentId: payment.externalId,
          amount: payment.amount,
          currency: payment.currency,
        },
        context.signal,
      );
      switch (result.kind) {
        case 'refunded':
          return result.status === 'succeeded'
            ? { kind: 'refunded', details: { id: result.refundId, by: 'operator' } }
            : result.status === 'pending'
              ? { kind: 'pending', refundId: result.refundId }
              : { kind: 'failed', reason: `YooKassa cancelled refund ${result.refundId}` };
        case 'refused':
        case 'unavailable':
          return { kind: 'failed', reason: result.reason };
        default:
          return result satisfies never;
      }
    }
    case 'telegram_stars': {
      if (config.telegramBotToken === undefined) {
        return { kind: 'failed', reason: 'TELEGRAM_BOT_TOKEN is needed' };
      }
      const api = new Api(config.telegramBotToken, { apiRoot: config.telegramApiRoot.replace(/\/$/, '') });
      try {
        await api.refundStarPayment(paid.telegramId, payment.externalId);
      } catch (thrown: unknown) {
        if (!(thrown instanceof GrammyError && ALREADY_REFUNDED.test(thrown.description))) {
          return { kind: 'failed', reason: `refundStarPayment failed: ${toError(thrown).message}` };
        }
      }
      return { kind: 'refunded', details: { by: 'operator', total_amount: payment.amount } };
    }
    default:
      return {
        kind: 'failed',
        reason: `${paid.order.provider} has no refund API: refund by hand, then run again with --record-only`,
      };
  }
}

/**
 * `keywarden payments refund ORDER_ID [--record-only]`: gives a paid order's money back through its
 * provider (YooKassa refund API, Telegram `refundStarPayment`) and cancels the period through the
 * refund path (cancelPayment); the reconciler then disables the keys unless other periods cover the
 * customer. `--record-only` skips the provider (a refund made by hand, Crypto Pay).
 */
export const paymentsCommand: Command = {
  name: 'payments',
  summary: 'payments refund ORDER_ID [--record-only]: refund a paid order and cancel its period',
  usage: 'refund ORDER_ID [--record-only]',
  flags: { 'record-only': { type: 'boolean' }, ...AS_FLAG },
  positionals: { min: 2, max: 2 },
  run: async (context) => {
    const [sub, argument] = context.positionals;
    if (sub !== 'refund' || argument === undefined) {
      throw new UsageError('the only subcommand is: payments refund ORDER_ID');
    }
    const reference = parsePaymentReference(argument.startsWith('o:') ? argument : `o:${argument}`);
    if (!reference.ok || reference.value.kind !== 'order') {
      throw new UsageError('ORDER_ID must be an order id (a UUID, optionally as o:<id>)');
    }
    const orderId = asOrderId(reference.value.orderId);
    const by = cliAdmin(context);
    return withPool(context, async (pool) => {
      const paid = await findPaidOrder(pool, orderId);
      if (paid === null) {
        throw new UsageError(`no order ${orderId}`);
      }
      if (paid.order.state === 'refunded') {
        println(context, `order ${orderId} is already refunded`);
        return 0;
      }
      if (paid.order.state !== 'paid' || paid.payment === null) {
        throw new UsageError(`order ${orderId} is ${paid.order.state}, not paid: there is nothing to refund`);
      }
      const refund: ProviderRefund = booleanFlag(context, 'record-only')
        ? { kind: 'refunded', details: { by: 'operator', record_only: true } }
        : await refundAtProvider(context, paid);
      const audit = (outcome: string, extra: Readonly<Record<string, unknown>> = {}): Promise<string> =>
        recordAdminAction(pool, {
          ...by,
          action: 'payment.refund',
          userId: paid.order.userId,
          detail: {
            orderId,
            provider: paid.order.provider,
            isRecordOnly: booleanFlag(context, 'record-only'),
            ...extra,
          },
          outcome,
        });
      // Recorded once the outcome is known: a refund is audited as done only after its period is cancelled.
      if (refund.kind !== 'refunded') {
        await audit(refund.kind, refund.kind === 'failed' ? { reason: refund.reason } : {});
      }
      switch (refund.kind) {
        case 'failed':
          context.logger.error(
            { orderId, provider: paid.order.provider, reason: refund.reason },
            'refund failed',
          );
          println(context, `refund of order ${orderId} failed: ${refund.reason}`);
          return 1;
        case 'pending':
          println(
            context,
            `refund ${refund.refundId} of order ${orderId} is pending at YooKassa; its refund.succeeded notification cancels the period`,
          );
          return 0;
        case 'refunded': {
          const outcome = await cancelPayment(pool, {
            provider: paid.order.provider,
            externalId: paid.payment.externalId,
            refund: refund.details,
          });
          await audit('ok', { periodCancelled: outcome.kind === 'cancelled' });
          println(
            context,
            outcome.kind === 'cancelled'
              ? `order ${orderId} refunded; period ${outcome.periodId ?? '(none)'} cancelled`
              : `order ${orderId} refunded (the period was already cancelled)`,
          );
          return 0;
        }
        default:
          return refund satisfies never;
      }
    });
  },
};
