/**
 * Outbox delivery (DESIGN.md §6): a loop that queues expiry reminders and sends due outbox messages.
 *
 * Per message: sent → `sent_at`; 429 → retry after Telegram's `retry_after`, the rest of the batch is
 * put back with the same delay and the loop pauses (the limit is per bot, not per chat), without
 * counting an attempt; 403 (blocked, kicked, deactivated) and other 400s → undeliverable at once;
 * anything else (network, 5xx) → retry with exponential backoff until `maxAttempts`, then
 * undeliverable. Sends are spaced to stay under `messagesPerSecond`. No error escapes the loop.
 */
import { GrammyError, HttpError, type Api } from 'grammy';
import type pg from 'pg';
import { backoffDelayMs, sleep, toError, type BackoffPolicy, type Logger } from '../shared/index.ts';
import { messagesFor, pickLanguage } from './i18n/index.ts';
import {
  claimOutbox,
  enqueueExpiryReminders,
  markOutboxRetry,
  markOutboxSent,
  markOutboxUndeliverable,
  type OutboxMessage,
  type ReminderOptions,
} from './queries/outbox.ts';
import { NO_BOT_OBSERVER, outboxKindLabel, type BotObserver } from './observer.ts';
import { noticeText } from './render.ts';

/** What the delivery loop needs. */
export interface OutboxOptions {
  readonly api: Api;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly graceMs: number;
  /** Cap on messages per second (Telegram allows about 30 to different chats). */
  readonly messagesPerSecond: number;
  /** Pause between passes when nothing is due. */
  readonly intervalMs: number;
  /** Transient failures before a message is given up; default 8. */
  readonly maxAttempts?: number;
  /** Messages claimed per pass; default 25. */
  readonly batchSize?: number;
  /** How long a claim keeps other replicas off a message; default 60 s. */
  readonly leaseMs?: number;
  /** Backoff between transient failures; default 5 s doubling to 1 h. */
  readonly backoff?: BackoffPolicy;
  /** How often the loop queues expiry reminders; default 60 s. */
  readonly reminderIntervalMs?: number;
  /** Which reminders to queue (days before the end, autopay's terms). */
  readonly reminders?: ReminderOptions;
  /** Metrics sink; default records nothing. */
  readonly observer?: BotObserver;
}

/** Counts of one pass. */
export interface OutboxPassResult {
  readonly sent: number;
  readonly retried: number;
  readonly undeliverable: number;
  /** Set when Telegram asked us to wait (429): the loop pauses this long. */
  readonly pauseMs: number;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 3_600_000 };

type Verdict =
  | { readonly kind: 'sent' }
  | { readonly kind: 'flood'; readonly retryAfterMs: number; readonly error: string }
  | { readonly kind: 'permanent'; readonly error: string }
  | { readonly kind: 'transient'; readonly error: string };

async function sendOne(api: Api, message: OutboxMessage, logger: Logger): Promise<Verdict> {
  const messages = messagesFor(pickLanguage(message.language));
  const notice = noticeText(messages, message.kind, message.payload);
  if (!notice.known) {
    logger.warn(
      { outboxId: message.id, kind: message.kind },
      'unknown outbox message kind, sending a generic notice',
    );
  }
  try {
    const buttons = notice.buttons ?? [];
    await api.sendMessage(
      message.telegramId,
      notice.text,
      buttons.length === 0
        ? undefined
        : {
            reply_markup: {
              inline_keyboard: buttons.map((button) => [{ text: button.text, callback_data: button.data }]),
            },
          },
    );
    return { kind: 'sent' };
  } catch (thrown: unknown) {
    if (thrown instanceof GrammyError) {
      const error = `${thrown.error_code}: ${thrown.description}`;
      if (thrown.error_code === 429) {
        const seconds = thrown.parameters.retry_after ?? 5;
        return { kind: 'flood', retryAfterMs: seconds * 1_000, error };
      }
      if (thrown.error_code === 403 || thrown.error_code === 400) {
        return { kind: 'permanent', error };
      }
      return { kind: 'transient', error };
    }
    if (thrown instanceof HttpError) {
      return { kind: 'transient', error: `network: ${toError(thrown.error).message}` };
    }
    return { kind: 'transient', error: toError(thrown).message };
  }
}

/**
 * One pass: queue reminders (unless `queueReminders` is false), claim a batch, send it. Errors of
 * single messages are recorded, not thrown.
 */
