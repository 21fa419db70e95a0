/**
 * The Stars sweep (payments.md §1.4): reads the bot's Star transactions with `getStarTransactions` and
 * writes every invoice payment and refund through the same idempotent paths as the live updates. A
 * `successful_payment` update lost on the way (a crash between Telegram's delivery and our commit, a
 * database outage longer than the handler's retries) is recorded here; the rest are duplicates and
 * change nothing.
 *
 * Telegram returns transactions oldest first, addressed by offset. The sweep remembers the offset it
 * reached in memory: a restart reads the whole history once, which the unique key makes harmless.
 */
import type { Api } from 'grammy';
import type { StarTransaction } from 'grammy/types';
import type pg from 'pg';
import {
  cancelPayment,
  findUser,
  paymentMetricOutcome,
  recordProviderPayment,
  refundMetricOutcome,
} from '../db/index.ts';
import { parsePaymentReference } from '../domain/index.ts';
import { sleep, toError, type Logger } from '../shared/index.ts';
import { STARS_PROVIDER } from './handlers/payments.ts';
import { formatInstant, messagesFor, pickLanguage } from './i18n/index.ts';
import { NO_BOT_OBSERVER, type BotObserver } from './observer.ts';

/** What the sweep needs. */
export interface StarsSweepOptions {
  readonly api: Api;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  /** Pages of 100 transactions read per sweep at most (default 20), so one sweep stays short. */
  readonly maxPages?: number;
  /** Metrics sink; default records nothing. */
  readonly observer?: BotObserver;
}

/** What one sweep did. */
export interface StarsSweepResult {
  readonly seen: number;
  /** Payments that were missing and are now recorded with a period. */
  readonly recovered: number;
  /** Refunds that were missing and have now cancelled their period. */
  readonly refunded: number;
  /** Offset to start the next sweep from. */
  readonly nextOffset: number;
}

const PAGE = 100;

async function applyTransaction(
  options: StarsSweepOptions,
  tx: StarTransaction,
): Promise<'recovered' | 'refunded' | 'nothing'> {
  const log = options.logger.child({ chargeId: tx.id });
  const source = tx.source;
  if (
    source?.type === 'user' &&
    source.transaction_type === 'invoice_payment' &&
    source.invoice_payload !== undefined
  ) {
    const reference = parsePaymentReference(source.invoice_payload, 'invoice_payload');
    if (!reference.ok) {
      log.warn({ telegramId: source.user.id }, 'star transaction names no known order; left for a human');
      return 'nothing';
    }
    const outcome = await recordProviderPayment(options.pool, {
      provider: STARS_PROVIDER,
      externalId: tx.id,
      reference: reference.value,
      amount: String(tx.amount),
      currency: 'XTR',
      // A subscription payment for an order already paid is the subscription's next period.
      recurring: source.subscription_period !== undefined,
      payload: {
        invoice_payload: source.invoice_payload,
        transaction_date: tx.date,
        subscription_period: source.subscription_period ?? null,
        telegram_user_id: source.user.id,
        found_by: 'star-transactions-sweep',
      },
    });
    if (outcome.kind !== 'granted') {
      if (outcome.kind !== 'duplicate') {
        log.error({ outcome: outcome.kind }, 'swept star payment was not granted');
        (options.observer ?? NO_BOT_OBSERVER).onPayment(STARS_PROVIDER, paymentMetricOutcome(outcome));
      }
      return 'nothing';
    }
    log.warn({ paymentId: outcome.paymentId }, 'recovered a star payment whose update was lost');
    (options.observer ?? NO_BOT_OBSERVER).onPayment(STARS_PROVIDER, paymentMetricOutcome(outcome));
    const user = await findUser(options.pool, { id: outcome.userId });
    const messages = messagesFor(pickLanguage(user?.language));
    try {
      await options.api.sendMessage(
        source.user.id,
        messages.paymentGranted(formatInstant(outcome.period.endsAt)),
      );
    } catch (thrown: unknown) {
      // The payment is recorded; the confirmation message is a courtesy.
      log.warn({ err: toError(thrown) }, 'could not tell the user about a recovered payment');
    }
    return 'recovered';
  }
  const receiver = tx.receiver;
  if (receiver?.type === 'user' && receiver.transaction_type === 'invoice_payment') {
    const outcome = await cancelPayment(options.pool, {
      provider: STARS_PROVIDER,
      externalId: tx.id,
      refund: { total_amount: tx.amount, transaction_date: tx.date, found_by: 'star-transactions-sweep' },
    });
    if (outcome.kind === 'cancelled') {
      log.warn({ paymentId: outcome.paymentId }, 'applied a star refund whose update was lost');
      (options.observer ?? NO_BOT_OBSERVER).onPayment(STARS_PROVIDER, refundMetricOutcome(outcome));
      return 'refunded';
    }
  }
  return 'nothing';
}

/** One sweep from `fromOffset`; per-transaction write failures propagate (the next sweep repeats). */
export async function sweepStarTransactions(
  options: StarsSweepOptions,
  fromOffset: number,
  signal?: AbortSignal,
): Promise<StarsSweepResult> {
  let offset = fromOffset;
  let seen = 0;
  let recovered = 0;
  let refunded = 0;
  for (let page = 0; page < (options.maxPages ?? 20) && signal?.aborted !== true; page += 1) {
    const { transactions } = await options.api.getStarTransactions({ offset, limit: PAGE });
    for (const tx of transactions) {
      const done = await applyTransaction(options, tx);
      recovered += done === 'recovered' ? 1 : 0;
      refunded += done === 'refunded' ? 1 : 0;
      offset += 1;
      seen += 1;
    }
    if (transactions.length < PAGE) {
      break;
    }
  }
  return { seen, recovered, refunded, nextOffset: offset };
}

/** Sweeps every `intervalMs` until `signal` aborts; a failed sweep is logged and retried next time. */
export async function runStarsSweepLoop(
  options: StarsSweepOptions & { readonly intervalMs: number },
  signal: AbortSignal,
): Promise<void> {
  let offset = 0;
  while (!signal.aborted) {
    try {
      const result = await sweepStarTransactions(options, offset, signal);
      offset = result.nextOffset;
    } catch (thrown: unknown) {
      options.logger.error(
        { err: toError(thrown), retryInMs: options.intervalMs },
        'star transactions sweep failed',
      );
    }
    await sleep(options.intervalMs, signal);
  }
}
