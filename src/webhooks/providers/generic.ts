/**
 * The generic signed webhook, for custom shops (docs/webhooks.md has the format for integrators).
 *
 * - `X-Keywarden-Timestamp: <unix seconds>` and
 *   `X-Keywarden-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
 *   The timestamp is inside the signed message, so it cannot be changed without the secret; a
 *   request older (or newer) than the replay window is refused even with a valid signature.
 *   Replays inside the window are harmless: payments are idempotent on their id.
 * - Body: `{"event": "payment.succeeded", "payment_id", "reference", "amount", "currency", "metadata"?}`
 *   or `{"event": "payment.refunded", "payment_id", "refund_id"?}`.
 */
import { createHmac } from 'node:crypto';
import { err, ok, parsePaymentReference, type ParseError, type Result } from '../../domain/index.ts';
import type { PaymentEvent, Verification, VerifyInput, WebhookProvider } from '../provider.ts';
import { headerValue, hexMatches } from '../signature.ts';
import { optional, readAmount, readCurrency, readLiteral, readObject, readString } from '../wire.ts';

/** The signature header. */
export const GENERIC_SIGNATURE_HEADER = 'x-keywarden-signature';
/** The timestamp header (unix seconds). */
export const GENERIC_TIMESTAMP_HEADER = 'x-keywarden-timestamp';
/** How far the timestamp may be from our clock, either way. */
export const GENERIC_REPLAY_WINDOW_MS = 5 * 60_000;

/** Computes the signature header value for a body (for integrators' tests and ours). */
export function signGenericWebhook(
  secret: string,
  timestampSeconds: number,
  rawBody: string | Buffer,
): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
  return `sha256=${mac}`;
}

const rejected = (code: string, reason: string): Verification => ({
  kind: 'rejected',
  status: 401,
  code,
  reason,
});

/** Creates the generic provider for one shared secret. */
export function createGenericProvider(options: {
  readonly secret: string;
  readonly replayWindowMs?: number;
}): WebhookProvider {
  const windowMs = options.replayWindowMs ?? GENERIC_REPLAY_WINDOW_MS;
  return {
    name: 'generic',
    description: `HMAC-SHA256 signature, ${windowMs / 1000}s replay window`,
    verify(request: VerifyInput): Verification {
      const timestamp = headerValue(request.headers[GENERIC_TIMESTAMP_HEADER]);
      const signature = headerValue(request.headers[GENERIC_SIGNATURE_HEADER]);
      if (timestamp === undefined || signature === undefined) {
        return rejected(
          'missing-signature',
          `${GENERIC_TIMESTAMP_HEADER} and ${GENERIC_SIGNATURE_HEADER} are required`,
        );
      }
      if (!/^\d{1,12}$/.test(timestamp)) {
        return rejected('bad-timestamp', `${GENERIC_TIMESTAMP_HEADER} must be unix seconds`);
      }
      const seconds = Number(timestamp);
      if (Math.abs(request.receivedAt.getTime() - seconds * 1000) > windowMs) {
        return rejected('stale-timestamp', `the timestamp is more than ${windowMs / 1000}s from our clock`);
      }
      const expected = createHmac('sha256', options.secret)
        .update(`${timestamp}.`)
        .update(request.rawBody)
        .digest();
      const hex = signature.startsWith('sha256=') ? signature.slice('sha256='.length) : '';
      return hexMatches(hex, expected)
        ? { kind: 'accepted' }
        : rejected('bad-signature', 'the signature does not match the body');
    },
    parse: parseGenericEvent,
  };
}

/** Parses a generic webhook body. */
export function parseGenericEvent(json: unknown): Result<PaymentEvent, ParseError> {
  const body = readObject(json, '$');
  if (!body.ok) {
    return body;
  }
  const event = readLiteral(body.value['event'], 'event', ['payment.succeeded', 'payment.refunded']);
  if (!event.ok) {
    return event;
  }
  const paymentId = readString(body.value['payment_id'], 'payment_id');
  if (!paymentId.ok) {
    return paymentId;
  }
  if (event.value === 'payment.refunded') {
    const refundId = optional(body.value['refund_id'], (value) => readString(value, 'refund_id'));
    if (!refundId.ok) {
      return refundId;
    }
    return ok({
      kind: 'refunded',
      externalId: paymentId.value,
      refundId: refundId.value,
      refund: { refund_id: refundId.value },
    });
  }
  const reference = parsePaymentReference(body.value['reference'], 'reference');
  if (!reference.ok) {
    return reference;
  }
  const amount = readAmount(body.value['amount'], 'amount');
  if (!amount.ok) {
    return amount;
  }
  const currency = readCurrency(body.value['currency'], 'currency');
  if (!currency.ok) {
    return currency;
  }
  const metadata = body.value['metadata'];
  if (
    metadata !== undefined &&
    (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
  ) {
    return err({ path: 'metadata', expected: 'an object' });
  }
  return ok({
    kind: 'paid',
    externalId: paymentId.value,
    reference: reference.value,
    amount: amount.value,
    currency: currency.value,
    payload: { reference: body.value['reference'], ...(metadata === undefined ? {} : { metadata }) },
  });
}
