/**
 * What the bot reports for metrics. The composition root wires it to prom-client
 * (`keywarden_outbox_messages_total{kind,outcome}` and `keywarden_payments_total{provider,outcome}`
 * in src/metrics/catalog.ts); the bot itself knows nothing about Prometheus.
 */
import type { PaymentMetricOutcome } from '../db/index.ts';

/** How one outbox delivery attempt ended, the `outcome` label of keywarden_outbox_messages_total. */
export type OutboxOutcome = 'sent' | 'retry' | 'undeliverable';

/**
 * How one Stars payment event ended, the `outcome` label of keywarden_payments_total: the same type
 * the webhooks use (src/db payment-outcome.ts).
 */
export type StarsPaymentOutcome = PaymentMetricOutcome;

/** Receives one call per outbox attempt and one per Stars payment event. Must not throw. */
export interface BotObserver {
  /** `kind` is one of the known outbox kinds, or `other` (labels stay bounded). */
  onOutbox(kind: string, outcome: OutboxOutcome): void;
  onPayment(provider: string, outcome: StarsPaymentOutcome): void;
}

/** An observer that records nothing. */
export const NO_BOT_OBSERVER: BotObserver = {
  onOutbox: () => undefined,
  onPayment: () => undefined,
};

const KNOWN_KINDS: ReadonlySet<string> = new Set([
  'access-suspended',
  'access-reactivated',
  'expiry-reminder',
  'payment-received',
  'autopay-failed',
]);

/** The `kind` label for an outbox kind: itself when known, else `other`. */
export function outboxKindLabel(kind: string): string {
  return KNOWN_KINDS.has(kind) ? kind : 'other';
}
