/**
 * Retries of the Bot API calls that handlers make (replies, invoices, pre-checkout answers): a
 * grammY transformer doing what `@grammyjs/auto-retry` does, but bounded by a deadline per call
 * instead of a per-wait cap, because a pre-checkout answer is worth nothing after Telegram's 10 s
 * (reference/payments.md §1.2). The outbox has its own retry and does not go through this.
 *
 * - 429 (flood wait): wait `retry_after` and try again, if the answer still lands before the deadline.
 *   Telegram did not perform a call it answered 429, so any method may be repeated.
 * - 5xx and network failures: only the `answer*` methods are repeated (after 0.5 s, 1 s, ...): a
 *   second answer to the same query is harmless, a second message is not.
 */
import type { Transformer } from 'grammy';
import { HttpError } from 'grammy';
import { sleep, type Logger } from '../shared/index.ts';

/** How long one call, retries included, may take. */
export interface RetryBudgets {
  /** answerPreCheckoutQuery: Telegram cancels the checkout 10 s after the update; default 8 s. */
  readonly preCheckoutMs: number;
  /** Every other handler call; default 30 s. */
  readonly otherMs: number;
}

/** The default budgets. */
export const DEFAULT_RETRY_BUDGETS: RetryBudgets = { preCheckoutMs: 8_000, otherMs: 30_000 };

/** Methods whose repetition has no visible effect. */
const IDEMPOTENT = new Set(['answerPreCheckoutQuery', 'answerCallbackQuery', 'answerShippingQuery']);

/** Creates the retrying transformer. */
export function createApiRetry(logger: Logger, budgets: RetryBudgets = DEFAULT_RETRY_BUDGETS): Transformer {
  return async (prev, method, payload, signal) => {
    const deadline =
      Date.now() + (method === 'answerPreCheckoutQuery' ? budgets.preCheckoutMs : budgets.otherMs);
    for (let attempt = 1; ; attempt += 1) {
      let waitMs: number;
      try {
        const result = await prev(method, payload, signal);
        if (result.ok) {
          return result;
        }
        if (result.error_code === 429) {
          waitMs = (result.parameters?.retry_after ?? 1) * 1000;
        } else if (result.error_code >= 500 && IDEMPOTENT.has(method)) {
          waitMs = 500 * 2 ** (attempt - 1);
        } else {
          return result;
        }
        if (Date.now() + waitMs >= deadline || signal?.aborted === true) {
          logger.warn(
            { method, errorCode: result.error_code, attempt, waitMs },
            'bot api call failed; no time left to retry',
          );
          return result;
        }
        logger.warn(
          { method, errorCode: result.error_code, attempt, retryInMs: waitMs },
          'bot api call failed, retrying',
        );
      } catch (thrown) {
        waitMs = 500 * 2 ** (attempt - 1);
        if (!(thrown instanceof HttpError) || !IDEMPOTENT.has(method) || Date.now() + waitMs >= deadline) {
          throw thrown;
        }
        logger.warn(
          { method, attempt, retryInMs: waitMs, error: thrown.message },
          'bot api unreachable, retrying',
        );
      }
      // grammY types the signal with the abort-controller polyfill's AbortSignal; at run time it is Node's.
      await sleep(waitMs, signal as AbortSignal | undefined);
    }
  };
}
