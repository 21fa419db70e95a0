/**
 * What the webhook server reports for metrics. The composition root wires it to prom-client
 * (`keywarden_webhook_requests_total{provider,status}` and `keywarden_payments_total{provider,outcome}`
 * in src/metrics/catalog.ts); the server itself knows nothing about Prometheus.
 */
import type { PaymentMetricOutcome } from '../db/index.ts';

/** An HTTP status code class, the `status` label of keywarden_webhook_requests_total. */
export type StatusClass = '2xx' | '4xx' | '5xx';

/**
 * How one payment event ended, the `outcome` label of keywarden_payments_total: one type for the
 * webhooks, the bot and the Stars sweep (src/db payment-outcome.ts says what each value means).
 * Requests that fail verification or parsing are not payment events; they only count as requests.
 */
export type PaymentOutcome = PaymentMetricOutcome;

/** Receives one call per answered request and one per payment event handled. Must not throw. */
export interface WebhookObserver {
  /** `provider` is a provider name, or `none` for other paths (health, unknown routes). */
  onRequest(provider: string, status: StatusClass): void;
  onPayment(provider: string, outcome: PaymentOutcome): void;
}

/** An observer that records nothing. */
export const NO_OBSERVER: WebhookObserver = {
  onRequest: () => undefined,
  onPayment: () => undefined,
};
