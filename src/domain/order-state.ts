/**
 * The order state machine (docs/payments.md; enforced again in SQL by migration 004's
 * kw_order_transition_allowed, and a test runs every pair through both).
 *
 *     created ──► pending ──► paid ──► refunded
 *        │           ├──► cancelled ─┐
 *        │           ├──► expired  ──┼──► paid   (late payment: money received = access granted)
 *        │           └──► failed   ──┘
 *        └──► paid | cancelled | expired | failed
 *
 * - created: the row exists with its price and idempotence key; no provider has answered yet (a crash
 *   here is repaired by repeating the provider call with the same key).
 * - pending: the provider accepted the payment or invoice and knows its id; the customer may pay.
 * - paid: a payment was recorded against the order and granted its one period, in one transaction.
 * - cancelled / expired / failed: the provider cancelled it, its lifetime passed, or the provider
 *   refused it (an automatic charge declined). A payment arriving later is still recorded and
 *   honoured: the order goes to paid and the payment is counted as `late`.
 * - refunded: the operator refunded the payment; its period is cancelled.
 */

/** Every order state. */
export const ORDER_STATES = [
  'created',
  'pending',
  'paid',
  'cancelled',
  'expired',
  'failed',
  'refunded',
] as const;

/** One of ORDER_STATES. */
export type OrderState = (typeof ORDER_STATES)[number];

/** For each state, the states it may move to. */
export const ORDER_TRANSITIONS = {
  created: ['pending', 'paid', 'cancelled', 'expired', 'failed'],
  pending: ['paid', 'cancelled', 'expired', 'failed'],
  paid: ['refunded'],
  cancelled: ['paid'],
  expired: ['paid'],
  failed: ['paid'],
  refunded: [],
} as const satisfies Record<OrderState, readonly OrderState[]>;

/** Whether an order may move from `from` to `to` (a state never "moves" to itself). */
export function canTransition(from: OrderState, to: OrderState): boolean {
  return (ORDER_TRANSITIONS[from] as readonly OrderState[]).includes(to);
}

/** States in which the customer may still pay as planned (the order has not ended). */
export function isOrderOpen(state: OrderState): boolean {
  return state === 'created' || state === 'pending';
}

/** States a payment ends "late" from: the order ended without being paid, and money came anyway. */
export function isLatePaymentState(state: OrderState): boolean {
  return state === 'cancelled' || state === 'expired' || state === 'failed';
}

/** Parses a state read from the database. */
export function isOrderState(value: unknown): value is OrderState {
  return typeof value === 'string' && (ORDER_STATES as readonly string[]).includes(value);
}
