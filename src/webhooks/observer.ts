/**
 * What the webhook server reports for metrics. The composition root wires it to prom-client
 * (`keywarden_webhook_requests_total{provider,status}` and `keywarden_payments_total{provider,outcome}`
 * in src/metrics/catalog.ts); the server itself knows nothing about Prometheus.
 */

/** An HTTP status code class, the `status` label of keywarden_webhook_requests_total. */
export type StatusClass = '2xx' | '4xx' | '5xx';

/**
 * How one payment event ended, the `outcome` label of keywarden_payments_total:
 * - `granted`: payment recorded, period appended;
 * - `duplicate`: a replay of a payment or refund already recorded, nothing changed;
 * - `mismatch`: payment recorded with status mismatch (amount or currency not the plan's), no period;
 * - `refunded`: the payment's period was cancelled;
 * - `ignored`: a valid event that writes nothing (e.g. a canceled YooKassa payment);
 * - `rejected`: a verified, well-formed event refused and not written (unknown plan, user or
 *   payment, or the provider's API contradicting the notification).
 * Requests that fail verification or parsing are not payment events; they only count as requests.
 */
export type PaymentOutcome = 'granted' | 'duplicate' | 'mismatch' | 'refunded' | 'ignored' | 'rejected';

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