export async function deliverOutboxOnce(
  options: OutboxOptions,
  signal?: AbortSignal,
  queueReminders = true,
): Promise<OutboxPassResult> {
  const maxAttempts = options.maxAttempts ?? 8;
  const spacingMs = 1_000 / options.messagesPerSecond;
  if (queueReminders) {
    await enqueueExpiryReminders(options.pool, options.graceMs, options.reminders);
  }
  const batch = await claimOutbox(options.pool, options.batchSize ?? 25, options.leaseMs ?? 60_000);
  const observer = options.observer ?? NO_BOT_OBSERVER;
  let sent = 0;
  let retried = 0;
  let undeliverable = 0;
  for (const [index, message] of batch.entries()) {
    if (signal?.aborted === true) {
      // Put the rest back at once rather than leaving them leased.
      await markOutboxRetry(options.pool, message.id, 0, 'shutdown before sending', false);
      continue;
    }
    const started = Date.now();
    const verdict = await sendOne(options.api, message, options.logger);
    const log = options.logger.child({
      outboxId: message.id,
      kind: message.kind,
      attempts: message.attempts,
    });
    switch (verdict.kind) {
      case 'sent':
        await markOutboxSent(options.pool, message.id);
        observer.onOutbox(outboxKindLabel(message.kind), 'sent');
        sent += 1;
        break;
      case 'flood': {
        log.warn({ retryAfterMs: verdict.retryAfterMs }, 'telegram rate limit hit, pausing outbox');
        for (const rest of batch.slice(index)) {
          await markOutboxRetry(options.pool, rest.id, verdict.retryAfterMs, verdict.error, false);
        }
        observer.onOutbox(outboxKindLabel(message.kind), 'retry');
        return {
          sent,
          retried: retried + batch.length - index,
          undeliverable,
          pauseMs: verdict.retryAfterMs,
        };
      }
      case 'permanent':
        log.info({ error: verdict.error }, 'outbox message undeliverable');
        await markOutboxUndeliverable(options.pool, message.id, verdict.error);
        observer.onOutbox(outboxKindLabel(message.kind), 'undeliverable');
        undeliverable += 1;
        break;
      case 'transient':
        if (message.attempts >= maxAttempts) {
          log.warn({ error: verdict.error }, 'outbox message failed too often, giving up');
          await markOutboxUndeliverable(
            options.pool,
            message.id,
            `gave up after ${message.attempts} attempts: ${verdict.error}`,
          );
          observer.onOutbox(outboxKindLabel(message.kind), 'undeliverable');
          undeliverable += 1;
        } else {
          const delayMs = backoffDelayMs(message.attempts, options.backoff ?? DEFAULT_BACKOFF);
          log.warn({ error: verdict.error, retryInMs: delayMs }, 'outbox send failed, will retry');
          await markOutboxRetry(options.pool, message.id, delayMs, verdict.error, true);
          observer.onOutbox(outboxKindLabel(message.kind), 'retry');
          retried += 1;
        }
        break;
    }
    const elapsed = Date.now() - started;
    if (index < batch.length - 1 && elapsed < spacingMs) {
      await sleep(spacingMs - elapsed, signal);
    }
  }
  return { sent, retried, undeliverable, pauseMs: 0 };
}

/** Runs passes until `signal` aborts; resolves then. A failing pass is logged and retried next interval. */
export async function runOutboxLoop(options: OutboxOptions, signal: AbortSignal): Promise<void> {
  let remindersQueuedAt = Number.NEGATIVE_INFINITY;
  while (!signal.aborted) {
    let waitMs = options.intervalMs;
    try {
      // Reminders scan every user whose coverage ends within 3 days: once a minute is plenty.
      const queueReminders = Date.now() - remindersQueuedAt >= (options.reminderIntervalMs ?? 60_000);
      const result = await deliverOutboxOnce(options, signal, queueReminders);
      if (queueReminders) {
        remindersQueuedAt = Date.now();
      }
      if (result.pauseMs > 0) {
        waitMs = result.pauseMs;
      } else if (result.sent + result.retried + result.undeliverable >= (options.batchSize ?? 25)) {
        // A full batch: more may be due, go again at once (still paced per message).
        waitMs = 0;
      }
    } catch (thrown: unknown) {
      options.logger.error({ err: toError(thrown), retryInMs: options.intervalMs }, 'outbox pass failed');
    }
    await sleep(waitMs, signal);
  }
}
